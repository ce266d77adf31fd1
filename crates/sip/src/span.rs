//! Byte ranges into a message buffer.
//!
//! A [`Message`](crate::Message) never copies header text: it keeps the received
//! buffer and remembers where each element is as a [`Span`]. Spans use `u32`
//! offsets to keep the header index small; buffers of 4 GiB or more are
//! rejected at parse time, so every offset fits.

use std::ops::Range;

/// A half-open byte range `[start, end)` into a message buffer.
///
/// Spans are plain numbers: they are meaningful only together with the buffer
/// of the message that produced them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// Builds a span from `usize` offsets (saturating at `u32::MAX`; the parser
    /// rejects larger buffers before building spans).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The span as a `usize` range, for slicing with `get`.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Number of bytes covered.
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// True when the span covers no byte (an empty header value, for instance).
    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

#[cfg(test)]
mod tests {
    use super::Span;

    #[test]
    fn span_basics() {
        let s = Span::new(3, 7);
        assert_eq!(s.range(), 3..7);
        assert_eq!(s.len(), 4);
        assert!(!s.is_empty());
        assert!(Span::new(5, 5).is_empty());
        assert_eq!(Span::new(9, 2).len(), 0);
    }
}
