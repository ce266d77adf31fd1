//! tm end to end: SIPp callers and callees on both sides of a real siplua, over UDP and TCP —
//! full calls, CANCEL before answer, a busy callee, a callee that does not answer (408 and a
//! serial fork from failure_route) — plus raw-socket checks of retransmission absorption,
//! Timer A and the hop-by-hop ACK.

use crate::common;

use std::net::UdpSocket;

use std::time::{Duration, Instant};

use common::*;

/// A proxy config relaying everything statefully to `{UAS}` (and to `{UAS2}` from the
/// failure route), over `{PROTO}`.
fn proxy_cfg(proto: &str, uas: u16, uas2: u16, extra_route: &str) -> String {
    format!(
        r#"
log_level = 3
xlog_level = 3
udp_workers = 2
tcp_workers = 2
socket = udp:127.0.0.1:{{PORT}}
socket = tcp:127.0.0.1:{{PORT}}
loadmodule "proto_udp.so"
loadmodule "proto_tcp.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "signaling.so"
loadmodule "sipmsgops.so"
loadmodule "maxfwd.so"
modparam("tm", "fr_timeout", 1)
modparam("tm", "fr_inv_timeout", 3)

route {{
    if (!mf_process_maxfwd_header(10)) {{ send_reply(483, "Too Many Hops"); exit; }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) t_relay();
        exit;
    }}
    t_check_trans();
    {extra_route}
    $avp(first_hop) = "{proto}:{uas}";
    setflag(7);
    t_on_failure("next");
    if (!t_relay("{proto}:127.0.0.1:{uas}")) {{ sl_reply_error(); }}
}}

failure_route[next] {{
    xlog("L_INFO", "failure_route code=$T_reply_code avp=$avp(first_hop)\n");
    if (isflagset(7)) {{ xlog("L_INFO", "flag 7 kept\n"); }}
    if (t_local_replied("all")) {{ xlog("L_INFO", "all replies local\n"); }}
    if (t_was_cancelled()) {{ exit; }}
    if (t_check_status("408")) {{
        t_relay("{proto}:127.0.0.1:{uas2}");
    }}
}}
"#
    )
}

/// Runs a SIPp caller to completion and asserts every call succeeded.
fn run_uac(scenario_name: &str, proxy: &Server, transport: &str, calls: usize, rate: usize) {
    SippCalls {
        scenario: scenario_name,
        transport,
        calls,
        rate: Some(rate),
        ..SippCalls::default()
    }
    .assert_ok(proxy);
}

/// `calls` calls of `uac` at `rate` per second through the proxy (2 workers per transport) to
/// a callee answering them.
fn calls_through_proxy(transport: &str, proto: &str, uac: &str, calls: usize, rate: usize) {
    let uas_port = free_port();
    let proxy = Server::start(&proxy_cfg(proto, uas_port, 1, ""));
    let _uas = SippCallee::start("call_uas.xml", uas_port, transport, calls);
    run_uac(uac, &proxy, transport, calls, rate);
}

#[test]
fn calls_pass_through_over_udp() {
    calls_through_proxy("u1", "udp", "call_uac.xml", 20, 20);
}

#[test]
fn calls_pass_through_over_tcp() {
    calls_through_proxy("t1", "tcp", "call_uac.xml", 20, 20);
}

// A burst of calls with the BYE right behind the ACK: each peer's messages must be handled in
// the order it sent them (a 180 relayed before its 200, an ACK before the BYE), which the SIPp
// scenarios demand; workers racing for one socket or one queue would reorder them.

#[test]
fn call_burst_keeps_each_peers_order_over_udp() {
    calls_through_proxy("u1", "udp", "burst_call_uac.xml", 1000, 500);
}

#[test]
fn call_burst_keeps_each_peers_order_over_tcp() {
    calls_through_proxy("t1", "tcp", "burst_call_uac.xml", 1000, 500);
}

fn cancel_before_answer(transport: &str, proto: &str) {
    let uas_port = free_port();
    let proxy = Server::start(&proxy_cfg(proto, uas_port, 1, ""));
    let _uas = SippCallee::start("ring_uas.xml", uas_port, transport, 5);
    run_uac("cancel_uac.xml", &proxy, transport, 5, 5);
}

#[test]
fn cancel_before_answer_gets_487_over_udp() {
    cancel_before_answer("u1", "udp");
}

#[test]
fn cancel_before_answer_gets_487_over_tcp() {
    cancel_before_answer("t1", "tcp");
}

#[test]
fn busy_callee_is_passed_back() {
    for (transport, proto) in [("u1", "udp"), ("t1", "tcp")] {
        let uas_port = free_port();
        let proxy = Server::start(&proxy_cfg(proto, uas_port, 1, ""));
        let _uas = SippCallee::start("busy_uas.xml", uas_port, transport, 5);
        run_uac("busy_uac.xml", &proxy, transport, 5, 5);
    }
}

/// The first callee never answers: after fr_timeout the failure route sees 408 and forks
/// serially to a second callee, which answers; the caller's call completes.
#[test]
fn no_answer_forks_serially_from_failure_route() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let uas2 = free_port();
    let proxy = Server::start(&proxy_cfg("udp", silent_port, uas2, ""));
    let _uas = SippCallee::start("call_uas.xml", uas2, "u1", 2);
    run_uac("call_uac.xml", &proxy, "u1", 2, 2);
    assert!(
        proxy.log_text().contains("failure_route code=408"),
        "{}",
        proxy.log_text()
    );

    // The silent callee saw each INVITE retransmitted (Timer A) while the branch was open.
    silent
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 4096];
    let mut invites = 0;
    while let Ok((n, _)) = silent.recv_from(&mut buf) {
        if buf[..n].starts_with(b"INVITE ") {
            invites += 1;
        }
    }
    assert!(
        invites >= 4,
        "expected INVITE retransmissions to the silent callee, saw {invites}"
    );
}

/// Raw sockets on both sides: a retransmitted INVITE is absorbed (the callee sees it once
/// and the caller gets 100 Trying again), a 486 is ACKed hop by hop by the proxy and passed
/// back, and the ACK for it is absorbed.
#[test]
fn retransmissions_are_absorbed_and_negative_replies_acked_hop_by_hop() {
    let callee = UdpSocket::bind("127.0.0.1:0").unwrap();
    callee
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let callee_port = callee.local_addr().unwrap().port();
    let proxy = Server::start(&proxy_cfg("udp", callee_port, 1, ""));
    let caller = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", proxy.port),
        caller.port(),
        "",
    );

    caller.send(&proxy, invite.as_bytes());
    assert_eq!(status(&caller.recv().expect("100 Trying")), 100);
    let forwarded = recv_text(&callee).expect("INVITE at the callee");
    assert!(forwarded.starts_with("INVITE "), "{forwarded}");
    let vias = headers(&forwarded, "Via");
    assert!(vias[0].contains(";branch=z9hG4bK"), "{forwarded}");
    assert!(
        vias[1].contains(";rport="),
        "the caller's Via gets its rport filled: {forwarded}"
    );

    // Retransmission: absorbed, answered with the last reply (the 100).
    caller.send(&proxy, invite.as_bytes());
    assert_eq!(status(&caller.recv().expect("100 again")), 100);

    // The callee is busy.
    let busy = reply_to(&forwarded, 486, "Busy Here", ";tag=callee1");
    callee.send_to(busy.as_bytes(), proxy.addr()).unwrap();
    let ack = recv_until(&callee, |m| !m.starts_with("INVITE ")).expect("hop-by-hop ACK");
    assert!(ack.starts_with("ACK "), "{ack}");
    assert_eq!(
        headers(&ack, "Via").len(),
        1,
        "the ACK has only our Via: {ack}"
    );
    assert!(header(&ack, "To").unwrap().contains("tag=callee1"), "{ack}");

    let relayed = caller.recv().expect("486 at the caller");
    assert_eq!(status(&relayed), 486, "{relayed}");
    assert_eq!(
        headers(&relayed, "Via").len(),
        1,
        "our Via is removed: {relayed}"
    );
}

fn recv_text(sock: &UdpSocket) -> Option<String> {
    let mut buf = vec![0u8; 65536];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn recv_until(sock: &UdpSocket, want: impl Fn(&str) -> bool) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let m = recv_text(sock)?;
        if want(&m) {
            return Some(m);
        }
    }
    None
}

/// A reply to `req` with every Via, From, To (plus `to_tag`), Call-ID and CSeq copied.
fn reply_to(req: &str, code: u16, reason: &str, to_tag: &str) -> String {
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    for line in req.split("\r\n").skip(1) {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match name.as_str() {
            "via" | "from" | "call-id" | "cseq" => out.push_str(&format!("{line}\r\n")),
            "to" => out.push_str(&format!("{line}{to_tag}\r\n")),
            _ => {}
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

/// `t_flush_flags()` needs a transaction: -1 before `t_newtran()`, 1 after.
#[test]
fn t_flush_flags_needs_a_transaction() {
    let callee = UdpSocket::bind("127.0.0.1:0").unwrap();
    callee
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let callee_port = callee.local_addr().unwrap().port();
    let extra = r#"t_flush_flags(); $var(before) = $rc;
    t_newtran(); setflag(9); t_flush_flags(); $var(after) = $rc;
    xlog("L_INFO", "flush before=$var(before) after=$var(after)\n");"#;
    let proxy = Server::start(&proxy_cfg("udp", callee_port, 1, extra));
    let caller = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", proxy.port),
        caller.port(),
        "",
    );
    caller.send(&proxy, invite.as_bytes());
    let forwarded = recv_text(&callee).expect("INVITE at the callee");
    assert!(forwarded.starts_with("INVITE "), "{forwarded}");
    assert!(
        proxy.wait_log("flush before=-1 after=1"),
        "{}",
        proxy.log_text()
    );
}

/// `serialize_branches` + `next_branches`: the Request-URI (q unset, 1.0) is tried first;
/// after its 486 the failure route forks to the two q=0.5 branches in parallel; when both
/// fail, no group is left and the caller gets the 486.
#[test]
fn serial_forking_tries_groups_by_q() {
    let hops: Vec<UdpSocket> = (0..3)
        .map(|_| {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            s
        })
        .collect();
    let port = |i: usize| hops[i].local_addr().unwrap().port();
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"",
        &format!(
            r#"route {{
                if (is_method("ACK")) {{ t_check_trans(); exit; }}
                $ru = "sip:first@127.0.0.1:{}";
                append_branch("sip:second@127.0.0.1:{}", "0.5");
                append_branch("sip:third@127.0.0.1:{}", "0.5");
                serialize_branches(1);
                next_branches();
                t_on_failure("next");
                t_relay();
            }}
            failure_route[next] {{
                if (next_branches()) {{
                    xlog("L_INFO", "serial: next group $ru\n");
                    t_on_failure("next");
                    t_relay();
                }} else {{
                    xlog("L_INFO", "serial: no group left\n");
                }}
            }}"#,
            port(0),
            port(1),
            port(2)
        ),
    ));
    let caller = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", server.port),
        caller.port(),
        "",
    );
    caller.send(&server, invite.as_bytes());
    let first = recv_until(&hops[0], |m| m.starts_with("INVITE ")).expect("first group");
    assert!(first.starts_with("INVITE sip:first@"), "{first}");
    // The second group waits for the first to fail.
    hops[1]
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(recv_text(&hops[1]).is_none(), "second group sent too early");
    hops[1]
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    hops[0]
        .send_to(
            reply_to(&first, 486, "Busy", ";tag=h0").as_bytes(),
            server.addr(),
        )
        .unwrap();
    for (i, user) in [(1, "second"), (2, "third")] {
        let inv = recv_until(&hops[i], |m| m.starts_with("INVITE ")).expect("second group");
        assert!(inv.starts_with(&format!("INVITE sip:{user}@")), "{inv}");
        hops[i]
            .send_to(
                reply_to(&inv, 486, "Busy", &format!(";tag=h{i}")).as_bytes(),
                server.addr(),
            )
            .unwrap();
    }
    let last = recv_until_status(&caller, 486).expect("the 486 at the caller");
    assert_eq!(status(&last), 486, "{last}");
    assert!(
        server.wait_log("serial: next group sip:second@"),
        "{}",
        server.log_text()
    );
    assert!(
        server.wait_log("serial: no group left"),
        "{}",
        server.log_text()
    );
}

/// The next reply with this status at a test client (provisional ones skipped).
fn recv_until_status(c: &UdpClient, code: u16) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let m = c.recv()?;
        if status(&m) == code {
            return Some(m);
        }
    }
    None
}

/// `$T_fr_timeout` / `$T_fr_inv_timeout`: read the module's values, then a smaller
/// `$T_fr_timeout` times a silent callee out sooner than the module's 30 s.
#[test]
fn fr_timeout_variables_read_and_set_the_timeouts() {
    let callee = UdpSocket::bind("127.0.0.1:0").unwrap();
    let callee_port = callee.local_addr().unwrap().port();
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"\nmodparam(\"tm\", \"fr_timeout\", 30)\nmodparam(\"tm\", \"fr_inv_timeout\", 40)\n",
        &format!(
            r#"route {{
                if (is_method("ACK")) {{ t_check_trans(); exit; }}
                xlog("L_INFO", "fr before: $T_fr_timeout $T_fr_inv_timeout\n");
                $T_fr_timeout = 1;
                xlog("L_INFO", "fr after: $T_fr_timeout $T_fr_inv_timeout\n");
                $du = "sip:127.0.0.1:{callee_port}";
                t_on_failure("failed");
                t_relay();
            }}
            failure_route[failed] {{
                xlog("L_INFO", "failed: $T_reply_code $T_reply_reason $T_ruri\n");
            }}"#
        ),
    ));
    let caller = UdpClient::new();
    let started = Instant::now();
    caller.send(
        &server,
        request(
            "INVITE",
            &format!("sip:bob@127.0.0.1:{}", server.port),
            caller.port(),
            "",
        )
        .as_bytes(),
    );
    let timeout = recv_until_status(&caller, 408).expect("a 408 from the 1 s timer");
    assert_eq!(status(&timeout), 408);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(server.wait_log("fr before: 30 40"), "{}", server.log_text());
    assert!(server.wait_log("fr after: 1 40"), "{}", server.log_text());
    let ruri = format!("sip:bob@127.0.0.1:{}", server.port);
    assert!(
        server.wait_log(&format!("failed: 408 Request Timeout {ruri}")),
        "{}",
        server.log_text()
    );
}

/// `$T_reply_reason` in a failure route is the reason of the reply the branch got.
#[test]
fn reply_reason_of_a_received_negative_reply() {
    let callee = UdpSocket::bind("127.0.0.1:0").unwrap();
    callee
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let callee_port = callee.local_addr().unwrap().port();
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"",
        &format!(
            r#"route {{
                if (is_method("ACK")) {{ t_check_trans(); exit; }}
                $du = "sip:127.0.0.1:{callee_port}";
                t_on_failure("failed");
                t_relay();
            }}
            failure_route[failed] {{
                xlog("L_INFO", "failed: $T_reply_code $T_reply_reason\n");
            }}"#
        ),
    ));
    let caller = UdpClient::new();
    caller.send(
        &server,
        request(
            "INVITE",
            &format!("sip:bob@127.0.0.1:{}", server.port),
            caller.port(),
            "",
        )
        .as_bytes(),
    );
    let inv = recv_until(&callee, |m| m.starts_with("INVITE ")).expect("INVITE at the callee");
    callee
        .send_to(
            reply_to(&inv, 486, "Gone Fishing", ";tag=c1").as_bytes(),
            server.addr(),
        )
        .unwrap();
    assert!(recv_until_status(&caller, 486).is_some());
    assert!(
        server.wait_log("failed: 486 Gone Fishing"),
        "{}",
        server.log_text()
    );
}
