//! The parsed message: the received buffer plus spans.
//!
//! Parsing reads the start line, splits the header section into headers
//! (name, value, kind) and frames the body. It does not interpret header
//! values; the typed views in [`crate::headers`] do that on demand.

use bytes::Bytes;
use bytestring::ByteString;
use smallvec::SmallVec;

use crate::error::{ParseError, ParseErrorKind};
use crate::header_kind::HeaderKind;
use crate::list::ListSplit;
use crate::memo::Memo;
use crate::method::Method;
use crate::scan;
use crate::span::Span;
use crate::start_line::{self, StartLine};
use crate::uri::Uri;

/// Headers kept inline before the index spills to the heap: typical INVITE,
/// REGISTER and their replies carry 10–25 headers, so parsing them allocates
/// nothing.
pub const INLINE_HEADERS: usize = 32;

/// One header line (folds included): where its name, value and line are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    kind: HeaderKind,
    name: Span,
    value: Span,
    end: u32,
}

impl Header {
    /// A header whose line ends at `end`, an offset already known to fit.
    pub(crate) fn at(kind: HeaderKind, name: Span, value: Span, end: u32) -> Self {
        Header {
            kind,
            name,
            value,
            end,
        }
    }

    pub(crate) fn new(kind: HeaderKind, name: Span, value: Span, end: usize) -> Self {
        Header {
            kind,
            name,
            value,
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The header kind (compact forms resolved).
    pub fn kind(&self) -> HeaderKind {
        self.kind
    }

    /// The name as written.
    pub fn name_span(&self) -> Span {
        self.name
    }

    /// The value, trimmed, folds included.
    pub fn value_span(&self) -> Span {
        self.value
    }

    /// The whole line from the first byte of the name to after its line end
    /// (what removing the header deletes).
    pub fn line_span(&self) -> Span {
        Span {
            start: self.name.start,
            end: self.end,
        }
    }
}

/// One value of a possibly comma-separated header, with its place in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderValue<'m> {
    /// Index of the header line in [`Message::headers`].
    pub index: usize,
    /// Where the value is in the buffer.
    pub span: Span,
    /// The value text (trimmed, folds included).
    pub text: &'m str,
}

/// A parsed SIP request or response. Owns its buffer; `Send + Sync`, no
/// lifetimes, so it can live in transaction tables and cross threads.
#[derive(Clone, Debug)]
pub struct Message {
    buf: Bytes,
    /// The head (start line and headers), UTF-8 checked once at parse so that text
    /// accessors slice it without validating again.
    head: ByteString,
    start: StartLine,
    headers: SmallVec<[Header; INLINE_HEADERS]>,
    head_end: u32,
    blank_line: bool,
    body: Span,
    content_length: Option<u32>,
    /// The top Via, From, To and CSeq parsed once ([`Message::remember_views`]).
    memo: Memo,
}

fn skip_line_breaks(data: &[u8]) -> usize {
    data.iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count()
}

impl Message {
    /// Parses one message from a datagram (or a frame cut by
    /// [`crate::framing`]) without copying it.
    ///
    /// Leading CRLFs are skipped. With Content-Length, the body is exactly
    /// that many bytes and extra trailing bytes are ignored (RFC 4475 dblreq);
    /// without, the body is the rest of the buffer (UDP rule). Headers are
    /// only split, not interpreted, except Content-Length.
    ///
    /// On error, [`crate::partial::PartialMessage::scan`] recovers what is
    /// needed to answer 400 when the start line was a request.
    pub fn parse(buf: Bytes) -> Result<Message, ParseError> {
        let data: &[u8] = &buf;
        if u32::try_from(data.len()).is_err() {
            return Err(ParseError::new(ParseErrorKind::TooLarge, 0));
        }
        let first = skip_line_breaks(data);
        if first >= data.len() {
            return Err(ParseError::new(ParseErrorKind::Empty, data.len()));
        }
        let (line_end, next) = scan::line_at(data, first)?;
        let mut headers = SmallVec::new();
        let mut length = scan::ContentLength::default();
        let scanned = scan::scan_headers(data, next, |h| {
            length.add(data, &h);
            headers.push(h);
        });
        // The head as text when it scanned: when it is UTF-8, the start line reads its
        // parts from it instead of checking them again. Errors are reported in message
        // order all the same: start line, header lines, UTF-8, Content-Length.
        let head_text = scanned
            .ok()
            .map(|head| ByteString::try_from(buf.slice(..head.head_end)));
        let valid_head = head_text.as_ref().and_then(|t| t.as_deref().ok());
        let start = start_line::parse(data, first, line_end, valid_head)?;
        let head = scanned?;
        let head_text = head_text
            .unwrap_or_else(|| ByteString::try_from(buf.slice(..head.head_end)))
            .map_err(|e| ParseError::new(ParseErrorKind::InvalidUtf8, e.valid_up_to()))?;
        let content_length = length.value()?;
        let body_end = match content_length {
            Some(n) => {
                let end = head.body_start.saturating_add(n as usize);
                if end > data.len() {
                    return Err(ParseError::new(
                        ParseErrorKind::BodyTruncated,
                        head.body_start,
                    ));
                }
                end
            }
            None => data.len(),
        };
        Ok(Message {
            start,
            headers,
            head_end: u32::try_from(head.head_end).unwrap_or(u32::MAX),
            blank_line: head.blank_line,
            body: Span::new(head.body_start, body_end),
            content_length,
            memo: Memo::default(),
            head: head_text,
            buf,
        })
    }

    /// Copies `data` into a new buffer and parses it (for tests and callers
    /// that do not hold a `Bytes`).
    pub fn parse_slice(data: &[u8]) -> Result<Message, ParseError> {
        Message::parse(Bytes::copy_from_slice(data))
    }

    /// The received buffer, trailing bytes after the body included.
    pub fn buffer(&self) -> &Bytes {
        &self.buf
    }

    /// The message bytes: from the buffer start to the end of the body
    /// (bytes after Content-Length are not part of the message).
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes(Span {
            start: 0,
            end: self.body.end,
        })
    }

    /// Bytes of a span (empty when the span is out of range).
    pub fn bytes(&self, span: Span) -> &[u8] {
        self.buf.get(span.range()).unwrap_or_default()
    }

    /// Text of a span of the head (empty when out of range or not UTF-8,
    /// which cannot happen for spans this message produced).
    pub fn text(&self, span: Span) -> &str {
        match self.head.get(span.range()) {
            Some(text) => text,
            None => std::str::from_utf8(self.bytes(span)).unwrap_or(""),
        }
    }

    /// True for requests.
    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// True for responses.
    pub fn is_response(&self) -> bool {
        !self.is_request()
    }

    /// The head (start line and headers) as text: what the typed views borrow from.
    pub(crate) fn head_text(&self) -> &str {
        &self.head
    }

    /// The typed views parsed so far.
    pub(crate) fn memo(&self) -> &Memo {
        &self.memo
    }

    /// Parses the top Via, From, To and CSeq once and keeps the outcome (the view or the
    /// error) in the message: the accessors then return it without parsing again. A server
    /// calls it on every received message before validating it, since validation, replies,
    /// transactions and record-routing all read these headers.
    pub fn remember_views(&mut self) {
        self.memo = Memo::of(self);
    }

    /// The request method (`None` for responses).
    pub fn method(&self) -> Option<Method> {
        match self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The request method as written, for methods that are `Method::Other`.
    pub fn method_str(&self) -> Option<&str> {
        match self.start {
            StartLine::Request { method_span, .. } => Some(self.text(method_span)),
            StartLine::Response { .. } => None,
        }
    }

    /// Where the Request-URI is (what an R-URI rewrite replaces).
    pub fn ruri_span(&self) -> Option<Span> {
        match self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI text.
    pub fn ruri_str(&self) -> Option<&str> {
        self.ruri_span().map(|s| self.text(s))
    }

    /// The Request-URI parsed (it was validated when the message was parsed).
    pub fn ruri(&self) -> Option<Uri<'_>> {
        self.ruri_str().and_then(|s| Uri::parse(s).ok())
    }

    /// The SIP-Version of the start line as written (`SIP/2.0`).
    pub fn version(&self) -> &str {
        match self.start {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => {
                self.text(version)
            }
        }
    }

    /// True when the version is SIP/2.0; a server answers anything else with 505.
    pub fn is_sip_2_0(&self) -> bool {
        let version = match self.start {
            StartLine::Request { version, .. } | StartLine::Response { version, .. } => version,
        };
        let v = self.bytes(version);
        v == b"SIP/2.0" || v.eq_ignore_ascii_case(b"SIP/2.0")
    }

    /// The status code of a response.
    pub fn status_code(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase of a response (may be empty, RFC 4475 noreason).
    pub fn reason(&self) -> Option<&str> {
        match self.start {
            StartLine::Response { reason, .. } => Some(self.text(reason)),
            StartLine::Request { .. } => None,
        }
    }

    /// All header lines in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The `i`-th header line.
    pub fn header(&self, i: usize) -> Option<&Header> {
        self.headers.get(i)
    }

    /// Name of the `i`-th header as written.
    pub fn header_name(&self, i: usize) -> Option<&str> {
        self.header(i).map(|h| self.text(h.name))
    }

    /// Value of the `i`-th header (trimmed, folds included; see [`crate::text::unfold`]).
    pub fn header_value(&self, i: usize) -> Option<&str> {
        self.header(i).map(|h| self.text(h.value))
    }

    /// Value of a header line.
    pub fn value_of(&self, h: &Header) -> &str {
        self.text(h.value)
    }

    /// The first header of a kind, with its index.
    pub fn find(&self, kind: HeaderKind) -> Option<(usize, &Header)> {
        self.headers
            .iter()
            .enumerate()
            .find(|(_, h)| h.kind == kind)
    }

    /// All headers of a kind, with their indexes.
    pub fn find_all(&self, kind: HeaderKind) -> impl Iterator<Item = (usize, &Header)> + '_ {
        self.headers
            .iter()
            .enumerate()
            .filter(move |(_, h)| h.kind == kind)
    }

    /// All headers with a name (case-insensitive; a known name also matches
    /// its compact form, so `"Via"` finds `v:` lines).
    pub fn find_name<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (usize, &'s Header)> + 's {
        let kind = HeaderKind::from_name(name.as_bytes());
        self.headers.iter().enumerate().filter(move |(_, h)| {
            h.kind == kind
                && (kind != HeaderKind::Other || self.text(h.name).eq_ignore_ascii_case(name))
        })
    }

    /// First value of a header kind (the whole line's value).
    pub fn get(&self, kind: HeaderKind) -> Option<&str> {
        self.find(kind).map(|(_, h)| self.text(h.value))
    }

    /// Every value of a header kind across all its lines; list headers are
    /// split at commas outside quotes and `<>`.
    pub fn values(&self, kind: HeaderKind) -> impl Iterator<Item = HeaderValue<'_>> + '_ {
        self.find_all(kind).flat_map(move |(index, h)| {
            let text = self.text(h.value);
            let base = h.value.start as usize;
            let split = kind.is_list().then(|| ListSplit::new(text));
            let whole = (!kind.is_list()).then_some((0, text.len()));
            split
                .into_iter()
                .flatten()
                .chain(whole)
                .map(move |(s, e)| HeaderValue {
                    index,
                    span: Span::new(base + s, base + e),
                    text: text.get(s..e).unwrap_or(""),
                })
        })
    }

    /// The first value of a header kind: `values(kind).next()` without the
    /// iterator machinery (what every single-value view reads).
    pub(crate) fn first_value(&self, kind: HeaderKind) -> Option<HeaderValue<'_>> {
        let index = self.headers.iter().position(|h| h.kind == kind)?;
        let value = self.headers.get(index)?.value;
        let span = if kind.is_list() {
            let (s, e) = ListSplit::new(self.text(value)).next().unwrap_or((0, 0));
            Span::new(value.start as usize + s, value.start as usize + e)
        } else {
            value
        };
        Some(HeaderValue {
            index,
            span,
            text: self.text(span),
        })
    }

    /// Offset of the end of the header section (where the empty line starts;
    /// where a header "at the end" is inserted).
    pub fn head_end(&self) -> usize {
        self.head_end as usize
    }

    /// Offset of the first header line (end of the start line).
    pub fn headers_start(&self) -> usize {
        self.headers
            .first()
            .map_or(self.head_end(), |h| h.name.start as usize)
    }

    /// False when the datagram ended after the last header without the empty
    /// line (accepted, liberal in what we receive).
    pub fn has_blank_line(&self) -> bool {
        self.blank_line
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        self.bytes(self.body)
    }

    /// The body as a shared `Bytes` slice (no copy).
    pub fn body_bytes(&self) -> Bytes {
        self.buf.slice(self.body.range())
    }

    /// Where the body is.
    pub fn body_span(&self) -> Span {
        self.body
    }

    /// The Content-Length value, validated at parse time (`None` when absent).
    pub fn content_length(&self) -> Option<u32> {
        self.content_length
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds, SIP/2.0/UDP b;branch=z9hG4bKx\r\n\
v: SIP/2.0/TCP c;branch=z9hG4bKy\r\n\
To: Bob <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
CSeq: 314159 INVITE\r\n\
X-Custom: a, b\r\n\
Content-Length: 4\r\n\
\r\n\
bodyEXTRA";

    #[test]
    fn parses_request() {
        let m = Message::parse(Bytes::from_static(INVITE.as_bytes())).unwrap();
        assert!(m.is_request());
        assert_eq!(m.method(), Some(Method::Invite));
        assert_eq!(m.method_str(), Some("INVITE"));
        assert_eq!(m.ruri_str(), Some("sip:bob@biloxi.com"));
        assert_eq!(m.ruri().map(|u| u.host()), Some("biloxi.com"));
        assert_eq!(m.version(), "SIP/2.0");
        assert!(m.is_sip_2_0());
        assert_eq!(m.headers().len(), 8);
        assert_eq!(m.header_name(1), Some("v"));
        assert_eq!(
            m.header_value(3),
            Some("Alice <sip:alice@atlanta.com>;tag=1928301774")
        );
        assert_eq!(
            m.get(HeaderKind::CallId),
            Some("a84b4c76e66710@pc33.atlanta.com")
        );
        assert_eq!(m.values(HeaderKind::Via).count(), 3);
        assert_eq!(
            m.values(HeaderKind::Other).count(),
            1,
            "unknown headers are not split"
        );
        assert_eq!(m.find_name("via").count(), 2);
        assert_eq!(m.find_name("x-custom").count(), 1);
        assert_eq!(m.body(), b"body");
        assert_eq!(&m.body_bytes()[..], b"body");
        assert_eq!(m.content_length(), Some(4));
        assert_eq!(m.as_bytes(), &INVITE.as_bytes()[..INVITE.len() - 5]);
        assert_eq!(m.status_code(), None);
        assert!(m.has_blank_line());
        for kind in [
            HeaderKind::Via,
            HeaderKind::To,
            HeaderKind::Other,
            HeaderKind::Route,
        ] {
            assert_eq!(m.first_value(kind), m.values(kind).next(), "{kind:?}");
        }
        let v = m.values(HeaderKind::Via).nth(1).unwrap();
        assert_eq!(v.text, "SIP/2.0/UDP b;branch=z9hG4bKx");
        assert_eq!(m.text(v.span), v.text);
        assert_eq!(m.headers_start(), INVITE.find("Via").unwrap());
        assert_eq!(m.head_end() + 2, m.body_span().start as usize);
    }

    #[test]
    fn parses_response_and_lf_only() {
        let m = Message::parse_slice(
            b"\r\nSIP/2.0 180 Ringing\nVia: SIP/2.0/UDP x\nTo: <sip:a@b>;tag=1\n\n",
        )
        .unwrap();
        assert!(m.is_response());
        assert_eq!(m.status_code(), Some(180));
        assert_eq!(m.reason(), Some("Ringing"));
        assert_eq!(m.method(), None);
        assert_eq!(m.header_value(1), Some("<sip:a@b>;tag=1"));
        assert_eq!(m.body(), b"");
    }

    #[test]
    fn errors() {
        use ParseErrorKind::*;
        for (msg, kind) in [
            ("\r\n\r\n", Empty),
            (
                "INVITE sip:a@b SIP/2.0\r\nl: 10\r\n\r\nshort",
                BodyTruncated,
            ),
            ("INVITE sip:a@b SIP/2.0\r\nl: -1\r\n\r\n", BadContentLength),
            (
                "INVITE sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab",
                ConflictingContentLength,
            ),
            ("INVITE sip:a@b SIP/2.0\r\nX\r\n\r\n", BadHeaderLine),
        ] {
            assert_eq!(
                Message::parse_slice(msg.as_bytes())
                    .map(|_| ())
                    .unwrap_err()
                    .kind,
                kind,
                "{msg:?}"
            );
        }
        let bad = b"INVITE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n";
        let e = Message::parse_slice(bad).unwrap_err();
        assert_eq!((e.kind, e.offset), (InvalidUtf8, 27));
    }

    #[test]
    fn send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Message>();
    }
}
