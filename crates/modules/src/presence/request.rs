//! What PUBLISH and SUBSCRIBE handling read from the request: the Event header, the
//! presentity (the Request-URI's `user@host`), Expires.

use siplua_core::context::Context;
use siplua_sip::{HeaderKind, Message, Uri};

/// The Event header: package name and `id` parameter.
#[derive(Debug, PartialEq, Eq)]
pub struct EventHeader {
    /// The package token.
    pub name: String,
    /// The `id` parameter.
    pub id: Option<String>,
}

/// The Event header, `None` when absent or empty.
pub fn event(msg: &Message) -> Option<EventHeader> {
    parse_event(msg.get(HeaderKind::Event)?)
}

fn parse_event(value: &str) -> Option<EventHeader> {
    let mut parts = value.split(';');
    let name = parts.next()?.trim();
    if name.is_empty() {
        return None;
    }
    let id = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("id")
            .then(|| v.trim().to_owned())
    });
    Some(EventHeader {
        name: name.to_owned(),
        id,
    })
}

/// `sip:user@host` of the (current) Request-URI, as OpenSIPS names presentities.
pub fn presentity(ctx: &Context) -> Option<String> {
    let ruri = ctx.ruri()?;
    let uri = Uri::parse(ruri).ok()?;
    Some(match uri.user() {
        Some(user) => format!("sip:{user}@{}", uri.host()),
        None => format!("sip:{}", uri.host()),
    })
}

/// The granted Expires: the header's value (the package default without one) lowered to
/// `max`; Err for an Expires that is not a number.
pub fn expires(msg: &Message, default: u32, max: u32) -> Result<u32, ()> {
    match msg.expires() {
        Ok(v) => Ok(v.unwrap_or(default).min(max)),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_header() {
        assert_eq!(
            parse_event("presence;id=12"),
            Some(EventHeader {
                name: "presence".into(),
                id: Some("12".into())
            })
        );
        assert_eq!(parse_event(" ; id=1"), None);
        assert_eq!(parse_event("presence").unwrap().id, None);
    }
}
