//! nathelper end to end: `nat_uac_test` flags, `fix_nated_contact`, `add_rcv_param`,
//! `fix_nated_register` (received AVP), `fix_nated_sdp` seen in replies and in what siplua
//! forwards; and rr's `add_rr_param` / `check_route_param` / `get_route_param` carrying
//! `;nat=yes` through a dialog, as the residential template's NAT handling does.

use crate::common;

use common::*;

const ROUTES: &str = r#"route {
    if (is_present_hf("X-Test-Names")) {
        if (nat_uac_test("$hdr(X-Test-Names)")) {
            append_to_reply("X-Nat: yes\r\n");
        } else {
            append_to_reply("X-Nat: no\r\n");
        }
        sl_send_reply(200, "Tested");
        exit;
    }
    if (is_present_hf("X-Test")) {
        $var(t) = $(hdr(X-Test){s.int});
        if (nat_uac_test($var(t))) {
            append_to_reply("X-Nat: yes\r\n");
        } else {
            append_to_reply("X-Nat: no\r\n");
        }
        if (is_method("REGISTER")) {
            fix_nated_register();
            append_to_reply("X-Received: $avp(rcv)\r\n");
        }
        sl_send_reply(200, "Tested");
        exit;
    }
    if (has_totag()) {
        if (loose_route() && check_route_param("nat=yes")) {
            get_route_param("nat", $var(nat));
            append_hf("X-Was-Nated: $var(nat)\r\n");
        }
        forward();
        exit;
    }
    if (nat_uac_test(1)) {
        fix_nated_contact();
        setflag(NAT);
    }
    if (is_method("MESSAGE")) {
        add_rcv_param();
    }
    if (has_body("application/sdp")) {
        fix_nated_sdp(3);
    }
    record_route();
    if (isflagset(NAT)) {
        add_rr_param(";nat=yes");
    }
    forward();
}"#;

fn server() -> Server {
    Server::start(&cfg(
        "loadmodule \"rr.so\"\nloadmodule \"nathelper.so\"\n\
         modparam(\"nathelper\", \"received_avp\", \"$avp(rcv)\")\n\
         modparam(\"nathelper\", \"natping_interval\", 0)\n",
        ROUTES,
    ))
}

fn with_contact(msg: &str, contact: &str) -> String {
    msg.replace(
        "Content-Length: 0\r\n",
        &format!("Contact: {contact}\r\nContent-Length: 0\r\n"),
    )
}

/// Sends an OPTIONS (or REGISTER) with X-Test flags and a Contact; returns the reply.
fn test_flags(server: &Server, method: &str, flags: u32, contact: &str) -> String {
    let c = UdpClient::new();
    let req = with_contact(
        &request(
            method,
            "sip:bob@example.com",
            c.port(),
            &format!("X-Test: {flags}\r\n"),
        ),
        contact,
    );
    c.request(server, &req)
        .unwrap_or_else(|| panic!("no reply; log:\n{}", server.log_text()))
}

#[test]
fn nat_uac_test_flags() {
    let s = server();
    let private = "<sip:alice@192.168.1.10:5062>";
    let public = "<sip:alice@127.0.0.1:5062>";
    let nat = |flags, contact| {
        let reply = test_flags(&s, "OPTIONS", flags, contact);
        assert_eq!(status(&reply), 200, "{reply}");
        header(&reply, "X-Nat").unwrap_or("").to_owned()
    };
    // 1: private Contact address.
    assert_eq!(nat(1, private), "yes");
    assert_eq!(nat(1, public), "no");
    // 2, 4, 16: the Via is the true source (127.0.0.1:client port, public enough).
    assert_eq!(nat(2, private), "no");
    assert_eq!(nat(4, private), "no");
    assert_eq!(nat(16, private), "no");
    // 32: Contact address differs from the source; 64: Contact port differs.
    assert_eq!(nat(32, private), "yes");
    assert_eq!(nat(32, public), "no");
    assert_eq!(nat(64, public), "yes");
    // 23 = 1|2|4|16, the residential template's test.
    assert_eq!(nat(23, private), "yes");
    assert_eq!(nat(22, private), "no");
}

/// OpenSIPS 3.x names its flags (`nat_uac_test("private-contact,diff-ip-src-via")`); here
/// they come from a header, so they are read per call.
#[test]
fn nat_uac_test_flag_names() {
    let s = server();
    let nat = |names: &str, contact: &str| {
        let c = UdpClient::new();
        let req = with_contact(
            &request(
                "OPTIONS",
                "sip:bob@example.com",
                c.port(),
                &format!("X-Test-Names: {names}\r\n"),
            ),
            contact,
        );
        let reply = c.request(&s, &req).expect("reply");
        assert_eq!(status(&reply), 200, "{reply}");
        header(&reply, "X-Nat").unwrap_or("").to_owned()
    };
    let private = "<sip:alice@192.168.1.10:5062>";
    let public = "<sip:alice@127.0.0.1:5062>";
    let template = "diff-port-src-via,private-via,diff-ip-src-via,private-contact";
    assert_eq!(nat(template, private), "yes");
    assert_eq!(nat(template, public), "no");
    assert_eq!(nat("diff-port-src-contact", public), "yes");
    assert_eq!(nat("diff-ip-src-contact", public), "no");
    // RFC 6333 addresses count as private only with carrier-grade-nat.
    let ds_lite = "<sip:alice@192.0.0.2:5062>";
    assert_eq!(nat("private-contact", ds_lite), "no");
    assert_eq!(nat("private-contact, carrier-grade-nat", ds_lite), "yes");
    // An unknown name read per call: the test fails (and says why in the log).
    assert_eq!(nat("private-contact,bogus", private), "no");
    assert!(s.wait_log("unknown flag 'bogus'"), "{}", s.log_text());
}

/// A constant list of names is read at load time: the template's call loads, a typo does not.
#[test]
fn constant_flag_names_are_checked_at_load_time() {
    let route = |flags: &str| {
        cfg(
            "loadmodule \"nathelper.so\"\n",
            &format!("route {{\n    if (nat_uac_test(\"{flags}\")) {{ exit; }}\n}}"),
        )
        .replace("{PORT}", "5999")
    };
    let (out, _) = check_config(
        "names.cfg",
        &route("diff-port-src-via,private-via,diff-ip-src-via,private-contact"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, path) = check_config("typo.cfg", &route("private-contcat"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("private-contcat"),
        "{err}"
    );
}

#[test]
fn fix_nated_register_fills_the_received_avp() {
    let s = server();
    let c = UdpClient::new();
    let req = with_contact(
        &request("REGISTER", "sip:example.com", c.port(), "X-Test: 1\r\n"),
        "<sip:alice@10.0.0.7:5060>",
    );
    let reply = c.request(&s, &req).expect("reply");
    assert_eq!(header(&reply, "X-Nat"), Some("yes"));
    assert_eq!(
        header(&reply, "X-Received"),
        Some(format!("sip:127.0.0.1:{}", c.port()).as_str()),
        "{reply}"
    );
}

#[test]
fn contact_sdp_and_record_route_are_fixed_on_the_way_out() {
    let s = server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", peer.port()),
        caller.port(),
        "Contact: <sip:alice@192.168.1.10:5062;transport=udp>\r\nContent-Type: application/sdp\r\n",
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()),
    );
    caller.send(&s, invite.as_bytes());
    let got = peer
        .recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", s.log_text()));
    assert_eq!(
        header(&got, "Contact"),
        Some(format!("<sip:alice@127.0.0.1:{};transport=udp>", caller.port()).as_str()),
        "{got}"
    );
    let rr = header(&got, "Record-Route").expect("Record-Route");
    assert_eq!(rr, format!("<sip:127.0.0.1:{};lr;nat=yes>", s.port));
    let body = got.split("\r\n\r\n").nth(1).unwrap_or("");
    assert!(body.contains("c=IN IP4 127.0.0.1\r\n"), "{body}");
    assert!(body.contains("a=direction:active\r\n"), "{body}");
    assert!(
        body.contains("o=- 1 1 IN IP4 192.168.1.10\r\n"),
        "o= is kept without flag 8: {body}"
    );
    let len: usize = header(&got, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, body.len());

    // The callee's BYE comes back through our Record-Route: the nat parameter is read.
    let bye = request(
        "BYE",
        &format!("sip:alice@127.0.0.1:{}", caller.port()),
        peer.port(),
        &format!("Route: {rr}\r\n"),
    )
    .replace(
        "To: <sip:bob@example.com>\r\n",
        "To: <sip:bob@example.com>;tag=callee1\r\n",
    );
    peer.send(&s, bye.as_bytes());
    let got = caller.recv().expect("BYE forwarded");
    assert_eq!(header(&got, "X-Was-Nated"), Some("yes"), "{got}");
}

#[test]
fn add_rcv_param_marks_the_contact() {
    let s = server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let msg = with_contact(
        &request(
            "MESSAGE",
            &format!("sip:bob@127.0.0.1:{}", peer.port()),
            caller.port(),
            "",
        ),
        "<sip:alice@127.0.0.1:5999>;expires=60",
    );
    caller.send(&s, msg.as_bytes());
    let got = peer.recv().expect("forwarded");
    assert_eq!(
        header(&got, "Contact"),
        Some(
            format!(
                "<sip:alice@127.0.0.1:5999>;expires=60;received=\"sip:127.0.0.1:{}\"",
                caller.port()
            )
            .as_str()
        ),
        "{got}"
    );
}

/// OpenSIPS 3.x flag names for `fix_nated_sdp`, the `nortpproxy_str` marker (added once),
/// extra `sdp_fields`, and a null (on-hold) address kept without `rewrite-null-ips`.
#[test]
fn fix_nated_sdp_flag_names_marker_and_fields() {
    let s = Server::start(&cfg(
        "loadmodule \"nathelper.so\"\n\
         modparam(\"nathelper\", \"nortpproxy_str\", \"a=sdpmangled:yes\")\n",
        r#"route {
    fix_nated_sdp("rewrite-media-ip,add-no-rtpproxy", "", "\r\na=x-test:1");
    forward();
}"#,
    ));
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let invite = |sdp: &str| {
        request(
            "INVITE",
            &format!("sip:bob@127.0.0.1:{}", peer.port()),
            caller.port(),
            "Content-Type: application/sdp\r\n",
        )
        .replace(
            "Content-Length: 0\r\n\r\n",
            &format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()),
        )
    };
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\n";
    caller.send(&s, invite(sdp).as_bytes());
    let got = peer
        .recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", s.log_text()));
    let body = got.split("\r\n\r\n").nth(1).unwrap_or("");
    assert!(body.contains("s=-\r\nc=IN IP4 127.0.0.1\r\n"), "{body}");
    assert!(body.contains("o=- 1 1 IN IP4 192.168.1.10\r\n"), "{body}");
    assert!(
        body.contains("c=IN IP4 0.0.0.0\r\n"),
        "null address kept: {body}"
    );
    assert!(
        body.ends_with("\r\na=sdpmangled:yes\r\na=x-test:1\r\n"),
        "{body}"
    );
    let len: usize = header(&got, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, body.len());

    // Already marked: the marker is not added twice.
    let marked = format!("{sdp}a=sdpmangled:yes\r\n");
    caller.send(
        &s,
        invite(&marked).replace("z9hG4bK", "z9hG4bKb").as_bytes(),
    );
    let got = peer.recv().expect("second INVITE forwarded");
    let body = got.split("\r\n\r\n").nth(1).unwrap_or("");
    assert_eq!(body.matches("a=sdpmangled:yes").count(), 1, "{body}");
}
