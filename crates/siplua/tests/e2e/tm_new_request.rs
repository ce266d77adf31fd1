//! tm's `t_new_request()` end to end: a request to the script makes siplua originate a new
//! MESSAGE/OPTIONS that a socket of the test receives. Its headers and body are checked
//! exactly (OpenSIPS' formats: `"display URI"`, `"content-type body"`, CSeq 10), it is
//! retransmitted over UDP until answered, it reaches a `;transport=tcp` Request-URI over TCP,
//! bad variable arguments make the call false, bad constant ones fail the load.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::common;

use common::*;

/// The script: an OPTIONS carrying `X-Target` (the Request-URI to use) and `X-Body` makes
/// siplua send a request; the OPTIONS is answered with `rc=<return code>`.
const ROUTES: &str = r#"
route {
    if (is_method("OPTIONS") && $hdr(X-Kind) == "message") {
        t_new_request("MESSAGE", "$hdr(X-Target)", "Alice sip:alice@siplua.test",
            "sip:bob@example.com", "text/plain Hello Bob", "ctx-1");
        sl_send_reply(200, "rc=$rc");
        exit;
    }
    if (is_method("OPTIONS") && $hdr(X-Kind) == "vars") {
        t_new_request("$hdr(X-Method)", "$hdr(X-Target)", "$fu", "Bob $tu", "$hdr(X-Body)");
        sl_send_reply(200, "rc=$rc");
        exit;
    }
    if (is_method("OPTIONS") && $hdr(X-Kind) == "nobody") {
        t_new_request("OPTIONS", "$hdr(X-Target)", "sip:ping@siplua.test", "$hdr(X-Target)");
        sl_send_reply(200, "rc=$rc");
        exit;
    }
    sl_send_reply(404, "Not Here");
}
"#;

fn start() -> Server {
    Server::start(&cfg("loadmodule \"tm.so\"", ROUTES))
}

/// Asks the script to run its `kind` branch with `extra` headers; returns its reason phrase.
fn trigger(server: &Server, kind: &str, extra: &str) -> String {
    let c = UdpClient::new();
    let req = request(
        "OPTIONS",
        "sip:siplua@127.0.0.1",
        c.port(),
        &format!("X-Kind: {kind}\r\n{extra}"),
    );
    let reply = c.ask(server, &req);
    assert_eq!(status(&reply), 200, "{reply}");
    reason(&reply).to_owned()
}

/// The body of a request (after the blank line).
fn body(msg: &str) -> &str {
    msg.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[test]
fn message_has_opensips_headers_and_body_and_ends_on_its_200() {
    let server = start();
    let bob = NextHop::new();
    let target = format!("sip:bob@127.0.0.1:{}", bob.port());
    let rc = trigger(&server, "message", &format!("X-Target: {target}\r\n"));
    assert_eq!(rc, "rc=1");

    let (msg, from) = bob.recv(&server);
    assert!(
        msg.starts_with(&format!("MESSAGE {target} SIP/2.0\r\n")),
        "{msg}"
    );
    let via = headers(&msg, "Via");
    assert_eq!(via.len(), 1, "{msg}");
    assert!(
        via[0].starts_with(&format!(
            "SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK",
            server.addr().port()
        )),
        "{msg}"
    );
    assert_eq!(from, server.addr(), "sent from the listening socket");
    assert_eq!(header(&msg, "Max-Forwards"), Some("70"));
    assert_eq!(
        header(&msg, "To"),
        Some("<sip:bob@example.com>"),
        "no To tag"
    );
    let from_hdr = header(&msg, "From").unwrap();
    let tag = from_hdr
        .strip_prefix("Alice <sip:alice@siplua.test>;tag=")
        .unwrap_or_else(|| panic!("From: {from_hdr}"));
    assert!(
        !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_hexdigit()),
        "{from_hdr}"
    );
    let call_id = header(&msg, "Call-ID").unwrap();
    assert!(!call_id.is_empty(), "{msg}");
    assert_eq!(header(&msg, "CSeq"), Some("10 MESSAGE"));
    assert_eq!(header(&msg, "Content-Type"), Some("text/plain"));
    assert_eq!(header(&msg, "Content-Length"), Some("9"));
    assert_eq!(body(&msg), "Hello Bob");
    assert!(headers(&msg, "Contact").is_empty(), "no Contact: {msg}");

    bob.sock
        .send_to(reply_to(&msg, 200, "OK").as_bytes(), from)
        .unwrap();
    // Answered: no retransmission follows (T1 is 500 ms).
    bob.sock
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    assert_eq!(
        recv_datagram(&bob.sock),
        None,
        "retransmitted after its 200"
    );

    // A second call: a new Call-ID and From tag.
    trigger(&server, "message", &format!("X-Target: {target}\r\n"));
    bob.sock
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let (second, _) = bob.recv(&server);
    assert_ne!(header(&second, "Call-ID"), Some(call_id));
    assert_ne!(header(&second, "From"), Some(from_hdr));
}

#[test]
fn unanswered_request_is_retransmitted_until_answered() {
    let server = start();
    let bob = NextHop::new();
    let target = format!("sip:bob@127.0.0.1:{}", bob.port());
    trigger(&server, "message", &format!("X-Target: {target}\r\n"));
    let (first, _) = bob.recv(&server);
    let sent = Instant::now();
    let (again, from) = bob.recv(&server);
    let after = sent.elapsed();
    assert_eq!(again, first, "a retransmission is the same request");
    assert!(
        after >= Duration::from_millis(400) && after < Duration::from_millis(1500),
        "retransmitted after {after:?}"
    );
    bob.sock
        .send_to(reply_to(&again, 200, "OK").as_bytes(), from)
        .unwrap();
    bob.sock
        .set_read_timeout(Some(Duration::from_millis(2500)))
        .unwrap();
    assert_eq!(
        recv_datagram(&bob.sock),
        None,
        "retransmitted after its 200"
    );
}

#[test]
fn variables_and_a_bodyless_options() {
    let server = start();
    let bob = NextHop::new();
    let target = format!("sip:bob@127.0.0.1:{}", bob.port());
    let rc = trigger(
        &server,
        "vars",
        &format!("X-Method: NOTIFY\r\nX-Target: {target}\r\nX-Body: application/x-test a b  c\r\n"),
    );
    assert_eq!(rc, "rc=1");
    let (msg, from) = bob.recv(&server);
    assert!(
        msg.starts_with(&format!("NOTIFY {target} SIP/2.0\r\n")),
        "{msg}"
    );
    // $fu / $tu of the triggering OPTIONS (common::request's From and To).
    assert!(
        header(&msg, "From")
            .unwrap()
            .starts_with("<sip:alice@example.com>;tag="),
        "{msg}"
    );
    assert_eq!(header(&msg, "To"), Some("Bob <sip:bob@example.com>"));
    assert_eq!(header(&msg, "CSeq"), Some("10 NOTIFY"));
    assert_eq!(header(&msg, "Content-Type"), Some("application/x-test"));
    assert_eq!(body(&msg), "a b  c");
    bob.sock
        .send_to(reply_to(&msg, 200, "OK").as_bytes(), from)
        .unwrap();

    let rc = trigger(&server, "nobody", &format!("X-Target: {target}\r\n"));
    assert_eq!(rc, "rc=1");
    let (ping, from) = bob.recv(&server);
    assert!(
        ping.starts_with(&format!("OPTIONS {target} SIP/2.0\r\n")),
        "{ping}"
    );
    assert_eq!(header(&ping, "Content-Length"), Some("0"));
    assert!(headers(&ping, "Content-Type").is_empty(), "{ping}");
    assert_eq!(body(&ping), "");
    bob.sock
        .send_to(reply_to(&ping, 200, "OK").as_bytes(), from)
        .unwrap();
}

#[test]
fn bad_variable_arguments_make_the_call_false() {
    let server = start();
    let bob = NextHop::new();
    let target = format!("sip:bob@127.0.0.1:{}", bob.port());
    for (method, target, body) in [
        ("MESSAGE", target.as_str(), "no-content-type"),
        ("INVITE", target.as_str(), "text/plain x"),
        ("MESSAGE", "not a uri", "text/plain x"),
    ] {
        let rc = trigger(
            &server,
            "vars",
            &format!("X-Method: {method}\r\nX-Target: {target}\r\nX-Body: {body}\r\n"),
        );
        assert_eq!(rc, "rc=-1", "{method} {target} {body}");
    }
    bob.sock
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(recv_datagram(&bob.sock), None, "nothing was sent");
    assert!(server.log_text().contains("t_new_request:"), "logged");
    // The server goes on.
    assert_eq!(
        trigger(&server, "message", &format!("X-Target: {target}\r\n")),
        "rc=1"
    );
}

#[test]
fn transport_tcp_request_uri_is_reached_over_tcp() {
    let server = start();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!(
        "sip:bob@127.0.0.1:{};transport=tcp",
        listener.local_addr().unwrap().port()
    );
    assert_eq!(
        trigger(&server, "message", &format!("X-Target: {target}\r\n")),
        "rc=1"
    );
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "closed: {head}");
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    assert!(
        head.starts_with(&format!("MESSAGE {target} SIP/2.0\r\n")),
        "{head}"
    );
    assert!(
        header(&head, "Via").unwrap().starts_with("SIP/2.0/TCP "),
        "{head}"
    );
    let len: usize = header(&head, "Content-Length").unwrap().parse().unwrap();
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).unwrap();
    assert_eq!(body, b"Hello Bob");
}

/// `siplua -c` on a script calling `t_new_request` with `args` fails with `message` at the
/// call's line (5).
fn load_error(name: &str, args: &str, message: &str) {
    let text = format!(
        "loadmodule \"proto_udp.so\"\nloadmodule \"tm.so\"\nsocket = udp:127.0.0.1:5999\n\
         route {{\n    t_new_request({args});\n}}\n"
    );
    let (out, path) = check_config(&format!("{name}.cfg"), &text);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: loaded:\n{stderr}");
    let at = format!("{}:5:", path.display());
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&at) && l.contains(message)),
        "{name}: expected {at}... {message}\n{stderr}"
    );
}

#[test]
fn bad_constant_arguments_are_load_errors() {
    let ok = r#""sip:a@x", "sip:b@x""#;
    load_error(
        "nr_method",
        &format!(r#""BAD METHOD", "sip:b@x", {ok}"#),
        "bad method",
    );
    load_error(
        "nr_invite",
        &format!(r#""INVITE", "sip:b@x", {ok}"#),
        "not supported",
    );
    load_error(
        "nr_ruri",
        &format!(r#""MESSAGE", "b@x", {ok}"#),
        "Request-URI",
    );
    load_error(
        "nr_from",
        r#""MESSAGE", "sip:b@x", "Alice alice", "sip:b@x""#,
        "from: bad URI",
    );
    load_error(
        "nr_body",
        &format!(r#""MESSAGE", "sip:b@x", {ok}, "Hello""#),
        "content type",
    );
    load_error("nr_route", "", "takes");
    // A good call loads.
    let (out, _) = check_config(
        "nr_ok.cfg",
        "loadmodule \"proto_udp.so\"\nloadmodule \"tm.so\"\nsocket = udp:127.0.0.1:5999\n\
         route {\n    t_new_request(\"MESSAGE\", \"sip:b@x\", \"sip:a@x\", \"sip:b@x\", \
         \"text/plain hi\", \"c\");\n}\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn not_allowed_in_timer_routes() {
    let (out, _) = check_config(
        "nr_timer.cfg",
        "loadmodule \"proto_udp.so\"\nloadmodule \"tm.so\"\nsocket = udp:127.0.0.1:5999\n\
         route { exit; }\ntimer_route[ping, 10] {\n    t_new_request(\"OPTIONS\", \"sip:b@x\", \
         \"sip:a@x\", \"sip:b@x\");\n}\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not allowed in"), "{stderr}");
}
