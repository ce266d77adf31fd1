//! sipmsgops substitutions end to end: `subst` rewriting a header in what siplua forwards,
//! `subst_uri` / `subst_user` rewriting the Request-URI, `is_uri_user_e164`.

use crate::common;

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

/// `replace*` on the header lines and the body, `remove_hf_re`, `append_time` and
/// `is_audio_on_hold`, seen in what siplua forwards.
#[test]
fn replace_remove_and_time() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    replace("example\.com", "replaced.net");
    replace_body_all("10\.0\.0\.1", "192.0.2.1");
    remove_hf_re("^X-Drop");
    append_time();
    if (is_audio_on_hold()) {
        append_hf("X-Hold: yes\r\n");
    }
    $du = "sip:127.0.0.1:" + $hdr(X-Peer);
    forward();
}"#,
    ));
    let peer = UdpClient::new();
    let c = UdpClient::new();
    let sdp =
        "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\na=sendonly\r\n";
    let req = request(
        "MESSAGE",
        "sip:bob@example.com",
        c.port(),
        &format!(
            "X-Peer: {}\r\nX-Drop-A: 1\r\nX-Drop-B: 2\r\nX-Keep: 3\r\n",
            peer.port()
        ),
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ),
    );
    c.send(&server, req.as_bytes());
    let got = peer
        .recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()));
    // Only the first header-line match: the From (first in the head) changes, the To not.
    assert!(
        got.starts_with("MESSAGE sip:bob@example.com SIP/2.0\r\n"),
        "{got}"
    );
    assert_eq!(
        headers(&got, "X-Drop-A").len() + headers(&got, "X-Drop-B").len(),
        0,
        "{got}"
    );
    assert_eq!(header(&got, "X-Keep"), Some("3"));
    assert!(
        header(&got, "Date").is_some_and(|d| d.ends_with(" GMT")),
        "{got}"
    );
    assert_eq!(header(&got, "X-Hold"), Some("yes"), "{got}");
    let body = got.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert_eq!(body.matches("192.0.2.1").count(), 2, "{got}");
    let replaced = got.matches("replaced.net").count();
    assert_eq!(replaced, 1, "replace changes one match: {got}");
}

/// Body functions build on each other: `fix_nated_sdp` then `replace_body_all` on the same
/// message keep both changes (the latest body replacement reads the one before).
#[test]
fn body_functions_build_on_each_other() {
    let server = Server::start(&cfg(
        "loadmodule \"nathelper.so\"\n",
        r#"route {
    fix_nated_sdp("rewrite-media-ip");
    replace_body_all("RTP/AVP", "RTP/SAVP");
    $du = "sip:127.0.0.1:" + $hdr(X-Peer);
    forward();
}"#,
    ));
    let peer = UdpClient::new();
    let c = UdpClient::new();
    let sdp = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n";
    let req = request(
        "MESSAGE",
        "sip:bob@example.com",
        c.port(),
        &format!("X-Peer: {}\r\n", peer.port()),
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ),
    );
    c.send(&server, req.as_bytes());
    let got = peer
        .recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()));
    let body = got.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert_eq!(
        body, "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/SAVP 0\r\n",
        "{got}"
    );
    let len: usize = header(&got, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, body.len());
    assert_eq!(headers(&got, "Content-Length").len(), 1, "{got}");
}

/// The codec functions on what siplua forwards: two deletions and a move in one route build
/// on each other; `codec_exists` sees the result.
#[test]
fn codec_functions() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    codec_delete("G729");
    codec_delete_re("^(GSM|G723)$");
    codec_move_up("PCMA", "8000");
    if (!codec_exists("G729") && codec_exists_re("^PCM")) {
        append_hf("X-Codecs: ok\r\n");
    }
    $du = "sip:127.0.0.1:" + $hdr(X-Peer);
    forward();
}"#,
    ));
    let peer = UdpClient::new();
    let c = UdpClient::new();
    let sdp =
        "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0 3 8 18\r\na=rtpmap:18 G729/8000\r\n";
    let req = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        &format!("X-Peer: {}\r\n", peer.port()),
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ),
    );
    c.send(&server, req.as_bytes());
    let got = loop {
        let m = peer
            .recv()
            .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()));
        if m.starts_with("INVITE ") {
            break m;
        }
    };
    let body = got.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert_eq!(
        body, "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 8 0\r\n",
        "{got}"
    );
    assert_eq!(header(&got, "X-Codecs"), Some("ok"), "{got}");
}

/// `ruri_add_param`, `ruri_del_param`, `append_urihf` and `is_privacy`.
#[test]
fn request_uri_parameters_and_privacy() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    ruri_del_param("transport");
    ruri_add_param("user=phone");
    append_urihf("X-Ru: ", "\r\n");
    if (is_privacy("id")) {
        append_hf("X-Private: yes\r\n");
    }
    if (is_privacy("user")) {
        append_hf("X-User-Private: yes\r\n");
    }
    $du = "sip:127.0.0.1:" + $hdr(X-Peer);
    forward();
}"#,
    ));
    let peer = UdpClient::new();
    let c = UdpClient::new();
    let req = request(
        "MESSAGE",
        "sip:bob@example.com;transport=udp;lr",
        c.port(),
        &format!("X-Peer: {}\r\nPrivacy: header; id\r\n", peer.port()),
    );
    c.send(&server, req.as_bytes());
    let got = peer
        .recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()));
    assert!(
        got.starts_with("MESSAGE sip:bob@example.com;lr;user=phone SIP/2.0\r\n"),
        "{got}"
    );
    assert_eq!(
        header(&got, "X-Ru"),
        Some("sip:bob@example.com;lr;user=phone"),
        "{got}"
    );
    assert_eq!(header(&got, "X-Private"), Some("yes"), "{got}");
    assert_eq!(header(&got, "X-User-Private"), None, "{got}");
}
