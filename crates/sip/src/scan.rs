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
    loop {
        if pos >= len {
            return Ok(HeadEnd {
                head_end: len,
                body_start: len,
                blank_line: false,
            });
        }
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
        let mut i = pos;
        while data.get(i).copied().is_some_and(crate::chars::is_token) {
            i += 1;
        }
        let name_end = i;
        while data.get(i).copied().is_some_and(is_sp_ht) {
            i += 1;
        }
        if name_end == pos || data.get(i) != Some(&b':') {
            return Err(ParseError::new(ParseErrorKind::BadHeaderLine, i));
        }
        let colon = i;
        let (mut content_end, mut line_next) = (ce, next);
        while data.get(line_next).copied().is_some_and(is_sp_ht) {
            let (ce2, next2) = line_at(data, line_next)?;
            if next2 == ce2 {
                return Err(ParseError::new(ParseErrorKind::UnterminatedHead, line_next));
            }
            content_end = ce2;
            line_next = next2;
        }
        let mut vs = colon + 1;
        while vs < content_end && data.get(vs).copied().is_some_and(crate::chars::is_lws) {
            vs += 1;
        }
        let mut ve = content_end;
        while ve > vs && data.get(ve - 1).copied().is_some_and(crate::chars::is_lws) {
            ve -= 1;
        }
        let name = data.get(pos..name_end).unwrap_or_default();
        f(Header::new(
            HeaderKind::from_name(name),
            Span::new(pos, name_end),
            Span::new(vs, ve),
            line_next,
        ));
        pos = line_next;
    }
}

/// Reads a Content-Length value: digits only, fitting in `u32` (RFC 4475 ncl).
pub(crate) fn content_length_value(value: &[u8]) -> Option<u32> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| crate::chars::parse_u32(s).ok())
}

/// Folds the Content-Length headers of a message into one value: all values
/// must be numbers and agree (RFC 4475 mcl01).
pub(crate) fn content_length<'h>(
    data: &[u8],
    headers: impl IntoIterator<Item = &'h Header>,
) -> Result<Option<u32>, ParseError> {
    let mut found: Option<u32> = None;
    for h in headers {
        if h.kind() != HeaderKind::ContentLength {
            continue;
        }
        let v = h.value_span();
        let n = content_length_value(data.get(v.range()).unwrap_or_default()).ok_or(
            ParseError::new(ParseErrorKind::BadContentLength, v.start as usize),
        )?;
        if found.is_some_and(|f| f != n) {
            return Err(ParseError::new(
                ParseErrorKind::ConflictingContentLength,
                v.start as usize,
            ));
        }
        found = Some(n);
    }
    Ok(found)
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

    #[test]
    fn content_lengths() {
        let data = b"l: 5\r\nContent-Length: 5\r\n\r\n";
        let (hs, _) = scan(data).unwrap();
        assert_eq!(content_length(data, &hs), Ok(Some(5)));
        let data = b"l: 5\r\nContent-Length: 13\r\n\r\n";
        let (hs, _) = scan(data).unwrap();
        assert_eq!(
            content_length(data, &hs).map_err(|e| e.kind),
            Err(ParseErrorKind::ConflictingContentLength)
        );
        assert_eq!(content_length_value(b"-999"), None);
        assert_eq!(content_length_value(b"99999999999"), None);
    }
}
