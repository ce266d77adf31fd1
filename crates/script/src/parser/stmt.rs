//! Statements and blocks.
//!
//! Simple statements end in `;` (OpenSIPS requires it); a `;` on its own is
//! an empty statement, which also makes `};` after a block legal. A bare
//! `{ ... }` inside a block is spliced into it (there are no scopes).

use super::{PResult, Parser};
use crate::ast::{Block, Call, Case, Expr, Stmt, StmtKind};
use crate::error::Diagnostic;
use crate::lexer::TokenKind;
use crate::span::Span;

impl Parser {
    /// `{ statements }`; returns the statements and the span of the braces.
    /// A missing `}` is reported at the `{` it should close.
    pub(super) fn block(&mut self) -> PResult<(Block, Span)> {
        let open = self.expect(&TokenKind::LBrace, "`{`")?;
        self.enter()?;
        let mut stmts = Vec::new();
        let result = loop {
            if self.unwinding {
                break Ok(());
            }
            if self.at(&TokenKind::RBrace) {
                self.bump();
                break Ok(());
            }
            if self.at_block_end(open) {
                break Ok(());
            }
            self.stmt_recovering(&mut stmts);
        };
        self.leave();
        result.map(|()| (stmts, open.to(self.prev_end)))
    }

    /// At the end of file or at a top-level item while a block is open:
    /// reports the unclosed `{` and starts unwinding.
    fn at_block_end(&mut self, open: Span) -> bool {
        let what = if self.at(&TokenKind::Eof) {
            "end of file".to_string()
        } else if self.at_top_level_item() {
            self.describe_next()
        } else {
            return false;
        };
        self.report(Diagnostic::new(
            open,
            format!("unclosed `{{`: expected `}}` before {what}"),
        ));
        self.unwinding = true;
        true
    }

    /// One statement into `out`; on error, reports it and skips past it.
    fn stmt_recovering(&mut self, out: &mut Block) {
        if let Err(d) = self.stmt_into(out) {
            self.report(d);
            self.recover_stmt();
        }
    }

    /// Parses one statement and appends it (nothing for `;`, several for a
    /// spliced bare block).
    fn stmt_into(&mut self, out: &mut Block) -> PResult<()> {
        let t = self.peek().clone();
        let word = match &t.kind {
            TokenKind::Semi => {
                self.bump();
                return Ok(());
            }
            TokenKind::LBrace => {
                let (b, _) = self.block()?;
                out.extend(b);
                return Ok(());
            }
            TokenKind::Pv(_) => {
                out.push(self.assignment()?);
                return Ok(());
            }
            TokenKind::Ident(w) => w.clone(),
            _ => return Err(self.unexpected("a statement")),
        };
        self.enter()?;
        let stmt = match word.as_str() {
            "if" => self.if_stmt(),
            "while" => self.while_stmt(),
            "for" => self.for_stmt(),
            "switch" => self.switch_stmt(),
            "exit" => self.bare_keyword(StmtKind::Exit),
            "drop" => self.bare_keyword(StmtKind::Drop),
            "break" => self.bare_keyword(StmtKind::Break),
            "return" => self.return_stmt(),
            "async" if self.peek_nth(1).kind == TokenKind::LParen => self.async_stmt(),
            "launch" if self.peek_nth(1).kind == TokenKind::LParen => self.launch_stmt(),
            "else" => Err(Diagnostic::new(t.span, "`else` without a matching `if`")),
            "case" | "default" => Err(Diagnostic::new(
                t.span,
                format!("`{word}` outside of a `switch`"),
            )),
            _ => self.call_stmt(),
        };
        self.leave();
        out.push(stmt?);
        Ok(())
    }

    /// `exit;`, `drop;`, `break;` (also `exit();`).
    fn bare_keyword(&mut self, kind: StmtKind) -> PResult<Stmt> {
        let start = self.bump().span;
        if kind != StmtKind::Break && self.eat(&TokenKind::LParen) {
            self.expect(&TokenKind::RParen, "`)`")?;
        }
        let end = self.expect_semi()?;
        Ok(Stmt {
            kind,
            span: start.to(end),
        })
    }

    /// `return;`, `return(expr);`, `return expr;`.
    fn return_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let value = if self.at(&TokenKind::Semi) {
            None
        } else {
            Some(self.expr()?)
        };
        let end = self.expect_semi()?;
        Ok(Stmt {
            kind: StmtKind::Return(value),
            span: start.to(end),
        })
    }

    /// `if (cond) branch [else branch]`; `else if` nests.
    fn if_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let cond = self.paren_cond("if")?;
        let then = self.branch()?;
        let otherwise = if self.at_word("else") {
            self.bump();
            if self.at_word("if") {
                let mut b = Vec::new();
                self.stmt_into(&mut b)?;
                Some(b)
            } else {
                Some(self.branch()?)
            }
        } else {
            None
        };
        Ok(Stmt {
            kind: StmtKind::If {
                cond,
                then,
                otherwise,
            },
            span: start.to(self.prev_end),
        })
    }

    /// `while (cond) branch`.
    fn while_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let cond = self.paren_cond("while")?;
        let body = self.branch()?;
        Ok(Stmt {
            kind: StmtKind::While { cond, body },
            span: start.to(self.prev_end),
        })
    }

    /// `for ($var(v) in $(avp(list)[*])) branch`.
    fn for_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        self.expect(&TokenKind::LParen, "`(` after `for`")?;
        let var = self.expect_pv("a loop variable like `$var(v)`")?;
        if !self.at_word("in") {
            return Err(self.unexpected("`in`"));
        }
        self.bump();
        let iter = self.expect_pv("a pseudo-variable to iterate over")?;
        self.expect(&TokenKind::RParen, "`)`")?;
        let body = self.branch()?;
        Ok(Stmt {
            kind: StmtKind::For { var, iter, body },
            span: start.to(self.prev_end),
        })
    }

    fn expect_pv(&mut self, what: &str) -> PResult<crate::pv::PvSpec> {
        if let TokenKind::Pv(spec) = &self.peek().kind {
            let spec = spec.clone();
            self.bump();
            return Ok(spec);
        }
        Err(self.unexpected(what))
    }

    /// `switch (expr) { case v: ... default: ... }`.
    fn switch_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let subject = self.paren_cond("switch")?;
        let open = self.expect(&TokenKind::LBrace, "`{` opening the switch body")?;
        let mut cases: Vec<Case> = Vec::new();
        loop {
            if self.unwinding {
                break;
            }
            if self.at(&TokenKind::RBrace) {
                self.bump();
                break;
            }
            if self.at_block_end(open) {
                break;
            }
            let arm = if self.at_word("case") || self.at_word("default") {
                self.case_label().map(|c| cases.push(c))
            } else {
                match cases.last_mut() {
                    Some(case) => {
                        let mut body = std::mem::take(&mut case.body);
                        self.stmt_recovering(&mut body);
                        if let Some(case) = cases.last_mut() {
                            case.body = body;
                            case.span = case.span.to(self.prev_end);
                        }
                        Ok(())
                    }
                    None => Err(self.unexpected("`case` or `default`")),
                }
            };
            if let Err(d) = arm {
                self.report(d);
                self.recover_stmt();
            }
        }
        Ok(Stmt {
            kind: StmtKind::Switch { subject, cases },
            span: start.to(self.prev_end),
        })
    }

    /// `case value:` or `default:`, with an empty body for now.
    fn case_label(&mut self) -> PResult<Case> {
        let kw = self.bump();
        let value = match kw.kind {
            TokenKind::Ident(w) if w == "case" => Some(self.case_value()?),
            _ => None,
        };
        self.expect(&TokenKind::Colon, "`:`")?;
        Ok(Case {
            value,
            body: Vec::new(),
            span: kw.span.to(self.prev_end),
        })
    }

    /// A case value: a string or a (possibly negative) integer.
    fn case_value(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        match &t.kind {
            TokenKind::Str(_) | TokenKind::Int(_) => self.primary(),
            TokenKind::Op(crate::ast::BinOp::Sub)
                if matches!(self.peek_nth(1).kind, TokenKind::Int(_)) =>
            {
                self.unary()
            }
            _ => Err(self.unexpected("a string or an integer after `case`")),
        }
    }

    /// `( expr )` after `if`, `while` or `switch`.
    fn paren_cond(&mut self, kw: &str) -> PResult<Expr> {
        self.expect(&TokenKind::LParen, &format!("`(` after `{kw}`"))?;
        let e = self.expr()?;
        self.expect(&TokenKind::RParen, "`)`")?;
        Ok(e)
    }

    /// A `{ block }` or a single statement.
    fn branch(&mut self) -> PResult<Block> {
        if self.at(&TokenKind::LBrace) {
            return Ok(self.block()?.0);
        }
        let mut b = Vec::new();
        self.stmt_into(&mut b)?;
        Ok(b)
    }

    /// `$pv op expr;`.
    fn assignment(&mut self) -> PResult<Stmt> {
        let t = self.bump();
        let TokenKind::Pv(target) = t.kind else {
            return Err(Diagnostic::new(t.span, "expected a pseudo-variable"));
        };
        let op = match self.peek().kind {
            TokenKind::Assign(op) => op,
            _ => {
                return Err(self.unexpected(
                    "an assignment operator (`=`, `+=`, `:=`...) after the pseudo-variable",
                ))
            }
        };
        self.bump();
        let value = self.expr()?;
        let end = self.expect_semi()?;
        Ok(Stmt {
            kind: StmtKind::Assign { target, op, value },
            span: t.span.to(end),
        })
    }

    /// `name(args);` or `name;`.
    fn call_stmt(&mut self) -> PResult<Stmt> {
        let t = self.bump();
        let TokenKind::Ident(name) = t.kind else {
            return Err(Diagnostic::new(t.span, "expected a function name"));
        };
        if matches!(self.peek().kind, TokenKind::Assign(_)) {
            return Err(Diagnostic::new(
                t.span,
                format!("cannot assign to `{name}`: only pseudo-variables (`$var({name})`) can be assigned"),
            ));
        }
        let call = if self.at(&TokenKind::LParen) {
            self.call_args(name, t.span)?
        } else {
            Call {
                name,
                args: Vec::new(),
                span: t.span,
            }
        };
        let end = self.expect_semi()?;
        Ok(Stmt {
            kind: StmtKind::Call(call),
            span: t.span.to(end),
        })
    }
}
