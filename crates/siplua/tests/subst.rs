//! sipmsgops substitutions end to end: `subst` rewriting a header in what siplua forwards,
//! `subst_uri` / `subst_user` rewriting the Request-URI, `is_uri_user_e164`.

mod common;

use common::*;

const ROUTES: &str = r#"route {
    if (is_uri_user_e164("$ru")) {
        append_hf("X-E164: yes\r\n");
    }
    subst('/^From:(.*)@example\.com(.*)$/From:\1@example.org\2/i');
    if (subst_user('/^00/+/')) {
        append_hf("X-User: $rU\r\n");
    }
    subst_uri('/^sip:([^@]+)@example\.com/sip:\1@gw.example.net/');
    $du = "sip:127.0.0.1:" + $hdr(X-Peer);
    forward();
}"#;

fn forwarded(user: &str) -> String {
    let server = Server::start(&cfg("", ROUTES));
    let peer = UdpClient::new();
    let c = UdpClient::new();
    let req = request(
        "MESSAGE",
        &format!("sip:{user}@example.com"),
        c.port(),
        &format!("X-Peer: {}\r\n", peer.port()),
    );
    c.send(&server, req.as_bytes());
    peer.recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()))
}

#[test]
fn headers_and_request_uri_are_rewritten() {
    let got = forwarded("004930123");
    assert!(
        got.starts_with("MESSAGE sip:+4930123@gw.example.net SIP/2.0\r\n"),
        "subst_user then subst_uri: {got}"
    );
    assert_eq!(header(&got, "X-User"), Some("+4930123"), "{got}");
    assert_eq!(
        header(&got, "X-E164"),
        None,
        "00... is no E.164 form: {got}"
    );
    let from = header(&got, "From").unwrap();
    assert!(from.starts_with("<sip:alice@example.org>;tag="), "{from}");
    assert_eq!(
        header(&got, "To"),
        Some("<sip:bob@example.com>"),
        "only From: {got}"
    );
}

#[test]
fn e164_user_is_recognised() {
    let got = forwarded("+4930123");
    assert_eq!(header(&got, "X-E164"), Some("yes"), "{got}");
    assert_eq!(header(&got, "X-User"), None, "no 00 to replace: {got}");
}
