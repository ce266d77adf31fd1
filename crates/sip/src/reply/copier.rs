//! Copying request header lines into a reply with as few copies as possible.
//!
//! The headers a reply copies (Via, From, To, Call-ID, CSeq) usually sit next to each other in
//! the request, each line ending in CRLF: copying each adjacent run of them at once, line
//! breaks included, takes a few copies instead of two per header.

use std::ops::Range;

use crate::message::Header;

/// Appends header lines of `buf` to a reply, merging runs that are adjacent in `buf`.
pub(super) struct LineCopier<'a> {
    buf: &'a [u8],
    pending: Option<Range<usize>>,
}

impl<'a> LineCopier<'a> {
    /// A copier reading from the request buffer `buf`.
    pub(super) fn new(buf: &'a [u8]) -> Self {
        LineCopier { buf, pending: None }
    }

    /// Appends the line of `h` (name to the end of the value) and, unless `open`, its CRLF;
    /// an `open` line is left for the caller to add to (a To-tag) and end.
    #[inline]
    pub(super) fn line(&mut self, out: &mut Vec<u8>, h: &Header, open: bool) {
        let start = h.name_span().start as usize;
        let end = h.value_span().end as usize;
        let crlf = !open && self.buf.get(end..end + 2) == Some(b"\r\n");
        self.copy(out, start..if crlf { end + 2 } else { end });
        if !open && !crlf {
            self.push(out, b"\r\n");
        }
    }

    /// Appends bytes `r` of the request (part of a line that the caller changes).
    pub(super) fn range(&mut self, out: &mut Vec<u8>, r: Range<usize>) {
        self.copy(out, r);
    }

    /// Ends the line of `h`: its own CRLF when it has one (merged with what is pending),
    /// else a new one.
    pub(super) fn end_line(&mut self, out: &mut Vec<u8>, h: &Header) {
        let end = h.value_span().end as usize;
        if self.buf.get(end..end + 2) == Some(b"\r\n") {
            self.copy(out, end..end + 2);
        } else {
            self.push(out, b"\r\n");
        }
    }

    /// Appends bytes that are not in the request.
    pub(super) fn push(&mut self, out: &mut Vec<u8>, bytes: &[u8]) {
        self.flush(out);
        out.extend_from_slice(bytes);
    }

    /// Appends what is still pending; call once the last line was given.
    pub(super) fn flush(&mut self, out: &mut Vec<u8>) {
        if let Some(r) = self.pending.take() {
            out.extend_from_slice(self.buf.get(r).unwrap_or_default());
        }
    }

    fn copy(&mut self, out: &mut Vec<u8>, r: Range<usize>) {
        // The scans that make headers (the full parse and the partial one) give spans in
        // order and inside their buffer: merging relies on it.
        debug_assert!(
            r.start <= r.end && r.end <= self.buf.len(),
            "header span {r:?}"
        );
        match &mut self.pending {
            Some(p) if p.end == r.start => p.end = r.end,
            _ => {
                self.flush(out);
                self.pending = Some(r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header_kind::HeaderKind;
    use crate::span::Span;

    fn header(name: (usize, usize), value: (usize, usize)) -> Header {
        let name = Span::new(name.0, name.1);
        let value = Span::new(value.0, value.1);
        Header::new(HeaderKind::Other, name, value, value.end as usize)
    }

    #[test]
    fn merges_adjacent_lines() {
        let buf = b"A: 1\r\nB: 2\r\nC: 3 \r\nD: 4";
        let mut out = Vec::new();
        let mut lines = LineCopier::new(buf);
        lines.line(&mut out, &header((0, 1), (3, 4)), false);
        lines.line(&mut out, &header((6, 7), (9, 10)), false);
        lines.line(&mut out, &header((12, 13), (15, 16)), false);
        lines.line(&mut out, &header((0, 1), (3, 4)), true);
        lines.push(&mut out, b";x\r\n");
        lines.line(&mut out, &header((19, 20), (22, 23)), false);
        lines.flush(&mut out);
        assert_eq!(out, b"A: 1\r\nB: 2\r\nC: 3\r\nA: 1;x\r\nD: 4\r\n");
    }
}
