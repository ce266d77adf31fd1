//! `t_new_request(method, RURI, from, to[, body[, ctx]])`: the script originates a request
//! unrelated to the message it handles (a MESSAGE to a user, an OPTIONS ping) as a new
//! non-INVITE client transaction of tm's local-request API (`local.rs`).
//!
//! As OpenSIPS 3.x: `from`/`to` are `"[display ]URI"` (split at the last space), `body` starts
//! with its content type (`"text/plain Hello"`, split at the first space), the request goes
//! to the Request-URI (never `$du`), CSeq 10, a fresh Call-ID and From tag, no To tag and no
//! Contact. siplua adds `Max-Forwards: 70` (RFC 3261 §8.1.1) and refuses INVITE, ACK and
//! CANCEL (its local transactions are non-INVITE ones). `ctx` is accepted and unused: OpenSIPS
//! puts it in an AVP for `local_route`, which siplua does not run.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::log;
use siplua_sip::uri::Uri;

use super::local::LocalRequest;
use super::shared::TmShared;

/// OpenSIPS' CSeq number of a new request (`DEFAULT_CSEQ`).
const CSEQ: u32 = 10;

/// Counter behind Call-IDs and From tags, unique within one run (the salt covers restarts).
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A From or To argument: an optional display name and the URI.
#[derive(Debug, PartialEq, Eq)]
pub struct Party<'a> {
    /// The text before the last space, when there is one.
    pub display: Option<&'a str>,
    /// The URI, without angle brackets.
    pub uri: &'a str,
}

/// Splits `"[display ]URI"` at the last space (as OpenSIPS); angle brackets around the URI
/// are dropped, so `"Bob <sip:b@x>"` means the same as `"Bob sip:b@x"`.
pub fn split_party(text: &str) -> Result<Party<'_>, String> {
    let text = text.trim();
    let (display, uri) = match text.rfind(' ') {
        Some(i) => (
            Some(text[..i].trim()).filter(|d| !d.is_empty()),
            &text[i + 1..],
        ),
        None => (None, text),
    };
    let uri = uri.strip_prefix('<').unwrap_or(uri);
    let uri = uri.strip_suffix('>').unwrap_or(uri);
    Uri::parse(uri).map_err(|e| format!("bad URI {uri:?}: {e}"))?;
    if display.is_some_and(|d| d.contains(['\r', '\n', '<', '>'])) {
        return Err(format!("bad display name in {text:?}"));
    }
    Ok(Party { display, uri })
}

/// Splits a body argument into its content type and the body (at the first space, as
/// OpenSIPS): Err when there is no content type.
pub fn split_body(text: &str) -> Result<(&str, &str), String> {
    match text.split_once(' ') {
        Some((ct, body)) if !ct.is_empty() && !ct.contains(['\r', '\n']) => Ok((ct, body)),
        _ => Err(format!(
            "the body must start with its content type and a space (\"text/plain Hello\"), \
             got {text:?}"
        )),
    }
}

/// Checks the method: a SIP token, not INVITE/ACK/CANCEL.
pub fn check_method(method: &str) -> Result<(), String> {
    let token = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b));
    if !token {
        return Err(format!("bad method {method:?}"));
    }
    if ["INVITE", "ACK", "CANCEL"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
    {
        return Err(format!(
            "method {method} is not supported (siplua originates non-INVITE transactions only)"
        ));
    }
    Ok(())
}

/// Checks the Request-URI: a SIP or SIPS URI.
pub fn check_ruri(ruri: &str) -> Result<(), String> {
    match Uri::parse(ruri) {
        Ok(u)
            if matches!(
                u.scheme(),
                siplua_sip::Scheme::Sip | siplua_sip::Scheme::Sips
            ) =>
        {
            Ok(())
        }
        Ok(_) => Err(format!("Request-URI {ruri:?} is not a SIP URI")),
        Err(e) => Err(format!("bad Request-URI {ruri:?}: {e}")),
    }
}

/// The arguments of one call, checked.
pub struct NewRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The Request-URI, also the next hop.
    pub ruri: &'a str,
    /// The From party.
    pub from: Party<'a>,
    /// The To party.
    pub to: Party<'a>,
    /// Content type and body.
    pub body: Option<(&'a str, &'a str)>,
}

impl<'a> NewRequest<'a> {
    /// Checks the arguments as a call gives them.
    pub fn parse(
        method: &'a str,
        ruri: &'a str,
        from: &'a str,
        to: &'a str,
        body: Option<&'a str>,
    ) -> Result<NewRequest<'a>, String> {
        check_method(method)?;
        let ruri = ruri.trim();
        check_ruri(ruri)?;
        Ok(NewRequest {
            method,
            ruri,
            from: split_party(from).map_err(|e| format!("from: {e}"))?,
            to: split_party(to).map_err(|e| format!("to: {e}"))?,
            body: body.map(split_body).transpose()?,
        })
    }

    /// The request text without Via (tm's local layer adds it), in OpenSIPS' header order.
    pub fn text(&self, call_id: &str, from_tag: &str, user_agent: Option<&str>) -> String {
        let mut t = String::with_capacity(256 + self.body.map_or(0, |(_, b)| b.len()));
        let _ = write!(t, "{} {} SIP/2.0\r\n", self.method, self.ruri);
        t.push_str("Max-Forwards: 70\r\n");
        t.push_str("To: ");
        party(&mut t, &self.to);
        t.push_str("\r\nFrom: ");
        party(&mut t, &self.from);
        let _ = write!(
            t,
            ";tag={from_tag}\r\nCSeq: {CSEQ} {}\r\nCall-ID: {call_id}\r\n",
            self.method
        );
        let (ct, body) = self.body.unwrap_or(("", ""));
        let _ = write!(t, "Content-Length: {}\r\n", body.len());
        if let Some(ua) = user_agent {
            let _ = write!(t, "User-Agent: {ua}\r\n");
        }
        if !ct.is_empty() {
            let _ = write!(t, "Content-Type: {ct}\r\n");
        }
        t.push_str("\r\n");
        t.push_str(body);
        t
    }
}

fn party(t: &mut String, p: &Party<'_>) {
    match p.display {
        Some(d) => {
            let _ = write!(t, "{d} <{}>", p.uri);
        }
        None => {
            let _ = write!(t, "<{}>", p.uri);
        }
    }
}

/// Load-time check of the constant arguments (a variable one is checked per call).
pub fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let constant = |i: usize| match args.get(i) {
        Some(PreparedArg::Str(s)) => Some(s.clone()),
        _ => None,
    };
    if let Some(m) = constant(0) {
        check_method(&m)?;
    }
    if let Some(r) = constant(1) {
        check_ruri(r.trim())?;
    }
    if let Some(f) = constant(2) {
        split_party(&f).map_err(|e| format!("from: {e}"))?;
    }
    if let Some(t) = constant(3) {
        split_party(&t).map_err(|e| format!("to: {e}"))?;
    }
    if let Some(b) = constant(4) {
        split_body(&b)?;
    }
    Ok(())
}

/// Runs `t_new_request`: 1 when the request was sent, -1 (logged) otherwise.
pub fn t_new_request(shared: &Arc<TmShared>, ctx: &mut Context, args: &Args) -> i32 {
    let arg = |i: usize| args.str(ctx, i).map(|s| s.into_owned());
    let (method, ruri, from, to) = (
        arg(0).unwrap_or_default(),
        arg(1).unwrap_or_default(),
        arg(2).unwrap_or_default(),
        arg(3).unwrap_or_default(),
    );
    let body = arg(4);
    let req = match NewRequest::parse(&method, &ruri, &from, &to, body.as_deref()) {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    let Some(transports) = ctx.worker.transports.clone() else {
        return error("no transports");
    };
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let call_id = format!("{:08x}-{n}-nr@siplua", shared.salt);
    let from_tag = format!("{:x}{n:x}", shared.salt);
    let text = req.text(
        &call_id,
        &from_tag,
        ctx.core.config.user_agent_header.as_deref(),
    );
    let local = LocalRequest {
        text,
        next_hop: req.ruri.to_owned(),
        socket: None,
    };
    match super::local::send(shared, &transports, local, Box::new(|_, _| {})) {
        Ok(_) => 1,
        Err(e) => error(&e),
    }
}

fn error(text: &str) -> i32 {
    log::emit(log::level::ERR, "tm", &format!("t_new_request: {text}"));
    -1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parties_split_at_the_last_space() {
        assert_eq!(
            split_party("sip:a@x").unwrap(),
            Party {
                display: None,
                uri: "sip:a@x"
            }
        );
        assert_eq!(
            split_party("Big Bob <sip:b@x>").unwrap(),
            Party {
                display: Some("Big Bob"),
                uri: "sip:b@x"
            }
        );
        assert_eq!(split_party("BOB sip:b@x").unwrap().display, Some("BOB"));
        assert!(split_party("Bob b@x").is_err());
        assert!(split_party("").is_err());
    }

    #[test]
    fn body_starts_with_its_type() {
        assert_eq!(
            split_body("text/plain Hello there").unwrap(),
            ("text/plain", "Hello there")
        );
        assert_eq!(split_body("text/plain ").unwrap(), ("text/plain", ""));
        assert!(split_body("Hello").is_err());
        assert!(split_body(" Hello").is_err());
    }

    #[test]
    fn methods() {
        assert!(check_method("MESSAGE").is_ok());
        assert!(check_method("OPTIONS").is_ok());
        assert!(check_method("INVITE").is_err());
        assert!(check_method("ack").is_err());
        assert!(check_method("BAD METHOD").is_err());
        assert!(check_method("").is_err());
    }

    #[test]
    fn request_text_in_opensips_order() {
        let r = NewRequest::parse(
            "MESSAGE",
            "sip:bob@127.0.0.1:5070",
            "Alice sip:alice@a.example",
            "sip:bob@b.example",
            Some("text/plain Hi"),
        )
        .unwrap();
        assert_eq!(
            r.text("cid", "ftag", None),
            "MESSAGE sip:bob@127.0.0.1:5070 SIP/2.0\r\nMax-Forwards: 70\r\n\
             To: <sip:bob@b.example>\r\nFrom: Alice <sip:alice@a.example>;tag=ftag\r\n\
             CSeq: 10 MESSAGE\r\nCall-ID: cid\r\nContent-Length: 2\r\n\
             Content-Type: text/plain\r\n\r\nHi"
        );
        assert!(NewRequest::parse("OPTIONS", "tel:+1", "sip:a@x", "sip:b@x", None).is_err());
    }
}
