//! A position in a `&str`, for the small hand-written grammars of typed views.
//!
//! Every slicing goes through `str::get`, so a wrong offset yields an empty
//! string instead of a panic.

use crate::chars::is_lws;

/// Reading position inside one header value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Starts at the beginning of `s`.
    pub(crate) fn new(s: &'a str) -> Self {
        Cursor { s, pos: 0 }
    }

    /// Current offset from the start of the text.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves back to an offset saved with [`Cursor::pos`].
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.s.len());
    }

    /// True when all text was consumed.
    pub(crate) fn is_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// The next byte, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    /// Consumes `b` when it is the next byte.
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips LWS (folds included); tells whether anything was skipped.
    pub(crate) fn skip_lws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_lws) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Consumes the longest run of bytes accepted by `f` (an ASCII-only class).
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    /// Consumes the text up to the first `b` (ASCII), or all of it when there is none.
    /// Searched with `memchr`: a URI up to its `>` is long enough for that to pay.
    pub(crate) fn take_until(&mut self, b: u8) -> &'a str {
        let start = self.pos;
        let tail = self.s.as_bytes().get(start..).unwrap_or_default();
        self.pos = start + memchr::memchr(b, tail).unwrap_or(tail.len());
        self.slice(start, self.pos)
    }

    /// Text between two offsets (empty when they are not valid boundaries).
    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a str {
        self.s.get(from..to).unwrap_or("")
    }

    /// At a `"`, consumes a quoted string (with its quotes, escapes kept);
    /// `None` when it is not terminated.
    pub(crate) fn quoted(&mut self) -> Option<&'a str> {
        let start = self.pos;
        if !self.eat(b'"') {
            return None;
        }
        let bytes = self.s.as_bytes();
        let mut i = self.pos;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' => i += 2,
                b'"' => {
                    self.pos = i + 1;
                    return Some(self.slice(start, self.pos));
                }
                _ => i += 1,
            }
        }
        self.pos = start;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;
    use crate::chars::is_token;

    #[test]
    fn walk() {
        let mut c = Cursor::new("  abc ;x");
        assert!(c.skip_lws());
        assert_eq!(c.take_while(is_token), "abc");
        assert!(c.skip_lws());
        assert!(c.eat(b';'));
        assert_eq!(c.peek(), Some(b'x'));
        assert!(!c.is_end());
        let mut c = Cursor::new("sip:a@b> x");
        assert_eq!(c.take_until(b'>'), "sip:a@b");
        assert_eq!(c.take_until(b'>'), "");
        assert!(c.eat(b'>'));
        assert_eq!(c.take_until(b'>'), " x");
        assert!(c.is_end());
    }

    #[test]
    fn quoted_strings() {
        let mut c = Cursor::new(r#""J Rosenberg \\\"" <x>"#);
        assert_eq!(c.quoted(), Some(r#""J Rosenberg \\\"""#));
        let mut c = Cursor::new("\"open <sip:x>");
        assert_eq!(c.quoted(), None);
        assert_eq!(c.pos(), 0);
        let mut c = Cursor::new("\"ends in backslash\\");
        assert_eq!(c.quoted(), None);
    }
}
