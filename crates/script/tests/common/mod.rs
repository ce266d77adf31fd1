//! Helpers shared by the integration tests.
#![allow(dead_code)]

use siplua_script::*;

/// Parses or fails the test with the rendered diagnostics.
pub fn parse(text: &str) -> Script {
    match parse_str("test.cfg", text) {
        Ok((s, _)) => s,
        Err(ds) => panic!(
            "unexpected errors:\n{}",
            ds.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

/// The body of `route { <body> }`.
pub fn body(stmts: &str) -> Block {
    let s = parse(&format!("route {{\n{stmts}\n}}\n"));
    s.routes.into_iter().next().expect("one route").body
}

/// The expression in `if (<cond>) exit;`.
pub fn cond(cond: &str) -> Expr {
    let b = body(&format!("if ({cond}) exit;"));
    match b.into_iter().next().map(|s| s.kind) {
        Some(StmtKind::If { cond, .. }) => cond,
        other => panic!("not an if: {other:?}"),
    }
}

/// The PV of `$x = <pv>;` (right-hand side).
pub fn rhs(value: &str) -> Expr {
    let b = body(&format!("$var(t) = {value};"));
    match b.into_iter().next().map(|s| s.kind) {
        Some(StmtKind::Assign { value, .. }) => value,
        other => panic!("not an assignment: {other:?}"),
    }
}

/// Errors for a broken script, rendered `FILE:LINE:COL: message`.
pub fn errors(text: &str) -> Vec<String> {
    match parse_str("bad.cfg", text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(ds) => ds.iter().map(|d| d.to_string()).collect(),
    }
}

/// A compact rendering of an expression tree, for precedence tests.
pub fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Str(f) => format!("{:?}", f.text),
        ExprKind::Null => "NULL".into(),
        ExprKind::Ident(i) => i.clone(),
        ExprKind::Pv(p) => format!("${}", p.name),
        ExprKind::Call(c) => format!(
            "{}({})",
            c.name,
            c.args.iter().map(sexp).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Not(x) => format!("(! {})", sexp(x)),
        ExprKind::Neg(x) => format!("(neg {})", sexp(x)),
        ExprKind::BitNot(x) => format!("(~ {})", sexp(x)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({:?} {} {})", op, sexp(lhs), sexp(rhs))
        }
    }
}

/// The text a span covers in `text` (single-file parses).
pub fn slice(text: &str, span: Span) -> &str {
    &text[span.start as usize..span.end as usize]
}
