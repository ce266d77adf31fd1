//! The token source the parser reads: a stack of lexers, one per open file.
//!
//! `include_file "path"` and `import_file "path"` are handled here, below the
//! grammar, as OpenSIPS does in its lexer: they may appear anywhere a token
//! may, and the tokens of the included file simply continue the stream.
//! Relative paths resolve against the directory of the including file;
//! `import_file` silently skips a missing file, `include_file` reports it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::lexer::{Lexer, Token, TokenKind};
use crate::source::SourceMap;
use crate::span::Span;

/// Include nesting bound: deeper means a file includes itself.
const MAX_INCLUDE_DEPTH: usize = 32;

struct Frame {
    lexer: Lexer,
    dir: Option<PathBuf>,
}

/// Tokens from the main file and everything it includes, with lookahead.
pub(crate) struct TokenSource {
    stack: Vec<Frame>,
    map: SourceMap,
    lookahead: VecDeque<Token>,
    last_span: Span,
}

impl TokenSource {
    /// Starts on the main file; `dir` is where its relative includes live.
    pub(crate) fn new(name: String, text: String, dir: Option<PathBuf>) -> TokenSource {
        let mut map = SourceMap::new();
        let file = map.add(name, text);
        let lexer = Lexer::new(map.text_arc(file), file);
        TokenSource {
            stack: vec![Frame { lexer, dir }],
            map,
            lookahead: VecDeque::new(),
            last_span: Span::new(file, 0, 0),
        }
    }

    /// The `n`-th token ahead (0 = next) without consuming it.
    pub(crate) fn peek_nth(&mut self, n: usize) -> &Token {
        while self.lookahead.len() <= n {
            let t = self.lex();
            self.lookahead.push_back(t);
        }
        &self.lookahead[n]
    }

    /// Consumes the next token.
    pub(crate) fn next(&mut self) -> Token {
        match self.lookahead.pop_front() {
            Some(t) => t,
            None => self.lex(),
        }
    }

    /// The lexer of the current file, positioned right after the last
    /// consumed token (lookahead is dropped and re-read later), for the
    /// parser's raw-character modes.
    pub(crate) fn raw(&mut self) -> Option<&mut Lexer> {
        let first = self.lookahead.pop_front();
        self.lookahead.clear();
        let frame = self.stack.last_mut()?;
        if let Some(t) = first {
            if t.span.file == frame.lexer.file() {
                frame.lexer.rewind(t.span.start as usize);
            }
        }
        Some(&mut frame.lexer)
    }

    /// Every file read so far.
    pub(crate) fn map(&self) -> &SourceMap {
        &self.map
    }

    /// Hands the source map over once parsing is done.
    pub(crate) fn into_map(self) -> SourceMap {
        self.map
    }

    fn lex(&mut self) -> Token {
        loop {
            let depth = self.stack.len();
            let Some(frame) = self.stack.last_mut() else {
                return Token {
                    kind: TokenKind::Eof,
                    span: self.last_span,
                };
            };
            let tok = frame.lexer.next_token();
            match &tok.kind {
                TokenKind::Eof if depth > 1 => {
                    self.stack.pop();
                }
                TokenKind::Ident(w) if w == "include_file" || w == "import_file" => {
                    let must_exist = w == "include_file";
                    let path_tok = frame.lexer.next_token();
                    let span = tok.span.to(path_tok.span);
                    let TokenKind::Str(path) = path_tok.kind else {
                        return Token {
                            kind: TokenKind::Error(format!(
                                "expected a quoted file name after `{w}`"
                            )),
                            span: path_tok.span,
                        };
                    };
                    if let Err(msg) = self.open(&path.value, must_exist) {
                        return Token {
                            kind: TokenKind::Error(msg),
                            span,
                        };
                    }
                }
                _ => {
                    self.last_span = tok.span;
                    return tok;
                }
            }
        }
    }

    /// Pushes the included file, or explains why it cannot.
    fn open(&mut self, path: &str, must_exist: bool) -> Result<(), String> {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(format!(
                "cannot include `{path}`: files nested too deeply (does a file include itself?)"
            ));
        }
        let given = Path::new(path);
        let full = match self.stack.last().and_then(|f| f.dir.as_ref()) {
            Some(dir) if given.is_relative() => dir.join(given),
            _ => given.to_path_buf(),
        };
        let bytes = match std::fs::read(&full) {
            Ok(b) => b,
            Err(e) if !must_exist && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(format!(
                    "cannot read included file `{}`: {e}",
                    full.display()
                ))
            }
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let file = self.map.add(full.display().to_string(), text);
        let lexer = Lexer::new(self.map.text_arc(file), file);
        let dir = full.parent().map(Path::to_path_buf);
        self.stack.push(Frame { lexer, dir });
        Ok(())
    }
}
