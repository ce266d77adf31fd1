//! rr end to end: `record_route()` / `record_route_preset()` header text and `loose_route()`
//! (RFC 3261 §16.4, §16.12) seen in what siplua forwards to a UDP peer of the test.

use crate::common;

use std::io::Write;
use std::net::TcpStream;

use common::*;

const ROUTES: &str = r#"route {
    if (loose_route()) {
        $var(lr) = "yes";
    } else {
        $var(lr) = "no";
    }
    if (!has_totag()) {
        if (is_present_hf("X-Preset")) {
            record_route_preset("$hdr(X-Preset)", "foo=bar");
        } else {
            record_route();
        }
    }
    if (is_present_hf("X-Report")) {
        append_to_reply("X-LR: $var(lr)\r\nX-RU: $ru\r\nX-DU: $du\r\n");
        sl_send_reply(200, "Routed");
        exit;
    }
    forward();
}"#;

fn rr_server() -> Server {
    Server::start(&cfg(
        "loadmodule \"rr.so\"\nmodparam(\"rr\", \"append_fromtag\", 1)\n",
        ROUTES,
    ))
}

/// An in-dialog request (To-tag set) with the given Route lines.
fn in_dialog(method: &str, ruri: &str, port: u16, routes: &str) -> String {
    request(method, ruri, port, routes).replace(
        "To: <sip:bob@example.com>\r\n",
        "To: <sip:bob@example.com>;tag=callee1\r\n",
    )
}

/// Waits for what siplua forwards to `peer`.
fn forwarded(peer: &UdpClient, server: &Server) -> String {
    peer.recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()))
}

/// The From tag `request()` put in a message.
fn from_tag(msg: &str) -> &str {
    header(msg, "From")
        .and_then(|f| f.split(";tag=").nth(1))
        .expect("From tag")
}

#[test]
fn record_route_adds_our_socket_with_lr_and_ftag() {
    let server = rr_server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", peer.port()),
        caller.port(),
        "",
    );
    caller.send(&server, invite.as_bytes());
    let got = forwarded(&peer, &server);
    let rr = headers(&got, "Record-Route");
    assert_eq!(
        rr,
        [format!(
            "<sip:127.0.0.1:{};lr;ftag={}>",
            server.port,
            from_tag(&invite)
        )],
        "{got}"
    );

    // Over TCP the Record-Route says so.
    let mut tcp = TcpStream::connect(server.addr()).unwrap();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", peer.port()),
        5999,
        "",
    )
    .replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    tcp.write_all(invite.as_bytes()).unwrap();
    let got = forwarded(&peer, &server);
    assert_eq!(
        headers(&got, "Record-Route"),
        [format!(
            "<sip:127.0.0.1:{};transport=tcp;lr;ftag={}>",
            server.port,
            from_tag(&invite)
        )],
        "{got}"
    );
}

#[test]
fn record_route_preset_uses_the_given_address_above_existing_ones() {
    let server = rr_server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", peer.port()),
        caller.port(),
        "X-Preset: proxy.example.com:5090\r\nRecord-Route: <sip:upstream.example.com;lr>\r\n",
    );
    caller.send(&server, invite.as_bytes());
    let got = forwarded(&peer, &server);
    assert_eq!(
        headers(&got, "Record-Route"),
        [
            format!(
                "<sip:proxy.example.com:5090;lr;ftag={};foo=bar>",
                from_tag(&invite)
            ),
            "<sip:upstream.example.com;lr>".to_owned()
        ],
        "{got}"
    );
}

#[test]
fn loose_route_removes_our_route_and_sends_to_the_next_lr_hop() {
    let server = rr_server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let (sp, pp) = (server.port, peer.port());

    // Both Route values on one line.
    let bye = in_dialog(
        "BYE",
        "sip:bob@192.0.2.99:5060",
        caller.port(),
        &format!("Route: <sip:127.0.0.1:{sp};lr;ftag=x>, <sip:127.0.0.1:{pp};lr>\r\n"),
    );
    let r = caller.ask(
        &server,
        &bye.replace("Max-Forwards", "X-Report: 1\r\nMax-Forwards"),
    );
    assert_eq!(header(&r, "X-LR"), Some("yes"), "{r}");
    assert_eq!(
        header(&r, "X-DU"),
        Some(format!("sip:127.0.0.1:{pp};lr").as_str()),
        "{r}"
    );
    assert_eq!(header(&r, "X-RU"), Some("sip:bob@192.0.2.99:5060"), "{r}");
    caller.send(&server, bye.as_bytes());
    let got = forwarded(&peer, &server);
    assert!(
        got.starts_with("BYE sip:bob@192.0.2.99:5060 SIP/2.0\r\n"),
        "{got}"
    );
    assert_eq!(
        headers(&got, "Route"),
        [format!("<sip:127.0.0.1:{pp};lr>")],
        "{got}"
    );
    assert!(
        headers(&got, "Record-Route").is_empty(),
        "no Record-Route in-dialog: {got}"
    );

    // One value per line: our line goes.
    let bye = in_dialog(
        "BYE",
        "sip:bob@192.0.2.99:5060",
        caller.port(),
        &format!("Route: <sip:127.0.0.1:{sp};lr>\r\nRoute: <sip:127.0.0.1:{pp};lr>\r\n"),
    );
    caller.send(&server, bye.as_bytes());
    let got = forwarded(&peer, &server);
    assert_eq!(
        headers(&got, "Route"),
        [format!("<sip:127.0.0.1:{pp};lr>")],
        "{got}"
    );
}

#[test]
fn loose_route_after_a_strict_router_restores_the_request_uri() {
    let server = rr_server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let (sp, pp) = (server.port, peer.port());
    // A strict router put our Record-Route URI in the R-URI and the remote target last.
    let bye = in_dialog(
        "BYE",
        &format!("sip:127.0.0.1:{sp};lr"),
        caller.port(),
        &format!("Route: <sip:127.0.0.1:{pp};lr>, <sip:bob@192.0.2.99:5060>\r\n"),
    );
    caller.send(&server, bye.as_bytes());
    let got = forwarded(&peer, &server);
    assert!(
        got.starts_with("BYE sip:bob@192.0.2.99:5060 SIP/2.0\r\n"),
        "{got}"
    );
    assert_eq!(
        headers(&got, "Route"),
        [format!("<sip:127.0.0.1:{pp};lr>")],
        "{got}"
    );
}

#[test]
fn loose_route_to_a_strict_next_hop_moves_it_into_the_request_uri() {
    let server = rr_server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let (sp, pp) = (server.port, peer.port());
    let bye = in_dialog(
        "BYE",
        "sip:bob@192.0.2.99:5060",
        caller.port(),
        &format!("Route: <sip:127.0.0.1:{sp};lr>, <sip:127.0.0.1:{pp}>\r\n"),
    );
    caller.send(&server, bye.as_bytes());
    let got = forwarded(&peer, &server);
    // RFC 3261 §16.12: the strict router gets the request with its URI as R-URI and the
    // old R-URI as the last Route.
    assert!(
        got.starts_with(&format!("BYE sip:127.0.0.1:{pp} SIP/2.0\r\n")),
        "{got}"
    );
    assert_eq!(
        headers(&got, "Route"),
        ["<sip:bob@192.0.2.99:5060>"],
        "{got}"
    );
}

#[test]
fn preloaded_route_is_followed_and_no_route_is_false() {
    let server = rr_server();
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    let pp = peer.port();
    let invite = request(
        "INVITE",
        "sip:bob@192.0.2.99",
        caller.port(),
        &format!("Route: <sip:127.0.0.1:{pp};lr>\r\n"),
    );
    let r = caller.ask(
        &server,
        &invite.replace("Max-Forwards", "X-Report: 1\r\nMax-Forwards"),
    );
    assert_eq!(header(&r, "X-LR"), Some("yes"), "{r}");
    assert_eq!(
        header(&r, "X-DU"),
        Some(format!("sip:127.0.0.1:{pp};lr").as_str()),
        "{r}"
    );
    caller.send(&server, invite.as_bytes());
    let got = forwarded(&peer, &server);
    assert!(
        got.starts_with("INVITE sip:bob@192.0.2.99 SIP/2.0\r\n"),
        "{got}"
    );
    assert_eq!(
        headers(&got, "Route"),
        [format!("<sip:127.0.0.1:{pp};lr>")],
        "{got}"
    );
    assert_eq!(headers(&got, "Record-Route").len(), 1, "{got}");

    let r = caller.ask(
        &server,
        &request(
            "OPTIONS",
            "sip:bob@192.0.2.99",
            caller.port(),
            "X-Report: 1\r\n",
        ),
    );
    assert_eq!(header(&r, "X-LR"), Some("no"), "{r}");
    assert_eq!(header(&r, "X-DU"), Some("<null>"), "{r}");
}

#[test]
fn remove_record_route_takes_back_what_record_route_added() {
    let server = Server::start(&cfg(
        "loadmodule \"rr.so\"\n",
        r#"route {
            record_route();
            record_route_preset("proxy.example.com");
            if ($rU == "norr") {
                remove_record_route();
                $var(again) = $rc;
                remove_record_route();
                xlog("L_INFO", "removed first=$var(again) second=$rc\n");
            }
            forward();
        }"#,
    ));
    let peer = UdpClient::new();
    let caller = UdpClient::new();
    for (user, count) in [("keep", 2), ("norr", 0)] {
        let invite = request(
            "INVITE",
            &format!("sip:{user}@127.0.0.1:{}", peer.port()),
            caller.port(),
            "Record-Route: <sip:upstream.example.com;lr>\r\n",
        );
        caller.send(&server, invite.as_bytes());
        let got = forwarded(&peer, &server);
        let rr = headers(&got, "Record-Route");
        assert_eq!(rr.len(), count + 1, "{user}: {got}");
        assert_eq!(rr[count], "<sip:upstream.example.com;lr>", "{got}");
    }
    assert!(
        server.wait_log("removed first=1 second=-1"),
        "{}",
        server.log_text()
    );
}
