//! Load errors: `siplua -c -f bad.cfg` exits non-zero and prints `FILE:LINE:COL: message` for
//! every kind of mistake the loader catches, before any socket opens.

use crate::common;

use common::*;

/// The first lines of every test configuration (so positions below are predictable):
/// line 1-3.
const HEAD: &str =
    "loadmodule \"proto_udp.so\"\nloadmodule \"sl.so\"\nsocket = udp:127.0.0.1:5999\n";

/// Checks `HEAD + body` and asserts a non-zero exit and an error line starting with
/// `FILE:LINE:COL: message`.
fn assert_error(name: &str, body: &str, line: u32, col: u32, message: &str) {
    let (out, path) = check_config(&format!("{name}.cfg"), &format!("{HEAD}{body}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "{name}: loaded although broken:\n{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "{name}: exit code\n{stderr}");
    let expected = format!("{}:{line}:{col}: {message}", path.display());
    assert!(
        stderr.lines().any(|l| l.starts_with(&expected)),
        "{name}: expected a line starting with\n{expected}\ngot:\n{stderr}"
    );
    assert!(stderr.contains("error(s), not starting"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "{name}: nothing on stdout"
    );
}

#[test]
fn unknown_function() {
    assert_error(
        "unknown_fn",
        "route {\n    nosuch_fn();\n}\n",
        5,
        5,
        "unknown function 'nosuch_fn'",
    );
}

#[test]
fn wrong_argument_count() {
    assert_error(
        "argcount",
        "route {\n    sl_send_reply(200);\n}\n",
        5,
        5,
        "function 'sl_send_reply' takes 2 argument(s), 1 given",
    );
}

#[test]
fn bad_argument_type() {
    assert_error(
        "argtype",
        "route {\n    sl_send_reply(\"abc\", \"OK\");\n}\n",
        5,
        19,
        "argument 1 (code) of 'sl_send_reply': expected an integer, got \"abc\"",
    );
}

#[test]
fn function_not_allowed_in_route_type() {
    assert_error(
        "routetype",
        "route { exit; }\nonreply_route {\n    sl_send_reply(200, \"OK\");\n}\n",
        6,
        5,
        "function 'sl_send_reply' is not allowed in ONREPLY_ROUTE",
    );
    // Also when reached through route(...).
    assert_error(
        "routetype_sub",
        "route { exit; }\nonreply_route {\n    route(answer);\n}\nroute[answer] {\n    sl_send_reply(200, \"OK\");\n}\n",
        9,
        5,
        "function 'sl_send_reply' is not allowed in ONREPLY_ROUTE (reached from onreply_route through route(answer))",
    );
}

#[test]
fn unknown_route() {
    assert_error(
        "unkroute",
        "route {\n    route(missing);\n}\n",
        5,
        11,
        "unknown route 'missing' (no route[missing] is defined)",
    );
}

#[test]
fn unknown_pseudo_variable() {
    assert_error(
        "unkpv",
        "route {\n    $var(x) = $nosuchpv;\n}\n",
        5,
        15,
        "unknown pseudo-variable $nosuchpv",
    );
    assert_error(
        "readonly",
        "route {\n    $ci = \"x\";\n}\n",
        5,
        5,
        "$ci is read-only and cannot be assigned",
    );
}

#[test]
fn unknown_global_parameter() {
    assert_error(
        "unkglobal",
        "bogus_param = 1\nroute { exit; }\n",
        4,
        1,
        "global parameter 'bogus_param': unknown global parameter 'bogus_param'",
    );
}

#[test]
fn unknown_module_lists_available_ones() {
    assert_error(
        "unkmod",
        "loadmodule \"nosuch.so\"\nroute { exit; }\n",
        4,
        1,
        "unknown module 'nosuch' (available: proto_udp, proto_tcp, proto_tls, proto_ws, proto_wss, tls_mgm, tls_openssl, tls_wolfssl, sl, ",
    );
    // The list names every built-in module, the lua module included.
    let (out, _) = check_config(
        "unkmod_list.cfg",
        &format!("{HEAD}loadmodule \"nosuch.so\"\n"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in [
        "tm",
        "registrar",
        "auth_db",
        "dialog",
        "cachedb_local",
        "lua",
    ] {
        assert!(
            stderr.contains(&format!(" {name},")) || stderr.contains(&format!(" {name})")),
            "{name} listed: {stderr}"
        );
    }
}

#[test]
fn unknown_or_mistyped_modparam() {
    assert_error(
        "unkmodparam",
        "loadmodule \"maxfwd.so\"\nmodparam(\"maxfwd\", \"nope\", 1)\nroute { exit; }\n",
        5,
        1,
        "module maxfwd has no parameter 'nope' (it has: max_limit)",
    );
    assert_error(
        "modparam_unloaded",
        "modparam(\"tm\", \"fr_timeout\", 1)\nroute { exit; }\n",
        4,
        1,
        "modparam for module 'tm', which is not loaded",
    );
    assert_error(
        "modparam_type",
        "loadmodule \"maxfwd.so\"\nmodparam(\"maxfwd\", \"max_limit\", \"abc\")\nroute { exit; }\n",
        5,
        1,
        "parameter maxfwd:max_limit expects an integer, got \"abc\"",
    );
    assert_error(
        "modparam_range",
        "loadmodule \"maxfwd.so\"\nmodparam(\"maxfwd\", \"max_limit\", 1000)\nroute { exit; }\n",
        5,
        1,
        "parameter maxfwd:max_limit: max_limit must be 1..256, got 1000",
    );
}

#[test]
fn socket_without_its_proto_module() {
    assert_error(
        "sockproto",
        "socket = tcp:127.0.0.1:5999\nroute { exit; }\n",
        4,
        1,
        "socket 127.0.0.1:5999 needs module proto_tcp: add loadmodule \"proto_tcp.so\"",
    );
}

#[test]
fn module_dependency() {
    // signaling needs sl, which this configuration does not load.
    let (out, path) = check_config(
        "dependency.cfg",
        "loadmodule \"proto_udp.so\"\nloadmodule \"signaling.so\"\nsocket = udp:127.0.0.1:5999\nroute { exit; }\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let want = format!(
        "{}:2:1: module signaling needs module sl: add loadmodule \"sl.so\"",
        path.display()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.lines().any(|l| l == want), "{want}\n{stderr}");
}

#[test]
fn syntax_errors() {
    assert_error(
        "syntax_paren",
        "route {\n    if ($var(x) == 1 {\n        exit;\n    }\n}\n",
        5,
        22,
        "expected `)`, found `{`",
    );
    assert_error(
        "syntax_unclosed",
        "route {\n    exit;\n",
        4,
        7,
        "unclosed `{`",
    );
    assert_error(
        "bad_level",
        "route {\n    xlog(\"L_NOPE\", \"x\");\n}\n",
        5,
        5,
        "function 'xlog': unknown log level 'L_NOPE'",
    );
    assert_error(
        "bad_regex",
        "route {\n    if ($ru =~ \"(\") exit;\n}\n",
        5,
        16,
        "invalid regular expression",
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let (out, path) = check_config(
        "many.cfg",
        &format!("{HEAD}route {{\n    nosuch_a();\n    nosuch_b();\n    $var(x) = $nope;\n}}\n"),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let p = path.display();
    for want in [
        format!("{p}:5:5: unknown function 'nosuch_a'"),
        format!("{p}:6:5: unknown function 'nosuch_b'"),
        format!("{p}:7:15: unknown pseudo-variable $nope"),
    ] {
        assert!(stderr.contains(&want), "missing {want}\n{stderr}");
    }
    assert!(stderr.contains("has 3 error(s)"), "{stderr}");
}

#[test]
fn a_broken_config_does_not_start_the_server() {
    let dir = scratch("nostart");
    let path = dir.join("bad.cfg");
    std::fs::write(&path, format!("{HEAD}route {{\n    nosuch_fn();\n}}\n")).unwrap();
    let out = run_siplua(&["-f", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("started:"));
}
