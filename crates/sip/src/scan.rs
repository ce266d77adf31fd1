//! The header-section scanner shared by the UDP parser and TCP framing.
//!
//! It walks lines (CRLF or bare LF), joins folded continuation lines into the
//! header they continue, and reports each header as spans. It knows nothing
//! about header grammars: that is left to the lazily parsed views.

use memchr::memchr2;

use crate::error::{ParseError, ParseErrorKind};
use crate::header_kind::HeaderKind;
use crate::message::Header;
use crate::span::Span;

/// Where the header section ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeadEnd {
    /// Offset of the empty line (or of the buffer end when there is none).
    pub head_end: usize,
    /// First byte of the body.
    pub body_start: usize,
    /// False when the buffer ended after a complete header line but without
    /// the empty line (tolerated for datagrams, RFC 4475 baddn's archive copy).
    pub blank_line: bool,
}

/// One line: the end of its content and the start of the next line. When the
/// buffer ends without LF, both are the buffer length. A CR anywhere but
/// right before the LF is an error (`BareCr`).
///
/// One `memchr2` pass finds the first CR or LF: lines end in CRLF (or LF), so
/// the first hit is normally the line end itself.
pub(crate) fn line_at(data: &[u8], pos: usize) -> Result<(usize, usize), ParseError> {
    let rest = data.get(pos..).unwrap_or_default();
    match memchr2(b'\r', b'\n', rest) {
        None => Ok((data.len(), data.len())),
        Some(i) => {
            let at = pos + i;
            match (data.get(at), data.get(at + 1)) {
                (Some(b'\n'), _) => Ok((at, at + 1)),
                (_, Some(b'\n')) => Ok((at, at + 2)),
                _ => Err(ParseError::new(ParseErrorKind::BareCr, at)),
            }
        }
    }
}

/// The span `start..end` of a buffer [`scan_headers`] accepted: shorter than 4 GiB, so the
/// offsets convert to `u32` exactly, without the saturating conversion of [`Span::new`].
#[inline(always)]
fn span(start: usize, end: usize) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
    }
}

fn is_sp_ht(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Scans header lines from `pos` until the empty line, handing each header to `f`.
pub(crate) fn scan_headers(
    data: &[u8],
    mut pos: usize,
    mut f: impl FnMut(Header),
) -> Result<HeadEnd, ParseError> {
    let len = data.len();
    if u32::try_from(len).is_err() {
        return Err(ParseError::new(ParseErrorKind::TooLarge, 0));
    }
    loop {
        if pos >= len {
            return Ok(HeadEnd {
                head_end: len,
                body_start: len,
                blank_line: false,
            });
        }
        // A known name starts with a letter, so an empty line never takes this path.
        let (header, line_next) = match HeaderKind::known_at(data, pos) {
            Some((kind, name_len)) => known_header_at(data, pos, kind, name_len)?,
            None => {
                let (ce, next) = line_at(data, pos)?;
                if next == ce {
                    return Err(ParseError::new(ParseErrorKind::UnterminatedHead, pos));
                }
                if ce == pos {
                    return Ok(HeadEnd {
                        head_end: pos,
                        body_start: next,
                        blank_line: true,
                    });
                }
                header_at(data, pos, ce, next)?
            }
        };
        f(header);
        pos = line_next;
    }
}

/// The header at `pos` whose name, `name_len` bytes of a known `kind`, is right before a
/// `:`: the common case, where the name needs no byte-by-byte check. The line end is looked
/// for after the `:` (a known name has no CR or LF), which finds the same line end, and the
/// same errors, as looking from `pos`. Always inlined: it is the per-line path of the scan
/// loop, and as a call it costs about 40 more instructions per header line.
#[inline(always)]
fn known_header_at(
    data: &[u8],
    pos: usize,
    kind: HeaderKind,
    name_len: usize,
) -> Result<(Header, usize), ParseError> {
    let colon = pos + name_len;
    let (ce, next) = line_at(data, colon + 1)?;
    if next == ce {
        return Err(ParseError::new(ParseErrorKind::UnterminatedHead, pos));
    }
    header_value(data, kind, span(pos, colon), colon, ce, next)
}

/// The header whose first line starts at `pos` and ends at `ce` (`next` starts the next
/// line): `token *(SP / HT) ":"`, then the value, which continues on folded lines. Also
/// returns where the line after it (folds included) starts.
fn header_at(
    data: &[u8],
    pos: usize,
    ce: usize,
    next: usize,
) -> Result<(Header, usize), ParseError> {
    let line = data.get(pos..ce).unwrap_or_default();
    let name_len = crate::chars::skip_class(line, 0, crate::chars::TOKEN);
    let kind = HeaderKind::from_name(line.get(..name_len).unwrap_or_default());
    let after_name = line.get(name_len..).unwrap_or_default();
    let gap = after_name
        .iter()
        .position(|&b| !is_sp_ht(b))
        .unwrap_or(after_name.len());
    if name_len == 0 || after_name.get(gap) != Some(&b':') {
        return Err(ParseError::new(
            ParseErrorKind::BadHeaderLine,
            pos + name_len + gap,
        ));
    }
    let name = span(pos, pos + name_len);
    header_value(data, kind, name, pos + name_len + gap, ce, next)
}

/// The header whose name is at `name`, whose `:` is at `colon` and whose first line ends
/// at `ce` (`next` starts the next line): takes in the folded lines that continue the value
/// and trims the value. Also returns where the line after the header starts.
#[inline]
fn header_value(
    data: &[u8],
    kind: HeaderKind,
    name: Span,
    colon: usize,
    ce: usize,
    next: usize,
) -> Result<(Header, usize), ParseError> {
    let (mut content_end, mut line_next) = (ce, next);
    while data.get(line_next).copied().is_some_and(is_sp_ht) {
        let (ce2, next2) = line_at(data, line_next)?;
        if next2 == ce2 {
            return Err(ParseError::new(ParseErrorKind::UnterminatedHead, line_next));
        }
        content_end = ce2;
        line_next = next2;
    }
    let (mut start, mut end) = (colon + 1, content_end);
    // The usual value starts after one space: stepped over without the class lookup.
    if start < end && data.get(start) == Some(&b' ') {
        start += 1;
    }
    while start < end && data.get(start).copied().is_some_and(crate::chars::is_lws) {
        start += 1;
    }
    while end > start && data.get(end - 1).copied().is_some_and(crate::chars::is_lws) {
        end -= 1;
    }
    let header = Header::at(kind, name, span(start, end), line_next as u32);
    Ok((header, line_next))
}

/// Reads a Content-Length value: digits only, fitting in `u32` (RFC 4475 ncl). Read from
/// the bytes: a value that is not UTF-8 has a byte that is not a digit.
pub(crate) fn content_length_value(value: &[u8]) -> Option<u32> {
    crate::chars::parse_u32(value).ok()
}

/// The Content-Length headers of a message folded into one value as the scan hands them
/// over: all values must be numbers and agree (RFC 4475 mcl01); the first error is kept.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ContentLength {
    found: Option<u32>,
    error: Option<ParseError>,
}

impl ContentLength {
    /// Takes one header into account (any kind; only Content-Length counts).
    pub(crate) fn add(&mut self, data: &[u8], h: &Header) {
        if h.kind() != HeaderKind::ContentLength || self.error.is_some() {
            return;
        }
        let v = h.value_span();
        let at = v.start as usize;
        match content_length_value(data.get(v.range()).unwrap_or_default()) {
            None => self.error = Some(ParseError::new(ParseErrorKind::BadContentLength, at)),
            Some(n) if self.found.is_some_and(|f| f != n) => {
                self.error = Some(ParseError::new(
                    ParseErrorKind::ConflictingContentLength,
                    at,
                ));
            }
            Some(n) => self.found = Some(n),
        }
    }

    /// The value (`None` without Content-Length), or the first problem found.
    pub(crate) fn value(self) -> Result<Option<u32>, ParseError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(data: &[u8]) -> Result<(Vec<Header>, HeadEnd), ParseError> {
        let mut v = Vec::new();
        let end = scan_headers(data, 0, |h| v.push(h))?;
        Ok((v, end))
    }

    #[test]
    fn lines_and_folds() {
        let data = b"To :\r\n sip:a@b ;tag=1\r\nX: y\n\r\nbody";
        let (hs, end) = scan(data).unwrap();
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[0].kind(), HeaderKind::To);
        assert_eq!(&data[hs[0].value_span().range()], b"sip:a@b ;tag=1");
        assert_eq!(&data[hs[1].value_span().range()], b"y");
        assert!(end.blank_line);
        assert_eq!(&data[end.body_start..], b"body");
    }

    #[test]
    fn errors() {
        assert_eq!(
            scan(b"Foobar roobar\r\n\r\n").map(|_| ()).unwrap_err().kind,
            ParseErrorKind::BadHeaderLine
        );
        assert_eq!(
            scan(b" leading\r\n\r\n").map(|_| ()).unwrap_err().kind,
            ParseErrorKind::BadHeaderLine
        );
        assert_eq!(
            scan(b"A: b\rc\r\n\r\n").map(|_| ()).unwrap_err().kind,
            ParseErrorKind::BareCr
        );
        assert_eq!(
            scan(b"A: b").map(|_| ()).unwrap_err().kind,
            ParseErrorKind::UnterminatedHead
        );
        let (hs, end) = scan(b"A: b\r\n").unwrap();
        assert_eq!(hs.len(), 1);
        assert!(!end.blank_line);
    }

    fn content_length(data: &[u8]) -> Result<Option<u32>, ParseError> {
        let (hs, _) = scan(data).unwrap();
        let mut cl = ContentLength::default();
        hs.iter().for_each(|h| cl.add(data, h));
        cl.value()
    }

    #[test]
    fn content_lengths() {
        assert_eq!(
            content_length(b"l: 5\r\nContent-Length: 5\r\n\r\n"),
            Ok(Some(5))
        );
        assert_eq!(content_length(b"X: 5\r\n\r\n"), Ok(None));
        assert_eq!(
            content_length(b"l: 5\r\nContent-Length: 13\r\n\r\n").map_err(|e| e.kind),
            Err(ParseErrorKind::ConflictingContentLength)
        );
        let first_error = content_length(b"l: x\r\nl: 5\r\nl: 6\r\n\r\n").unwrap_err();
        assert_eq!(
            (first_error.kind, first_error.offset),
            (ParseErrorKind::BadContentLength, 3)
        );
        let conflict = content_length(b"l: 5\r\nl: 6\r\nl: y\r\n\r\n").unwrap_err();
        assert_eq!(
            (conflict.kind, conflict.offset),
            (ParseErrorKind::ConflictingContentLength, 9)
        );
        assert_eq!(content_length_value(b"-999"), None);
        assert_eq!(content_length_value(b"99999999999"), None);
    }
}
