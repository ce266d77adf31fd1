//! Responses built from a request (RFC 3261 §8.2.6), the way a stateless
//! reply (`sl_send_reply`) or a transaction layer produces them.
//!
//! Via lines are copied in order with their values byte for byte, but for what the
//! caller stamps on the top Via (`received`/`rport`, [`ViaStamp`]); From,
//! To, Call-ID and CSeq are copied; a To-tag is added when the request has
//! none and the code is above 100. Header lines end with CRLF.

use std::fmt;

use crate::chars::{is_lws, is_token, is_token_str};
use crate::header_kind::HeaderKind;
use crate::headers::NameAddr;
use crate::message::{Header, Message};
use crate::partial::PartialMessage;
use crate::via_stamp::{Piece, ViaStamp};

mod copier;
use copier::LineCopier;

/// Why a reply could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyError {
    /// Replies are built from requests only.
    NotARequest,
    /// The status code is outside 100..=699.
    BadCode(u16),
    /// A caller-supplied text would break the message (line breaks, control
    /// characters, a To-tag that is not a token); the text names the field.
    BadText(&'static str),
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::NotARequest => f.write_str("cannot reply to a response"),
            ReplyError::BadCode(c) => write!(f, "status code {c} out of range"),
            ReplyError::BadText(what) => write!(f, "invalid text in {what}"),
        }
    }
}

impl std::error::Error for ReplyError {}

/// The usual reason phrase of a status code (RFC 3261 §21 and friends),
/// used when the caller passes an empty one.
pub fn default_reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => match code / 100 {
            1 => "Trying",
            2 => "OK",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

/// Builds one response. All inputs are borrowed; `build_into` appends to a
/// caller's buffer so a worker can reuse one allocation.
#[derive(Clone, Debug)]
pub struct ReplyBuilder<'a> {
    buf: &'a [u8],
    headers: &'a [Header],
    is_request: bool,
    code: u16,
    reason: &'a str,
    to_tag: Option<&'a str>,
    server: Option<&'a str>,
    extra: Option<&'a str>,
    body: Option<(&'a str, &'a [u8])>,
    via_stamp: Option<ViaStamp>,
}

fn bad_text(s: &str) -> bool {
    s.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// True when a (possibly malformed) To value carries a tag parameter.
fn to_has_tag(value: &[u8]) -> bool {
    // Fast path, the usual case of a request outside a dialog: no parameter at all after the
    // name-addr (or anywhere in an addr-spec) means no tag, whatever the full parse would say.
    let tail = value
        .iter()
        .rposition(|b| *b == b'>')
        .map_or(value, |i| value.get(i..).unwrap_or_default());
    if !tail.contains(&b';') {
        return false;
    }
    if let Some(na) = std::str::from_utf8(value)
        .ok()
        .and_then(|s| NameAddr::parse(s).ok())
    {
        return na.tag().is_some();
    }
    let after = value
        .iter()
        .rposition(|b| *b == b'>')
        .map_or(value, |i| value.get(i..).unwrap_or_default());
    after.split(|b| *b == b';').skip(1).any(|p| {
        let p = p
            .iter()
            .position(|b| !is_lws(*b))
            .map_or(&[][..], |i| p.get(i..).unwrap_or_default());
        p.get(..3).is_some_and(|t| t.eq_ignore_ascii_case(b"tag"))
            && p.get(3..).unwrap_or_default().iter().find(|b| !is_lws(**b)) == Some(&b'=')
    })
}

/// The two lower-case hex digits of every byte value, so that a generated To-tag takes one
/// lookup per byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        pairs[b] = [DIGITS[b >> 4], DIGITS[b & 0xf]];
        b += 1;
    }
    pairs
};

/// `SIP/2.0 <code> `, for a code already checked to have three digits.
fn status_prefix(code: u16) -> [u8; 12] {
    let mut line = *b"SIP/2.0 000 ";
    for (at, unit) in [(8, 100), (9, 10), (10, 1)] {
        // Each digit is below 10: the cast keeps it whole.
        line[at] = b'0' + (code / unit % 10) as u8;
    }
    line
}

/// `;tag=<16 hex digits>` and the CRLF that ends the To line, in one piece.
fn hashed_tag_end(h: u64) -> [u8; 23] {
    let mut end = *b";tag=0000000000000000\r\n";
    for (pair, b) in end[5..21].chunks_exact_mut(2).zip(h.to_be_bytes()) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    end
}

/// The headers a reply copies (and hashes into its To-tag), each the first of its kind.
#[derive(Default)]
struct Firsts<'a> {
    via: Option<&'a Header>,
    from: Option<&'a Header>,
    to: Option<&'a Header>,
    call_id: Option<&'a Header>,
    cseq: Option<&'a Header>,
}

/// The To-tag a reply adds: the caller's, or one hashed from the request (written as hex
/// straight into the reply, without a string of its own).
enum AddedTag<'a> {
    Given(&'a str),
    Hashed(u64),
}

/// Appends `n` in decimal (what `format!("{n}")` writes, without the formatting machinery:
/// replies are built on the hot path).
fn push_decimal(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A stable 64-bit hash, so that retransmissions of a request get the same
/// generated To-tag. It reads eight bytes at a time (FxHash steps, each part's
/// length mixed in, then the MurmurHash3 finalizer): hashing byte by byte cost
/// as much as building the rest of a stateless reply.
fn tag_hash(parts: &[&[u8]]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |w: u64| h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    for part in parts {
        let mut words = part.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            mix(u64::from_le_bytes(b));
        }
        let rest = words.remainder();
        let mut b = [0u8; 8];
        if let Some(head) = b.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        mix(u64::from_le_bytes(b));
        mix(part.len() as u64);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl<'a> ReplyBuilder<'a> {
    /// Starts a reply to `req` with a status code and reason phrase (empty
    /// reason: the default phrase for the code).
    pub fn new(req: &'a Message, code: u16, reason: &'a str) -> Self {
        Self::with_source(req.buffer(), req.headers(), req.is_request(), code, reason)
    }

    /// Starts a reply (normally 400) to a request that failed to parse.
    pub fn from_partial(req: &'a PartialMessage, code: u16, reason: &'a str) -> Self {
        Self::with_source(req.buffer(), req.headers(), true, code, reason)
    }

    fn with_source(
        buf: &'a [u8],
        headers: &'a [Header],
        is_request: bool,
        code: u16,
        reason: &'a str,
    ) -> Self {
        ReplyBuilder {
            buf,
            headers,
            is_request,
            code,
            reason,
            to_tag: None,
            server: None,
            extra: None,
            body: None,
            via_stamp: None,
        }
    }

    /// Uses this To-tag instead of a generated one (ignored when the request
    /// already has a To-tag).
    pub fn to_tag(mut self, tag: &'a str) -> Self {
        self.to_tag = Some(tag);
        self
    }

    /// Adds a `Server:` header with this value.
    pub fn server(mut self, value: &'a str) -> Self {
        self.server = Some(value);
        self
    }

    /// Adds raw header lines (what the script queued with `append_to_reply`),
    /// one per line, LF or CRLF separated.
    pub fn extra_headers(mut self, text: &'a str) -> Self {
        self.extra = Some(text);
        self
    }

    /// Stamps the top Via with where the request came from (`received`, `rport`).
    pub fn stamp_via(mut self, stamp: ViaStamp) -> Self {
        self.via_stamp = Some(stamp);
        self
    }

    /// Adds a body with its Content-Type.
    pub fn body(mut self, content_type: &'a str, body: &'a [u8]) -> Self {
        self.body = Some((content_type, body));
        self
    }

    /// The first Via, From, To, Call-ID and CSeq, found in one pass over the headers, which
    /// also shows every Via, in order, to `on_via` (the reply copies them all).
    fn firsts(&self, mut on_via: impl FnMut(&'a Header)) -> Firsts<'a> {
        let mut f = Firsts::default();
        for h in self.headers {
            let slot = match h.kind() {
                HeaderKind::Via => {
                    on_via(h);
                    &mut f.via
                }
                HeaderKind::From => &mut f.from,
                HeaderKind::To => &mut f.to,
                HeaderKind::CallId => &mut f.call_id,
                HeaderKind::CSeq => &mut f.cseq,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(h);
            }
        }
        f
    }

    fn value(&self, h: &Header) -> &'a [u8] {
        self.buf.get(h.value_span().range()).unwrap_or_default()
    }

    /// The To-tag this reply adds: `None` for 100 or when the request
    /// already has one; the caller's tag or a generated one otherwise.
    /// (Stateless servers compare it with the tag of the ACK they receive.)
    /// Only the tests ask: [`ReplyBuilder::build_into`] writes the tag straight into the reply.
    #[cfg(test)]
    fn added_to_tag(&self) -> Option<std::borrow::Cow<'a, str>> {
        use std::borrow::Cow;
        Some(match self.tag_to_add(&self.firsts(|_| {}))? {
            AddedTag::Given(tag) => Cow::Borrowed(tag),
            AddedTag::Hashed(h) => {
                Cow::Owned(String::from_utf8_lossy(&hashed_tag_end(h)[5..21]).into_owned())
            }
        })
    }

    fn tag_to_add(&self, f: &Firsts<'a>) -> Option<AddedTag<'a>> {
        if self.code <= 100 || f.to.is_some_and(|h| to_has_tag(self.value(h))) {
            return None;
        }
        if let Some(tag) = self.to_tag {
            return Some(AddedTag::Given(tag));
        }
        let part = |h: Option<&Header>| h.map_or(&[][..], |h| self.value(h));
        Some(AddedTag::Hashed(tag_hash(&[
            part(f.call_id),
            part(f.from),
            part(f.via),
            part(f.cseq),
        ])))
    }

    fn check(&self) -> Result<(), ReplyError> {
        if !self.is_request {
            return Err(ReplyError::NotARequest);
        }
        if !(100..=699).contains(&self.code) {
            return Err(ReplyError::BadCode(self.code));
        }
        if bad_text(self.reason) {
            return Err(ReplyError::BadText("reason phrase"));
        }
        if self.to_tag.is_some_and(|t| !is_token_str(t)) {
            return Err(ReplyError::BadText("To-tag"));
        }
        if self.server.is_some_and(bad_text) {
            return Err(ReplyError::BadText("Server"));
        }
        if self
            .body
            .is_some_and(|(ct, _)| bad_text(ct) || ct.trim().is_empty())
        {
            return Err(ReplyError::BadText("Content-Type"));
        }
        for line in self.extra_lines() {
            let name_len = line.bytes().take_while(|b| is_token(*b)).count();
            let continuation = line.starts_with([' ', '\t']);
            let header = name_len > 0
                && line
                    .get(name_len..)
                    .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with(':'));
            if bad_text(line) || !(continuation || header) {
                return Err(ReplyError::BadText("extra headers"));
            }
        }
        Ok(())
    }

    fn extra_lines(&self) -> impl Iterator<Item = &'a str> {
        self.extra
            .into_iter()
            .flat_map(|t| t.split('\n'))
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .filter(|l| !l.is_empty())
    }

    /// Appends the reply to `out`.
    pub fn build_into(&self, out: &mut Vec<u8>) -> Result<(), ReplyError> {
        self.check()?;
        let reason = if self.reason.is_empty() {
            default_reason(self.code)
        } else {
            self.reason
        };
        out.extend_from_slice(&status_prefix(self.code));
        out.extend_from_slice(reason.as_bytes());
        out.extend_from_slice(b"\r\n");
        let mut lines = LineCopier::new(self.buf);
        let mut top = true;
        let f = self.firsts(|h| match self.via_stamp {
            Some(stamp) if std::mem::take(&mut top) => self.stamped_line(&mut lines, out, h, stamp),
            _ => lines.line(out, h, false),
        });
        if let Some(h) = f.from {
            lines.line(out, h, false);
        }
        if let Some(h) = f.to {
            match self.tag_to_add(&f) {
                Some(AddedTag::Given(tag)) => {
                    lines.line(out, h, true);
                    lines.push(out, b";tag=");
                    out.extend_from_slice(tag.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                Some(AddedTag::Hashed(hash)) => {
                    lines.line(out, h, true);
                    lines.push(out, &hashed_tag_end(hash));
                }
                None => lines.line(out, h, false),
            }
        }
        for h in [f.call_id, f.cseq].into_iter().flatten() {
            lines.line(out, h, false);
        }
        lines.flush(out);
        for l in self.extra_lines() {
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if let Some(server) = self.server {
            out.extend_from_slice(b"Server: ");
            out.extend_from_slice(server.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let (ct, body) = self.body.unwrap_or(("", &[]));
        if !ct.is_empty() {
            out.extend_from_slice(b"Content-Type: ");
            out.extend_from_slice(ct.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if body.is_empty() {
            out.extend_from_slice(b"Content-Length: 0\r\n\r\n");
            return Ok(());
        }
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, body.len());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body);
        Ok(())
    }

    /// Copies the top Via line `h` with `stamp` applied to its first value.
    fn stamped_line(
        &self,
        lines: &mut LineCopier<'a>,
        out: &mut Vec<u8>,
        h: &Header,
        stamp: ViaStamp,
    ) {
        let value_at = h.value_span().start as usize;
        let Ok(value) = std::str::from_utf8(self.value(h)) else {
            return lines.line(out, h, false);
        };
        lines.range(out, h.name_span().start as usize..value_at);
        stamp.rewrite(value, |piece| match piece {
            Piece::Kept(r) => lines.range(out, value_at + r.start..value_at + r.end),
            Piece::Added(text) => lines.push(out, text.as_bytes()),
        });
        lines.end_line(out, h);
    }

    /// Builds the reply into a new buffer.
    pub fn build(&self) -> Result<Vec<u8>, ReplyError> {
        let mut out = Vec::with_capacity(512);
        self.build_into(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const REQ: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds ;received=1.2.3.4\r\n\
v: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n\
Max-Forwards: 70\r\n\
t: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn builds_reply() {
        let req = Message::parse_slice(REQ.as_bytes()).unwrap();
        let out = ReplyBuilder::new(&req, 486, "")
            .to_tag("abc")
            .server("siplua")
            .extra_headers("Retry-After: 60\nWarning: 399 x \"y\"\r\n")
            .build()
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "SIP/2.0 486 Busy Here\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds ;received=1.2.3.4\r\n\
v: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
t: Bob <sip:bob@biloxi.com>;tag=abc\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
Retry-After: 60\r\n\
Warning: 399 x \"y\"\r\n\
Server: siplua\r\n\
Content-Length: 0\r\n\r\n"
        );
        let reply = Message::parse_slice(text.as_bytes()).unwrap();
        assert_eq!(reply.to().unwrap().tag(), Some("abc"));
        assert_eq!(reply.vias().count(), 3);
    }

    #[test]
    fn top_via_stamped_others_copied() {
        let raw = "OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK1, \
SIP/2.0/UDP h2;rport;branch=z9hG4bK2\nVia: SIP/2.0/UDP h3;rport\r\n\
To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
        let req = Message::parse_slice(raw.as_bytes()).unwrap();
        let src = "192.0.2.7:40000".parse().unwrap();
        let stamp = ViaStamp::for_request(&req.top_via().unwrap(), src, false).unwrap();
        let out = ReplyBuilder::new(&req, 200, "OK")
            .to_tag("t")
            .stamp_via(stamp)
            .build()
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "SIP/2.0 200 OK\r\n\
v: SIP/2.0/UDP 10.0.0.1:5062;rport=40000;branch=z9hG4bK1;received=192.0.2.7, \
SIP/2.0/UDP h2;rport;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP h3;rport\r\n\
From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>;tag=t\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn lines_copied_whatever_their_ends() {
        // LF-only line ends, trailing blanks and a folded value: each line is copied up to the
        // end of its value and ended with CRLF.
        let raw = "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1  \n\
Call-ID: c\nTo: <sip:a@b>\nFrom: <sip:c@d>;tag=1\r\nCSeq: 1\r\n OPTIONS\r\n\r\n";
        let req = Message::parse_slice(raw.as_bytes()).unwrap();
        let out = ReplyBuilder::new(&req, 200, "OK")
            .to_tag("t")
            .build()
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>;tag=t\r\nCall-ID: c\r\nCSeq: 1\r\n OPTIONS\r\n\
Content-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn decimal_and_hex_without_fmt() {
        for n in [0usize, 7, 10, 99, 100, 486, 65535, usize::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
        let req = Message::parse_slice(REQ.as_bytes()).unwrap();
        let tag = ReplyBuilder::new(&req, 404, "").added_to_tag().unwrap();
        let part = |k| {
            req.headers()
                .iter()
                .find(|h| h.kind() == k)
                .map_or(&[][..], |h| &REQ.as_bytes()[h.value_span().range()])
        };
        let h = tag_hash(&[
            part(HeaderKind::CallId),
            part(HeaderKind::From),
            part(HeaderKind::Via),
            part(HeaderKind::CSeq),
        ]);
        assert_eq!(tag, format!("{h:016x}"));
        let built = ReplyBuilder::new(&req, 404, "").build().unwrap();
        let built = Message::parse_slice(&built).unwrap();
        assert_eq!(
            built.to().unwrap().tag(),
            Some(&*tag),
            "the reply carries that tag"
        );
    }

    #[test]
    fn tag_hash_values_stay_the_same() {
        // Retransmissions answered by different versions must get the same To-tag.
        assert_eq!(
            tag_hash(&[
                b"cid-1@127.0.0.1",
                b"\"sipp\" <sip:sipp@127.0.0.1:6291>;tag=abc1",
                b"SIP/2.0/UDP 127.0.0.1:6291;branch=z9hG4bK-1",
                b"1 OPTIONS",
            ]),
            0x87ef_f653_35c2_1ce1
        );
        assert_eq!(
            tag_hash(&[b"", b"1234567", b"12345678", b"123456789"]),
            0x1654_1439_2631_3012
        );
    }

    #[test]
    fn to_tag_detection() {
        assert!(!to_has_tag(b"<sip:a@b>"));
        assert!(!to_has_tag(b"<sip:a@b;tag=x>"));
        assert!(!to_has_tag(b"sip:a@b"));
        assert!(to_has_tag(b"sip:a@b;tag=x"));
        assert!(to_has_tag(b"Bob <sip:a@b>;tag=x"));
        assert!(to_has_tag(b"Bob <sip:a@b> ; TAG = x"));
        assert!(!to_has_tag(b"Bob <sip:a@b>;x=1"));
    }

    #[test]
    fn tags_and_bodies() {
        let req = Message::parse_slice(REQ.as_bytes()).unwrap();
        let trying = ReplyBuilder::new(&req, 100, "Trying").build().unwrap();
        assert!(String::from_utf8_lossy(&trying).contains("t: Bob <sip:bob@biloxi.com>\r\n"));
        let a = ReplyBuilder::new(&req, 404, "Not Here");
        let b = ReplyBuilder::new(&req, 404, "Not Here");
        assert_eq!(
            a.added_to_tag(),
            b.added_to_tag(),
            "stable across retransmissions"
        );
        assert_eq!(a.added_to_tag().map(|t| t.len()), Some(16));
        let ok = ReplyBuilder::new(&req, 200, "OK")
            .body("application/sdp", b"v=0\r\n")
            .build()
            .unwrap();
        let ok = Message::parse_slice(&ok).unwrap();
        assert_eq!(ok.body(), b"v=0\r\n");
        assert!(ok.content_type().unwrap().unwrap().is("application", "sdp"));

        let tagged = REQ.replace(
            "t: Bob <sip:bob@biloxi.com>",
            "t: Bob <sip:bob@biloxi.com>;tag=x",
        );
        let req = Message::parse_slice(tagged.as_bytes()).unwrap();
        assert_eq!(
            ReplyBuilder::new(&req, 200, "OK")
                .to_tag("y")
                .added_to_tag(),
            None
        );
    }

    #[test]
    fn errors() {
        let req = Message::parse_slice(REQ.as_bytes()).unwrap();
        assert_eq!(
            ReplyBuilder::new(&req, 99, "x").build(),
            Err(ReplyError::BadCode(99))
        );
        assert_eq!(
            ReplyBuilder::new(&req, 200, "a\r\nb").build(),
            Err(ReplyError::BadText("reason phrase"))
        );
        assert!(ReplyBuilder::new(&req, 200, "")
            .to_tag("a b")
            .build()
            .is_err());
        assert!(ReplyBuilder::new(&req, 200, "")
            .extra_headers("no colon")
            .build()
            .is_err());
        assert!(ReplyBuilder::new(&req, 200, "")
            .server("x\ry")
            .build()
            .is_err());
        assert!(ReplyBuilder::new(&req, 200, "")
            .body("", b"x")
            .build()
            .is_err());
        let resp = Message::parse_slice(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n").unwrap();
        assert_eq!(
            ReplyBuilder::new(&resp, 200, "").build(),
            Err(ReplyError::NotARequest)
        );
        assert!(!ReplyError::BadCode(1).to_string().is_empty());
    }

    #[test]
    fn from_partial_request() {
        let raw = b"INVITE sip:a@b SIP/2.0\r\nTo: \"Mr. J. User <sip:j.user@example.com>\r\nFrom: sip:c@d;tag=1\r\nVia: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234\r\nCall-ID: q\r\nCSeq: 8 INVITE\r\nContent-Length: 9999\r\n\r\n";
        let p = PartialMessage::scan(Bytes::from_static(raw)).unwrap();
        let out = ReplyBuilder::from_partial(&p, 400, "Bad Request")
            .build()
            .unwrap();
        let reply = Message::parse_slice(&out).unwrap();
        assert_eq!(reply.status_code(), Some(400));
        assert_eq!(reply.top_via().unwrap().branch(), Some("z9hG4bKkdjuw39234"));
        assert_eq!(reply.get(HeaderKind::CallId), Some("q"));
        assert!(reply.get(HeaderKind::To).unwrap().contains(";tag="));
    }

    #[test]
    fn lenient_tag_detection() {
        assert!(to_has_tag(b"\"open <sip:a@b>;tag=1"));
        assert!(to_has_tag(b"<sip:a@b> ; TAG = 1 junk"));
        assert!(!to_has_tag(b"<sip:a@b;tag=1> junk"));
        assert!(!to_has_tag(b"<sip:a@b>;tagx=1 junk"));
    }
}
