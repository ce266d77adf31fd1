//! `async(function(args), resume_route[, timeout]);` and
//! `launch(function(args)[, report_route[, report_param]]);`, the two statements of
//! OpenSIPS 3.x that start a function with a route to run when it is done.

use super::{PResult, Parser};
use crate::ast::{AsyncStmt, Call, Expr, LaunchStmt, RouteRef, Stmt, StmtKind};
use crate::lexer::TokenKind;

impl Parser {
    /// `async(f(args), route[, timeout]);`, at the `async` word.
    pub(super) fn async_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        self.expect(&TokenKind::LParen, "`(` after `async`")?;
        let call = self.started_call("async")?;
        self.expect(
            &TokenKind::Comma,
            "`,` and a resume route after the function",
        )?;
        let resume = self.route_ref("a resume route name")?;
        let timeout = if self.eat(&TokenKind::Comma) {
            Some(self.expr()?)
        } else {
            None
        };
        self.expect(&TokenKind::RParen, "`)` closing `async(`")?;
        let end = self.expect_semi()?;
        Ok(Stmt {
            kind: StmtKind::Async(AsyncStmt {
                call,
                resume,
                timeout,
            }),
            span: start.to(end),
        })
    }

    /// `launch(f(args)[, route[, param]]);`, at the `launch` word.
    pub(super) fn launch_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        self.expect(&TokenKind::LParen, "`(` after `launch`")?;
        let call = self.started_call("launch")?;
        let mut report = None;
        let mut param: Option<Expr> = None;
        if self.eat(&TokenKind::Comma) {
            report = Some(self.route_ref("a report route name")?);
            if self.eat(&TokenKind::Comma) {
                param = Some(self.expr()?);
            }
        }
        self.expect(&TokenKind::RParen, "`)` closing `launch(`")?;
        let end = self.expect_semi()?;
        Ok(Stmt {
            kind: StmtKind::Launch(LaunchStmt {
                call,
                report,
                param,
            }),
            span: start.to(end),
        })
    }

    /// The `f(args)` a statement starts (parentheses required, as in OpenSIPS' grammar).
    fn started_call(&mut self, statement: &str) -> PResult<Call> {
        let t = self.peek().clone();
        let TokenKind::Ident(name) = t.kind else {
            return Err(self.unexpected(&format!("a function call inside `{statement}(`")));
        };
        self.bump();
        if !self.at(&TokenKind::LParen) {
            return Err(self.unexpected(&format!(
                "`(` after `{name}`: `{statement}()` takes a function call"
            )));
        }
        self.call_args(name, t.span)
    }

    /// A route name, bare or quoted.
    fn route_ref(&mut self, what: &str) -> PResult<RouteRef> {
        let t = self.peek().clone();
        let name = match &t.kind {
            TokenKind::Ident(n) | TokenKind::Word(n) => n.clone(),
            TokenKind::Str(s) => {
                let f = s.format(t.span)?;
                if !f.is_literal() {
                    return Err(self.unexpected(what));
                }
                f.text
            }
            _ => return Err(self.unexpected(what)),
        };
        self.bump();
        Ok(RouteRef { name, span: t.span })
    }
}
