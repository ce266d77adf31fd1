//! The MI command `trace` (3.x; also `tracer:trace`, and `sip_trace` for 2.x's siptrace):
//! without parameters it shows the global switch and every trace id; `mode=on|off` sets the
//! global switch, `mode` with `id` the switch of one trace id; `id` alone is not a recipe
//! siplua offers (the listing shows every id).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Value};
use siplua_core::mi::{MiCommand, MiError, MiParam};

use super::capture::Tracer;

/// The command under `name`.
pub fn command(name: &'static str, tracer: Arc<Tracer>) -> MiCommand {
    MiCommand::new(
        name,
        "shows the tracing state, or turns tracing on/off globally or for one trace id",
        vec![MiParam::opt("mode"), MiParam::opt("id")],
        move |_, params| {
            let Some(mode) = params.str("mode")? else {
                return Ok(listing(&tracer));
            };
            let on = match mode.as_str() {
                "on" => true,
                "off" => false,
                _ => return Err(MiError::bad_param("mode", "'on' or 'off'")),
            };
            match params.str("id")? {
                None => tracer.on.store(on, Ordering::Relaxed),
                Some(id) => tracer
                    .ids
                    .get(&id)
                    .ok_or_else(|| MiError::new(404, format!("unknown trace id '{id}'")))?
                    .on
                    .store(on, Ordering::Relaxed),
            }
            Ok(Value::from("OK"))
        },
    )
}

fn listing(tracer: &Tracer) -> Value {
    let state = |b: bool| if b { "on" } else { "off" };
    let mut ids: Vec<(&String, _)> = tracer.ids.iter().collect();
    ids.sort_by(|a, b| a.0.cmp(b.0));
    json!({
        "global": state(tracer.enabled()),
        "ids": ids.iter().map(|(name, id)| json!({
            "name": name,
            "state": state(id.on.load(Ordering::Relaxed)),
            "uris": id.uris,
        })).collect::<Vec<_>>(),
    })
}
