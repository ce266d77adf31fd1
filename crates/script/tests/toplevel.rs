//! Global parameters, sockets, loadmodule, modparam and route headers.

mod common;
use common::*;
use siplua_script::*;

fn global(text: &str) -> GlobalValue {
    let s = parse(text);
    assert_eq!(s.globals.len(), 1, "{:?}", s.globals);
    s.globals.into_iter().next().map(|g| g.value).unwrap()
}

fn socket(text: &str) -> SocketSpec {
    match global(text) {
        GlobalValue::Socket(s) => s,
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn global_values() {
    assert_eq!(global("children=4"), GlobalValue::Int(4));
    assert_eq!(global("log_level = -1"), GlobalValue::Int(-1));
    assert_eq!(global("tos = 0x10"), GlobalValue::Int(16));
    assert_eq!(global("debug_mode=yes"), GlobalValue::Bool(true));
    assert_eq!(global("dns = off"), GlobalValue::Bool(false));
    assert_eq!(global("auto_aliases = TRUE"), GlobalValue::Bool(true));
    assert_eq!(
        global("log_facility = LOG_LOCAL0 # comment"),
        GlobalValue::Id("LOG_LOCAL0".into())
    );
    assert_eq!(
        global("advertised_address = 1.2.3.4"),
        GlobalValue::Id("1.2.3.4".into())
    );
    assert_eq!(
        global("advertised_address=sip.example.com;"),
        GlobalValue::Id("sip.example.com".into())
    );
    assert_eq!(
        global(r#"server_header="Server: x""#),
        GlobalValue::Str("Server: x".into())
    );
    assert_eq!(
        global("user_agent_header='UA'"),
        GlobalValue::Str("UA".into())
    );
    assert_eq!(
        global(r#"x = "a", 2"#),
        GlobalValue::List(vec![GlobalValue::Str("a".into()), GlobalValue::Int(2)])
    );
}

#[test]
fn global_span_and_order() {
    let text = "a=1\nb = \"x\"\n";
    let (s, map) = parse_str("g.cfg", text).unwrap();
    assert_eq!(s.globals[1].name, "b");
    assert_eq!(slice(text, s.globals[1].span), "b = \"x\"");
    assert_eq!(map.line_col(s.globals[1].span), ("g.cfg", 2, 1));
}

#[test]
fn socket_forms() {
    let s = socket("socket=udp:127.0.0.1:5060");
    assert_eq!(
        (s.proto.as_deref(), s.host.as_str(), s.port),
        (Some("udp"), "127.0.0.1", Some(5060))
    );
    let s = socket("listen = tcp:*:5060");
    assert_eq!(
        (s.proto.as_deref(), s.host.as_str(), s.port),
        (Some("tcp"), "*", Some(5060))
    );
    let s = socket("socket=udp:eth0:5060");
    assert_eq!((s.proto.as_deref(), s.host.as_str()), (Some("udp"), "eth0"));
    let s = socket("listen=127.0.0.1");
    assert_eq!(
        (s.proto.as_deref(), s.host.as_str(), s.port),
        (None, "127.0.0.1", None)
    );
    let s = socket("listen=[::1]:5060");
    assert_eq!(
        (s.proto.as_deref(), s.host.as_str(), s.port),
        (None, "::1", Some(5060))
    );
    let s = socket("listen=tls:[2001:db8::1]:5061");
    assert_eq!(
        (s.proto.as_deref(), s.host.as_str(), s.port),
        (Some("tls"), "2001:db8::1", Some(5061))
    );
    let s = socket("socket=udp:example.com");
    assert_eq!(
        (s.proto.as_deref(), s.host.as_str(), s.port),
        (Some("udp"), "example.com", None)
    );
    let s = socket("socket=udp:10.0.0.1:5060 as 1.2.3.4:5080 use_workers 2 anycast");
    assert_eq!(s.advertised, Some(("1.2.3.4".into(), Some(5080))));
    assert_eq!(
        s.options,
        [
            ("use_workers".to_string(), Some("2".to_string())),
            ("anycast".to_string(), None)
        ]
    );
    let s = socket("alias=udp:example.com:5060");
    assert_eq!((s.host.as_str(), s.port), ("example.com", Some(5060)));
    assert_eq!(
        global(r#"alias="example.com""#),
        GlobalValue::Str("example.com".into())
    );
}

#[test]
fn socket_followed_by_more_globals() {
    let text =
        "socket=udp:1.2.3.4:5060 as 5.6.7.8\nsocket = tcp:1.2.3.4:5060  # c\nudp_workers=2\n";
    let (s, _) = parse_str("s", text).unwrap();
    assert_eq!(s.globals.len(), 3);
    let GlobalValue::Socket(first) = &s.globals[0].value else {
        panic!()
    };
    assert_eq!(first.advertised, Some(("5.6.7.8".into(), None)));
    assert_eq!(slice(text, first.span), "udp:1.2.3.4:5060 as 5.6.7.8");
    assert_eq!(s.globals[2].value, GlobalValue::Int(2));
}

#[test]
fn loadmodule_and_modparam() {
    let s = parse(
        r#"
        mpath = "/usr/lib/opensips/modules"
        loadmodule "/usr/lib/opensips/modules/tm.so"
        loadmodule "sl"
        loadmodule "proto_udp.so";
        modparam("usrloc|registrar", "use_domain", 1)
        modparam("tm", "fr_timeout", -5);
        modparam('acc', "log_extra", "ua=$hdr(User-Agent)")
        "#,
    );
    assert_eq!(s.modules[0].name, "tm");
    assert_eq!(s.modules[0].path, "/usr/lib/opensips/modules/tm.so");
    assert_eq!(s.modules[1].name, "sl");
    assert_eq!(s.modules[2].name, "proto_udp");
    assert_eq!(s.modparams[0].module, "usrloc|registrar");
    assert_eq!(s.modparams[0].value, Literal::Int(1));
    assert_eq!(s.modparams[1].value, Literal::Int(-5));
    assert_eq!(
        s.modparams[2].value,
        Literal::Str("ua=$hdr(User-Agent)".into())
    );
}

#[test]
fn route_headers() {
    let s = parse(
        r#"
        route { exit; }
        route[relay] { exit; }
        route["quoted name"] { exit; }
        route[to-gw.1] { exit; }
        failure_route[missed] { exit; }
        onreply_route { exit; }
        onreply_route[nat] { exit; }
        branch_route[br] { exit; }
        local_route { exit; }
        startup_route { exit; }
        timer_route[cleanup, 60] { exit; }
        error_route { exit; }
        event_route[E_UL_CONTACT_INSERT] { exit; }
        event_route[E_PIKE_BLOCKED, async] { exit; }
        "#,
    );
    let got: Vec<(RouteKind, Option<&str>)> = s
        .routes
        .iter()
        .map(|r| (r.kind, r.name.as_deref()))
        .collect();
    use RouteKind::*;
    assert_eq!(
        got,
        [
            (Request, None),
            (Request, Some("relay")),
            (Request, Some("quoted name")),
            (Request, Some("to-gw.1")),
            (Failure, Some("missed")),
            (OnReply, None),
            (OnReply, Some("nat")),
            (Branch, Some("br")),
            (Local, None),
            (Startup, None),
            (Timer, Some("cleanup")),
            (Error, None),
            (Event, Some("E_UL_CONTACT_INSERT")),
            (Event, Some("E_PIKE_BLOCKED")),
        ]
    );
    assert_eq!(s.routes[10].timer_interval, Some(60));
    assert_eq!(s.routes[12].event_mode, None);
    assert_eq!(s.routes[13].event_mode.as_deref(), Some("async"));
    assert!(s.routes.iter().all(|r| r.body
        == [Stmt {
            kind: StmtKind::Exit,
            span: r.body[0].span
        }]));
}

#[test]
fn comments_everywhere() {
    let s = parse(
        "#!define X 1\n/* block\n comment */ log_level=2 # trailing\nroute { # c\n xlog(\"# not a comment\"); /* c */ }\n",
    );
    assert_eq!(s.globals[0].value, GlobalValue::Int(2));
    let StmtKind::Call(c) = &s.routes[0].body[0].kind else {
        panic!()
    };
    assert!(matches!(&c.args[0].kind, ExprKind::Str(f) if f.text == "# not a comment"));
}

#[test]
fn empty_script() {
    assert_eq!(parse(""), Script::default());
    assert_eq!(parse("# only a comment\n;\n"), Script::default());
}
