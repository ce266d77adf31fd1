//! `handle_publish([sender_uri])`: RFC 3903 §6. A PUBLISH without `SIP-If-Match` creates a
//! publication (it needs a body); with one it refreshes, modifies (a body) or removes
//! (`Expires: 0`) the publication holding that entity-tag — 412 when none does. Every
//! success gets a 200 with a new `SIP-ETag` and the granted `Expires`; a change of state
//! is notified to the presentity's watchers (but `sender_uri`).

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_sip::{HeaderKind, Message};

use super::events::EventPackage;
use super::notify::notify_watchers;
use super::reply;
use super::request;
use super::shared::{log_err, now, Presence};
use super::store::Publication;

/// What a PUBLISH does once checked.
enum Outcome {
    /// 200 with this entity-tag and expiry; notify when the state changed.
    Done {
        etag: String,
        expires: u32,
        changed: bool,
    },
    /// An error reply (code, reason, extra header lines).
    Refused(u16, &'static str, String),
}

/// `handle_publish([sender_uri])`: 1 when the publication was handled (200 sent), -1
/// otherwise (the error reply sent).
pub fn handle_publish(p: &Arc<Presence>, ctx: &mut Context, sender: Option<&str>) -> i32 {
    let Some(msg) = ctx.msg else {
        return -1;
    };
    if !msg
        .method_str()
        .is_some_and(|m| m.eq_ignore_ascii_case("PUBLISH"))
    {
        log_err("handle_publish: the request is not a PUBLISH");
        return -1;
    }
    let (outcome, notify) = match check(p, ctx, msg) {
        Ok((package, pres_uri)) => {
            let o = apply(p, msg, &package, &pres_uri);
            (o, Some((pres_uri, package)))
        }
        Err(o) => (o, None),
    };
    match outcome {
        Outcome::Refused(code, reason, headers) => {
            reply::send(p, ctx, code, reason, &headers, None);
            -1
        }
        Outcome::Done {
            etag,
            expires,
            changed,
        } => {
            let headers = format!("SIP-ETag: {etag}\r\nExpires: {expires}\r\n");
            reply::send(p, ctx, 200, "OK", &headers, None);
            if let (true, Some((pres_uri, package)), Some(transports)) =
                (changed, notify, ctx.worker.transports.clone())
            {
                notify_watchers(p, &transports, &pres_uri, package.name, sender);
            }
            1
        }
    }
}

/// The package and the presentity, or the error reply.
fn check(
    p: &Presence,
    ctx: &Context,
    msg: &Message,
) -> Result<(Arc<EventPackage>, String), Outcome> {
    let bad_event = || Outcome::Refused(489, "Bad Event", p.events.allow_header());
    let ev = request::event(msg).ok_or_else(bad_event)?;
    let package = p.events.find(&ev.name).ok_or_else(bad_event)?;
    let pres_uri = request::presentity(ctx)
        .ok_or_else(|| Outcome::Refused(400, "Bad Request-URI", String::new()))?;
    Ok((package, pres_uri))
}

/// Creates, refreshes, modifies or removes the publication.
fn apply(p: &Presence, msg: &Message, package: &EventPackage, pres_uri: &str) -> Outcome {
    let Ok(expires) =
        request::expires(msg, package.default_expires, p.settings.max_expires_publish)
    else {
        return Outcome::Refused(400, "Bad Expires", String::new());
    };
    let body = match body_of(msg, package) {
        Ok(b) => b,
        Err(o) => return o,
    };
    let if_match = msg
        .find_name("SIP-If-Match")
        .next()
        .map(|(_, h)| msg.value_of(h).trim().to_owned());
    let now = now();
    let key = (pres_uri.to_owned(), package.name.to_owned());
    let etag = p.new_tag("a");
    let mut store = p.store.lock();
    let Some(old_tag) = if_match else {
        let Some(body) = body else {
            return Outcome::Refused(400, "Missing body", String::new());
        };
        if expires == 0 {
            return Outcome::Done {
                etag,
                expires: 0,
                changed: false,
            };
        }
        store
            .publications
            .entry(key)
            .or_default()
            .push(Publication {
                etag: etag.clone(),
                body,
                expires_at: now + u64::from(expires),
                seq: p.next_seq(),
            });
        return Outcome::Done {
            etag,
            expires,
            changed: true,
        };
    };
    let list = store.publications.entry(key.clone()).or_default();
    let Some(i) = list
        .iter()
        .position(|x| x.etag == old_tag && x.expires_at > now)
    else {
        if list.is_empty() {
            store.publications.remove(&key);
        }
        return Outcome::Refused(412, "Conditional Request Failed", String::new());
    };
    if expires == 0 {
        list.remove(i);
        if list.is_empty() {
            store.publications.remove(&key);
        }
        return Outcome::Done {
            etag: old_tag,
            expires: 0,
            changed: true,
        };
    }
    let publication = &mut list[i];
    publication.etag = etag.clone();
    publication.expires_at = now + u64::from(expires);
    let changed = match body {
        Some(b) if b != publication.body => {
            publication.body = b;
            true
        }
        _ => false,
    };
    Outcome::Done {
        etag,
        expires,
        changed,
    }
}

/// The body, checked against the package (`None`: no body); the error reply otherwise.
fn body_of(msg: &Message, package: &EventPackage) -> Result<Option<String>, Outcome> {
    let raw = msg.body();
    if raw.is_empty() {
        return Ok(None);
    }
    let accept = || {
        Outcome::Refused(
            415,
            "Unsupported Media Type",
            format!("Accept: {}\r\n", package.content_type),
        )
    };
    let ctype = msg.get(HeaderKind::ContentType).ok_or_else(accept)?;
    let bare = ctype.split(';').next().unwrap_or("").trim();
    if !bare.eq_ignore_ascii_case(package.content_type) {
        return Err(accept());
    }
    let text =
        std::str::from_utf8(raw).map_err(|_| Outcome::Refused(400, "Bad body", String::new()))?;
    if let Err(e) = (package.validate)(text) {
        log_err(&format!("handle_publish: refused body: {e}"));
        return Err(Outcome::Refused(400, "Bad body", String::new()));
    }
    Ok(Some(text.to_owned()))
}
