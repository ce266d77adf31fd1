//! Core functions, end to end: `xlog`/`log` with levels, message and branch flags (named and
//! numbered), `force_rport`, `force_local_rport`, `is_myself`, `append_branch`, `setport`,
//! `setuserpass`, maxfwd's `is_maxfwd_lt`. (`forward` is in forwarding.rs;
//! `drop`, `exit` and `route` in statements.rs.)

use crate::common;

use std::net::UdpSocket;
use std::time::Duration;

use common::*;

#[test]
fn xlog_and_log_print_at_their_level() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            xlog("default-level ru=[$ru] ci=[$ci]\n");
            xlog("L_ERR", "err-line $rm\n");
            xlog("L_WARN", "warn-line\n");
            xlog("L_NOTICE", "notice-line\n");
            xlog("L_INFO", "info-line fU=[$fU]\n");
            xlog("L_DBG", "debug-line-hidden\n");
            log("L_ERR", "log-err-line\n");
            log("plain-log-line\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert_eq!(status(&reply), 200);
    let ci = header(&reply, "Call-ID").unwrap().to_owned();
    assert!(server.wait_log("plain-log-line"), "{}", server.log_text());
    let log = server.log_text();
    for line in [
        format!("ERROR:script: default-level ru=[sip:x@127.0.0.1] ci=[{ci}]"),
        "ERROR:script: err-line OPTIONS".into(),
        "WARNING:script: warn-line".into(),
        "NOTICE:script: notice-line".into(),
        "INFO:script: info-line fU=[alice]".into(),
        "ERROR:script: log-err-line".into(),
        "ERROR:script: plain-log-line".into(),
    ] {
        assert!(log.contains(&line), "missing {line:?} in\n{log}");
    }
    assert!(
        !log.contains("debug-line-hidden"),
        "L_DBG is above log_level 3:\n{log}"
    );
}

/// OpenSIPS 3.x keeps the script's lines apart: `xlog_level` (not `log_level`) filters
/// `xlog`/`xdbg`, `xlog_print_level` is the level of an `xlog` without one, and
/// `$xlog_level` gives the worker a threshold of its own until it is set to NULL.
#[test]
fn xlog_level_and_log_level_filter() {
    let server = Server::start(&cfg(
        "log_level = 1\nxlog_level = 3\nxlog_print_level = 2",
        r#"route {
            xlog("default-is-notice\n");
            xlog("L_INFO", "info-shown-below-log-level\n");
            xlog("L_DBG", "dbg-hidden\n");
            xdbg("xdbg-hidden\n");
            $xlog_level = 4;
            xdbg("xdbg-shown $xlog_level\n");
            $xlog_level = NULL;
            xlog("L_DBG", "dbg-hidden-again $xlog_level\n");
            xlog("L_WARN", "warn-last\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert!(
        server.wait_log("WARNING:script: warn-last"),
        "{}",
        server.log_text()
    );
    let log = server.log_text();
    assert!(log.contains("NOTICE:script: default-is-notice"), "{log}");
    assert!(
        log.contains("INFO:script: info-shown-below-log-level"),
        "{log}"
    );
    assert!(log.contains("DBG:script: xdbg-shown 4"), "{log}");
    assert!(!log.contains("dbg-hidden"), "{log}");
    assert!(!log.contains("xdbg-hidden"), "{log}");
}

#[test]
fn message_flags_named_and_numbered() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(out) = "";
            setflag(NAT);
            setflag(5);
            if (isflagset(NAT)) $var(out) = $var(out) + "nat ";
            if (isflagset(5)) $var(out) = $var(out) + "5 ";
            if (!isflagset(6)) $var(out) = $var(out) + "!6 ";
            if (!isflagset(OTHER)) $var(out) = $var(out) + "!other ";
            resetflag(NAT);
            resetflag(5);
            if (!isflagset(NAT)) $var(out) = $var(out) + "!nat ";
            if (!isflagset(5)) $var(out) = $var(out) + "!5";
            setflag(1);
            append_to_reply("X-Flags: $var(out)\r\nX-Mf: $sf\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert_eq!(
        header(&reply, "X-Flags"),
        Some("nat 5 !6 !other !nat !5"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-Mf"),
        Some("2"),
        "only flag 1 is left: {reply}"
    );
    // Flags belong to one message: a new request starts with none.
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert_eq!(header(&reply, "X-Mf"), Some("2"), "{reply}");
}

#[test]
fn branch_flags_named_and_numbered() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(out) = "";
            setbflag(NAT_B);
            setbflag(3);
            if (isbflagset(NAT_B)) $var(out) = $var(out) + "nat ";
            if (isbflagset(3, 0)) $var(out) = $var(out) + "3 ";
            append_branch("sip:b1@example.net");
            if (isbflagset(3, 1)) $var(out) = $var(out) + "inherited ";
            resetbflag(3, 1);
            if (!isbflagset(3, 1)) $var(out) = $var(out) + "!3@1 ";
            if (isbflagset(3)) $var(out) = $var(out) + "3@0 ";
            setbflag(7, 1);
            if (isbflagset(7, 1) && !isbflagset(7)) $var(out) = $var(out) + "7@1";
            if (!isbflagset(1, 5)) $var(x) = "no branch 5";
            resetbflag(3);
            append_to_reply("X-BFlags: $var(out)\r\nX-Bf: $bf\r\nX-NoBranch: $var(x)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert_eq!(
        header(&reply, "X-BFlags"),
        Some("nat 3 inherited !3@1 3@0 7@1"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-NoBranch"), Some("no branch 5"), "{reply}");
    // Named flags take bits from the top, so $bf may print as a negative number.
    let bf = header(&reply, "X-Bf").unwrap().parse::<i64>().unwrap() as u64;
    assert_eq!(bf & 0b1000, 0, "bit 3 was reset: {reply}");
    assert_ne!(bf, 0, "the named flag is still set: {reply}");
}

#[test]
fn force_rport_sends_the_reply_to_the_source_port() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            if ($rU == "force") force_rport();
            sl_send_reply(200, "OK");
        }"#,
    ));
    let client = UdpClient::new();
    // The Via names another port, and no rport: RFC 3261 §18.2.2 sends the reply there.
    let via_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    via_sock
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let via_port = via_sock.local_addr().unwrap().port();
    let req = |user: &str| {
        request("OPTIONS", &format!("sip:{user}@127.0.0.1"), via_port, "")
            .replace(";rport\r\n", "\r\n")
    };
    client.send(&server, req("plain").as_bytes());
    let mut buf = [0u8; 4096];
    let (n, _) = via_sock.recv_from(&mut buf).expect("reply at the Via port");
    assert_eq!(status(&String::from_utf8_lossy(&buf[..n])), 200);
    assert!(client.silent_for(200), "not at the source port");

    client.send(&server, req("force").as_bytes());
    let reply = client
        .recv()
        .expect("force_rport: reply at the source port");
    assert_eq!(status(&reply), 200, "{reply}");
}

#[test]
fn is_myself_knows_sockets_and_aliases() {
    let server = Server::start(&cfg(
        "alias = proxy.example.net\nalias = udp:other.example.net:5999",
        r#"route {
            $var(out) = "";
            if (is_myself("sip:x@127.0.0.1:$Rp")) $var(out) = $var(out) + "uri-port ";
            if (is_myself("127.0.0.1")) $var(out) = $var(out) + "host ";
            if (!is_myself("sip:x@127.0.0.1:1")) $var(out) = $var(out) + "!wrong-port ";
            if (!is_myself("sip:x@192.0.2.1")) $var(out) = $var(out) + "!other-ip ";
            if (is_myself("sip:alice@proxy.example.net")) $var(out) = $var(out) + "alias ";
            if (is_myself("other.example.net:5999")) $var(out) = $var(out) + "alias-port ";
            if (!is_myself("other.example.net:5998")) $var(out) = $var(out) + "!alias-port ";
            if (!is_myself("sip:a@nothere.example.net")) $var(out) = $var(out) + "!name ";
            if (is_myself("$ru")) $var(out) = $var(out) + "ruri";
            append_to_reply("X-Myself: $var(out)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let ruri = format!("sip:me@127.0.0.1:{}", server.port);
    let reply = c.ask(&server, &request("OPTIONS", &ruri, c.port(), ""));
    assert_eq!(
        header(&reply, "X-Myself"),
        Some("uri-port host !wrong-port !other-ip alias alias-port !alias-port !name ruri"),
        "{reply}"
    );
}

#[test]
fn append_branch_adds_branches() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(before) = $br;
            append_branch();
            $var(first) = $br;
            append_branch("sip:second@example.net", "0.5");
            $var(second) = $br;
            $ru = "sip:changed@example.org";
            append_branch();
            append_to_reply("X-Before: $var(before)\r\nX-First: $var(first)\r\nX-Second: $var(second)\r\nX-Third: $br\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:orig@127.0.0.1", c.port(), ""),
    );
    assert_eq!(header(&reply, "X-Before"), Some("<null>"), "{reply}");
    assert_eq!(
        header(&reply, "X-First"),
        Some("sip:orig@127.0.0.1"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-Second"),
        Some("sip:second@example.net"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-Third"),
        Some("sip:changed@example.org"),
        "{reply}"
    );
}

#[test]
fn setport_and_setuserpass_rewrite_the_request_uri() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            setport("5071");
            $var(a) = $ru;
            rewriteport("");
            $var(b) = $ru;
            setuserpass("bob:secret");
            $var(c) = $ru;
            rewriteuserpass("carol");
            $var(d) = $ru;
            if (!setport("x")) $var(bad) = "refused"; else $var(bad) = "taken";
            append_to_reply("X-A: $var(a)\r\nX-B: $var(b)\r\nX-C: $var(c)\r\nX-D: $var(d)\r\nX-Bad: $var(bad)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:alice@127.0.0.1;lr", c.port(), ""),
    );
    assert_eq!(
        header(&reply, "X-A"),
        Some("sip:alice@127.0.0.1:5071;lr"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-B"),
        Some("sip:alice@127.0.0.1;lr"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-C"),
        Some("sip:bob:secret@127.0.0.1;lr"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-D"),
        Some("sip:carol@127.0.0.1;lr"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Bad"), Some("refused"), "{reply}");
}

#[test]
fn force_local_rport_puts_rport_in_our_via() {
    let hop = NextHop::new();
    let server = Server::start(&cfg(
        "",
        &format!(
            r#"route {{
                if ($rU == "rport") add_local_rport();
                forward("udp:127.0.0.1:{}");
            }}"#,
            hop.port()
        ),
    ));
    let c = UdpClient::new();
    for (user, wanted) in [("plain", false), ("rport", true)] {
        c.send(
            &server,
            request("OPTIONS", &format!("sip:{user}@127.0.0.1"), c.port(), "").as_bytes(),
        );
        let (fwd, _) = hop.recv(&server);
        let ours = header(&fwd, "Via").expect("our Via on top");
        let params: Vec<&str> = ours.split(';').skip(1).collect();
        assert_eq!(params.contains(&"rport"), wanted, "{user}: {ours}");
        assert!(
            ours.contains(&format!("127.0.0.1:{}", server.port)),
            "{ours}"
        );
    }
}

#[test]
fn is_maxfwd_lt_compares_the_received_value() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            is_maxfwd_lt(10);
            $var(r) = $rc;
            append_to_reply("X-Lt: $var(r)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let ask = |mf: Option<&str>| {
        let mut req = request("OPTIONS", "sip:x@127.0.0.1", c.port(), "");
        req = req.replace("Max-Forwards: 70\r\n", "");
        if let Some(v) = mf {
            req = req.replacen("\r\n", &format!("\r\nMax-Forwards: {v}\r\n"), 1);
        }
        let reply = c.ask(&server, &req);
        header(&reply, "X-Lt").map(str::to_owned)
    };
    assert_eq!(ask(Some("3")).as_deref(), Some("1"));
    assert_eq!(ask(Some("10")).as_deref(), Some("-1"));
    assert_eq!(ask(Some("70")).as_deref(), Some("-1"));
    assert_eq!(ask(None).as_deref(), Some("-2"));
}
