//! The drouting management commands, with OpenSIPS' names and its recipes without
//! partitions: `dr_reload [partition_name]`, `dr_gw_status [gw_id [status]]` and
//! `dr_carrier_status [carrier_id [status]]` (list, read one, or set one: status 0
//! disables, 1 enables).

use std::sync::Arc;

use serde_json::{json, Value};
use siplua_core::mi::{MiCommand, MiError, MiParam, MiParams};

use super::gateways::{LiveState, State};
use super::shared::Shared;

/// The commands, each holding the shared state.
pub fn commands(shared: &Arc<Shared>) -> Vec<MiCommand> {
    let (a, b, c) = (shared.clone(), shared.clone(), shared.clone());
    vec![
        MiCommand::new(
            "dr_reload",
            "reads the drouting tables again",
            vec![MiParam::opt("partition_name")],
            move |_, p| {
                partition(p.str("partition_name")?.as_deref())?;
                a.reload()
                    .map_err(|e| MiError::new(500, format!("Failed to reload: {e}")))?;
                Ok(Value::from("OK"))
            },
        ),
        MiCommand::new(
            "dr_gw_status",
            "lists the gateways' states, or reads or sets one gateway's",
            vec![MiParam::opt("gw_id"), MiParam::opt("status")],
            move |_, p| {
                let t = b.tables();
                let all = t
                    .gws
                    .iter()
                    .map(|g| (g.id.as_str(), g.address.as_str(), &g.state));
                status(p, "gw_id", "Gateways", all)
            },
        ),
        MiCommand::new(
            "dr_carrier_status",
            "lists the carriers' states, or reads or sets one carrier's",
            vec![MiParam::opt("carrier_id"), MiParam::opt("status")],
            move |_, p| {
                let t = c.tables();
                let all = t.carriers.iter().map(|c| (c.id.as_str(), "", &c.state));
                status(p, "carrier_id", "Carriers", all)
            },
        ),
    ]
}

/// Only the default partition exists.
fn partition(name: Option<&str>) -> Result<(), MiError> {
    match name {
        None | Some("default") => Ok(()),
        Some(other) => Err(MiError::new(400, format!("Unknown partition {other}"))),
    }
}

/// Lists `(id, address, state)` under `list_key`, or reads or sets the one `id_param`
/// names.
fn status<'a>(
    p: &MiParams,
    id_param: &str,
    list_key: &str,
    all: impl Iterator<Item = (&'a str, &'a str, &'a LiveState)>,
) -> Result<Value, MiError> {
    let mut all = all.peekable();
    let Some(id) = p.str(id_param)? else {
        let rows: Vec<Value> = all
            .map(|(id, addr, st)| {
                let mut o = json!({ "ID": id, "State": st.get().name() });
                if !addr.is_empty() {
                    o["IP"] = json!(addr);
                }
                o
            })
            .collect();
        return Ok(json!({ list_key: rows }));
    };
    let Some((_, _, st)) = all.find(|(i, _, _)| *i == id) else {
        return Err(MiError::new(404, format!("{id} not found")));
    };
    match p.str("status")?.as_deref().map(str::trim) {
        None => Ok(json!({ "State": st.get().name() })),
        Some("0") => {
            st.set(State::Inactive);
            Ok(Value::from("OK"))
        }
        Some("1") => {
            st.set(State::Active);
            Ok(Value::from("OK"))
        }
        Some(_) => Err(MiError::bad_param("status", "0 (disable) or 1 (enable)")),
    }
}
