//! What can be salvaged from a request that failed to parse, to answer it.
//!
//! RFC 3261 §8.2 wants a 400 for a malformed request, and a response needs
//! the request's Via, From, To, Call-ID and CSeq. When [`Message::parse`]
//! fails, [`PartialMessage::scan`] reads the same buffer leniently: it
//! accepts any first line that begins like a request (`TOKEN SP ...`) and
//! keeps those five headers from every line that looks like `name: value`,
//! skipping lines it cannot read. [`crate::reply::ReplyBuilder::from_partial`]
//! then builds the 400.
//!
//! [`Message::parse`]: crate::Message::parse

use bytes::Bytes;
use memchr::memchr;
use smallvec::SmallVec;

use crate::chars::{is_lws, is_token};
use crate::header_kind::HeaderKind;
use crate::message::Header;
use crate::span::Span;

/// Most header lines a partial scan keeps (a bound on work for hostile input).
const MAX_KEPT: usize = 64;

/// The reply-relevant parts of a request that did not parse.
#[derive(Clone, Debug)]
pub struct PartialMessage {
    buf: Bytes,
    method: Span,
    headers: SmallVec<[Header; 16]>,
}

fn wanted(kind: HeaderKind) -> bool {
    matches!(
        kind,
        HeaderKind::Via | HeaderKind::From | HeaderKind::To | HeaderKind::CallId | HeaderKind::CSeq
    )
}

/// Line content end and next line start, LF or CRLF.
fn line(data: &[u8], pos: usize) -> (usize, usize) {
    match memchr(b'\n', data.get(pos..).unwrap_or_default()) {
        Some(i) => {
            let lf = pos + i;
            let ce = if i > 0 && data.get(lf - 1) == Some(&b'\r') {
                lf - 1
            } else {
                lf
            };
            (ce, lf + 1)
        }
        None => (data.len(), data.len()),
    }
}

/// Control characters that must not be echoed into a reply (HT is fine).
fn has_ctl(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

impl PartialMessage {
    /// Scans a buffer leniently. `None` when it does not start like a
    /// request (responses are never answered) or has no Via to route a
    /// reply along.
    pub fn scan(buf: Bytes) -> Option<PartialMessage> {
        let data: &[u8] = &buf;
        let first = data
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let (ce, mut pos) = line(data, first);
        let start = data.get(first..ce)?;
        let method_len = start.iter().take_while(|b| is_token(**b)).count();
        if method_len == 0 || start.get(method_len) != Some(&b' ') {
            return None;
        }
        let method = Span::new(first, first + method_len);
        let mut headers: SmallVec<[Header; 16]> = SmallVec::new();
        let mut current: Option<usize> = None;
        while pos < data.len() && headers.len() < MAX_KEPT {
            let (ce, next) = line(data, pos);
            if ce == pos {
                break;
            }
            let text = data.get(pos..ce).unwrap_or_default();
            if text.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                if let Some(h) = current.and_then(|i| headers.get_mut(i)) {
                    if has_ctl(text) {
                        headers.pop();
                        current = None;
                    } else {
                        let value = h.value_span();
                        let end = pos + text.iter().rposition(|b| !is_lws(*b)).map_or(0, |i| i + 1);
                        let value = Span {
                            start: value.start,
                            end: u32::try_from(end.max(value.end as usize)).unwrap_or(u32::MAX),
                        };
                        *h = Header::new(h.kind(), h.name_span(), value, next);
                    }
                }
                pos = next;
                continue;
            }
            current = None;
            if let Some(colon) = memchr(b':', text) {
                let name = text.get(..colon).unwrap_or_default();
                let name_len = name.iter().rposition(|b| !is_lws(*b)).map_or(0, |i| i + 1);
                let name = name.get(..name_len).unwrap_or_default();
                let kind = HeaderKind::from_name(name);
                if !name.is_empty()
                    && name.iter().all(|b| is_token(*b))
                    && wanted(kind)
                    && !has_ctl(text)
                {
                    let vs = colon
                        + 1
                        + text
                            .get(colon + 1..)
                            .unwrap_or_default()
                            .iter()
                            .take_while(|b| is_lws(**b))
                            .count();
                    let ve = text
                        .iter()
                        .rposition(|b| !is_lws(*b))
                        .map_or(0, |i| i + 1)
                        .max(vs);
                    headers.push(Header::new(
                        kind,
                        Span::new(pos, pos + name_len),
                        Span::new(pos + vs, pos + ve),
                        next,
                    ));
                    current = Some(headers.len() - 1);
                }
            }
            pos = next;
        }
        headers
            .iter()
            .any(|h| h.kind() == HeaderKind::Via)
            .then_some(PartialMessage {
                buf,
                method,
                headers,
            })
    }

    /// The request method as written (lossy if it were not UTF-8; tokens are ASCII).
    pub fn method_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(self.method.range()).unwrap_or_default()).unwrap_or("")
    }

    /// The kept header lines (Via, From, To, Call-ID, CSeq only).
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The scanned buffer.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salvages_headers() {
        let raw = b"INVITE <sip:user@example.com> SIP/2.0\r\nTo: \"open <sip:a@b>\r\nVia: SIP/2.0/UDP h;branch=1,\r\n SIP/2.0/UDP g\r\nbroken line\r\nX: y\r\nCSeq: 1 INVITE\r\n\r\nbody";
        let p = PartialMessage::scan(Bytes::from_static(raw)).unwrap();
        assert_eq!(p.method_str(), "INVITE");
        let kinds: Vec<_> = p.headers().iter().map(|h| h.kind()).collect();
        assert_eq!(kinds, [HeaderKind::To, HeaderKind::Via, HeaderKind::CSeq]);
        let via = p.headers()[1].value_span();
        assert_eq!(
            &p.buffer()[via.range()],
            b"SIP/2.0/UDP h;branch=1,\r\n SIP/2.0/UDP g"
        );
    }

    #[test]
    fn refuses() {
        for raw in [
            &b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n"[..],
            b"INVITE sip:a@b SIP/2.0\r\nTo: x\r\n\r\n",
            b"",
            b"\r\n",
            b" INVITE\r\nVia: x\r\n",
        ] {
            assert!(
                PartialMessage::scan(Bytes::copy_from_slice(raw)).is_none(),
                "{raw:?}"
            );
        }
        let p = PartialMessage::scan(Bytes::from_static(b"BYE x\nVia: a\x01b\nVia: ok\n")).unwrap();
        assert_eq!(p.headers().len(), 1);
    }
}
