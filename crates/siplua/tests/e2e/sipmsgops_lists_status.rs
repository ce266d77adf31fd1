//! sipmsgops' `remove_hf_glob`, `list_hdr_has_option` / `list_hdr_add_option` /
//! `list_hdr_remove_option` (what the next hop receives) and `change_reply_status` in a tm
//! onreply route (what the caller receives: a provisional reply within its class, a negative
//! final one stored and relayed changed, a 2xx refused).

use crate::common;

use common::*;

fn proxy(hop: u16) -> Server {
    let routes = format!(
        r#"route {{
    if (t_check_trans()) {{ t_relay(); exit; }}
    remove_hf_glob("x-secret-*");
    if (list_hdr_has_option("Supported", "TIMER")) {{ append_hf("X-Had-Timer: yes\r\n"); }}
    list_hdr_add_option("Supported", "100rel");
    list_hdr_add_option("Supported", "path");
    list_hdr_remove_option("Supported", "timer");
    if (!list_hdr_remove_option("Supported", "nothere")) {{ append_hf("X-Not-There: -1\r\n"); }}
    list_hdr_remove_option("Require", "foo");
    if (!list_hdr_has_option("Supported", "timer") && list_hdr_has_option("Supported", "path")) {{
        append_hf("X-Sees-Changes: yes\r\n");
    }}
    t_on_reply("r");
    t_relay("udp:127.0.0.1:{hop}");
    exit;
}}
onreply_route[r] {{
    if ($rs == 200) {{
        change_reply_status(500, "No");
        append_hf("X-Rc: $rc\r\n");
    }} else if ($rs == 180) {{
        change_reply_status(183, "Session Progress");
    }} else if ($rs == 603) {{
        change_reply_status(404, "Nobody");
        change_reply_status(404, "Not Found");
        append_hf("X-Onreply: seen\r\n");
    }}
}}"#
    );
    Server::start(&cfg("loadmodule \"tm.so\"\n", &routes))
}

#[test]
fn option_lists_and_globbed_headers() {
    let hop = NextHop::new();
    let s = proxy(hop.port());
    let c = UdpClient::new();
    let req = request(
        "OPTIONS",
        "sip:bob@example.com",
        c.port(),
        "Supported: timer, replaces\r\nSupported: timer\r\nRequire: foo\r\n\
         X-Secret-A: 1\r\nx-secret-b: 2\r\nX-Keep: 3\r\n",
    );
    c.send(&s, req.as_bytes());
    let (got, _) = hop.recv(&s);
    assert_eq!(
        headers(&got, "Supported"),
        ["replaces, 100rel, path"],
        "added to the first, timer taken out of both, the emptied one removed: {got}"
    );
    assert!(header(&got, "Require").is_none(), "{got}");
    assert!(header(&got, "X-Secret-A").is_none(), "{got}");
    assert!(header(&got, "x-secret-b").is_none(), "{got}");
    assert_eq!(header(&got, "X-Keep"), Some("3"), "{got}");
    assert_eq!(header(&got, "X-Had-Timer"), Some("yes"), "{got}");
    assert_eq!(header(&got, "X-Not-There"), Some("-1"), "{got}");
    assert_eq!(header(&got, "X-Sees-Changes"), Some("yes"), "{got}");

    // A 2xx keeps its class: refused, relayed as it came.
    hop.sock
        .send_to(reply_to(&got, 200, "OK").as_bytes(), s.addr())
        .unwrap();
    let r = recv_final(&c).expect("the 200");
    assert!(r.starts_with("SIP/2.0 200 OK\r\n"), "{r}");
    assert_eq!(header(&r, "X-Rc"), Some("-1"), "{r}");
}

#[test]
fn reply_status_changes() {
    let hop = NextHop::new();
    let s = proxy(hop.port());
    let c = UdpClient::new();
    let req = request("INVITE", "sip:bob@example.com", c.port(), "");
    c.send(&s, req.as_bytes());
    let invite = recv_invite(&hop.sock).expect("INVITE at the next hop");

    hop.sock
        .send_to(reply_to(&invite, 180, "Ringing").as_bytes(), s.addr())
        .unwrap();
    let ringing = loop {
        let m = c.recv().expect("the 180, changed");
        if status(&m) != 100 {
            break m;
        }
    };
    assert!(
        ringing.starts_with("SIP/2.0 183 Session Progress\r\n"),
        "{ringing}"
    );

    hop.sock
        .send_to(reply_to(&invite, 603, "Decline").as_bytes(), s.addr())
        .unwrap();
    let r = recv_final(&c).expect("the 603, changed");
    assert!(r.starts_with("SIP/2.0 404 Not Found\r\n"), "{r}");
    assert_eq!(
        header(&r, "X-Onreply"),
        Some("seen"),
        "the onreply route's other changes are kept too: {r}"
    );
    assert_eq!(headers(&r, "Via").len(), 1, "{r}");
}

#[test]
fn statelessly_forwarded_reply_changed_by_the_main_onreply_route() {
    let hop = NextHop::new();
    let routes = format!(
        r#"route {{
    forward("udp:127.0.0.1:{}");
    exit;
}}
onreply_route {{
    if ($rs == 486) {{
        change_reply_status(480, "Temporarily Unavailable");
        append_hf("X-Main-Onreply: 1\r\n");
    }}
}}"#,
        hop.port()
    );
    let s = Server::start(&cfg("", &routes));
    let c = UdpClient::new();
    c.send(
        &s,
        request("OPTIONS", "sip:bob@example.com", c.port(), "").as_bytes(),
    );
    let (got, _) = hop.recv(&s);
    hop.sock
        .send_to(reply_to(&got, 486, "Busy Here").as_bytes(), s.addr())
        .unwrap();
    let r = c.recv().expect("the reply");
    assert!(
        r.starts_with("SIP/2.0 480 Temporarily Unavailable\r\n"),
        "{r}"
    );
    assert_eq!(header(&r, "X-Main-Onreply"), Some("1"), "{r}");
    assert_eq!(headers(&r, "Via").len(), 1, "{r}");
}
