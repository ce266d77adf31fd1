//! More core functions, end to end: `assert` with and without `enable_asserts`,
//! `abort_on_assert` and `error_route`; `script_trace` on and off; `get_timestamp`;
//! `construct_uri`; `send` (the received message, no Via added, extra headers); `xdbg`.

use crate::common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;

/// The 1-based line of the first line of the server's configuration containing `needle`.
fn line_of(server: &Server, needle: &str) -> usize {
    let text = std::fs::read_to_string(server.dir.join("test.cfg")).unwrap();
    1 + text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the configuration"))
}

const ASSERT_ROUTES: &str = r#"route {
    assert($hdr(X-Ok) == "yes", "X-Ok must be yes");
    append_to_reply("X-After: yes\r\n");
    sl_send_reply(200, "OK");
}"#;

fn ask(server: &Server, extra: &str) -> Option<String> {
    let c = UdpClient::new();
    c.request(
        server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), extra),
    )
}

#[test]
fn assert_does_nothing_unless_enable_asserts() {
    let server = Server::start(&cfg("", ASSERT_ROUTES));
    let r = ask(&server, "X-Ok: no\r\n").expect("reply");
    assert_eq!(header(&r, "X-After"), Some("yes"), "{r}");
    assert!(!server.log_text().contains("ASSERTION FAILED"));
}

#[test]
fn a_failed_assert_logs_and_runs_error_route() {
    let routes = format!(
        "{ASSERT_ROUTES}\nerror_route {{\n    xlog(\"L_ERR\", \"in error_route class=$err.class rcode=$err.rcode\\n\");\n    sl_send_reply(500, \"Assertion\");\n    exit;\n}}\n"
    );
    let server = Server::start(&cfg("enable_asserts = yes", &routes));
    let r = ask(&server, "X-Ok: yes\r\n").expect("reply");
    assert_eq!(status(&r), 200, "{r}");
    let r = ask(&server, "X-Ok: no\r\n").expect("reply");
    assert_eq!((status(&r), reason(&r)), (500, "Assertion"), "{r}");
    assert_eq!(header(&r, "X-After"), None, "error_route exited: {r}");
    let line = line_of(&server, "assert(");
    let expected = format!(
        "ASSERTION FAILED at {}:{line}: X-Ok must be yes",
        server.dir.join("test.cfg").display()
    );
    assert!(server.wait_log(&expected), "{}", server.log_text());
    assert!(server.wait_log("in error_route class=4 rcode=500"));
}

#[test]
fn without_error_route_the_script_goes_on() {
    let server = Server::start(&cfg("enable_asserts = 1", ASSERT_ROUTES));
    let r = ask(&server, "X-Ok: no\r\n").expect("reply");
    assert_eq!(header(&r, "X-After"), Some("yes"), "{r}");
    assert!(server.wait_log("ASSERTION FAILED"), "{}", server.log_text());
}

#[test]
fn abort_on_assert_ends_the_message_not_the_server() {
    let mut server = Server::start(&cfg(
        "enable_asserts = yes\nabort_on_assert = yes",
        ASSERT_ROUTES,
    ));
    assert_eq!(
        ask(&server, "X-Ok: no\r\n"),
        None,
        "no reply after the assert"
    );
    assert!(server.wait_log("ASSERTION FAILED"), "{}", server.log_text());
    assert!(server.is_running());
    let r = ask(&server, "X-Ok: yes\r\n").expect("still serving");
    assert_eq!(header(&r, "X-After"), Some("yes"), "{r}");
}

#[test]
fn assert_needs_a_condition_and_a_message() {
    let text = cfg("", "route {\n    assert($rU == \"a\");\n}\n").replace("{PORT}", "5999");
    let (out, path) = check_config("assert.cfg", &text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:", path.display()))
            && stderr.contains("assert() takes a condition and a constant message string"),
        "{stderr}"
    );
}

#[test]
fn script_trace_logs_each_statement_until_turned_off() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    xlog("before-trace\n");
    script_trace(3, "$rm ru=$ru", "me");
    $var(x) = 1;
    if ($var(x) == 1) {
        xlog("traced-call\n");
    }
    script_trace();
    xlog("untraced-call\n");
    sl_send_reply(200, "OK");
}"#,
    ));
    let r = ask(&server, "").expect("reply");
    assert_eq!(status(&r), 200);
    assert!(server.wait_log("untraced-call"), "{}", server.log_text());
    let cfg_path = server.dir.join("test.cfg").display().to_string();
    let at = |needle: &str| format!("{cfg_path}:{}", line_of(&server, needle));
    let log = server.log_text();
    let values = " -> (OPTIONS ru=sip:x@127.0.0.1)";
    for expected in [
        format!("[{}][me][assign $var(x)]{values}", at("$var(x) = 1")),
        format!("[{}][me][if]{values}", at("if ($var(x)")),
        format!("[{}][me][function xlog]{values}", at("traced-call")),
        format!(
            "[{}][me][function script_trace]{values}",
            at("script_trace();")
        ),
    ] {
        assert!(log.contains(&expected), "missing {expected:?} in\n{log}");
    }
    for absent in [at("before-trace"), at("untraced-call"), at("sl_send_reply")] {
        assert!(
            !log.contains(&format!("[{absent}]")),
            "{absent} traced:\n{log}"
        );
    }
    // The next message starts untraced.
    ask(&server, "").expect("reply");
    let count = server.log_text().matches("[me][assign $var(x)]").count();
    assert_eq!(count, 2, "traced again only after script_trace() ran again");
}

#[test]
fn get_timestamp_and_construct_uri() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    get_timestamp($avp(sec), $avp(usec));
    $var(proto) = "sip";
    $var(domain) = "example.com";
    $var(port) = "5070";
    construct_uri("$var(proto)", "$hdr(X-User)", "$var(domain)", "$var(port)", "transport=tcp", $avp(uri));
    construct_uri("sips", "", "10.0.0.1", "", "", $var(bare));
    if (!construct_uri("", "a", "b", "", "", $var(none))) {
        append_to_reply("X-No-Scheme: refused\r\n");
    }
    append_to_reply("X-Sec: $avp(sec)\r\nX-Usec: $avp(usec)\r\nX-Uri: $avp(uri)\r\nX-Bare: $var(bare)\r\n");
    sl_send_reply(200, "OK");
}"#,
    ));
    let r = ask(&server, "X-User: alice\r\n").expect("reply");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sec: i64 = header(&r, "X-Sec").unwrap().parse().unwrap();
    assert!((now - sec).abs() <= 5, "{sec} vs {now}");
    let usec: i64 = header(&r, "X-Usec").unwrap().parse().unwrap();
    assert!((0..1_000_000).contains(&usec), "{usec}");
    assert_eq!(
        header(&r, "X-Uri"),
        Some("sip:alice@example.com:5070;transport=tcp"),
        "{r}"
    );
    assert_eq!(header(&r, "X-Bare"), Some("sips:10.0.0.1"), "{r}");
    assert_eq!(header(&r, "X-No-Scheme"), Some("refused"), "{r}");
}

#[test]
fn send_passes_the_received_message_on_unchanged() {
    let hop = NextHop::new();
    let server = Server::start(&cfg(
        "",
        &format!(
            r#"route {{
    append_hf("X-Script-Change: not-sent\r\n");
    if (send("udp:127.0.0.1:{}", "X-Sent: $rm\r\n")) {{
        sl_send_reply(200, "Sent");
    }} else {{
        sl_send_reply(500, "Not sent");
    }}
}}"#,
            hop.port()
        ),
    ));
    let c = UdpClient::new();
    let req = request("MESSAGE", "sip:bob@127.0.0.1", c.port(), "X-Mine: 1\r\n");
    let reply = c.request(&server, &req).expect("reply");
    assert_eq!(status(&reply), 200, "{reply}");
    let (sent, _) = hop.recv(&server);
    let expected = req.replace(
        "Content-Length: 0\r\n",
        "Content-Length: 0\r\nX-Sent: MESSAGE\r\n",
    );
    assert_eq!(sent, expected, "the request as received, plus the headers");
    assert_eq!(headers(&sent, "Via").len(), 1, "no Via added: {sent}");
}

/// `xdbg(format)` logs at L_DBG: only with an `xlog_level` that shows debug lines.
#[test]
fn xdbg_logs_at_debug_level() {
    let routes = r#"route {
    xdbg("xdbg says $rm\n");
    sl_send_reply(200, "OK");
}"#;
    let quiet = Server::start(&cfg("", routes));
    assert!(ask(&quiet, "").is_some());
    let debug = Server::start(&cfg("", routes).replace("xlog_level = 3", "xlog_level = 4"));
    assert!(ask(&debug, "").is_some());
    assert!(debug.wait_log("xdbg says OPTIONS"), "{}", debug.log_text());
    assert!(
        !quiet.log_text().contains("xdbg says"),
        "{}",
        quiet.log_text()
    );
}
