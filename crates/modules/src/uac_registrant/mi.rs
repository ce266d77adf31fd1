//! The MI commands, with OpenSIPS 3.x's names and parameters: `reg_list [aor contact
//! registrar]`, `reg_reload [aor contact registrar]`, and `reg_enable`, `reg_disable`,
//! `reg_force_register` taking `aor contact [registrar]`.

use std::sync::Arc;

use serde_json::{json, Value};
use siplua_core::mi::{MiCommand, MiError, MiParam, MiParams};

use super::engine::{Engine, Refused};
use super::record::Key;

/// The key the parameters name: `None` when none is given; an error when `aor` comes without
/// `contact` (or the other way round).
fn key(p: &MiParams) -> Result<Option<Key>, MiError> {
    let aor = p.str("aor")?;
    let contact = p.str("contact")?;
    let registrar = p.str("registrar")?;
    match (aor, contact) {
        (None, None) if registrar.is_none() => Ok(None),
        (Some(aor), Some(contact)) => Ok(Some(Key {
            aor,
            contact,
            registrar,
        })),
        _ => Err(MiError::new(400, "aor, contact and registrar go together")),
    }
}

fn required(p: &MiParams) -> Result<Key, MiError> {
    key(p)?.ok_or_else(|| MiError::bad_param("aor", "missing"))
}

fn outcome(r: Result<(), Refused>) -> Result<Value, MiError> {
    match r {
        Ok(()) => Ok(Value::from("OK")),
        Err(Refused::NotFound) => Err(MiError::new(404, "Record not found")),
        Err(Refused::Disabled) => Err(MiError::new(400, "Registrant is disabled")),
    }
}

fn coords(required: bool) -> Vec<MiParam> {
    let p: fn(&'static str) -> MiParam = if required { MiParam::req } else { MiParam::opt };
    vec![p("aor"), p("contact"), MiParam::opt("registrar")]
}

/// The commands, each holding the engine.
pub fn commands(engine: &Arc<Engine>) -> Vec<MiCommand> {
    let (a, b, c, d, e) = (
        engine.clone(),
        engine.clone(),
        engine.clone(),
        engine.clone(),
        engine.clone(),
    );
    vec![
        MiCommand::new(
            "reg_list",
            "lists the registrants and their state",
            coords(false),
            move |_, p| {
                let k = key(p)?;
                let records: Vec<Value> = a.list(k.as_ref()).iter().map(|r| r.listing()).collect();
                Ok(json!({ "Records": records }))
            },
        ),
        MiCommand::new(
            "reg_reload",
            "reads the registrant table again",
            coords(false),
            move |_, p| {
                let k = key(p)?;
                b.reload(k.as_ref())
                    .map_err(|e| MiError::new(500, format!("Failed to reload: {e}")))?;
                Ok(Value::from("OK"))
            },
        ),
        MiCommand::new(
            "reg_enable",
            "enables a registrant, which registers at once",
            coords(true),
            move |_, p| outcome(c.enable(&required(p)?)),
        ),
        MiCommand::new(
            "reg_disable",
            "disables a registrant, which unregisters at once",
            coords(true),
            move |_, p| outcome(d.disable(&required(p)?)),
        ),
        MiCommand::new(
            "reg_force_register",
            "registers an enabled registrant again at once",
            coords(true),
            move |_, p| outcome(e.force_register(&required(p)?)),
        ),
    ]
}
