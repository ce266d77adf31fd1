//! sipmsgops' `has_body_part`, `remove_body_part` and `add_body_part`: what the next hop
//! receives (body, Content-Type, Content-Length) after a part is taken out of a multipart
//! body, kept alone (`"revert"`, `filter_body`), added to a single body, and after the whole
//! body goes; `search_append` and `search_append_body`.

use crate::common;

use common::*;

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                   m=audio 4000 RTP/AVP 0\r\n";
const MULTI_CT: &str = "multipart/mixed;boundary=unique-boundary-1";

fn multi_body() -> String {
    format!(
        "--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\n{SDP}\r\n\
         --unique-boundary-1\r\nContent-Type: application/isup;version=itu-t92+\r\n\
         Content-Disposition: signal;handling=optional\r\n\r\nISUP-BYTES\r\n\
         --unique-boundary-1--\r\n"
    )
}

fn proxy(hop: u16) -> Server {
    let routes = format!(
        r#"route {{
    if ($hdr(X-Op) == "strip") {{
        if (has_body_part("application/isup")) {{ append_hf("X-Had-Isup: 1\r\n"); }}
        remove_body_part("application/isup");
        if (!has_body_part("application/isup") && has_body_part("application/sdp")) {{
            append_hf("X-Sees-Changes: 1\r\n");
        }}
    }} else if ($hdr(X-Op) == "keep") {{
        remove_body_part("application/sdp", "revert");
    }} else if ($hdr(X-Op) == "add") {{
        add_body_part("hello", "text/plain", "Content-Disposition: render\r\n");
    }} else if ($hdr(X-Op) == "replace") {{
        remove_body_part();
        if (!has_body_part()) {{ append_hf("X-Empty: 1\r\n"); }}
        add_body_part("just text", "text/plain");
    }} else if ($hdr(X-Op) == "filter") {{
        filter_body("application/isup");
        if (!filter_body("text/html")) {{ append_hf("X-No-Html: -1\r\n"); }}
    }} else if ($hdr(X-Op) == "append") {{
        search_append("X-Op: append", ";seen");
        search_append_body("m=audio 4000", "0");
        if (!search_append_body("nowhere", "x")) {{ append_hf("X-No-Match: -1\r\n"); }}
    }} else if ($hdr(X-Op) == "none") {{
        if (!remove_body_part("application/isup")) {{ append_hf("X-No-Isup: -1\r\n"); }}
        remove_body_part();
    }}
    t_relay("udp:127.0.0.1:{hop}");
    exit;
}}"#
    );
    Server::start(&cfg("loadmodule \"tm.so\"\n", &routes))
}

fn with_body(port: u16, op: &str, ct: &str, body: &str) -> String {
    request(
        "MESSAGE",
        "sip:bob@example.com",
        port,
        &format!("X-Op: {op}\r\n"),
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// What the next hop got for one request: (message, body).
fn relay(s: &Server, hop: &NextHop, op: &str, ct: &str, body: &str) -> (String, String) {
    let c = UdpClient::new();
    c.send(s, with_body(c.port(), op, ct, body).as_bytes());
    let (got, _) = hop.recv(s);
    let body = got
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap();
    let len: usize = header(&got, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, body.len(), "Content-Length matches: {got}");
    (got, body)
}

#[test]
fn parts_removed_kept_added() {
    let hop = NextHop::new();
    let s = proxy(hop.port());

    let (got, body) = relay(&s, &hop, "strip", MULTI_CT, &multi_body());
    assert_eq!(
        header(&got, "Content-Type"),
        Some("application/sdp"),
        "{got}"
    );
    assert_eq!(body, SDP, "the one part left is the body: {got}");
    assert_eq!(header(&got, "X-Had-Isup"), Some("1"), "{got}");
    assert_eq!(header(&got, "X-Sees-Changes"), Some("1"), "{got}");

    let (got, body) = relay(&s, &hop, "keep", MULTI_CT, &multi_body());
    assert_eq!(
        header(&got, "Content-Type"),
        Some("application/sdp"),
        "{got}"
    );
    assert_eq!(body, SDP, "{got}");

    let (got, body) = relay(&s, &hop, "add", "application/sdp", SDP);
    let ct = header(&got, "Content-Type").unwrap();
    let boundary = ct
        .strip_prefix("multipart/mixed;boundary=")
        .unwrap_or_else(|| panic!("a multipart body: {got}"));
    assert_eq!(
        body,
        format!(
            "--{boundary}\r\nContent-Type: application/sdp\r\n\r\n{SDP}\r\n\
             --{boundary}\r\nContent-Type: text/plain\r\nContent-Disposition: render\r\n\r\n\
             hello\r\n--{boundary}--\r\n"
        ),
        "{got}"
    );
}

#[test]
fn whole_body_removed_and_replaced() {
    let hop = NextHop::new();
    let s = proxy(hop.port());

    let (got, body) = relay(&s, &hop, "replace", MULTI_CT, &multi_body());
    assert_eq!(header(&got, "Content-Type"), Some("text/plain"), "{got}");
    assert_eq!(body, "just text", "{got}");
    assert_eq!(header(&got, "X-Empty"), Some("1"), "{got}");

    let (got, body) = relay(&s, &hop, "none", "application/sdp", SDP);
    assert!(body.is_empty(), "{got}");
    assert!(header(&got, "Content-Type").is_none(), "{got}");
    assert_eq!(header(&got, "X-No-Isup"), Some("-1"), "{got}");
}

#[test]
fn filter_body_keeps_one_part_and_search_append_inserts_after_a_match() {
    let hop = NextHop::new();
    let s = proxy(hop.port());

    let (got, body) = relay(&s, &hop, "filter", MULTI_CT, &multi_body());
    assert_eq!(
        header(&got, "Content-Type"),
        Some("application/isup;version=itu-t92+"),
        "{got}"
    );
    assert_eq!(body, "ISUP-BYTES", "{got}");
    assert_eq!(header(&got, "X-No-Html"), Some("-1"), "{got}");

    let (got, body) = relay(&s, &hop, "append", "application/sdp", SDP);
    assert_eq!(header(&got, "X-Op"), Some("append;seen"), "{got}");
    assert_eq!(body, SDP.replace("m=audio 4000", "m=audio 40000"), "{got}");
    assert_eq!(header(&got, "X-No-Match"), Some("-1"), "{got}");
}
