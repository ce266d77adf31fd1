//! The first line of a message: Request-Line or Status-Line (RFC 3261 §7.1, §7.2).
//!
//! It is strict on purpose: exactly one SP between request-line elements
//! (RFC 4475 lwsstart, trws), a Request-URI without LWS or `<>` and, for SIP
//! URIs, without headers (ltgtruri, lwsruri, escruri), a three-digit status
//! code (bigcode).

use memchr::{memchr, memrchr};

use crate::chars::is_token;
use crate::error::{ParseError, ParseErrorKind};
use crate::method::Method;
use crate::span::Span;
use crate::uri::{Scheme, Uri};

/// The parsed first line, as spans into the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartLine {
    /// `Method SP Request-URI SP SIP-Version`
    Request {
        method: Method,
        method_span: Span,
        uri: Span,
        version: Span,
    },
    /// `SIP-Version SP Status-Code SP Reason-Phrase`
    Response {
        version: Span,
        code: u16,
        reason: Span,
    },
}

/// `SIP/1*DIGIT.1*DIGIT`, `SIP` case-insensitive.
pub(crate) fn is_version(v: &[u8]) -> bool {
    if v == b"SIP/2.0" {
        return true;
    }
    let Some((prefix, rest)) = v.split_at_checked(4) else {
        return false;
    };
    if !prefix.eq_ignore_ascii_case(b"SIP/") {
        return false;
    }
    let digits = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    let dot = rest.iter().position(|&b| b == b'.').unwrap_or(rest.len());
    let (major, minor) = rest.split_at(dot);
    digits(major) && minor.split_first().is_some_and(|(_, minor)| digits(minor))
}

fn fail<T>(kind: ParseErrorKind, at: usize) -> Result<T, ParseError> {
    Err(ParseError::new(kind, at))
}

/// Parses the line `data[start..end]` (line end excluded). `head` is `data`'s head as
/// text when the caller already checked it is UTF-8 (the request's method and URI are
/// then read from it), `None` otherwise.
pub(crate) fn parse(
    data: &[u8],
    start: usize,
    end: usize,
    head: Option<&str>,
) -> Result<StartLine, ParseError> {
    let line = data.get(start..end).unwrap_or_default();
    if line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        parse_status(line, start)
    } else {
        parse_request(line, start, head)
    }
}

/// `bytes`, which are `head[at..]` when there is a head, as text: sliced from the checked
/// head, else checked here.
fn text_at<'a>(head: Option<&'a str>, at: usize, bytes: &'a [u8]) -> Option<&'a str> {
    match head.and_then(|h| h.get(at..at + bytes.len())) {
        Some(text) => Some(text),
        None => std::str::from_utf8(bytes).ok(),
    }
}

fn parse_status(line: &[u8], start: usize) -> Result<StartLine, ParseError> {
    let Some(sp) = memchr(b' ', line) else {
        return fail(ParseErrorKind::BadStartLine, start + line.len());
    };
    if !is_version(line.get(..sp).unwrap_or_default()) {
        return fail(ParseErrorKind::BadVersion, start);
    }
    let digits = line.get(sp + 1..sp + 4).unwrap_or_default();
    let after = line.get(sp + 4).copied();
    if digits.len() != 3
        || !digits.iter().all(u8::is_ascii_digit)
        || after.is_some_and(|b| b != b' ')
    {
        return fail(ParseErrorKind::BadStatusCode, start + sp + 1);
    }
    let code = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    if !(100..=699).contains(&code) {
        return fail(ParseErrorKind::BadStatusCode, start + sp + 1);
    }
    let reason_start = (sp + 5).min(line.len());
    Ok(StartLine::Response {
        version: Span::new(start, start + sp),
        code,
        reason: Span::new(start + reason_start, start + line.len()),
    })
}

/// How nearly every Request-Line ends.
const SP_SIP_2_0: &[u8] = b" SIP/2.0";

fn parse_request(line: &[u8], start: usize, head: Option<&str>) -> Result<StartLine, ParseError> {
    let Some(sp1) = memchr(b' ', line) else {
        return fail(ParseErrorKind::BadStartLine, start + line.len());
    };
    let method = line.get(..sp1).unwrap_or_default();
    if method.is_empty() || !method.iter().copied().all(is_token) {
        return fail(ParseErrorKind::BadMethod, start);
    }
    // The last SP: right before the version, found without a search when it is the usual one.
    let sp2 = match line.len().checked_sub(SP_SIP_2_0.len()) {
        Some(at) if line.ends_with(SP_SIP_2_0) => at,
        _ => memrchr(b' ', line).unwrap_or(sp1),
    };
    if sp2 == sp1 {
        return fail(ParseErrorKind::BadRequestLine, start + line.len());
    }
    let version = line.get(sp2 + 1..).unwrap_or_default();
    if version.is_empty() {
        return fail(ParseErrorKind::BadRequestLine, start + sp2);
    }
    if !is_version(version) {
        return fail(ParseErrorKind::BadVersion, start + sp2 + 1);
    }
    let uri = line.get(sp1 + 1..sp2).unwrap_or_default();
    let lws = |b: &u8| *b == b' ' || *b == b'\t';
    if uri.first().is_none_or(lws) || uri.last().is_none_or(lws) {
        return fail(ParseErrorKind::BadRequestLine, start + sp1 + 1);
    }
    let uri_at = start + sp1 + 1;
    let Some(uri_text) = text_at(head, uri_at, uri) else {
        return fail(ParseErrorKind::InvalidUtf8, uri_at);
    };
    let parsed = Uri::parse(uri_text)
        .map_err(|e| ParseError::new(ParseErrorKind::BadRequestUri, uri_at + e.offset))?;
    if matches!(parsed.scheme(), Scheme::Sip | Scheme::Sips) && parsed.headers_str().is_some() {
        return fail(
            ParseErrorKind::BadRequestUri,
            uri_at + uri_text.find('?').unwrap_or(0),
        );
    }
    let method_text = text_at(head, start, method).unwrap_or("");
    Ok(StartLine::Request {
        method: Method::from_token(method_text),
        method_span: Span::new(start, start + sp1),
        uri: Span::new(uri_at, uri_at + uri.len()),
        version: Span::new(start + sp2 + 1, start + line.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> Result<StartLine, ParseErrorKind> {
        let via_head = parse(line.as_bytes(), 0, line.len(), Some(line)).map_err(|e| e.kind);
        let checked_here = parse(line.as_bytes(), 0, line.len(), None).map_err(|e| e.kind);
        assert_eq!(via_head, checked_here, "{line}");
        checked_here
    }

    #[test]
    fn requests() {
        let Ok(StartLine::Request {
            method,
            uri,
            version,
            ..
        }) = kind("INVITE sip:a@b SIP/2.0")
        else {
            panic!("request expected")
        };
        assert_eq!(method, Method::Invite);
        assert_eq!(uri, Span::new(7, 14));
        assert_eq!(version, Span::new(15, 22));
        assert!(kind("OPTIONS sip:t.watson@example.org SIP/7.0").is_ok());
        assert!(kind("OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0").is_ok());
    }

    #[test]
    fn bad_requests() {
        use ParseErrorKind::*;
        for (line, k) in [
            ("INVITE sip:alan@jasomi.com", BadRequestLine),
            ("INVITE  sip:user@example.com  SIP/2.0", BadRequestLine),
            (
                "OPTIONS sip:remote-target@example.com SIP/2.0  ",
                BadRequestLine,
            ),
            ("INVITE sip:user@example.com; lr SIP/2.0", BadRequestUri),
            ("INVITE <sip:user@example.com> SIP/2.0", BadRequestUri),
            (
                "INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0",
                BadRequestUri,
            ),
            ("INV(TE sip:a@b SIP/2.0", BadMethod),
            ("INVITE sip:a@b SIP/2", BadVersion),
            ("INVITE sip:a@b HTTP/1.1", BadVersion),
            ("garbage", BadStartLine),
        ] {
            assert_eq!(kind(line).err(), Some(k), "{line}");
        }
    }

    #[test]
    fn responses() {
        assert_eq!(
            kind("SIP/2.0 100 "),
            Ok(StartLine::Response {
                version: Span::new(0, 7),
                code: 100,
                reason: Span::new(12, 12)
            })
        );
        assert!(matches!(
            kind("SIP/2.0 180"),
            Ok(StartLine::Response { code: 180, .. })
        ));
        use ParseErrorKind::*;
        for (line, k) in [
            (
                "SIP/2.0 4294967301 better not break the receiver",
                BadStatusCode,
            ),
            ("SIP/2.0 099 low", BadStatusCode),
            ("SIP/2.0 700 high", BadStatusCode),
            ("SIP/2.0 2OO OK", BadStatusCode),
            ("SIP/2.x 200 OK", BadVersion),
            ("SIP/2.0", BadStartLine),
        ] {
            assert_eq!(kind(line).err(), Some(k), "{line}");
        }
        assert!(is_version(b"sip/2.0") && !is_version(b"SIP/.0") && !is_version(b"SIP/2."));
    }
}
