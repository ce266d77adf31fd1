//! exec and the async()/launch() statements end to end: `exec()` output, input, error and
//! environment capture, its return codes, `time_to_kill`, `async(exec(...), resume)` ending
//! the route and resuming with `$rc`, `launch(...)` with its report route, and the load errors
//! of both statements.

use crate::common;

use std::time::{Duration, Instant};

use common::*;

fn server(globals: &str, routes: &str) -> Server {
    Server::start(&cfg(&format!("loadmodule \"exec.so\"\n{globals}"), routes))
}

fn ask(s: &Server, ruri: &str) -> String {
    let c = UdpClient::new();
    c.ask(s, &request("OPTIONS", ruri, c.port(), ""))
}

#[test]
fn exec_captures_output_input_errors_and_environment() {
    let s = server(
        "",
        r#"route {
    exec("printf %s out-$fU", , $var(out));
    exec("echo line", , $var(nl));
    exec("tr a-z A-Z", "shout $fU", $var(up));
    exec("printf oops >&2; printf fine", , $var(o2), $var(err));
    $avp(env) = "a";
    $avp(env) = "b";
    exec("printf %s-%s \"$$OSIPS_EXEC_0\" \"$$OSIPS_EXEC_1\"", , $var(env), , $avp(env));
    $var(rc) = exec("exit 3");
    $var(empty) = "kept";
    exec("true", , $var(empty));
    $var(noenv) = exec("true", , , , $avp(none));
    append_to_reply("X-Out: $var(out)\r\nX-Nl: $(var(nl){s.len})\r\nX-Up: $var(up)\r\n");
    append_to_reply("X-Err: $var(err)\r\nX-O2: $var(o2)\r\nX-Env: $var(env)\r\n");
    append_to_reply("X-Rc: $var(rc)\r\nX-Empty: $var(empty)\r\nX-Noenv: $var(noenv)\r\n");
    sl_send_reply(200, "OK");
}"#,
    );
    let r = ask(&s, "sip:bob@example.com");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-Out"), Some("out-alice"), "{r}");
    assert_eq!(header(&r, "X-Nl"), Some("5"), "the newline is kept: {r}");
    assert_eq!(header(&r, "X-Up"), Some("SHOUT ALICE"), "{r}");
    assert_eq!(header(&r, "X-Err"), Some("oops"), "{r}");
    assert_eq!(header(&r, "X-O2"), Some("fine"), "{r}");
    assert_eq!(
        header(&r, "X-Env"),
        Some("b-a"),
        "OSIPS_EXEC_0 is $(avp(env)[0]), the last added: {r}"
    );
    assert_eq!(header(&r, "X-Rc"), Some("1"), "exit status is ignored: {r}");
    assert_eq!(header(&r, "X-Empty"), Some("kept"), "{r}");
    assert_eq!(header(&r, "X-Noenv"), Some("-1"), "an empty envavp: {r}");
}

#[test]
fn exec_without_outputs_does_not_wait_and_time_to_kill_stops_it() {
    let dir = scratch("exec_kill");
    let pidfile = dir.join("pid");
    let _ = std::fs::remove_file(&pidfile);
    let s = server(
        "modparam(\"exec\", \"time_to_kill\", 1)\n",
        &format!(
            r#"route {{
    exec("echo $$$$ > {}; exec sleep 30");
    sl_send_reply(200, "OK");
}}"#,
            pidfile.display()
        ),
    );
    let started = Instant::now();
    let r = ask(&s, "sip:bob@example.com");
    assert_eq!(status(&r), 200, "{r}");
    assert!(started.elapsed() < Duration::from_secs(2), "exec() waited");
    let mut pid = String::new();
    for _ in 0..100 {
        pid = std::fs::read_to_string(&pidfile).unwrap_or_default();
        if !pid.trim().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let proc_dir = format!("/proc/{}", pid.trim());
    assert!(!pid.trim().is_empty(), "the command did not run");
    assert!(
        std::path::Path::new(&proc_dir).exists(),
        "the command is running"
    );
    let deadline = Instant::now() + Duration::from_secs(4);
    while std::path::Path::new(&proc_dir).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !std::path::Path::new(&proc_dir).exists(),
        "time_to_kill=1 did not end (and reap) the command"
    );
}

const ASYNC_ROUTES: &str = r#"route {
    $var(trail) = "start";
    if ($rU == "sub") {
        route(go);
        append_to_reply("X-After-Sub: yes\r\n");
        sl_send_reply(500, "after sub");
        exit;
    }
    async(exec("printf %s async-$fU", , $var(out)), resume, 10);
    $var(trail) = "after";
    append_to_reply("X-After: yes\r\n");
    sl_send_reply(500, "after async");
}
route[go] {
    async(exec("exit 7"), resume);
    append_to_reply("X-After-Go: yes\r\n");
}
route[resume] {
    append_to_reply("X-Rc: $rc\r\nX-Out: $var(out)\r\nX-Trail: $var(trail)\r\n");
    sl_send_reply(200, "Resumed");
}"#;

#[test]
fn async_exec_resumes_in_the_resume_route_and_ends_the_script() {
    let s = server("", ASYNC_ROUTES);
    let c = UdpClient::new();
    let r = c.ask(&s, &request("OPTIONS", "sip:bob@example.com", c.port(), ""));
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-Rc"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-Out"), Some("async-alice"), "{r}");
    assert_eq!(header(&r, "X-Trail"), Some("start"), "{r}");
    assert_eq!(
        header(&r, "X-After"),
        None,
        "statements after async() ran: {r}"
    );
    assert!(c.silent_for(300), "a second reply was sent");

    let r = c.ask(&s, &request("OPTIONS", "sip:sub@example.com", c.port(), ""));
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-After-Go"), None, "{r}");
    assert_eq!(header(&r, "X-After-Sub"), None, "the caller went on: {r}");
    assert!(c.silent_for(300), "a second reply was sent");
}

#[test]
fn launch_runs_the_report_route_and_the_script_goes_on() {
    let s = server(
        "",
        r#"route {
    launch(exec("printf %s bg", , $var(bg)), report, "p-$fU");
    $var(after_rc) = $rc;
    launch(exec("true"));
    append_to_reply("X-Report: $var(report)\r\nX-After-Rc: $var(after_rc)\r\n");
    sl_send_reply(200, "Continued");
}
route[report] {
    $var(report) = "$rc:$param(1):$var(bg)";
    exit;
}"#,
    );
    let r = ask(&s, "sip:bob@example.com");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-Report"), Some("1:p-alice:bg"), "{r}");
    assert_eq!(header(&r, "X-After-Rc"), Some("1"), "{r}");
}

/// The first lines of the load-error configurations (lines 1-4).
const HEAD: &str = "loadmodule \"proto_udp.so\"\nloadmodule \"sl.so\"\nloadmodule \"exec.so\"\nsocket = udp:127.0.0.1:5999\n";

#[test]
fn bad_async_and_launch_statements_are_load_errors() {
    for (name, body, line, col, message) in [
        (
            "resume",
            "route {\n    async(exec(\"true\"), nosuch);\n}\n",
            6,
            25,
            "unknown route 'nosuch' (no route[nosuch] is defined)",
        ),
        (
            "report",
            "route {\n    launch(exec(\"true\"), nosuch);\n}\n",
            6,
            26,
            "unknown route 'nosuch' (no route[nosuch] is defined)",
        ),
        (
            "not_async",
            "route {\n    async(sl_send_reply(200, \"x\"), r);\n}\nroute[r] { exit; }\n",
            6,
            11,
            "function 'sl_send_reply' cannot be used in async(): OpenSIPS has no asynchronous version of it",
        ),
        (
            "route_call",
            "route {\n    launch(route(r));\n}\nroute[r] { exit; }\n",
            6,
            12,
            "launch() takes a function, not route()",
        ),
        (
            "timeout",
            "route {\n    async(exec(\"true\"), r, 0);\n}\nroute[r] { exit; }\n",
            6,
            28,
            "async() timeout must be a positive number of seconds",
        ),
        (
            "envavp",
            "route {\n    exec(\"true\", , , , $var(e));\n}\n",
            6,
            5,
            "function 'exec': envavp must be an AVP, got $var(e)",
        ),
    ] {
        let (out, path) = check_config(&format!("async_{name}.cfg"), &format!("{HEAD}{body}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        let expected = format!("{}:{line}:{col}: {message}", path.display());
        assert!(
            stderr.lines().any(|l| l.starts_with(&expected)),
            "{name}: expected a line starting with\n{expected}\ngot:\n{stderr}"
        );
    }
}
