//! Tokens of the script language.

use crate::ast::{AssignOp, BinOp};
use crate::error::Diagnostic;
use crate::format::parse_format_in;
use crate::format::FormatString;
use crate::pv::PvSpec;
use crate::span::Span;

/// One token and where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Token kinds. Keywords are `Ident`s: the parser decides by position, as
/// OpenSIPS lets module functions and constants share those spellings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `[A-Za-z_][A-Za-z0-9_]*`.
    Ident(String),
    /// A bare dotted number such as an IP address (`10.0.0.1`).
    Word(String),
    /// A decimal or `0x` hex integer (never negative: `-` is an operator).
    Int(i64),
    /// A quoted string, escapes processed.
    Str(StrLit),
    /// A pseudo-variable.
    Pv(PvSpec),
    /// `=`, `+=`, ..., `:=`.
    Assign(AssignOp),
    /// A binary operator; `-` is `Op(Sub)` and may also be unary.
    Op(BinOp),
    /// `!`.
    Bang,
    /// `~`.
    Tilde,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Semi,
    Colon,
    Eof,
    /// A lexical error; the message says what is wrong.
    Error(String),
}

/// A string literal with, for each byte of the unescaped value, the source
/// offset it came from, so that PVs inside strings get exact spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StrLit {
    pub value: String,
    /// `value.len() + 1` offsets (the last one is the closing quote).
    pub map: Vec<u32>,
}

impl StrLit {
    /// Parses the string as a format string, with spans in the source file.
    pub(crate) fn format(&self, span: Span) -> Result<FormatString, Diagnostic> {
        let at = |off: u32| {
            self.map
                .get(off as usize)
                .copied()
                .unwrap_or(span.end.saturating_sub(1))
        };
        let remap = |s: Span| Span {
            file: span.file,
            start: at(s.start),
            end: if s.end == 0 {
                at(0)
            } else {
                at(s.end - 1).saturating_add(1)
            },
        };
        match parse_format_in(&self.value, span.file) {
            Ok(mut f) => {
                for part in &mut f.parts {
                    if let crate::format::FmtPart::Pv(p) = part {
                        p.map_spans(&remap);
                    }
                }
                Ok(f)
            }
            Err(e) => {
                let off = at(u32::try_from(e.offset).unwrap_or(u32::MAX));
                let sp = Span {
                    file: span.file,
                    start: off,
                    end: off.saturating_add(1),
                };
                Err(Diagnostic::new(sp, e.message))
            }
        }
    }
}
