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
        match &mut self.pending {
            Some(p) if p.end == r.start => p.end = r.end,
            _ => {
                self.flush(out);
                self.pending = Some(r);
            }
        }
    }
}
