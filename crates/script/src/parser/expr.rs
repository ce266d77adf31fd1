//! Expressions, by precedence climbing. From lowest to highest:
//! `||`; `&&`; `== != =~ !~ < > <= >=`; `|`; `^`; `&`; `<< >>`; `+ -`;
//! `* / %`; then unary `! - ~`. OpenSIPS' spelled operators `and`, `or`
//! and `not` are accepted where an operator is expected.

use super::{PResult, Parser};
use crate::ast::{BinOp, Call, Expr, ExprKind};
use crate::lexer::TokenKind;
use crate::span::Span;

/// The binary operator a token stands for, with its precedence (higher
/// binds tighter).
fn binary_op(kind: &TokenKind) -> Option<(BinOp, u8)> {
    let op = match kind {
        TokenKind::Op(op) => *op,
        TokenKind::Ident(w) if w == "and" => BinOp::And,
        TokenKind::Ident(w) if w == "or" => BinOp::Or,
        _ => return None,
    };
    let prec = match op {
        BinOp::Or => 1,
        BinOp::And => 2,
        BinOp::Eq
        | BinOp::Ne
        | BinOp::Match
        | BinOp::NotMatch
        | BinOp::Lt
        | BinOp::Gt
        | BinOp::Le
        | BinOp::Ge => 3,
        BinOp::BitOr => 4,
        BinOp::BitXor => 5,
        BinOp::BitAnd => 6,
        BinOp::Shl | BinOp::Shr => 7,
        BinOp::Add | BinOp::Sub => 8,
        BinOp::Mul | BinOp::Div | BinOp::Mod => 9,
    };
    Some((op, prec))
}

/// Whether a token can begin an operand (decides if `not` is an operator).
fn starts_operand(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Ident(_)
            | TokenKind::Word(_)
            | TokenKind::Int(_)
            | TokenKind::Str(_)
            | TokenKind::Pv(_)
            | TokenKind::LParen
            | TokenKind::Bang
            | TokenKind::Tilde
            | TokenKind::Op(BinOp::Sub)
    )
}

impl Parser {
    /// A full expression.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let e = self.binary(1);
        self.leave();
        e
    }

    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = binary_op(&self.peek().kind) {
            if prec < min_prec {
                break;
            }
            self.bump();
            let rhs = self.binary(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        Ok(lhs)
    }

    /// `!e`, `not e`, `-e` (folded into a negative literal), `~e`, or a
    /// primary.
    pub(super) fn unary(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        let make: fn(Box<Expr>) -> ExprKind = match &t.kind {
            TokenKind::Bang => ExprKind::Not,
            TokenKind::Tilde => ExprKind::BitNot,
            TokenKind::Op(BinOp::Sub) => ExprKind::Neg,
            TokenKind::Ident(w) if w == "not" && starts_operand(&self.peek_nth(1).kind) => {
                ExprKind::Not
            }
            _ => return self.primary(),
        };
        self.bump();
        self.enter()?;
        let operand = self.unary();
        self.leave();
        let operand = operand?;
        let span = t.span.to(operand.span);
        if let (TokenKind::Op(BinOp::Sub), ExprKind::Int(n)) = (&t.kind, &operand.kind) {
            if let Some(neg) = n.checked_neg() {
                return Ok(Expr {
                    kind: ExprKind::Int(neg),
                    span,
                });
            }
        }
        Ok(Expr {
            kind: make(Box::new(operand)),
            span,
        })
    }

    /// Literals, PVs, names, calls and parenthesised expressions.
    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        let kind = match t.kind {
            TokenKind::Int(n) => ExprKind::Int(n),
            TokenKind::Word(w) => ExprKind::Ident(w),
            TokenKind::Str(s) => ExprKind::Str(s.format(t.span)?),
            TokenKind::Pv(p) => ExprKind::Pv(p),
            TokenKind::Ident(w) if w == "NULL" || w == "null" => ExprKind::Null,
            TokenKind::Ident(name) => {
                self.bump();
                if self.at(&TokenKind::LParen) {
                    let call = self.call_args(name, t.span)?;
                    let span = call.span;
                    return Ok(Expr {
                        kind: ExprKind::Call(call),
                        span,
                    });
                }
                return Ok(Expr {
                    kind: ExprKind::Ident(name),
                    span: t.span,
                });
            }
            TokenKind::LParen => {
                self.bump();
                let inner = self.expr()?;
                let close = self.expect(&TokenKind::RParen, "`)`")?;
                return Ok(Expr {
                    kind: inner.kind,
                    span: t.span.to(close),
                });
            }
            _ => return Err(self.unexpected("an expression")),
        };
        self.bump();
        Ok(Expr { kind, span: t.span })
    }

    /// `( arg, arg... )` after a function name.
    pub(super) fn call_args(&mut self, name: String, name_span: Span) -> PResult<Call> {
        self.expect(&TokenKind::LParen, "`(`")?;
        let mut args = Vec::new();
        if SOCKET_ARG_FUNCTIONS.contains(&name.as_str()) && self.at_bare_socket() {
            args.push(self.bare_socket_arg()?);
        } else if !self.at(&TokenKind::RParen) {
            loop {
                args.push(self.argument()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
        }
        let close = self.expect(&TokenKind::RParen, "`,` or `)` in the argument list")?;
        Ok(Call {
            name,
            args,
            span: name_span.to(close),
        })
    }

    /// One argument of a call; an omitted one (`f(, "x")`, `f(1, , 2)`, `f(1, )`) is `NULL`,
    /// which functions read as not given, as OpenSIPS' grammar allows.
    fn argument(&mut self) -> PResult<Expr> {
        if self.at(&TokenKind::Comma) || self.at(&TokenKind::RParen) {
            let span = self.peek().span;
            return Ok(Expr {
                kind: ExprKind::Null,
                span,
            });
        }
        self.expr()
    }

    /// Whether the argument ahead is written as a bare socket (`udp:10.0.0.1:5060`), not as a
    /// string or a variable.
    fn at_bare_socket(&mut self) -> bool {
        !matches!(
            self.peek().kind,
            TokenKind::Str(_) | TokenKind::Pv(_) | TokenKind::RParen
        )
    }

    /// A bare socket argument, read as `socket=` values are, turned into the word
    /// `proto:host:port` (IPv6 hosts in brackets) that the function reads at run time.
    fn bare_socket_arg(&mut self) -> PResult<Expr> {
        let spec = self.socket_spec()?;
        let mut text = String::new();
        if let Some(proto) = &spec.proto {
            text.push_str(proto);
            text.push(':');
        }
        if spec.host.contains(':') {
            text.push('[');
            text.push_str(&spec.host);
            text.push(']');
        } else {
            text.push_str(&spec.host);
        }
        if let Some(port) = spec.port {
            text.push(':');
            text.push_str(&port.to_string());
        }
        Ok(Expr {
            kind: ExprKind::Ident(text),
            span: spec.span,
        })
    }
}

/// Functions whose argument OpenSIPS' grammar lets be a bare socket
/// (`force_send_socket(udp:10.0.0.1:5060)`).
const SOCKET_ARG_FUNCTIONS: &[&str] = &["force_send_socket"];
