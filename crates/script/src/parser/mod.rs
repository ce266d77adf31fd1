//! The recursive-descent parser: tokens to [`Script`].
//!
//! One file per grammar area: `toplevel` (globals, loadmodule, modparam),
//! `socket` (listen/socket specs), `route` (route blocks), `stmt`
//! (statements), `expr` (expressions). This file holds the shared cursor,
//! error reporting and recovery.
//!
//! Errors are collected: after a bad statement the parser skips to the next
//! `;` or `}` and goes on, so one run reports several independent mistakes.

mod async_stmt;
mod autoscale;
mod expr;
mod route;
mod socket;
mod stmt;
mod toplevel;

use crate::ast::Script;
use crate::error::Diagnostic;
use crate::include::TokenSource;
use crate::lexer::{Token, TokenKind};
use crate::source::SourceMap;
use crate::span::Span;

/// Stop collecting after this many errors: later ones are mostly echoes.
const MAX_ERRORS: usize = 20;

/// Bound on block and expression nesting, so that hostile input cannot
/// overflow the stack.
const MAX_NESTING: u32 = 100;

type PResult<T> = Result<T, Diagnostic>;

/// Words that can only start a top-level item; seeing one inside a block
/// means a `}` is missing.
const TOP_LEVEL_WORDS: &[&str] = &[
    "failure_route",
    "onreply_route",
    "branch_route",
    "local_route",
    "startup_route",
    "timer_route",
    "error_route",
    "event_route",
    "loadmodule",
    "modparam",
];

pub(crate) struct Parser {
    src: TokenSource,
    diags: Vec<Diagnostic>,
    /// Zero-width span just after the last consumed token ("missing `;`").
    prev_end: Span,
    /// Tokens consumed so far, to make sure recovery always progresses.
    consumed: usize,
    /// Set when a block hit a top-level item or the end of file: every open
    /// block then returns at once.
    unwinding: bool,
    depth: u32,
}

/// Parses a whole script; returns the AST (possibly partial), the source map
/// and the errors found.
pub(crate) fn parse_script(src: TokenSource) -> (Script, SourceMap, Vec<Diagnostic>) {
    let mut p = Parser {
        src,
        diags: Vec::new(),
        prev_end: Span::default(),
        consumed: 0,
        unwinding: false,
        depth: 0,
    };
    let mut script = Script::default();
    while p.diags.len() < MAX_ERRORS {
        p.unwinding = false;
        match p.peek().kind {
            TokenKind::Eof => break,
            TokenKind::Semi => {
                p.bump();
            }
            _ => {
                let before = p.consumed;
                if let Err(d) = p.top_item(&mut script) {
                    p.diags.push(d);
                    p.recover_top(before);
                }
            }
        }
    }
    (script, p.src.into_map(), p.diags)
}

impl Parser {
    fn peek(&mut self) -> &Token {
        self.src.peek_nth(0)
    }

    fn peek_nth(&mut self, n: usize) -> &Token {
        self.src.peek_nth(n)
    }

    fn bump(&mut self) -> Token {
        let t = self.src.next();
        self.prev_end = Span {
            start: t.span.end,
            ..t.span
        };
        self.consumed += 1;
        t
    }

    /// Whether the next token is exactly `kind` (for punctuation).
    fn at(&mut self, kind: &TokenKind) -> bool {
        &self.peek().kind == kind
    }

    /// Whether the next token is the word `w`.
    fn at_word(&mut self, w: &str) -> bool {
        matches!(&self.peek().kind, TokenKind::Ident(s) if s == w)
    }

    /// Consumes `kind` if it is next.
    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes `kind` or reports `expected {what}`.
    fn expect(&mut self, kind: &TokenKind, what: &str) -> PResult<Span> {
        if self.at(kind) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(what))
        }
    }

    /// Requires the `;` that ends a simple statement; reports it missing
    /// right after the previous token, where it belongs.
    fn expect_semi(&mut self) -> PResult<Span> {
        if self.at(&TokenKind::Semi) {
            return Ok(self.bump().span);
        }
        if let TokenKind::Error(msg) = &self.peek().kind {
            let msg = msg.clone();
            return Err(Diagnostic::new(self.peek().span, msg));
        }
        let found = self.describe_next();
        Err(Diagnostic::new(
            self.prev_end,
            format!("expected `;`, found {found}"),
        ))
    }

    /// "expected X, found Y" at the next token (or the lexer's own message
    /// when the next token is a lexical error).
    fn unexpected(&mut self, what: &str) -> Diagnostic {
        let span = self.peek().span;
        if let TokenKind::Error(msg) = &self.peek().kind {
            return Diagnostic::new(span, msg.clone());
        }
        let found = self.describe_next();
        Diagnostic::new(span, format!("expected {what}, found {found}"))
    }

    fn describe_next(&mut self) -> String {
        let t = self.peek().clone();
        match &t.kind {
            TokenKind::Eof => "end of file".to_string(),
            TokenKind::Str(_) => "a string".to_string(),
            _ => format!("`{}`", self.src.map().slice(t.span)),
        }
    }

    /// Whether the next tokens start a top-level item that cannot appear in
    /// a block (`route[`, `failure_route`, `modparam`...).
    fn at_top_level_item(&mut self) -> bool {
        match &self.peek().kind {
            TokenKind::Ident(w) if w == "route" => matches!(
                self.peek_nth(1).kind,
                TokenKind::LBracket | TokenKind::LBrace
            ),
            TokenKind::Ident(w) => TOP_LEVEL_WORDS.contains(&w.as_str()),
            _ => false,
        }
    }

    /// Whether the next tokens are `name =`, the start of a global parameter.
    fn at_global_param(&mut self) -> bool {
        matches!(self.peek().kind, TokenKind::Ident(_))
            && matches!(
                self.peek_nth(1).kind,
                TokenKind::Assign(crate::ast::AssignOp::Set)
            )
    }

    /// After a top-level error: skip to the end of the broken item (a `;`,
    /// a closing `}`, or the start of the next item).
    fn recover_top(&mut self, before: usize) {
        let mut depth = 0usize;
        loop {
            let progressed = self.consumed > before;
            match self.peek().kind.clone() {
                TokenKind::Eof => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                _ if depth == 0
                    && progressed
                    && (self.at_top_level_item() || self.at_global_param()) =>
                {
                    return
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// After a statement error: skip past the next `;`, or up to the `}`
    /// that closes the current block, or to a top-level item.
    fn recover_stmt(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek().kind.clone() {
                TokenKind::Eof => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::RBrace if depth == 0 => return,
                TokenKind::RBrace => depth -= 1,
                TokenKind::LBrace => depth += 1,
                _ if depth == 0 && self.at_top_level_item() => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Records an error; asks every open block to unwind once there are too
    /// many.
    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
        if self.diags.len() >= MAX_ERRORS {
            self.unwinding = true;
        }
    }

    /// Enters one level of nesting, refusing past [`MAX_NESTING`].
    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_NESTING {
            let span = self.peek().span;
            return Err(Diagnostic::new(
                span,
                "blocks or expressions nested too deeply",
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}
