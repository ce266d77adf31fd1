//! Operator precedence and expression forms.

mod common;
use common::*;
use siplua_script::*;

#[test]
fn logical_precedence() {
    assert_eq!(sexp(&cond("a() || b() && c()")), "(Or a() (And b() c()))");
    assert_eq!(sexp(&cond("(a() || b()) && c()")), "(And (Or a() b()) c())");
    assert_eq!(
        sexp(&cond(r#"is_method("INVITE") && !has_totag()"#)),
        r#"(And is_method("INVITE") (! has_totag()))"#
    );
    assert_eq!(
        sexp(&cond("a() and b() or not c()")),
        "(Or (And a() b()) (! c()))"
    );
}

#[test]
fn comparison_binds_looser_than_arithmetic_and_bits() {
    assert_eq!(
        sexp(&cond("$var(a) + 1 == 2 * 3")),
        "(Eq (Add $var 1) (Mul 2 3))"
    );
    assert_eq!(sexp(&cond("$var(f) & 4 == 4")), "(Eq (BitAnd $var 4) 4)");
    assert_eq!(
        sexp(&cond("$var(a) == 1 && $var(b) != 2")),
        "(And (Eq $var 1) (Ne $var 2))"
    );
    assert_eq!(
        sexp(&cond(r#"$ru =~ "^sip:" || $ru !~ "x""#)),
        r#"(Or (Match $ru "^sip:") (NotMatch $ru "x"))"#
    );
    assert_eq!(
        sexp(&cond("1 < 2 && 3 > 4 && 5 <= 6 && 7 >= 8")),
        "(And (And (And (Lt 1 2) (Gt 3 4)) (Le 5 6)) (Ge 7 8))"
    );
}

#[test]
fn bitwise_and_shift_levels() {
    assert_eq!(
        sexp(&rhs("1 | 2 ^ 3 & 4")),
        "(BitOr 1 (BitXor 2 (BitAnd 3 4)))"
    );
    assert_eq!(sexp(&rhs("1 & 2 << 3")), "(BitAnd 1 (Shl 2 3))");
    assert_eq!(sexp(&rhs("1 << 2 + 3")), "(Shl 1 (Add 2 3))");
    assert_eq!(sexp(&rhs("16 >> 2")), "(Shr 16 2)");
}

#[test]
fn arithmetic_is_left_associative() {
    assert_eq!(sexp(&rhs("1 - 2 - 3")), "(Sub (Sub 1 2) 3)");
    assert_eq!(sexp(&rhs("8 / 2 % 3 * 4")), "(Mul (Mod (Div 8 2) 3) 4)");
    assert_eq!(sexp(&rhs("1 + 2 * 3 - 4")), "(Sub (Add 1 (Mul 2 3)) 4)");
}

#[test]
fn unary_operators() {
    assert_eq!(sexp(&rhs("-5")), "-5");
    assert_eq!(sexp(&rhs("-$var(x)")), "(neg $var)");
    assert_eq!(sexp(&rhs("~$var(x) & 0xff")), "(BitAnd (~ $var) 255)");
    assert_eq!(sexp(&cond("!!a()")), "(! (! a()))");
    assert_eq!(sexp(&rhs("2 - -1")), "(Sub 2 -1)");
    assert_eq!(sexp(&cond("!$var(a) == 1")), "(Eq (! $var) 1)");
}

#[test]
fn operands() {
    assert_eq!(rhs("NULL").kind, ExprKind::Null);
    assert_eq!(rhs("0x10").kind, ExprKind::Int(16));
    assert_eq!(rhs("'single'").kind, rhs("\"single\"").kind);
    assert_eq!(sexp(&cond("src_ip == 10.0.0.1")), "(Eq src_ip 10.0.0.1)");
    assert_eq!(sexp(&cond("uri == myself")), "(Eq uri myself)");
    assert_eq!(sexp(&cond("has_totag")), "has_totag");
}

#[test]
fn expression_spans() {
    let text = "route {\n if ($var(a) + 1 == 2 && f(\"x\")) exit;\n}";
    let (s, _) = parse_str("t", text).unwrap();
    let StmtKind::If { cond, .. } = &s.routes[0].body[0].kind else {
        panic!()
    };
    assert_eq!(slice(text, cond.span), "$var(a) + 1 == 2 && f(\"x\")");
    let ExprKind::Binary { lhs, rhs, .. } = &cond.kind else {
        panic!()
    };
    assert_eq!(slice(text, lhs.span), "$var(a) + 1 == 2");
    assert_eq!(slice(text, rhs.span), "f(\"x\")");
    let parens = rhs_paren_span();
    assert_eq!(parens, "(1 + 2)");
}

fn rhs_paren_span() -> String {
    let text = "route { $var(a) = (1 + 2) * 3; }";
    let (s, _) = parse_str("t", text).unwrap();
    let StmtKind::Assign { value, .. } = &s.routes[0].body[0].kind else {
        panic!()
    };
    let ExprKind::Binary { lhs, .. } = &value.kind else {
        panic!()
    };
    slice(text, lhs.span).to_string()
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        "route {{ $var(a) = {}1{}; }}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let errs = errors(&deep);
    assert!(errs[0].contains("nested too deeply"), "{errs:?}");
    let deep = format!("route {{ {} exit; }}", "if (1) ".repeat(5000));
    assert!(errors(&deep)[0].contains("nested too deeply"));
    let deep = format!("route {{ $var(a) = {}1; }}", "!".repeat(5000));
    assert!(errors(&deep)[0].contains("nested too deeply"));
}
