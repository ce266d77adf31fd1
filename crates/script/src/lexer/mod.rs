//! The lexer: source text to tokens, on demand. The parser pulls tokens one
//! at a time and, for the few places where OpenSIPS lexes differently
//! (socket specs, bare global values, route names), reads raw characters
//! through the `raw_*` methods instead — the equivalent of flex start
//! conditions in OpenSIPS' cfg.lex.

mod string;
mod token;

use std::sync::Arc;

pub(crate) use token::{Token, TokenKind};

use crate::ast::{AssignOp, BinOp};
use crate::pv::parse_pv_at;
use crate::span::{FileId, Span};

/// Tokenizes one file.
#[derive(Clone, Debug)]
pub(crate) struct Lexer {
    text: Arc<str>,
    pos: usize,
    file: FileId,
}

impl Lexer {
    /// Starts at the beginning of `text`, past a UTF-8 byte-order mark
    /// that some editors write.
    pub(crate) fn new(text: Arc<str>, file: FileId) -> Lexer {
        let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Lexer { text, pos, file }
    }

    pub(crate) fn file(&self) -> FileId {
        self.file
    }

    /// Moves back to `pos` (a token start), to re-read it in raw mode.
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = pos.min(self.text.len());
    }

    /// The next token; `Eof` forever at the end.
    pub(crate) fn next_token(&mut self) -> Token {
        if let Some(err) = self.skip_trivia() {
            return err;
        }
        let start = self.pos;
        let text = Arc::clone(&self.text);
        let b = text.as_bytes();
        let Some(&c) = b.get(start) else {
            return self.token(TokenKind::Eof, start);
        };
        let next = b.get(start + 1).copied();
        let (kind, len) = match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = crate::pv::scan(b, start, |c| c.is_ascii_alphanumeric() || c == b'_');
                (TokenKind::Ident(text[start..end].to_string()), end - start)
            }
            b'0'..=b'9' => return self.number(),
            b'"' | b'\'' => return self.string(),
            b'$' => return self.pv(),
            b'=' => match next {
                Some(b'=') => (TokenKind::Op(BinOp::Eq), 2),
                Some(b'~') => (TokenKind::Op(BinOp::Match), 2),
                _ => (TokenKind::Assign(AssignOp::Set), 1),
            },
            b'!' => match next {
                Some(b'=') => (TokenKind::Op(BinOp::Ne), 2),
                Some(b'~') => (TokenKind::Op(BinOp::NotMatch), 2),
                _ => (TokenKind::Bang, 1),
            },
            b'<' => match next {
                Some(b'=') => (TokenKind::Op(BinOp::Le), 2),
                Some(b'<') => (TokenKind::Op(BinOp::Shl), 2),
                _ => (TokenKind::Op(BinOp::Lt), 1),
            },
            b'>' => match next {
                Some(b'=') => (TokenKind::Op(BinOp::Ge), 2),
                Some(b'>') => (TokenKind::Op(BinOp::Shr), 2),
                _ => (TokenKind::Op(BinOp::Gt), 1),
            },
            b'&' if next == Some(b'&') => (TokenKind::Op(BinOp::And), 2),
            b'|' if next == Some(b'|') => (TokenKind::Op(BinOp::Or), 2),
            b':' if next == Some(b'=') => (TokenKind::Assign(AssignOp::ColonSet), 2),
            b'&' | b'|' | b'^' | b'+' | b'-' | b'*' | b'/' | b'%' => {
                let (op, aop) = match c {
                    b'&' => (BinOp::BitAnd, AssignOp::BitAnd),
                    b'|' => (BinOp::BitOr, AssignOp::BitOr),
                    b'^' => (BinOp::BitXor, AssignOp::BitXor),
                    b'+' => (BinOp::Add, AssignOp::Add),
                    b'-' => (BinOp::Sub, AssignOp::Sub),
                    b'*' => (BinOp::Mul, AssignOp::Mul),
                    b'/' => (BinOp::Div, AssignOp::Div),
                    _ => (BinOp::Mod, AssignOp::Mod),
                };
                if next == Some(b'=') {
                    (TokenKind::Assign(aop), 2)
                } else {
                    (TokenKind::Op(op), 1)
                }
            }
            b'~' => (TokenKind::Tilde, 1),
            b'(' => (TokenKind::LParen, 1),
            b')' => (TokenKind::RParen, 1),
            b'{' => (TokenKind::LBrace, 1),
            b'}' => (TokenKind::RBrace, 1),
            b'[' => (TokenKind::LBracket, 1),
            b']' => (TokenKind::RBracket, 1),
            b',' => (TokenKind::Comma, 1),
            b';' => (TokenKind::Semi, 1),
            b':' => (TokenKind::Colon, 1),
            _ => {
                let ch = text[start..].chars().next().unwrap_or('?');
                let msg = format!("unexpected character `{}`", ch.escape_debug());
                (TokenKind::Error(msg), ch.len_utf8())
            }
        };
        self.pos = start + len;
        self.token(kind, start)
    }

    fn token(&self, kind: TokenKind, start: usize) -> Token {
        Token {
            kind,
            span: Span::new(self.file, start, self.pos.max(start)),
        }
    }

    /// Skips blanks, `# ...` and `/* ... */`; an unterminated block comment
    /// becomes an error token.
    pub(crate) fn skip_trivia(&mut self) -> Option<Token> {
        let b = self.text.as_bytes();
        loop {
            match b.get(self.pos) {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'#') => {
                    while self.pos < b.len() && b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                Some(b'/') if b.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    match self.text[start + 2..].find("*/") {
                        Some(i) => self.pos = start + 2 + i + 2,
                        None => {
                            self.pos = b.len();
                            return Some(Token {
                                kind: TokenKind::Error("unterminated `/*` comment".into()),
                                span: Span::new(self.file, start, start + 2),
                            });
                        }
                    }
                }
                _ => return None,
            }
        }
    }

    fn number(&mut self) -> Token {
        let b = self.text.as_bytes();
        let start = self.pos;
        if b[start] == b'0' && matches!(b.get(start + 1), Some(b'x' | b'X')) {
            let end = crate::pv::scan(b, start + 2, |c| c.is_ascii_hexdigit());
            self.pos = end;
            return match i64::from_str_radix(&self.text[start + 2..end], 16) {
                Ok(n) => self.token(TokenKind::Int(n), start),
                Err(_) => self.token(TokenKind::Error("invalid hex number".into()), start),
            };
        }
        let end = crate::pv::scan(b, start, |c| c.is_ascii_digit());
        if b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
            let end = crate::pv::scan(b, end, |c| c.is_ascii_digit() || c == b'.');
            self.pos = end;
            return self.token(TokenKind::Word(self.text[start..end].to_string()), start);
        }
        self.pos = end;
        match self.text[start..end].parse::<i64>() {
            Ok(n) => self.token(TokenKind::Int(n), start),
            Err(_) => self.token(TokenKind::Error("integer is too large".into()), start),
        }
    }

    fn string(&mut self) -> Token {
        let start = self.pos;
        match string::lex_string(&self.text, start) {
            Ok((lit, end)) => {
                self.pos = end;
                self.token(TokenKind::Str(lit), start)
            }
            Err(at) => {
                self.pos = self.text.len();
                Token {
                    kind: TokenKind::Error("unterminated string".into()),
                    span: Span::new(self.file, at, at + 1),
                }
            }
        }
    }

    fn pv(&mut self) -> Token {
        let start = self.pos;
        match parse_pv_at(&self.text, start, self.file, 0) {
            Ok((spec, end)) => {
                self.pos = end;
                self.token(TokenKind::Pv(spec), start)
            }
            Err(e) => {
                // Resume after the broken word so one typo gives one error.
                let b = self.text.as_bytes();
                let from = e.offset.max(start + 1).min(b.len());
                self.pos = crate::pv::scan(b, from, |c| {
                    !c.is_ascii_whitespace() && c != b';' && c != b')'
                });
                Token {
                    kind: TokenKind::Error(e.message),
                    span: Span::new(self.file, e.offset, e.offset + 1),
                }
            }
        }
    }

    /// The byte at the cursor (raw mode).
    pub(crate) fn raw_peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The cursor offset (raw mode).
    pub(crate) fn raw_pos(&self) -> usize {
        self.pos
    }

    /// Consumes bytes while `f` holds and returns them with their span.
    pub(crate) fn raw_eat_while(&mut self, f: impl Fn(u8) -> bool) -> (String, Span) {
        let start = self.pos;
        self.pos = crate::pv::scan(self.text.as_bytes(), start, f);
        let s = String::from_utf8_lossy(&self.text.as_bytes()[start..self.pos]).into_owned();
        (s, Span::new(self.file, start, self.pos))
    }

    /// Consumes one byte if it is `c`.
    pub(crate) fn raw_eat(&mut self, c: u8) -> bool {
        if self.raw_peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        let mut lx = Lexer::new(Arc::from(s), FileId(0));
        let mut out = Vec::new();
        loop {
            let t = lx.next_token();
            if t.kind == TokenKind::Eof {
                return out;
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn operators_longest_match() {
        use TokenKind::*;
        assert_eq!(
            kinds("== =~ != !~ <= << >= >> && || := += -= |= &= ^= *= /= %= = ! ~ -"),
            vec![
                Op(BinOp::Eq),
                Op(BinOp::Match),
                Op(BinOp::Ne),
                Op(BinOp::NotMatch),
                Op(BinOp::Le),
                Op(BinOp::Shl),
                Op(BinOp::Ge),
                Op(BinOp::Shr),
                Op(BinOp::And),
                Op(BinOp::Or),
                Assign(AssignOp::ColonSet),
                Assign(AssignOp::Add),
                Assign(AssignOp::Sub),
                Assign(AssignOp::BitOr),
                Assign(AssignOp::BitAnd),
                Assign(AssignOp::BitXor),
                Assign(AssignOp::Mul),
                Assign(AssignOp::Div),
                Assign(AssignOp::Mod),
                Assign(AssignOp::Set),
                Bang,
                Tilde,
                Op(BinOp::Sub),
            ]
        );
    }

    #[test]
    fn comments_and_slashes() {
        use TokenKind::*;
        // `//` is not a comment in OpenSIPS: two divisions.
        assert_eq!(
            kinds("a # c\n/* b\n */ // x"),
            vec![
                Ident("a".into()),
                Op(BinOp::Div),
                Op(BinOp::Div),
                Ident("x".into())
            ]
        );
        assert_eq!(kinds("#!define X 1\ny"), vec![Ident("y".into())]);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        assert_eq!(kinds("\u{feff}x"), vec![TokenKind::Ident("x".into())]);
    }

    #[test]
    fn numbers_and_words() {
        use TokenKind::*;
        assert_eq!(
            kinds("0x1F 42 10.0.0.1"),
            vec![Int(31), Int(42), Word("10.0.0.1".into())]
        );
        assert!(matches!(&kinds("99999999999999999999")[0], Error(_)));
    }

    #[test]
    fn bad_character_and_unterminated_comment() {
        let mut lx = Lexer::new(Arc::from("a @ /* x"), FileId(0));
        lx.next_token();
        let t = lx.next_token();
        assert_eq!(t.kind, TokenKind::Error("unexpected character `@`".into()));
        assert_eq!(t.span, Span::new(FileId(0), 2, 3));
        let t = lx.next_token();
        assert_eq!(t.span, Span::new(FileId(0), 4, 6));
        assert_eq!(lx.next_token().kind, TokenKind::Eof);
    }
}
