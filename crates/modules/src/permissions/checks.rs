//! What `allow_routing`, `allow_register` and `allow_uri` check, with OpenSIPS' pairs:
//! (From URI, each Request-URI of the request), (To URI, each Contact of a REGISTER) and
//! (From URI, a given URI). Each pair is allowed when it matches the allow file, else denied
//! when it matches the deny file, else allowed. 1 allowed, -1 denied (or the message lacks
//! what is needed).

use siplua_core::context::Context;
use siplua_sip::uri::Uri;

use super::files::RulePair;

/// `sip:user@host` (or `sip:host`) of a URI, without port, parameters or headers: what the
/// Request-URI and Contact sides are matched as.
fn plain_uri(uri: &str) -> Option<String> {
    let u = Uri::parse(uri).ok()?;
    Some(match u.user() {
        Some(user) if !user.is_empty() => format!("sip:{user}@{}", u.host()),
        _ => format!("sip:{}", u.host()),
    })
}

fn refuse(what: &str) -> i32 {
    super::log(siplua_core::log::level::ERR, what);
    -1
}

/// The From URI as written in the header (parameters inside `<>` included).
fn from_uri(ctx: &Context) -> Option<String> {
    let msg = ctx.message()?;
    msg.from().ok().map(|na| na.uri().as_str().to_owned())
}

/// `allow_routing`: the Request-URI, then (with `check_all_branches`) every branch added by
/// `append_branch`/`lookup`, paired with the From URI.
pub fn routing(ctx: &Context, files: &RulePair, all_branches: bool) -> i32 {
    if files.is_off() {
        return 1;
    }
    let Some(from) = from_uri(ctx) else {
        return refuse("allow_routing: no From URI in the message");
    };
    let Some(ruri) = ctx.ruri().and_then(plain_uri) else {
        return refuse("allow_routing: the Request-URI does not parse");
    };
    if files.allow.matches(&from, &ruri) {
        if !all_branches {
            return 1;
        }
    } else if files.deny.matches(&from, &ruri) {
        return -1;
    } else if !all_branches {
        return 1;
    }
    for branch in &ctx.branches {
        let Some(uri) = plain_uri(&branch.uri) else {
            return refuse(&format!(
                "allow_routing: branch URI {:?} does not parse",
                branch.uri
            ));
        };
        if !files.allow.matches(&from, &uri) && files.deny.matches(&from, &uri) {
            return -1;
        }
    }
    1
}

/// `allow_register`: every Contact of the REGISTER paired with the To URI; no Contact or
/// `Contact: *` is allowed (nothing is registered).
pub fn register(ctx: &Context, files: &RulePair) -> i32 {
    if files.is_off() {
        return 1;
    }
    let Some(msg) = ctx.message() else {
        return refuse("allow_register: no message");
    };
    let Ok(to) = msg.to() else {
        return refuse("allow_register: no To header");
    };
    let to = to.uri().as_str();
    for contact in msg.contacts() {
        let Ok(contact) = contact else {
            return refuse("allow_register: a Contact does not parse");
        };
        let Some(addr) = contact.addr() else {
            return 1;
        };
        let Some(uri) = plain_uri(addr.uri().as_str()) else {
            return refuse("allow_register: a Contact URI does not parse");
        };
        if !files.allow.matches(to, &uri) && files.deny.matches(to, &uri) {
            return -1;
        }
    }
    1
}

/// `allow_uri`: the From URI paired with `uri` as given.
pub fn uri(ctx: &Context, files: &RulePair, uri: &str) -> i32 {
    if files.is_off() {
        return 1;
    }
    let Some(from) = from_uri(ctx) else {
        return refuse("allow_uri: no From URI in the message");
    };
    if files.allow.matches(&from, uri) {
        1
    } else if files.deny.matches(&from, uri) {
        -1
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::plain_uri;

    #[test]
    fn plain_uris() {
        assert_eq!(
            plain_uri("sips:alice@example.com:5061;transport=tls?x=y").as_deref(),
            Some("sip:alice@example.com")
        );
        assert_eq!(
            plain_uri("sip:10.0.0.1:5060").as_deref(),
            Some("sip:10.0.0.1")
        );
        assert_eq!(plain_uri("nonsense"), None);
    }
}
