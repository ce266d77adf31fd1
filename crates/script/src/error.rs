//! Parse errors. A [`Diagnostic`] carries a span, and — once the parser hands
//! it back — its resolved location, because on failure the caller gets no
//! [`SourceMap`] to resolve it with.

use std::fmt;

use crate::source::SourceMap;
use crate::span::Span;

/// One error found in the script, pointing at the offending source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub span: Span,
    /// What the problem is, in words for the operator.
    pub message: String,
    /// `span` resolved to file, line and column; filled in by `parse_file` /
    /// `parse_str` so that `Display` can print `FILE:LINE:COL: message`.
    pub location: Option<Location>,
}

/// A resolved source position (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// File name as the parser knew it.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

impl Diagnostic {
    /// A diagnostic not yet resolved to a location.
    pub fn new(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: message.into(),
            location: None,
        }
    }

    /// Renders `FILE:LINE:COL: message` against a source map.
    pub fn render(&self, map: &SourceMap) -> String {
        map.render(self.span, &self.message)
    }

    /// Fills in `location` from the map.
    pub(crate) fn locate(&mut self, map: &SourceMap) {
        let (file, line, col) = map.line_col(self.span);
        self.location = Some(Location {
            file: file.to_string(),
            line,
            col,
        });
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(f, "{}:{}:{}: {}", l.file, l.line, l.col, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Diagnostic {}
