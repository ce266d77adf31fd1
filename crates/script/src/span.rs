//! Source positions: every AST node carries a [`Span`] so that the engine can
//! report `FILE:LINE:COL: message` for errors it finds long after parsing.

/// Index of one file inside a [`crate::SourceMap`]; spans carry it because
/// `include_file` makes one script span several files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file, kept small (12 bytes) because
/// every node of the AST has one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// The file the range lies in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// Builds a span from `usize` offsets (the lexer works in `usize`).
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: clamp(start),
            end: clamp(end),
        }
    }

    /// The span from the start of `self` to the end of `other`, used to give a
    /// node the extent of its first and last tokens. Spans in different files
    /// (a construct split by `include_file`) keep `self`.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file || other.end < self.start {
            return self;
        }
        Span {
            end: other.end,
            ..self
        }
    }
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
