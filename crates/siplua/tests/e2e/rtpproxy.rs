//! rtpproxy end to end, against a real rtpengine (Debian's `rtpengine-daemon`, which speaks
//! the rtpproxy control protocol on its `--listen-udp` socket): a call's SDP is moved to
//! the proxy in the INVITE and the 200, RTP then flows between the two user agents through
//! it, and `rtpproxy_unforce` tears the session down. A proxy that does not answer is
//! skipped without holding calls up, and bad arguments fail the load.

use crate::common;
use crate::rtp_support;

use common::*;
use rtp_support::*;

const ROUTES: &str = r#"route {
    if (has_totag()) {
        if (loose_route()) {
            if (is_method("BYE")) {
                rtpproxy_unforce();
                xlog("unforce returned $rc\n");
            }
            t_relay();
        }
        exit;
    }
    if (is_method("INVITE") && has_body("application/sdp")) {
        if (rtpproxy_offer("ro", , , $var(sock), $var(ret))) {
            append_hf("X-Rtp: $var(sock) $var(ret)\r\n");
        } else {
            append_hf("X-Rtp: failed\r\n");
        }
        t_on_reply("answer");
    }
    record_route();
    t_relay();
}

onreply_route[answer] {
    xlog("reply $rs\n");
    if (has_body("application/sdp")) {
        rtpproxy_answer("ro");
        xlog("answer returned $rc\n");
    }
}"#;

fn server(proxy_port: u16, extra: &str) -> Server {
    Server::start(&cfg(
        &format!(
            "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"rtpproxy.so\"\n\
             modparam(\"rtpproxy\", \"rtpproxy_sock\", \"udp:127.0.0.1:{proxy_port}\")\n{extra}"
        ),
        ROUTES,
    ))
}

#[test]
fn a_call_s_media_flows_through_rtpengine() {
    let engine = RtpEngine::start();
    let s = server(engine.port, "");
    let call = MediaCall::new();
    let (invite, got) = call.invite(&s, "");
    let offer_port = media_port(&got);
    let b = body(&got);
    assert!(b.contains("c=IN IP4 127.0.0.1\r\n"), "{got}");
    assert!(b.contains("o=- 1 1 IN IP4 127.0.0.1\r\n"), "flag o: {got}");
    assert!(b.ends_with("a=nortpproxy:yes\r\n"), "{got}");
    assert_ne!(offer_port, call.caller_rtp_port());
    assert_eq!(
        header(&got, "X-Rtp"),
        Some(format!("udp:127.0.0.1:{} 127.0.0.1:{offer_port}", engine.port).as_str()),
        "{got}"
    );
    let len: usize = header(&got, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, b.len());

    // The callee answers from 127.0.0.3; the caller sees the proxy's address instead.
    let answer = call.answer(&s, &got);
    let answer_port = media_port(&answer);
    assert!(body(&answer).contains("c=IN IP4 127.0.0.1\r\n"), "{answer}");
    assert!(
        ![call.callee_rtp_port(), offer_port].contains(&answer_port),
        "{answer}"
    );
    call.assert_media_flows(offer_port, answer_port);

    // The caller hangs up through our Record-Route: the session is torn down.
    call.hang_up(&s, &invite, &answer);
    assert!(s.wait_log("unforce returned 1"), "{}", s.log_text());
}

#[test]
fn a_silent_proxy_is_skipped_and_the_call_goes_on() {
    let silent = free_port();
    let s = server(
        silent,
        "modparam(\"rtpproxy\", \"rtpproxy_timeout\", \"0.2\")\n\
         modparam(\"rtpproxy\", \"rtpproxy_retr\", 2)\n",
    );
    assert!(s.wait_log("does not answer"), "{}", s.log_text());
    let call = MediaCall::new();
    let (invite, got) = call.invite(&s, "");
    let offer = body(&invite);
    assert_eq!(header(&got, "X-Rtp"), Some("failed"), "{got}");
    assert_eq!(body(&got), offer, "the SDP is left alone");
    assert!(
        s.wait_log("no RTP proxy of set 0 is available"),
        "{}",
        s.log_text()
    );
}

#[test]
fn bad_flags_and_sockets_fail_the_load() {
    let text = |module: &str, route: &str| {
        cfg(
            &format!("loadmodule \"tm.so\"\nloadmodule \"rtpproxy.so\"\n{module}"),
            route,
        )
        .replace("{PORT}", "5999")
    };
    let (out, path) = check_config(
        "rtp_flags.cfg",
        &text(
            "modparam(\"rtpproxy\", \"rtpproxy_sock\", \"udp:127.0.0.1:22222\")\n",
            "route { rtpproxy_offer(\"rq\"); }",
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("'q'"),
        "{err}"
    );

    let (out, _) = check_config(
        "rtp_unix.cfg",
        &text(
            "modparam(\"rtpproxy\", \"rtpproxy_sock\", \"unix:/var/run/rtpproxy.sock\")\n",
            "route { exit; }",
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("only udp:"), "{err}");

    // The template's calls load.
    let (out, _) = check_config(
        "rtp_ok.cfg",
        &text(
            "modparam(\"rtpproxy\", \"rtpproxy_sock\", \"udp:localhost:12221\")\n",
            "route { rtpproxy_offer(\"ro\"); rtpproxy_answer(\"ro\"); rtpproxy_unforce(); }",
        ),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `tests/configs/residential_nat_rtpproxy.cfg` — the residential script in the current
/// OpenSIPS 3.x template syntax with NAT handling and rtpproxy — on a free port with the
/// test's rtpengine: a NATed caller reaches a NATed phone and both SDPs name the proxy.
#[test]
fn the_residential_nat_template_moves_a_nated_call_s_media_to_the_proxy() {
    let engine = RtpEngine::start();
    let text = std::fs::read_to_string(root().join("tests/configs/residential_nat_rtpproxy.cfg"))
        .unwrap()
        .replace("socket=udp:127.0.0.1:5060", "socket=udp:127.0.0.1:{PORT}")
        .replace("/tmp/siplua_compat_fifo", "{DIR}/fifo")
        .replace("udp_workers=4", "udp_workers=1")
        .replace(
            "udp:localhost:12221",
            &format!("udp:127.0.0.1:{}", engine.port),
        );
    let server = Server::start(&text);
    let phone = UdpClient::new();
    let register = request(
        "REGISTER",
        &format!("sip:127.0.0.1:{}", server.port),
        phone.port(),
        "Contact: <sip:bob@192.168.1.20:5060>;expires=300\r\n",
    )
    .replace("sip:alice@example.com", "sip:bob@127.0.0.1")
    .replace("sip:bob@example.com", "sip:bob@127.0.0.1");
    let reply = phone
        .request(&server, &register)
        .expect("REGISTER answered");
    assert_eq!(status(&reply), 200, "{reply}\n{}", server.log_text());

    let caller = UdpClient::new();
    let offer = sdp("192.168.1.10", 4000);
    let invite = with_sdp(
        &request(
            "INVITE",
            &format!("sip:bob@127.0.0.1:{}", server.port),
            caller.port(),
            "Contact: <sip:alice@192.168.1.10:5062>\r\n",
        ),
        &offer,
    );
    caller.send(&server, invite.as_bytes());
    let got = loop {
        let m = phone
            .recv()
            .unwrap_or_else(|| panic!("INVITE not relayed; log:\n{}", server.log_text()));
        if m.starts_with("INVITE ") {
            break m;
        }
    };
    let b = body(&got);
    assert!(
        b.contains("c=IN IP4 127.0.0.1\r\n") && b.contains("a=nortpproxy:yes"),
        "{got}"
    );
    assert_ne!(media_port(&got), 4000, "{got}");

    let rr = header(&got, "Record-Route")
        .expect("record-routed")
        .to_owned();
    let ok = with_sdp(&reply_to(&got, 200, "OK"), &sdp("192.168.1.20", 5004)).replace(
        "Content-Type",
        &format!("Record-Route: {rr}\r\nContact: <sip:bob@192.168.1.20:5060>\r\nContent-Type"),
    );
    phone.send(&server, ok.as_bytes());
    let answer =
        recv_final(&caller).unwrap_or_else(|| panic!("no 200; log:\n{}", server.log_text()));
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(body(&answer).contains("c=IN IP4 127.0.0.1\r\n"), "{answer}");
    assert_ne!(media_port(&answer), 5004, "{answer}");
}

/// A proxy that answers the start-up version query but never a call's command: the call
/// fails over to the set's other proxy (OpenSIPS tries the set's proxies in turn).
#[test]
fn a_proxy_that_stops_answering_fails_over_to_the_next_in_the_set() {
    let engine = RtpEngine::start();
    let mute = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mute_port = mute.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = mute.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if let Some((cookie, "V")) = text.split_once(' ') {
                let _ = mute.send_to(format!("{cookie} 20040107\n").as_bytes(), from);
            }
        }
    });
    // The mute proxy weighs 1000 to the live one's 1: the call goes to it first.
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"rtpproxy.so\"\n\
             modparam(\"rtpproxy\", \"rtpproxy_sock\", \
             \"udp:127.0.0.1:{mute_port}=1000 udp:127.0.0.1:{}=1\")\n\
             modparam(\"rtpproxy\", \"rtpproxy_timeout\", \"0.2\")\n\
             modparam(\"rtpproxy\", \"rtpproxy_retr\", 1)\n",
            engine.port
        ),
        ROUTES,
    ));
    let call = MediaCall::new();
    let (_, got) = call.invite(&s, "");
    assert!(
        header(&got, "X-Rtp")
            .is_some_and(|v| v.starts_with(&format!("udp:127.0.0.1:{} ", engine.port))),
        "{got}\n{}",
        s.log_text()
    );
    assert_ne!(media_port(&got), call.caller_rtp_port(), "{got}");
    assert!(
        s.wait_log(&format!("udp:127.0.0.1:{mute_port} disabled")),
        "{}",
        s.log_text()
    );
}
