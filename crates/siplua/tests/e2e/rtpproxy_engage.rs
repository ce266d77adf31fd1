//! `rtpproxy_engage` end to end against a real rtpengine (rtpproxy protocol): one call on
//! the INVITE moves the SDP of the INVITE and of its 200 to the proxy, then that of a
//! re-INVITE the callee sends and of its 200, media flows through the proxy, and the BYE
//! deletes the session (its ports stop relaying). Without the dialog module the script
//! does not load.

use crate::common;
use crate::rtp_support;

use common::*;
use rtp_support::*;

const ROUTES: &str = r#"route {
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
        }
        exit;
    }
    if (is_method("INVITE")) {
        if (rtpproxy_engage("ro", , , $var(sock))) {
            append_hf("X-Rtp: $var(sock)\r\n");
        } else {
            append_hf("X-Rtp: failed\r\n");
        }
    }
    record_route();
    t_relay();
}"#;

/// An in-dialog request: `start` line, then the given header lines, SDP `body` if any.
fn in_dialog(start: &str, via_port: u16, headers: &[String], body: Option<&str>) -> String {
    let mut text = format!(
        "{start}\r\nVia: SIP/2.0/UDP 127.0.0.1:{via_port};branch=z9hG4bK-{}\r\n",
        free_port()
    );
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    match body {
        Some(b) => with_sdp(&text, b),
        None => text,
    }
}

/// Asserts the SDP of `msg` names the proxy (127.0.0.1, marked) instead of `original_port`.
fn assert_proxied(msg: &str, original_port: u16) -> u16 {
    let b = body(msg);
    assert!(
        b.contains("c=IN IP4 127.0.0.1\r\n") && b.ends_with("a=nortpproxy:yes\r\n"),
        "{msg}"
    );
    let port = media_port(msg);
    assert_ne!(port, original_port, "{msg}");
    port
}

#[test]
fn engage_follows_the_dialog_and_deletes_the_session_at_bye() {
    let engine = RtpEngine::start();
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"rtpproxy.so\"\n\
             loadmodule \"dialog.so\"\n\
             modparam(\"rtpproxy\", \"rtpproxy_sock\", \"udp:127.0.0.1:{}\")\n",
            engine.port
        ),
        ROUTES,
    ));
    let call = MediaCall::new();
    let (invite, got) = call.invite(&s, "");
    assert_eq!(
        header(&got, "X-Rtp"),
        Some(format!("udp:127.0.0.1:{}", engine.port).as_str()),
        "{got}\n{}",
        s.log_text()
    );
    let offer_port = assert_proxied(&got, call.caller_rtp_port());
    // The 200's SDP is rewritten without any function in an onreply route.
    let answer = call.answer(&s, &got);
    let answer_port = assert_proxied(&answer, call.callee_rtp_port());
    assert_ne!(answer_port, offer_port);
    call.assert_media_flows(offer_port, answer_port);

    let rr = header(&got, "Record-Route").unwrap().to_owned();
    let route_uri = rr.trim_start_matches('<').trim_end_matches('>').to_owned();
    let call_id = header(&invite, "Call-ID").unwrap().to_owned();
    let from = header(&invite, "From").unwrap().to_owned();
    let to = header(&answer, "To").unwrap().to_owned();
    let callee_uri = format!("sip:bob@127.0.0.1:{}", call.callee.port());
    let ack = in_dialog(
        &format!("ACK {callee_uri} SIP/2.0"),
        call.caller.port(),
        &[
            format!("Route: {rr}"),
            format!("From: {from}"),
            format!("To: {to}"),
            format!("Call-ID: {call_id}"),
            format!(
                "CSeq: {} ACK",
                header(&invite, "CSeq").unwrap().split(' ').next().unwrap()
            ),
        ],
        None,
    );
    call.caller.send(&s, ack.as_bytes());

    // The callee re-INVITEs (To and From swapped): the caller gets the proxy's address,
    // and the callee the proxy's in the caller's 200.
    let reinvite = in_dialog(
        &format!("INVITE sip:alice@127.0.0.1:{} SIP/2.0", call.caller.port()),
        call.callee.port(),
        &[
            format!("Route: <{route_uri}>"),
            format!("From: {to}"),
            format!("To: {from}"),
            format!("Call-ID: {call_id}"),
            "CSeq: 1 INVITE".to_owned(),
            format!("Contact: <{callee_uri}>"),
        ],
        Some(&sdp("127.0.0.3", call.callee_rtp_port())),
    );
    call.callee
        .sock
        .send_to(reinvite.as_bytes(), s.addr())
        .unwrap();
    let re_got = loop {
        let m = call
            .caller
            .recv()
            .unwrap_or_else(|| panic!("no re-INVITE; log:\n{}", s.log_text()));
        if m.starts_with("INVITE ") {
            break m;
        }
    };
    let re_offer = assert_proxied(&re_got, call.callee_rtp_port());
    let ok = with_sdp(
        &reply_to(&re_got, 200, "OK"),
        &sdp("127.0.0.2", call.caller_rtp_port()),
    );
    call.caller.send(&s, ok.as_bytes());
    let re_answer = loop {
        let m = recv_datagram(&call.callee.sock)
            .unwrap_or_else(|| panic!("no 200 to the re-INVITE; log:\n{}", s.log_text()));
        if m.starts_with("SIP/2.0 200") {
            break m;
        }
    };
    let re_answer_port = assert_proxied(&re_answer, call.caller_rtp_port());
    call.assert_media_flows(re_answer_port, re_offer);

    // The caller hangs up: the dialog ends and the proxy's session with it.
    let bye = in_dialog(
        &format!("BYE {callee_uri} SIP/2.0"),
        call.caller.port(),
        &[
            format!("Route: {rr}"),
            format!("From: {from}"),
            format!("To: {to}"),
            format!("Call-ID: {call_id}"),
            "CSeq: 99 BYE".to_owned(),
        ],
        None,
    );
    call.caller.send(&s, bye.as_bytes());
    let relayed = loop {
        let m = recv_datagram(&call.callee.sock)
            .unwrap_or_else(|| panic!("no BYE; log:\n{}", s.log_text()));
        if m.starts_with("BYE ") {
            break m;
        }
    };
    assert!(relayed.contains(&call_id), "{relayed}");
    let deleted = (0..20).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        !media_arrives(&call.caller_rtp, ("127.0.0.1", re_offer), &call.callee_rtp)
    });
    assert!(
        deleted,
        "media still relayed after the BYE\n{}",
        s.log_text()
    );
    assert!(!s.log_text().contains("refused"), "{}", s.log_text());
}

#[test]
fn engage_without_the_dialog_module_fails_the_load() {
    let text = |modules: &str| {
        cfg(
            &format!(
                "loadmodule \"tm.so\"\n{modules}loadmodule \"rtpproxy.so\"\n\
                 modparam(\"rtpproxy\", \"rtpproxy_sock\", \"udp:127.0.0.1:22222\")\n"
            ),
            "route { rtpproxy_engage(\"r\"); }",
        )
        .replace("{PORT}", "5999")
    };
    let (out, path) = check_config("engage_no_dialog.cfg", &text(""));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("dialog module"),
        "{err}"
    );
    let (out, _) = check_config("engage_dialog.cfg", &text("loadmodule \"dialog.so\"\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
