//! The residential config (in the style of OpenSIPS 3.x's default script)
//! parses into the expected AST.

use siplua_script::*;
use std::path::PathBuf;

fn load() -> (Script, SourceMap) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/residential.cfg");
    match parse_file(&path) {
        Ok(r) => r,
        Err(ds) => panic!("{ds:?}"),
    }
}

fn route<'a>(s: &'a Script, kind: RouteKind, name: Option<&str>) -> &'a RouteDef {
    s.routes
        .iter()
        .find(|r| r.kind == kind && r.name.as_deref() == name)
        .unwrap_or_else(|| panic!("no {kind:?} {name:?}"))
}

/// Every call name in a block, depth first, in source order.
fn calls(block: &Block, out: &mut Vec<String>) {
    fn expr_calls(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Call(c) => {
                out.push(c.name.clone());
                c.args.iter().for_each(|a| expr_calls(a, out));
            }
            ExprKind::Not(x) | ExprKind::Neg(x) | ExprKind::BitNot(x) => expr_calls(x, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                expr_calls(lhs, out);
                expr_calls(rhs, out);
            }
            _ => {}
        }
    }
    for s in block {
        match &s.kind {
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                expr_calls(cond, out);
                calls(then, out);
                if let Some(o) = otherwise {
                    calls(o, out);
                }
            }
            StmtKind::Call(c) => out.push(c.name.clone()),
            _ => {}
        }
    }
}

#[test]
fn globals() {
    let (s, _) = load();
    let g: Vec<(&str, &GlobalValue)> = s
        .globals
        .iter()
        .map(|g| (g.name.as_str(), &g.value))
        .collect();
    assert_eq!(g[0], ("log_level", &GlobalValue::Int(3)));
    assert_eq!(g[2], ("stderror_enabled", &GlobalValue::Bool(false)));
    assert_eq!(
        g[4],
        ("syslog_facility", &GlobalValue::Id("LOG_LOCAL0".into()))
    );
    assert_eq!(g[5], ("udp_workers", &GlobalValue::Int(4)));
    match g[6] {
        ("socket", GlobalValue::Socket(sock)) => {
            assert_eq!(sock.proto.as_deref(), Some("udp"));
            assert_eq!(sock.host, "127.0.0.1");
            assert_eq!(sock.port, Some(5060));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        g[7],
        (
            "mpath",
            &GlobalValue::Str("/usr/local/lib64/opensips/modules/".into())
        )
    );
    assert_eq!(g.len(), 8);
}

#[test]
fn modules_and_params() {
    let (s, map) = load();
    let names: Vec<&str> = s.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "signaling",
            "sl",
            "tm",
            "rr",
            "maxfwd",
            "sipmsgops",
            "mi_fifo",
            "usrloc",
            "registrar",
            "acc",
            "proto_udp"
        ]
    );
    assert_eq!(s.modules[0].path, "signaling.so");
    assert_eq!(
        map.line_col(s.modules[0].span),
        (map.name(s.modules[0].span.file), 48, 1)
    );
    let fr = &s.modparams[0];
    assert_eq!(
        (fr.module.as_str(), fr.param.as_str()),
        ("tm", "fr_timeout")
    );
    assert_eq!(fr.value, Literal::Int(5));
    let mode = s.modparams.iter().find(|p| p.param == "fifo_mode").unwrap();
    // 0666 is decimal 666 for OpenSIPS' lexer too (no octal literals).
    assert_eq!(mode.value, Literal::Int(666));
    let preset = s
        .modparams
        .iter()
        .find(|p| p.param == "working_mode_preset")
        .unwrap();
    assert_eq!(preset.value, Literal::Str("single-instance-no-db".into()));
    assert_eq!(s.modparams.len(), 13);
}

#[test]
fn routes_present() {
    let (s, _) = load();
    let kinds: Vec<(RouteKind, Option<&str>)> = s
        .routes
        .iter()
        .map(|r| (r.kind, r.name.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (RouteKind::Request, None),
            (RouteKind::Request, Some("relay")),
            (RouteKind::Branch, Some("per_branch_ops")),
            (RouteKind::OnReply, Some("handle_nat")),
            (RouteKind::Failure, Some("missed_call")),
        ]
    );
}

#[test]
fn main_route_calls_in_order() {
    let (s, _) = load();
    let mut names = Vec::new();
    calls(&route(&s, RouteKind::Request, None).body, &mut names);
    let expected_prefix = [
        "mf_process_maxfwd_header",
        "send_reply",
        "has_totag",
        "is_method",
        "t_check_trans",
        "t_relay",
        "loose_route",
        "send_reply",
        "is_method",
        "do_accounting",
        "route",
    ];
    assert_eq!(&names[..expected_prefix.len()], expected_prefix);
    assert!(names.contains(&"record_route".to_string()));
    assert!(names.contains(&"lookup".to_string()));
    assert_eq!(names.last().map(String::as_str), Some("route"));
}

#[test]
fn main_route_details() {
    let (s, map) = load();
    let main = &route(&s, RouteKind::Request, None).body;
    // if (!mf_process_maxfwd_header(10)) { send_reply(483,"Too Many Hops"); exit; }
    let StmtKind::If {
        cond,
        then,
        otherwise,
    } = &main[0].kind
    else {
        panic!("{:?}", main[0]);
    };
    assert!(otherwise.is_none());
    let ExprKind::Not(inner) = &cond.kind else {
        panic!("{cond:?}")
    };
    let ExprKind::Call(c) = &inner.kind else {
        panic!()
    };
    assert_eq!(c.name, "mf_process_maxfwd_header");
    assert_eq!(c.args[0].kind, ExprKind::Int(10));
    assert_eq!(then.len(), 2);
    assert_eq!(then[1].kind, StmtKind::Exit);
    let (_, line, col) = map.line_col(main[0].span);
    assert_eq!((line, col), (105, 2));

    // route(relay) inside the has_totag() block: first arg is an identifier.
    let StmtKind::If { then, .. } = &main[1].kind else {
        panic!()
    };
    let StmtKind::Call(r) = &then[then.len() - 2].kind else {
        panic!()
    };
    assert_eq!(r.name, "route");
    assert_eq!(r.args[0].kind, ExprKind::Ident("relay".into()));

    // if (is_myself("$fd")) { } else { ... }: empty then, PV inside the string.
    let StmtKind::If { then, .. } = &main[4].kind else {
        panic!("{:?}", main[4])
    };
    let StmtKind::If {
        cond,
        then: inner_then,
        otherwise,
    } = &then[0].kind
    else {
        panic!()
    };
    assert!(inner_then.is_empty());
    assert!(otherwise.as_ref().is_some_and(|o| o.len() == 1));
    let ExprKind::Call(c) = &cond.kind else {
        panic!()
    };
    let ExprKind::Str(f) = &c.args[0].kind else {
        panic!()
    };
    assert!(matches!(&f.parts[..], [FmtPart::Pv(p)] if p.name == "fd"));

    // The multi-line xlog with $fu/$tu/$ru/$ci.
    let StmtKind::If { then, .. } = &main[5].kind else {
        panic!()
    };
    let StmtKind::Call(x) = &then[0].kind else {
        panic!()
    };
    assert_eq!(x.name, "xlog");
    let ExprKind::Str(f) = &x.args[1].kind else {
        panic!()
    };
    let pvs: Vec<&str> = f
        .parts
        .iter()
        .filter_map(|p| match p {
            FmtPart::Pv(p) => Some(p.name.as_str()),
            FmtPart::Text(_) => None,
        })
        .collect();
    assert_eq!(pvs, ["fu", "tu", "ru", "ci"]);
    // The PV span points into the file, where "$tu" is written.
    let FmtPart::Pv(tu) = &f.parts[3] else {
        panic!()
    };
    assert_eq!(map.slice(tu.span), "$tu");

    // if ($rU==NULL)
    let null_check = main
        .iter()
        .find_map(|s| match &s.kind {
            StmtKind::If { cond, .. } => match &cond.kind {
                ExprKind::Binary {
                    op: BinOp::Eq,
                    lhs,
                    rhs,
                } if rhs.kind == ExprKind::Null => Some(lhs),
                _ => None,
            },
            _ => None,
        })
        .expect("$rU==NULL");
    assert!(matches!(&null_check.kind, ExprKind::Pv(p) if p.name == "rU"));

    // lookup("location","method-filtering")
    let mut names = Vec::new();
    calls(main, &mut names);
    assert!(names.windows(2).any(|w| w == ["lookup", "t_reply"]));
}

#[test]
fn failure_route() {
    let (s, _) = load();
    let f = &route(&s, RouteKind::Failure, Some("missed_call")).body;
    assert_eq!(f.len(), 2, "commented-out block must not count");
    let StmtKind::If { cond, .. } = &f[0].kind else {
        panic!()
    };
    assert!(
        matches!(&cond.kind, ExprKind::Call(c) if c.name == "t_was_cancelled" && c.args.is_empty())
    );
    let StmtKind::If { cond, then, .. } = &f[1].kind else {
        panic!()
    };
    let ExprKind::Call(c) = &cond.kind else {
        panic!()
    };
    assert_eq!(c.name, "t_check_status");
    assert!(matches!(&c.args[0].kind, ExprKind::Str(s) if s.text == "486|408"));
    let StmtKind::Call(x) = &then[0].kind else {
        panic!()
    };
    let ExprKind::Str(f) = &x.args[1].kind else {
        panic!()
    };
    assert!(f
        .parts
        .iter()
        .any(|p| matches!(p, FmtPart::Pv(p) if p.name == "T_reply_code")));
    assert!(f.text.ends_with('\n'), "escape \\n processed");
}

#[test]
fn relay_route() {
    let (s, _) = load();
    let r = &route(&s, RouteKind::Request, Some("relay")).body;
    assert_eq!(r.len(), 3);
    assert_eq!(r[2].kind, StmtKind::Exit);
    let StmtKind::If { then, .. } = &r[0].kind else {
        panic!()
    };
    let names: Vec<&str> = then
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Call(c) => c.name.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["t_on_branch", "t_on_reply", "t_on_failure"]);
}
