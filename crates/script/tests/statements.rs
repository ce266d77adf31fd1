//! Every statement form.

mod common;
use common::*;
use siplua_script::*;

#[test]
fn if_else_if_else_nests() {
    let b = body(
        r#"if ($var(a) == 1) { xlog("one"); }
        else if ($var(a) == 2) xlog("two");
        else { xlog("other"); exit; }"#,
    );
    assert_eq!(b.len(), 1);
    let StmtKind::If {
        then, otherwise, ..
    } = &b[0].kind
    else {
        panic!()
    };
    assert_eq!(then.len(), 1);
    let otherwise = otherwise.as_ref().expect("else");
    assert_eq!(otherwise.len(), 1, "else-if is one nested If");
    let StmtKind::If {
        then, otherwise, ..
    } = &otherwise[0].kind
    else {
        panic!()
    };
    assert!(matches!(&then[0].kind, StmtKind::Call(c) if c.name == "xlog"));
    let last = otherwise.as_ref().expect("final else");
    assert_eq!(last.len(), 2);
    assert_eq!(last[1].kind, StmtKind::Exit);
}

#[test]
fn while_loop() {
    let b = body("while ($var(i) < 10) { $var(i) += 1; }");
    let StmtKind::While { cond, body } = &b[0].kind else {
        panic!()
    };
    assert_eq!(sexp(cond), "(Lt $var 10)");
    assert!(matches!(
        &body[0].kind,
        StmtKind::Assign {
            op: AssignOp::Add,
            ..
        }
    ));
}

#[test]
fn for_each_loop() {
    let b = body("for ($var(c) in $(ct[*])) xlog(\"$var(c)\");");
    let StmtKind::For { var, iter, body } = &b[0].kind else {
        panic!("{b:?}")
    };
    assert_eq!(var.name, "var");
    assert_eq!(
        (iter.name.as_str(), &iter.index),
        ("ct", &Some(PvIndex::All))
    );
    assert_eq!(body.len(), 1);
}

#[test]
fn switch_cases_default_and_break() {
    let b = body(
        r#"switch ($rm) {
            case "INVITE":
                xlog("inv");
                break;
            case 1:
            case -2:
                xlog("num");
            default:
                exit;
        }"#,
    );
    let StmtKind::Switch { subject, cases } = &b[0].kind else {
        panic!()
    };
    assert!(matches!(&subject.kind, ExprKind::Pv(p) if p.name == "rm"));
    assert_eq!(cases.len(), 4);
    assert!(
        matches!(&cases[0].value, Some(Expr { kind: ExprKind::Str(s), .. }) if s.text == "INVITE")
    );
    assert_eq!(cases[0].body.len(), 2);
    assert_eq!(cases[0].body[1].kind, StmtKind::Break);
    assert_eq!(
        cases[1].value.as_ref().map(|e| &e.kind),
        Some(&ExprKind::Int(1))
    );
    assert!(
        cases[1].body.is_empty(),
        "fall-through case keeps an empty body"
    );
    assert_eq!(
        cases[2].value.as_ref().map(|e| &e.kind),
        Some(&ExprKind::Int(-2))
    );
    assert_eq!(cases[3].value, None);
    assert_eq!(cases[3].body[0].kind, StmtKind::Exit);
}

#[test]
fn every_assignment_operator() {
    let ops = [
        ("=", AssignOp::Set),
        ("+=", AssignOp::Add),
        ("-=", AssignOp::Sub),
        ("*=", AssignOp::Mul),
        ("/=", AssignOp::Div),
        ("%=", AssignOp::Mod),
        ("|=", AssignOp::BitOr),
        ("&=", AssignOp::BitAnd),
        ("^=", AssignOp::BitXor),
        (":=", AssignOp::ColonSet),
    ];
    for (text, op) in ops {
        let b = body(&format!("$avp(a) {text} 1;"));
        assert!(
            matches!(&b[0].kind, StmtKind::Assign { op: o, target, .. } if *o == op && target.name == "avp"),
            "{text}"
        );
    }
}

#[test]
fn assignments_with_strings_and_null() {
    let b = body(r#"$ru = "sip:" + $rU + "@host"; $du = NULL; $avp(b) := "x";"#);
    let StmtKind::Assign { value, .. } = &b[0].kind else {
        panic!()
    };
    assert_eq!(sexp(value), r#"(Add (Add "sip:" $rU) "@host")"#);
    let StmtKind::Assign { value, .. } = &b[1].kind else {
        panic!()
    };
    assert_eq!(value.kind, ExprKind::Null);
    assert!(matches!(
        &b[2].kind,
        StmtKind::Assign {
            op: AssignOp::ColonSet,
            ..
        }
    ));
}

#[test]
fn exit_drop_return_break_forms() {
    let b =
        body("exit; exit(); drop; return; return(1); return(-1); return 2; return $var(x); break;");
    let kinds: Vec<&StmtKind> = b.iter().map(|s| &s.kind).collect();
    assert_eq!(kinds[0], &StmtKind::Exit);
    assert_eq!(kinds[1], &StmtKind::Exit);
    assert_eq!(kinds[2], &StmtKind::Drop);
    assert_eq!(kinds[3], &StmtKind::Return(None));
    let ret = |k: &StmtKind| match k {
        StmtKind::Return(Some(e)) => sexp(e),
        other => panic!("{other:?}"),
    };
    assert_eq!(ret(kinds[4]), "1");
    assert_eq!(ret(kinds[5]), "-1");
    assert_eq!(ret(kinds[6]), "2");
    assert_eq!(ret(kinds[7]), "$var");
    assert_eq!(kinds[8], &StmtKind::Break);
}

#[test]
fn calls_with_and_without_parens() {
    let b = body(
        r#"record_route; t_relay(); route(relay, "a", 1); sl_send_reply(404, "Not here"); async(rest_get("http://x", $var(body)), resume);"#,
    );
    let c = |i: usize| match &b[i].kind {
        StmtKind::Call(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!((c(0).name.as_str(), c(0).args.len()), ("record_route", 0));
    assert_eq!((c(1).name.as_str(), c(1).args.len()), ("t_relay", 0));
    assert_eq!(c(2).args[0].kind, ExprKind::Ident("relay".into()));
    assert_eq!(c(2).args.len(), 3);
    assert_eq!(sexp(&c(3).args[0]), "404");
    let StmtKind::Async(a) = &b[4].kind else {
        panic!("{:?}", b[4].kind);
    };
    assert_eq!(a.call.name, "rest_get");
    assert_eq!(a.call.args.len(), 2);
    assert_eq!(a.resume.name, "resume");
    assert_eq!(a.timeout, None);
}

#[test]
fn async_and_launch_statements() {
    let b = body(
        r#"async(exec("ls", , $var(out)), "done", 5); launch(exec("x")); launch(sleep(1), report, "p");"#,
    );
    let StmtKind::Async(a) = &b[0].kind else {
        panic!("{:?}", b[0].kind);
    };
    assert_eq!((a.call.name.as_str(), a.call.args.len()), ("exec", 3));
    assert_eq!(a.resume.name, "done");
    assert_eq!(a.timeout.as_ref().map(sexp).as_deref(), Some("5"));
    let StmtKind::Launch(l) = &b[1].kind else {
        panic!("{:?}", b[1].kind);
    };
    assert_eq!((l.call.name.as_str(), l.report.is_none()), ("exec", true));
    let StmtKind::Launch(l) = &b[2].kind else {
        panic!("{:?}", b[2].kind);
    };
    assert_eq!(l.report.as_ref().map(|r| r.name.as_str()), Some("report"));
    assert_eq!(l.param.as_ref().map(sexp).as_deref(), Some(r#""p""#));
}

#[test]
fn omitted_arguments_are_null() {
    let b = body(r#"do_routing(, "F"); ds_select_dst(1, 0, , "p"); f(1, );"#);
    let args = |i: usize| match &b[i].kind {
        StmtKind::Call(c) => c.args.iter().map(|a| a.kind.clone()).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(args(0)[0], ExprKind::Null);
    assert_eq!(args(0).len(), 2);
    assert_eq!(args(1)[2], ExprKind::Null);
    assert_eq!(args(1).len(), 4);
    assert_eq!(args(2), [ExprKind::Int(1), ExprKind::Null]);
}

#[test]
fn tolerated_semicolons_and_bare_blocks() {
    let b = body("; if (1) { exit; }; ;; { drop; xlog(\"x\"); } exit;");
    let kinds: Vec<&StmtKind> = b.iter().map(|s| &s.kind).collect();
    assert_eq!(kinds.len(), 4);
    assert!(matches!(kinds[0], StmtKind::If { .. }));
    assert_eq!(kinds[1], &StmtKind::Drop);
    assert!(matches!(kinds[2], StmtKind::Call(_)));
    assert_eq!(kinds[3], &StmtKind::Exit);
}

#[test]
fn statement_spans_cover_the_statement() {
    let text = "route {\n  $var(x) = 1 + 2;\n  if ($var(x)) { exit; }\n}\n";
    let (s, map) = parse_str("t.cfg", text).unwrap();
    let b = &s.routes[0].body;
    assert_eq!(slice(text, b[0].span), "$var(x) = 1 + 2;");
    assert_eq!(slice(text, b[1].span), "if ($var(x)) { exit; }");
    assert_eq!(map.line_col(b[1].span), ("t.cfg", 3, 3));
    assert_eq!(slice(text, s.routes[0].span), &text[..text.len() - 1]);
}
