//! Module functions, end to end: `sl_send_reply`, `sl_reply_error`, `send_reply` with
//! `append_to_reply` lumps, replies built per RFC 3261 §8.2.6 with `Server:`, `is_method`,
//! `has_totag`, `is_present_hf`, `has_body`, `ruri_has_param`, `mf_process_maxfwd_header`.
//! (`append_hf`, `insert_hf`, `remove_hf` change forwarded requests: see forwarding.rs.)

use crate::common;

use common::*;

#[test]
fn replies_follow_rfc3261_8_2_6_and_carry_server_header() {
    let server = Server::start(&cfg(
        "server_header = \"Server: siplua-test/1\"",
        r#"route {
            if ($rU == "lumps") {
                append_to_reply("X-One: 1\r\n");
                append_to_reply("X-Two: $rU\r\nX-Three: 3\r\n");
                send_reply(202, "Accepted With Lumps");
                exit;
            }
            sl_send_reply(200, "Fine Thanks");
        }"#,
    ));
    let c = UdpClient::new();
    let req = format!(
        "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bK-v1;rport\r\n\
         Via: SIP/2.0/UDP 192.0.2.2:5070;branch=z9hG4bK-v2, SIP/2.0/TCP 192.0.2.3;branch=z9hG4bK-v3\r\n\
         From: \"A\" <sip:a@example.com>;tag=ft\r\n\
         To: <sip:x@example.com>\r\n\
         Call-ID: rfc8-2-6@test\r\n\
         CSeq: 7 OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         Content-Type: text/plain\r\n\
         Content-Length: 4\r\n\r\nbody",
        p = c.port()
    );
    let reply = c.ask(&server, &req);
    assert!(reply.starts_with("SIP/2.0 200 Fine Thanks\r\n"), "{reply}");
    assert_eq!(
        headers(&reply, "Via"),
        vec![
            // The empty rport gets the source port (RFC 3581); the host is the source, so
            // no `received`.
            format!(
                "SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bK-v1;rport={p}",
                p = c.port()
            )
            .as_str(),
            "SIP/2.0/UDP 192.0.2.2:5070;branch=z9hG4bK-v2, SIP/2.0/TCP 192.0.2.3;branch=z9hG4bK-v3"
        ],
        "every Via, in order: {reply}"
    );
    assert_eq!(
        header(&reply, "From"),
        Some("\"A\" <sip:a@example.com>;tag=ft")
    );
    assert_eq!(header(&reply, "Call-ID"), Some("rfc8-2-6@test"));
    assert_eq!(header(&reply, "CSeq"), Some("7 OPTIONS"));
    let to = header(&reply, "To").unwrap();
    assert!(
        to.starts_with("<sip:x@example.com>;tag=") && to.len() > "<sip:x@example.com>;tag=".len(),
        "{reply}"
    );
    assert_eq!(header(&reply, "Server"), Some("siplua-test/1"), "{reply}");
    assert_eq!(header(&reply, "Content-Length"), Some("0"), "{reply}");
    assert_eq!(
        header(&reply, "Content-Type"),
        None,
        "the request body is not echoed: {reply}"
    );
    assert!(reply.ends_with("\r\n\r\n"), "{reply:?}");

    // A To tag already there is kept; the same request gets the same tag.
    let with_tag = req.replace(
        "To: <sip:x@example.com>",
        "To: <sip:x@example.com>;tag=existing",
    );
    let reply = c.ask(&server, &with_tag);
    assert_eq!(
        header(&reply, "To"),
        Some("<sip:x@example.com>;tag=existing"),
        "{reply}"
    );

    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:lumps@127.0.0.1", c.port(), ""),
    );
    assert!(
        reply.starts_with("SIP/2.0 202 Accepted With Lumps\r\n"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-One"), Some("1"), "{reply}");
    assert_eq!(header(&reply, "X-Two"), Some("lumps"), "{reply}");
    assert_eq!(header(&reply, "X-Three"), Some("3"), "{reply}");
}

#[test]
fn no_server_header_unless_configured_and_replies_over_tcp() {
    let server = Server::start(&cfg("", r#"route { sl_send_reply(486, "Busy Here"); }"#));
    let c = UdpClient::new();
    let reply = c.ask(&server, &request("INVITE", "sip:x@127.0.0.1", c.port(), ""));
    assert_eq!(
        (status(&reply), reason(&reply)),
        (486, "Busy Here"),
        "{reply}"
    );
    assert_eq!(header(&reply, "Server"), None, "{reply}");
    let tcp = request("INVITE", "sip:x@127.0.0.1", 1, "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    let reply = tcp_request(&server, tcp.as_bytes()).expect("TCP reply");
    assert_eq!(
        (status(&reply), reason(&reply)),
        (486, "Busy Here"),
        "{reply}"
    );
}

#[test]
fn sl_reply_error_without_an_error_is_500() {
    let server = Server::start(&cfg("", r#"route { sl_reply_error(); }"#));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert_eq!(status(&reply), 500, "{reply}");
}

#[test]
fn message_inspection_functions() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(out) = "";
            if (is_method("OPTIONS")) $var(out) = $var(out) + "options ";
            if (is_method("INVITE|OPTIONS|BYE")) $var(out) = $var(out) + "list ";
            if (!is_method("INVITE|BYE")) $var(out) = $var(out) + "!list ";
            if (is_method("options")) $var(out) = $var(out) + "nocase ";
            if (has_totag()) $var(out) = $var(out) + "totag "; else $var(out) = $var(out) + "!totag ";
            if (is_present_hf("X-Present")) $var(out) = $var(out) + "present ";
            if (is_present_hf("x-present")) $var(out) = $var(out) + "present-nocase ";
            if (!is_present_hf("X-Absent")) $var(out) = $var(out) + "!absent ";
            if (is_present_hf("i")) $var(out) = $var(out) + "compact ";
            if (has_body()) $var(out) = $var(out) + "body "; else $var(out) = $var(out) + "!body ";
            if (has_body("text/plain")) $var(out) = $var(out) + "text ";
            if (!has_body("application/sdp")) $var(out) = $var(out) + "!sdp ";
            if (ruri_has_param("transport")) $var(out) = $var(out) + "transport ";
            if (ruri_has_param("transport", "udp")) $var(out) = $var(out) + "udp ";
            if (!ruri_has_param("transport", "tcp")) $var(out) = $var(out) + "!tcp ";
            if (ruri_has_param("lr")) $var(out) = $var(out) + "lr ";
            if (!ruri_has_param("maddr")) $var(out) = $var(out) + "!maddr";
            append_hf("X-Appended: 1\r\n");
            if (!is_present_hf("X-Appended")) $var(edits) = "edits-not-seen";
            append_to_reply("X-Out: $var(out)\r\nX-Edits: $var(edits)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let with = request(
        "OPTIONS",
        "sip:x@127.0.0.1;transport=udp;lr",
        c.port(),
        "X-Present: yes\r\nContent-Type: text/plain\r\n",
    )
    .replace(
        "To: <sip:bob@example.com>",
        "To: <sip:bob@example.com>;tag=tt",
    )
    .replace("Content-Length: 0\r\n\r\n", "Content-Length: 2\r\n\r\nhi");
    let reply = c.ask(&server, &with);
    assert_eq!(
        header(&reply, "X-Out"),
        Some("options list !list nocase totag present present-nocase !absent compact body text !sdp transport udp !tcp lr !maddr"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Edits"), Some("edits-not-seen"), "{reply}");

    let without = request("OPTIONS", "sip:x@127.0.0.1", c.port(), "");
    let reply = c.ask(&server, &without);
    assert_eq!(
        header(&reply, "X-Out"),
        Some("options list !list nocase !totag !absent compact !body !sdp !tcp !maddr"),
        "{reply}"
    );
}

#[test]
fn maxfwd_return_codes() {
    let server = Server::start(&cfg(
        "modparam(\"maxfwd\", \"max_limit\", 20)",
        r#"route {
            mf_process_maxfwd_header(10);
            append_to_reply("X-Rc: $rc\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let base = request("OPTIONS", "sip:x@127.0.0.1", c.port(), "");
    for (mf, rc) in [
        ("Max-Forwards: 70\r\n", "1"),
        ("", "2"),
        ("Max-Forwards: 0\r\n", "-1"),
        ("Max-Forwards: abc\r\n", "-2"),
    ] {
        let req = base.replace("Max-Forwards: 70\r\n", mf);
        let reply = c.ask(&server, &req);
        if mf == "Max-Forwards: abc\r\n" {
            // A malformed Max-Forwards is rejected before the script runs.
            assert_eq!(status(&reply), 400, "{reply}");
            continue;
        }
        assert_eq!(header(&reply, "X-Rc"), Some(rc), "{mf:?}: {reply}");
    }
}

/// acc's `drop_accounting()` takes back an earlier `do_accounting("log")` of the route: the
/// answered MESSAGE with `X-Drop` leaves no ACC line, the other one does.
#[test]
fn drop_accounting_takes_back_do_accounting() {
    let hop = NextHop::new();
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"\nloadmodule \"acc.so\"\n",
        &format!(
            r#"route {{
                do_accounting("log");
                if (is_present_hf("X-Drop")) {{
                    drop_accounting();
                    xlog("L_INFO", "dropped: $rc $ci\n");
                }}
                t_relay("udp:127.0.0.1:{}");
            }}"#,
            hop.port()
        ),
    ));
    for (call, extra) in [("kept", ""), ("dropped", "X-Drop: 1\r\n")] {
        let c = UdpClient::new();
        let req = request("MESSAGE", "sip:bob@example.com", c.port(), extra).replacen(
            "Call-ID: ",
            &format!("Call-ID: {call}-"),
            1,
        );
        c.send(&server, req.as_bytes());
        let (fwd, from) = hop.recv(&server);
        hop.sock
            .send_to(reply_to(&fwd, 200, "OK").as_bytes(), from)
            .unwrap();
        let answer = c.recv().expect("the 200 relayed");
        assert_eq!(status(&answer), 200, "{answer}");
    }
    assert!(
        server.wait_log("dropped: 1 dropped-"),
        "{}",
        server.log_text()
    );
    assert!(
        server.wait_log("ACC: transaction answered"),
        "{}",
        server.log_text()
    );
    let log = server.log_text();
    let acc_lines: Vec<&str> = log.lines().filter(|l| l.contains("ACC: ")).collect();
    assert_eq!(acc_lines.len(), 1, "{log}");
    assert!(acc_lines[0].contains("call_id=kept-"), "{log}");
}
