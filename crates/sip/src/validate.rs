//! The checks a server runs on every message before routing it, and the
//! status code to answer when one fails.
//!
//! They are cheap and lazy: one pass over the header index for repeated
//! single-valued headers, then only the mandatory headers are parsed (top Via,
//! From, To, Call-ID, CSeq, Max-Forwards). Application-level decisions — an
//! unknown Request-URI scheme (416), unsupported Require (420), Max-Forwards
//! of 0 (483) — are left to the server; the views expose what it needs.

use std::fmt;

use crate::error::HeaderError;
use crate::header_kind::HeaderKind;
use crate::message::Message;

/// A message that must not be processed, with the response it deserves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Status code to answer a request with (400, 505). For responses the
    /// code is informative: an invalid response is dropped.
    pub code: u16,
    /// Reason phrase for the reply.
    pub reason: &'static str,
    /// The header at fault, if one is.
    pub header: Option<HeaderKind>,
    /// Details of the header problem, if any.
    pub cause: Option<HeaderError>,
}

impl Invalid {
    /// A problem of the whole message rather than of one header.
    fn message(code: u16, reason: &'static str) -> Self {
        Invalid {
            code,
            reason,
            header: None,
            cause: None,
        }
    }

    fn bad(header: HeaderKind, reason: &'static str) -> Self {
        Invalid {
            code: 400,
            reason,
            header: Some(header),
            cause: None,
        }
    }

    fn from_header(reason: &'static str) -> impl FnOnce(HeaderError) -> Invalid {
        move |e| Invalid {
            code: 400,
            reason,
            header: Some(e.header),
            cause: Some(e),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.reason)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

/// Checks a request: SIP/2.0 (else 505), no repeated single-valued header
/// (RFC 4475 multi01), a parseable top Via, From, To, Call-ID and CSeq, a CSeq
/// method equal to the request method (mismatch01/02), a numeric
/// Max-Forwards when present. Content-Length was checked by the parser.
pub fn check_request(msg: &Message) -> Result<(), Invalid> {
    let Some(method) = msg.method_str() else {
        return Err(Invalid::message(400, "Not a Request"));
    };
    if !msg.is_sip_2_0() {
        return Err(Invalid::message(505, "Version Not Supported"));
    }
    check_common(msg)?;
    let cseq = msg.cseq().map_err(Invalid::from_header("Bad CSeq"))?;
    if cseq.method != method {
        return Err(Invalid::bad(HeaderKind::CSeq, "CSeq Method Mismatch"));
    }
    msg.max_forwards()
        .map_err(Invalid::from_header("Bad Max-Forwards"))?;
    Ok(())
}

/// Checks a response the same way (no Max-Forwards); an `Err` means the
/// response is to be dropped (RFC 4475 scalarlg).
pub fn check_response(msg: &Message) -> Result<(), Invalid> {
    if msg.is_request() {
        return Err(Invalid::message(400, "Not a Response"));
    }
    if !msg.is_sip_2_0() {
        return Err(Invalid::message(505, "Version Not Supported"));
    }
    check_common(msg)?;
    msg.cseq().map_err(Invalid::from_header("Bad CSeq"))?;
    Ok(())
}

/// Every [`HeaderKind`] has a bit of a `u64` (for the repeated-header check).
const _: () = assert!((HeaderKind::Other as u32) < u64::BITS);

fn check_common(msg: &Message) -> Result<(), Invalid> {
    let mut seen = 0u64;
    for h in msg.headers().iter().filter(|h| h.kind().is_single()) {
        let bit = 1u64 << (h.kind() as u32);
        if seen & bit != 0 {
            return Err(Invalid::bad(h.kind(), "Repeated Header"));
        }
        seen |= bit;
    }
    match msg.memo().common_verdict() {
        Some(verdict) => verdict.map_err(|e| {
            let reason = match e.header {
                HeaderKind::Via => "Bad Via",
                HeaderKind::From => "Bad From",
                _ => "Bad To",
            };
            Invalid::from_header(reason)(e)
        })?,
        None => {
            msg.top_via().map_err(Invalid::from_header("Bad Via"))?;
            msg.from().map_err(Invalid::from_header("Bad From"))?;
            msg.to().map_err(Invalid::from_header("Bad To"))?;
        }
    }
    msg.call_id().map_err(Invalid::from_header("Bad Call-ID"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(extra: &str, start: &str) -> Result<(), Invalid> {
        let text = format!(
            "{start}\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n{extra}\r\n"
        );
        let m = Message::parse_slice(text.as_bytes()).unwrap();
        if m.is_request() {
            check_request(&m)
        } else {
            check_response(&m)
        }
    }

    #[test]
    fn requests() {
        assert_eq!(
            check("Max-Forwards: 70\r\n", "OPTIONS sip:x SIP/2.0"),
            Ok(())
        );
        assert_eq!(check("", "OPTIONS sip:x SIP/7.0").unwrap_err().code, 505);
        assert_eq!(
            check("", "INVITE sip:x SIP/2.0").unwrap_err().header,
            Some(HeaderKind::CSeq)
        );
        assert_eq!(
            check("Max-Forwards: x\r\n", "OPTIONS sip:x SIP/2.0")
                .unwrap_err()
                .header,
            Some(HeaderKind::MaxForwards)
        );
        let e = check("Call-ID: y\r\n", "OPTIONS sip:x SIP/2.0").unwrap_err();
        assert_eq!(
            (e.code, e.header, e.reason),
            (400, Some(HeaderKind::CallId), "Repeated Header")
        );
        assert!(e.to_string().starts_with("400 Repeated Header"));
    }

    #[test]
    fn responses() {
        assert_eq!(check("", "SIP/2.0 200 OK"), Ok(()));
        let m = Message::parse_slice(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\nCSeq: 99999999999 INVITE\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n\r\n").unwrap();
        assert_eq!(
            check_response(&m).unwrap_err().header,
            Some(HeaderKind::CSeq)
        );
        assert!(check_request(&m).is_err());
        let e = check_response(&Message::parse_slice(b"OPTIONS sip:x SIP/2.0\r\n\r\n").unwrap())
            .unwrap_err();
        assert_eq!(e.header, None);
        assert!(e.cause.is_none());
    }
}
