//! The dispatcher's management commands, with OpenSIPS' names: `ds_list [full]`,
//! `ds_reload [partition]`, `ds_set_state state group address`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Value};
use siplua_core::mi::{MiCommand, MiError, MiParam, MiParams};

use super::sets::DsState;
use super::shared::Shared;

/// The commands, each holding the shared state.
pub fn commands(shared: &Arc<Shared>) -> Vec<MiCommand> {
    let (a, b, c) = (shared.clone(), shared.clone(), shared.clone());
    vec![
        MiCommand::new(
            "ds_list",
            "lists the destination sets and their destinations' states",
            vec![MiParam::opt("full")],
            move |_, p| Ok(list(&a, p)),
        ),
        MiCommand::new(
            "ds_reload",
            "reads the dispatcher table again",
            vec![MiParam::opt("partition")],
            move |_, p| {
                partition(p.str("partition")?.as_deref())?;
                b.reload()
                    .map_err(|e| MiError::new(500, format!("Failed to reload: {e}")))?;
                Ok(Value::from("OK"))
            },
        ),
        MiCommand::new(
            "ds_set_state",
            "sets a destination's state (a, i, p)",
            vec![
                MiParam::req("state"),
                MiParam::req("group"),
                MiParam::req("address"),
            ],
            move |_, p| set_state(&c, p),
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

fn list(shared: &Shared, p: &MiParams) -> Value {
    let full = p.has("full");
    let sets = shared.sets();
    let sets: Vec<Value> = sets
        .sets
        .iter()
        .map(|s| {
            let dests: Vec<Value> = s
                .dests
                .iter()
                .map(|d| {
                    let mut o = json!({
                        "URI": d.uri,
                        "state": d.state().name(),
                        "first_hit_counter": d.hits.load(Ordering::Relaxed),
                    });
                    if full {
                        o["weight"] = json!(d.weight);
                        o["priority"] = json!(d.priority);
                        o["description"] = json!(d.description);
                        o["attrs"] = json!(d.attrs);
                        o["socket"] = json!(d.socket);
                        o["probe_mode"] = json!(d.probe_mode);
                    }
                    o
                })
                .collect();
            json!({ "id": s.id, "Destinations": dests })
        })
        .collect();
    json!({ "PARTITIONS": [{ "name": "default", "SETS": sets }] })
}

fn set_state(shared: &Shared, p: &MiParams) -> Result<Value, MiError> {
    let letter = p.req_str("state")?;
    let state = DsState::from_letter(&letter)
        .filter(|_| letter.len() == 1)
        .ok_or_else(|| MiError::bad_param("state", "a, i or p"))?;
    let group = p.req_str("group")?;
    let (part, id) = match group.rsplit_once(':') {
        Some((part, id)) => (Some(part), id),
        None => (None, group.as_str()),
    };
    partition(part)?;
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| MiError::bad_param("group", "a set id"))?;
    let address = p.req_str("address")?;
    let sets = shared.sets();
    let dest = sets.get(id).and_then(|s| {
        s.dests
            .iter()
            .find(|d| d.uri == address || d.uri.strip_prefix("sip:") == Some(address.as_str()))
    });
    match dest {
        Some(d) => {
            d.set_state(state);
            Ok(Value::from("OK"))
        }
        None => Err(MiError::new(404, "Destination not found")),
    }
}
