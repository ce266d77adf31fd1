//! rtpengine end to end, over its "ng" control protocol, against a real rtpengine (Debian's
//! `rtpengine-daemon`): `rtpengine_offer` in the INVITE and `rtpengine_manage` on the 200
//! move the SDPs to the engine and RTP flows through it; `rtpengine_delete` ends the call;
//! `sdp_var` returns the SDP instead of changing the body; a silent engine is skipped.

use crate::common;
use crate::rtp_support;

use common::*;
use rtp_support::*;

const FLAGS: &str = "trust-address replace-origin replace-session-connection ICE=remove RTP/AVP";

fn routes() -> String {
    format!(
        r#"route {{
    if (has_totag()) {{
        if (loose_route()) {{
            if (is_method("BYE")) {{
                rtpengine_delete();
                xlog("delete returned $rc\n");
            }}
            t_relay();
        }}
        exit;
    }}
    if (is_present_hf("X-Sdp-Var")) {{
        if (rtpengine_offer("trust-address", , $var(sdp))) {{
            append_hf("X-Sdp-Len: $(var(sdp){{s.len}})\r\n");
        }}
    }} else if (is_method("INVITE")) {{
        if (rtpengine_offer("{FLAGS}", $var(sock))) {{
            append_hf("X-Rtp: $var(sock)\r\n");
        }} else {{
            append_hf("X-Rtp: failed\r\n");
        }}
        t_on_reply("answer");
    }}
    record_route();
    t_relay();
}}

onreply_route[answer] {{
    if (has_body("application/sdp")) {{
        rtpengine_manage("trust-address replace-origin");
        xlog("manage returned $rc\n");
    }}
}}"#
    )
}

fn server(ng_port: u16, extra: &str) -> Server {
    Server::start(&cfg(
        &format!(
            "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"rtpengine.so\"\n\
             modparam(\"rtpengine\", \"rtpengine_sock\", \"udp:127.0.0.1:{ng_port}\")\n{extra}"
        ),
        &routes(),
    ))
}

#[test]
fn a_call_s_media_flows_through_rtpengine_over_ng() {
    let engine = RtpEngine::start();
    let s = server(engine.ng_port, "");
    let call = MediaCall::new();
    let (invite, got) = call.invite(&s, "");
    let offer_port = media_port(&got);
    let b = body(&got);
    assert!(b.contains("c=IN IP4 127.0.0.1\r\n"), "{got}");
    assert!(
        b.contains("o=- 1 1 IN IP4 127.0.0.1\r\n"),
        "replace-origin: {got}"
    );
    assert_ne!(offer_port, call.caller_rtp_port());
    assert_eq!(
        header(&got, "X-Rtp"),
        Some(format!("udp:127.0.0.1:{}", engine.ng_port).as_str()),
        "{got}"
    );
    let len: usize = header(&got, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, b.len());

    let answer = call.answer(&s, &got);
    assert!(s.wait_log("manage returned 1"), "{}", s.log_text());
    let answer_port = media_port(&answer);
    assert!(body(&answer).contains("c=IN IP4 127.0.0.1\r\n"), "{answer}");
    assert!(
        ![call.callee_rtp_port(), offer_port].contains(&answer_port),
        "{answer}"
    );
    call.assert_media_flows(offer_port, answer_port);

    call.hang_up(&s, &invite, &answer);
    assert!(s.wait_log("delete returned 1"), "{}", s.log_text());
}

#[test]
fn sdp_var_gets_the_sdp_and_the_body_is_kept() {
    let engine = RtpEngine::start();
    let s = server(engine.ng_port, "");
    let call = MediaCall::new();
    let (invite, got) = call.invite(&s, "X-Sdp-Var: 1\r\n");
    let offer = body(&invite);
    assert_eq!(body(&got), offer, "body kept");
    let len: usize = header(&got, "X-Sdp-Len")
        .unwrap_or_else(|| panic!("no X-Sdp-Len: {got}\n{}", s.log_text()))
        .parse()
        .unwrap();
    // rtpengine's SDP adds a=rtpmap, a=sendrecv and a=rtcp lines.
    assert!(len > offer.len(), "rtpengine's SDP is longer: {got}");
}

#[test]
fn a_silent_engine_is_skipped_and_bad_flags_fail_the_load() {
    let s = server(
        free_port(),
        "modparam(\"rtpengine\", \"rtpengine_retr\", 1)\n",
    );
    assert!(s.wait_log("does not answer"), "{}", s.log_text());
    let call = MediaCall::new();
    let (invite, got) = call.invite(&s, "");
    let offer = body(&invite);
    assert_eq!(header(&got, "X-Rtp"), Some("failed"), "{got}");
    assert_eq!(body(&got), offer);

    let (out, path) = check_config(
        "rtpengine_flags.cfg",
        &cfg(
            "loadmodule \"rtpengine.so\"\n\
             modparam(\"rtpengine\", \"rtpengine_sock\", \"udp:127.0.0.1:2223\")\n",
            "route { rtpengine_offer(\"trust-address via-branch=9\"); }",
        )
        .replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("via-branch"),
        "{err}"
    );
}

/// A late offer through `rtpengine_manage`: the INVITE has no SDP, the 200 carries the offer
/// and the ACK the answer (rtpengine's from-tag is then the callee's); RTP flows both ways.
#[test]
fn a_late_offer_through_rtpengine_manage() {
    let engine = RtpEngine::start();
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"rtpengine.so\"\n\
             modparam(\"rtpengine\", \"rtpengine_sock\", \"udp:127.0.0.1:{}\")\n",
            engine.ng_port
        ),
        r#"route {
    if (has_totag()) {
        if (loose_route()) {
            if (is_method("ACK") && has_body("application/sdp")) {
                rtpengine_manage("trust-address");
                xlog("ack manage returned $rc\n");
            }
            t_relay();
        }
        exit;
    }
    record_route();
    t_on_reply("late");
    t_relay();
}

onreply_route[late] {
    if (has_body("application/sdp")) {
        rtpengine_manage("trust-address");
        xlog("reply manage returned $rc\n");
    }
}"#,
    ));
    let call = MediaCall::new();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", call.callee.port()),
        call.caller.port(),
        "",
    );
    call.caller.send(&s, invite.as_bytes());
    let got = recv_invite(&call.callee.sock)
        .unwrap_or_else(|| panic!("no INVITE; log:\n{}", s.log_text()));
    // The callee's 200 makes the offer.
    let answer = call.answer(&s, &got);
    assert!(s.wait_log("reply manage returned 1"), "{}", s.log_text());
    let offer_port = media_port(&answer);
    assert!(body(&answer).contains("c=IN IP4 127.0.0.1\r\n"), "{answer}");
    assert_ne!(offer_port, call.callee_rtp_port());

    // The caller's ACK carries the answer, through the Record-Route.
    let rr = header(&answer, "Record-Route").expect("Record-Route");
    let to = header(&answer, "To").unwrap();
    let ack = with_sdp(
        &request(
            "ACK",
            &format!("sip:bob@127.0.0.1:{}", call.callee.port()),
            call.caller.port(),
            &format!("Route: {rr}\r\n"),
        ),
        &sdp("127.0.0.2", call.caller_rtp_port()),
    )
    .replace("To: <sip:bob@example.com>\r\n", &format!("To: {to}\r\n"))
    .replace("CSeq: 2 ACK", "CSeq: 1 ACK");
    let ack = ack.replace(
        header(&ack, "Call-ID").unwrap(),
        header(&invite, "Call-ID").unwrap(),
    );
    let ack = ack.replace(
        &format!("From: {}", header(&ack, "From").unwrap()),
        &format!("From: {}", header(&invite, "From").unwrap()),
    );
    call.caller.send(&s, ack.as_bytes());
    let got_ack = loop {
        let (m, _) = call.callee.recv(&s);
        if m.starts_with("ACK ") {
            break m;
        }
    };
    assert!(s.wait_log("ack manage returned 1"), "{}", s.log_text());
    let answer_port = media_port(&got_ack);
    assert!(
        body(&got_ack).contains("c=IN IP4 127.0.0.1\r\n"),
        "{got_ack}"
    );
    // The caller sends to the port the 200 gave it; the callee to the one the ACK gave it.
    call.assert_media_flows(answer_port, offer_port);
}
