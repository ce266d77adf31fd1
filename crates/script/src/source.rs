//! The [`SourceMap`]: every file the parser read, so that spans can be turned
//! into `FILE:LINE:COL` long after parsing (the engine checks the AST later).

use std::sync::Arc;

use crate::span::{FileId, Span};

/// All source files of one script (the main file and everything it included),
/// indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
struct SourceFile {
    name: String,
    text: Arc<str>,
    /// Byte offset of the start of each line, for binary search.
    line_starts: Vec<u32>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Registers a file and returns the id its spans will carry.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
        });
        id
    }

    /// The file's name as given to the parser (a path for files read from disk).
    pub fn name(&self, file: FileId) -> &str {
        self.file(file).map_or("?", |f| f.name.as_str())
    }

    /// The whole text of a file (empty for an unknown id).
    pub fn text(&self, file: FileId) -> &str {
        self.file(file).map_or("", |f| &f.text)
    }

    /// A shared handle on a file's text, for the lexer.
    pub(crate) fn text_arc(&self, file: FileId) -> Arc<str> {
        self.file(file)
            .map_or_else(|| Arc::from(""), |f| Arc::clone(&f.text))
    }

    /// The source text a span covers, for messages that quote the script.
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.file)
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// File name, 1-based line and 1-based column (in characters) of the
    /// start of `span`.
    pub fn line_col(&self, span: Span) -> (&str, u32, u32) {
        let Some(f) = self.file(span.file) else {
            return ("?", 0, 0);
        };
        let line_idx = match f.line_starts.binary_search(&span.start) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = f.line_starts.get(line_idx).copied().unwrap_or(0) as usize;
        let start = (span.start as usize).min(f.text.len());
        let col = match f.text.get(line_start..start) {
            Some(s) => s.chars().count(),
            None => start.saturating_sub(line_start),
        };
        let line = u32::try_from(line_idx + 1).unwrap_or(u32::MAX);
        let col = u32::try_from(col + 1).unwrap_or(u32::MAX);
        (&f.name, line, col)
    }

    /// Formats `FILE:LINE:COL: msg`, the one error format of siplua.
    pub fn render(&self, span: Span, msg: &str) -> String {
        let (name, line, col) = self.line_col(span);
        format!("{name}:{line}:{col}: {msg}")
    }

    fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_chars() {
        let mut map = SourceMap::new();
        let id = map.add("a.cfg", "ab\nçd x\n");
        // 'x' is at byte 7 (ç is two bytes), line 2, char column 4.
        let span = Span::new(id, 7, 8);
        assert_eq!(map.line_col(span), ("a.cfg", 2, 4));
        assert_eq!(map.render(span, "boom"), "a.cfg:2:4: boom");
        assert_eq!(map.slice(span), "x");
    }

    #[test]
    fn span_at_end_of_file_is_on_last_line() {
        let mut map = SourceMap::new();
        let id = map.add("b", "x\ny");
        assert_eq!(map.line_col(Span::new(id, 3, 3)), ("b", 2, 2));
    }

    #[test]
    fn unknown_file_does_not_panic() {
        let map = SourceMap::new();
        assert_eq!(map.line_col(Span::default()), ("?", 0, 0));
        assert_eq!(map.slice(Span::default()), "");
    }
}
