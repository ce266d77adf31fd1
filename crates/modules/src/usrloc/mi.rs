//! usrloc's management commands, with OpenSIPS' names and reply shapes: `ul_dump`,
//! `ul_show_contact`, `ul_rm`, `ul_rm_contact`, `ul_flush`.

use std::sync::Arc;

use serde_json::{json, Map, Value};
use siplua_core::mi::{MiCommand, MiContext, MiError, MiParam, MiParams};

use super::api::{now, Usrloc};
use super::contact::{UContact, Q_UNSET};
use super::domain::Domain;
use super::record::{Aor, ContactKey, MatchingMode};

/// The commands, each holding the published API.
pub fn commands(api: &Arc<Usrloc>) -> Vec<MiCommand> {
    let (a, b, c, d, e) = (
        api.clone(),
        api.clone(),
        api.clone(),
        api.clone(),
        api.clone(),
    );
    vec![
        MiCommand::new(
            "ul_dump",
            "dumps every location table with its AORs and contacts",
            vec![MiParam::opt("brief")],
            move |ctx, p| dump(&a, ctx, p),
        ),
        MiCommand::new(
            "ul_show_contact",
            "shows the contacts of an AOR",
            vec![MiParam::req("table_name"), MiParam::req("aor")],
            move |ctx, p| show(&b, ctx, p),
        ),
        MiCommand::new(
            "ul_rm",
            "deletes an AOR and all its contacts",
            vec![MiParam::req("table_name"), MiParam::req("aor")],
            move |_, p| remove_aor(&c, p),
        ),
        MiCommand::new(
            "ul_rm_contact",
            "deletes one contact of an AOR",
            vec![
                MiParam::req("table_name"),
                MiParam::req("aor"),
                MiParam::req("contact"),
            ],
            move |_, p| remove_contact(&d, p),
        ),
        MiCommand::new(
            "ul_flush",
            "writes the AORs changed since the last flush to the database (write-back mode)",
            vec![],
            move |_, _| {
                e.flush_all();
                Ok(Value::from("OK"))
            },
        ),
    ]
}

fn db_failed(e: siplua_db::DbError) -> MiError {
    MiError::new(500, format!("Database error: {e}"))
}

fn table(api: &Usrloc, p: &MiParams) -> Result<Arc<Domain>, MiError> {
    let name = p.req_str("table_name")?;
    api.find_domain(&name)
        .ok_or_else(|| MiError::new(404, "Table not found"))
}

/// One binding as OpenSIPS prints it.
fn contact_json(c: &UContact, ctx: &MiContext, now: i64) -> Value {
    let mut o = Map::new();
    o.insert("Contact".into(), Value::from(c.uri()));
    o.insert("Expires".into(), Value::from(c.remaining(now)));
    let q = if c.q == Q_UNSET {
        String::new()
    } else {
        format!("{:.2}", f64::from(c.q) / 1000.0)
    };
    o.insert("Q".into(), Value::from(q));
    o.insert("Callid".into(), Value::from(c.callid()));
    o.insert("Cseq".into(), Value::from(c.cseq));
    if let Some(ua) = c.user_agent() {
        o.insert("User-agent".into(), Value::from(ua));
    }
    if let Some(r) = c.received() {
        o.insert("Received".into(), Value::from(r));
    }
    if let Some(path) = c.path() {
        o.insert("Path".into(), Value::from(path));
    }
    o.insert("State".into(), Value::from("CS_NEW"));
    o.insert("Flags".into(), Value::from(c.flags));
    o.insert("Cflags".into(), Value::from(c.cflags));
    let socket = c.socket.and_then(|id| {
        let t = ctx.core.transports()?;
        let s = t.socket(id)?;
        Some(format!(
            "{}:{}",
            s.proto.as_str().to_ascii_lowercase(),
            s.addr
        ))
    });
    if let Some(s) = socket {
        o.insert("Socket".into(), Value::from(s));
    }
    if let Some(m) = c.methods() {
        o.insert(
            "Methods".into(),
            Value::from(m.collect::<Vec<_>>().join(",")),
        );
    }
    if let Some(i) = c.instance() {
        o.insert("SIP_instance".into(), Value::from(i));
    }
    if let Some(r) = c.reg_id {
        o.insert("Reg-Id".into(), Value::from(r));
    }
    o.insert("Last-Modified".into(), Value::from(c.last_modified));
    Value::Object(o)
}

fn aor_json(aor: &Aor, ctx: &MiContext, now: i64, brief: bool) -> Value {
    if brief {
        let contacts: Vec<Value> = aor
            .contacts()
            .iter()
            .map(|c| json!({ "Contact": c.uri(), "Expires": c.remaining(now) }))
            .collect();
        return json!({ "AOR": aor.aor(), "Contacts": contacts });
    }
    let contacts: Vec<Value> = aor
        .contacts()
        .iter()
        .map(|c| contact_json(c, ctx, now))
        .collect();
    json!({ "AOR": aor.aor(), "Contacts": contacts })
}

fn dump(api: &Usrloc, ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    let brief = p.has("brief");
    let now = now();
    let mut domains = api.domains();
    domains.sort_by(|a, b| a.name().cmp(b.name()));
    let list: Vec<Value> = domains
        .iter()
        .map(|d| {
            let mut aors = d.dump();
            aors.sort_by(|a, b| a.aor().cmp(b.aor()));
            let aors: Vec<Value> = aors.iter().map(|a| aor_json(a, ctx, now, brief)).collect();
            json!({ "name": d.name(), "AORs": aors })
        })
        .collect();
    Ok(json!({ "Domains": list }))
}

/// The `aor` parameter as a table key, as OpenSIPS reads it: without `use_domain` a domain
/// given with the user is dropped (`alice@example.com` is `alice`); with it, one is required.
fn aor_param(api: &Usrloc, p: &MiParams) -> Result<String, MiError> {
    let mut aor = p.req_str("aor")?;
    match aor.find('@') {
        Some(at) if !api.use_domain() => aor.truncate(at),
        None if api.use_domain() => return Err(MiError::new(400, "Domain missing in AOR")),
        _ => {}
    }
    Ok(aor)
}

fn show(api: &Usrloc, ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    let domain = table(api, p)?;
    let aor = aor_param(api, p)?;
    let now = now();
    let record = domain
        .get(&aor, now)
        .ok_or_else(|| MiError::new(404, "AOR not found"))?;
    let contacts: Vec<Value> = record
        .contacts()
        .iter()
        .map(|c| contact_json(c, ctx, now))
        .collect();
    Ok(json!({ "Contacts": contacts }))
}

fn remove_aor(api: &Usrloc, p: &MiParams) -> Result<Value, MiError> {
    let domain = table(api, p)?;
    let aor = aor_param(api, p)?;
    if domain.delete_aor(&aor).map_err(db_failed)? == 0 {
        return Err(MiError::new(404, "AOR not found"));
    }
    Ok(Value::from("OK"))
}

fn remove_contact(api: &Usrloc, p: &MiParams) -> Result<Value, MiError> {
    let domain = table(api, p)?;
    let aor = aor_param(api, p)?;
    let uri = p.req_str("contact")?;
    let key = ContactKey {
        uri: &uri,
        callid: "",
        instance: None,
    };
    let found = domain.update(&aor, |r| {
        if r.is_empty() {
            return Err(MiError::new(404, "AOR not found"));
        }
        let i = r
            .find(&key, MatchingMode::Contact)
            .ok_or_else(|| MiError::new(404, "Contact not found"))?;
        r.delete(i);
        Ok(())
    });
    found.map_err(db_failed)?.map(|()| Value::from("OK"))
}
