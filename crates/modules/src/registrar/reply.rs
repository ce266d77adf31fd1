//! The replies `save()` sends itself (as OpenSIPS does): 200 listing every current binding
//! with its remaining lifetime (RFC 3261 §10.3 step 8), or the error that stopped the
//! REGISTER with the header it calls for (`Min-Expires`, `Unsupported`, `Retry-After`).

use std::fmt::Write;

use siplua_core::context::Context;

use crate::tm::api::TmApi;
use crate::usrloc::contact::{UContact, Q_UNSET};

/// Why a REGISTER was refused: the reply to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Status code.
    pub code: u16,
    /// Reason phrase.
    pub reason: &'static str,
    /// Extra header lines, each ending in CRLF.
    pub headers: String,
}

impl Rejection {
    /// A rejection without extra headers.
    pub fn new(code: u16, reason: &'static str) -> Rejection {
        Rejection {
            code,
            reason,
            headers: String::new(),
        }
    }

    /// Adds a header line.
    pub fn with_header(mut self, name: &str, value: &str) -> Rejection {
        let _ = write!(self.headers, "{name}: {value}\r\n");
        self
    }
}

/// A q-value in thousandths written as SIP writes it (`1`, `0.5`, `0.125`).
pub fn format_q(q: i32) -> String {
    match q.clamp(0, 1000) {
        1000 => "1".into(),
        0 => "0".into(),
        q => format!("0.{}", format!("{q:03}").trim_end_matches('0')),
    }
}

/// The Contact lines of a 200 for these bindings at `now` (written piece by piece: this runs
/// for every REGISTER, under the AOR's lock).
pub fn contact_lines(bindings: &[UContact], now: i64) -> String {
    let size = bindings
        .iter()
        .map(|c| c.uri().len() + c.instance().map_or(0, str::len) + 64)
        .sum();
    let mut out = String::with_capacity(size);
    let mut number = itoa::Buffer::new();
    for c in bindings {
        out.push_str("Contact: <");
        out.push_str(c.uri());
        out.push_str(">;expires=");
        out.push_str(number.format(c.remaining(now)));
        if c.q != Q_UNSET {
            out.push_str(";q=");
            out.push_str(&format_q(c.q));
        }
        if let Some(instance) = c.instance() {
            out.push_str(";+sip.instance=");
            out.push_str(instance);
        }
        if let Some(reg_id) = c.reg_id {
            out.push_str(";reg-id=");
            out.push_str(number.format(reg_id));
        }
        out.push_str("\r\n");
    }
    out
}

/// Sends the reply with `headers` added to what the script queued: through the transaction
/// when tm has one for this request (as OpenSIPS' signaling layer does), else statelessly.
/// False (logged) when it could not be sent.
pub fn send(ctx: &mut Context, code: u16, reason: &str, headers: &str) -> bool {
    let queued = ctx.reply_headers.len();
    ctx.reply_headers.push_str(headers);
    let result = match ctx.core.apis.get::<TmApi>() {
        Some(tm) if tm.has_transaction(ctx) => {
            if tm.reply(ctx, i64::from(code), reason) > 0 {
                Ok(())
            } else {
                Err("the transaction did not take the reply".to_owned())
            }
        }
        _ => siplua_core::reply::send_reply(ctx, code, reason),
    };
    ctx.reply_headers.truncate(queued);
    match result {
        Ok(()) => true,
        Err(e) => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "registrar",
                &format!("cannot send {code} {reason}: {e}"),
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usrloc::contact::ContactText;

    #[test]
    fn q_values_and_contacts() {
        assert_eq!(format_q(1000), "1");
        assert_eq!(format_q(500), "0.5");
        assert_eq!(format_q(125), "0.125");
        assert_eq!(format_q(0), "0");
        let mut c = UContact::new(ContactText {
            uri: "sip:a@1.2.3.4",
            instance: Some("\"<urn:uuid:x>\""),
            ..ContactText::default()
        });
        c.expires = 160;
        c.q = 700;
        c.reg_id = Some(1);
        let mut plain = UContact::new(ContactText {
            uri: "sip:b@h",
            ..ContactText::default()
        });
        plain.expires = 90;
        assert_eq!(
            contact_lines(&[c, plain], 100),
            "Contact: <sip:a@1.2.3.4>;expires=60;q=0.7;+sip.instance=\"<urn:uuid:x>\";reg-id=1\r\n\
             Contact: <sip:b@h>;expires=0\r\n"
        );
    }
}
