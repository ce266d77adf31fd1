//! `proto_ws` and `proto_wss` end to end (SIP over WebSocket, RFC 7118), with tungstenite as
//! the browser: the upgrade with and without the `sip` subprotocol, OPTIONS answered over
//! the connection with the WS Via kept, `$proto`/`$socket_in(proto)`, pings, a REGISTER over
//! WS and a call from a UDP phone reaching the browser over its connection (as the registrar
//! stores it, and after `fix_nated_contact`), bad SIP in a frame (400) and a message too big
//! (close 1009), WSS with the test certificates, and `siplua -c` of a WebRTC config.

use crate::common;
use crate::tls_support;
use crate::ws_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::*;
use tls_support::Pki;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::Message;
use ws_support::{webrtc_request, WsClient};

const WAIT: Duration = Duration::from_secs(5);

/// Proxy + registrar on UDP `{PORT}` and WS `{WS}`; `{EXTRA}` adds sockets and modules,
/// `{NAT}` runs before `save` (nathelper calls in one variant), `{ONREPLY}` is an
/// `onreply_route` or nothing.
const PROXY: &str = r#"log_level = 3
xlog_level = 3
stderror_enabled = yes
syslog_enabled = no
udp_workers = 1
tcp_workers = 2
socket = udp:127.0.0.1:{PORT}
socket = ws:127.0.0.1:{WS}
loadmodule "proto_udp.so"
loadmodule "proto_ws.so"
modparam("proto_ws", "ws_port", {WS})
modparam("proto_ws", "ws_handshake_timeout", 2000)
modparam("proto_ws", "ws_send_timeout", 1000)
modparam("proto_ws", "ws_max_msg_chunks", 8)
modparam("proto_ws", "trace_on", 0)
{EXTRA}
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "signaling.so"
loadmodule "sipmsgops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
route {
    if (is_method("OPTIONS")) {
        append_to_reply("X-Proto: $proto $socket_in(proto)\r\n");
        sl_send_reply(200, "OK");
        exit;
    }
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
            exit;
        }
        if (is_method("ACK")) {
            if (t_check_trans())
                t_relay();
            exit;
        }
        sl_send_reply(404, "Not here");
        exit;
    }
    if (is_method("REGISTER")) {
        {NAT}
        if (!save("location"))
            sl_send_reply(500, "save failed");
        exit;
    }
    record_route();
    if (!lookup("location")) {
        sl_send_reply(404, "Not Found");
        exit;
    }
    append_hf("X-Proto: $proto\r\n");
    if (!t_relay())
        sl_send_reply(500, "relay failed");
}
{ONREPLY}
"#;

/// Starts the proxy with `extra` lines, `nat` calls and an `onreply` route; returns it and
/// its WS port.
fn start(dir_name: &str, extra: &str, nat: &str, onreply: &str) -> (Server, u16) {
    let ws = free_port();
    let cfg = PROXY
        .replace("{WS}", &ws.to_string())
        .replace("{EXTRA}", extra)
        .replace("{NAT}", nat)
        .replace("{ONREPLY}", onreply);
    (Server::start_in(&scratch(dir_name), &cfg), ws)
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The upgrade is answered 101 with the `sip` subprotocol; OPTIONS comes back over the
/// connection with the client's WS Via, and the script sees `ws` as `$proto` and
/// `$socket_in(proto)`; a ping is answered with its pong.
#[test]
fn upgrade_options_and_ping() {
    let (server, ws_port) = start("ws-options", "", "", "");
    let mut ws = WsClient::connect(local(ws_port)).expect("upgrade");
    assert_eq!(ws.response.status().as_u16(), 101);
    assert_eq!(
        ws.response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok()),
        Some("sip")
    );
    ws.send(&webrtc_request(
        "OPTIONS",
        "sip:127.0.0.1",
        "WS",
        "alice",
        "opt1",
        "",
    ));
    let reply = ws.recv(WAIT).expect("reply over the websocket");
    assert_eq!(status(&reply), 200, "{reply}");
    let via = header(&reply, "Via").unwrap_or("");
    assert!(
        via.starts_with("SIP/2.0/WS df7jal23ls0d.invalid;"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Proto"), Some("ws ws"), "{reply}");

    ws.ws
        .send(Message::Ping(b"are you there".to_vec().into()))
        .expect("ping");
    let pong = ws.next_frame(WAIT).expect("pong");
    assert!(
        matches!(&pong, Message::Pong(p) if &p[..] == b"are you there"),
        "{pong:?}"
    );
    drop(server);
}

/// As OpenSIPS, an upgrade that does not ask for the `sip` subprotocol is refused with 400
/// and the connection closed; so is one that is not an upgrade at all. A client that sends
/// nothing is closed once `ws_handshake_timeout` is over.
#[test]
fn upgrade_without_sip_subprotocol_is_refused() {
    let (server, ws_port) = start("ws-refused", "", "", "");
    match WsClient::connect_with(local(ws_port), Some("chat")) {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 400),
        Err(e) => panic!("expected a 400 answer, got {e}"),
        Ok(_) => panic!("upgrade without sip accepted"),
    }
    assert!(matches!(
        WsClient::connect_with(local(ws_port), None),
        Err(tungstenite::Error::Http(resp)) if resp.status().as_u16() == 400
    ));
    // Plain SIP on the WebSocket port: 400 and closed.
    let mut tcp = TcpStream::connect(local(ws_port)).expect("connect");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.write_all(request("OPTIONS", "sip:127.0.0.1", 5999, "").as_bytes())
        .unwrap();
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    // A client that never sends its upgrade is closed after ws_handshake_timeout (2 s here).
    let mut silent = TcpStream::connect(local(ws_port)).expect("connect");
    silent.set_read_timeout(Some(WAIT)).unwrap();
    let started = std::time::Instant::now();
    let mut byte = [0u8; 1];
    assert!(
        matches!(silent.read(&mut byte), Ok(0)),
        "silent client not closed"
    );
    assert!(
        started.elapsed() < Duration::from_millis(4500),
        "{:?}",
        started.elapsed()
    );
    // The server goes on serving upgrades.
    assert!(WsClient::connect(local(ws_port)).is_ok());
    drop(server);
}

/// A browser registers over WS (its Contact names a `.invalid` host); a UDP phone's INVITE
/// for it is sent over the browser's connection, and the browser's 200 goes back to the
/// phone. Once with the registrar storing the source as `received`, once as WebRTC configs
/// do it: the Contact rewritten by `fix_nated_contact` (and `fix_nated_register`) on the
/// REGISTER and on the replies that come over WS, so the phone's BYE, routed by the
/// Record-Route to the fixed Contact, reaches the browser over its connection too.
#[test]
fn register_over_ws_then_call_from_udp() {
    let nathelper = "loadmodule \"nathelper.so\"\n\
                     modparam(\"nathelper\", \"received_avp\", \"$avp(rcv)\")\n\
                     modparam(\"registrar\", \"received_avp\", \"$avp(rcv)\")";
    let onreply = "onreply_route {\n    if ($proto == \"ws\")\n        fix_nated_contact();\n}";
    for (name, extra, nat, onreply) in [
        ("ws-call", "", "", ""),
        (
            "ws-call-nat",
            nathelper,
            "fix_nated_contact(); fix_nated_register();",
            onreply,
        ),
    ] {
        let (server, ws_port) = start(name, extra, nat, onreply);
        let mut browser = WsClient::connect(local(ws_port)).expect("upgrade");
        browser.send(&webrtc_request(
            "REGISTER",
            "sip:127.0.0.1",
            "WS",
            "alice",
            &format!("{name}-reg"),
            "Expires: 600\r\n",
        ));
        let ok = browser.recv_final(WAIT).expect("REGISTER answer");
        assert_eq!(status(&ok), 200, "{name}: {ok}");

        let phone = UdpClient::new();
        let invite = request(
            "INVITE",
            &format!("sip:alice@127.0.0.1:{}", server.port),
            phone.port(),
            "Contact: <sip:bob@127.0.0.1>\r\n",
        );
        phone.send(&server, invite.as_bytes());
        let got = browser.recv(WAIT).unwrap_or_else(|| {
            panic!(
                "{name}: INVITE not received over the websocket\n{}",
                server.log_text()
            )
        });
        assert!(got.starts_with("INVITE "), "{name}: {got}");
        assert!(
            header(&got, "Via")
                .is_some_and(|v| v.starts_with(&format!("SIP/2.0/WS 127.0.0.1:{ws_port};"))),
            "{name}: {got}"
        );
        assert_eq!(header(&got, "X-Proto"), Some("udp"), "{name}: {got}");
        // A UAS's 200: its Contact, and the Record-Route set copied from the INVITE.
        let mut contact = "Contact: <sip:abc@df7jal23ls0d.invalid;transport=ws>\r\n".to_owned();
        for rr in headers(&got, "Record-Route") {
            contact.push_str(&format!("Record-Route: {rr}\r\n"));
        }
        browser.send(
            &reply_to(&got, 200, "OK")
                .replace("Content-Length:", &format!("{contact}Content-Length:")),
        );
        let answer = recv_final(&phone).expect("200 at the phone");
        assert_eq!(status(&answer), 200, "{name}: {answer}");
        if onreply.is_empty() {
            continue;
        }
        // The browser's Contact, fixed in onreply_route, names its connection.
        let target = header(&answer, "Contact")
            .unwrap_or("")
            .trim_matches(['<', '>'])
            .to_owned();
        assert_eq!(
            target,
            format!("sip:abc@127.0.0.1:{};transport=ws", browser.local.port()),
            "{name}: {answer}"
        );
        let bye = format!(
            "BYE {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-bye-{name};rport\r\n\
             Route: {route}\r\nMax-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {callid}\r\n\
             CSeq: 99 BYE\r\nContent-Length: 0\r\n\r\n",
            port = phone.port(),
            route = header(&answer, "Record-Route").expect("Record-Route"),
            from = header(&invite, "From").unwrap_or(""),
            to = header(&answer, "To").unwrap_or(""),
            callid = header(&invite, "Call-ID").unwrap_or(""),
        );
        phone.send(&server, bye.as_bytes());
        let got_bye = browser.recv(WAIT).unwrap_or_else(|| {
            panic!(
                "{name}: BYE not received over the websocket\n{}",
                server.log_text()
            )
        });
        assert!(got_bye.starts_with("BYE "), "{name}: {got_bye}");
        browser.send(&reply_to(&got_bye, 200, "OK"));
        let done = recv_final(&phone).expect("200 to the BYE at the phone");
        assert_eq!(status(&done), 200, "{name}: {done}");
    }
}

/// A frame whose SIP does not parse gets a 400 over the connection (as over TCP); a message
/// over `max_message_size` closes the connection with 1009, an unmasked frame with 1002.
#[test]
fn bad_sip_gets_400_and_too_big_closes() {
    let (server, ws_port) = start("ws-bad", "max_message_size = 4096", "", "");
    let mut ws = WsClient::connect(local(ws_port)).expect("upgrade");
    ws.send(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK-bad\r\n\
         From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: bad\r\nCSeq: x OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
    );
    let reply = ws.recv(WAIT).expect("an answer to bad SIP");
    assert_eq!(status(&reply), 400, "{reply}");

    let big = webrtc_request(
        "OPTIONS",
        "sip:127.0.0.1",
        "WS",
        "alice",
        "big",
        &format!("X-Pad: {}\r\n", "a".repeat(8000)),
    );
    ws.send(&big);
    match ws.next_frame(WAIT) {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close frame with 1009, got {other:?}"),
    }
    assert!(ws.recv(Duration::from_millis(500)).is_none());

    // A frame a browser would never send (not masked) closes with 1002.
    let mut raw = WsClient::connect(local(ws_port)).expect("upgrade");
    raw.ws
        .get_mut()
        .write_all(&[0x81, 0x02, b'h', b'i'])
        .expect("raw frame");
    match raw.next_frame(WAIT) {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Protocol),
        other => panic!("expected a close frame with 1002, got {other:?}"),
    }
    drop(server);
}

/// WSS with the test certificates: the upgrade over TLS, OPTIONS answered with the WSS Via,
/// `$proto` `wss`, a REGISTER, then a call from the browser to itself: relayed back over
/// the same connection with our WSS Via and a Record-Route saying `transport=wss`, the
/// browser's 486 acknowledged to it as callee and relayed to it as caller.
#[test]
fn wss_options_register_and_call() {
    let dir = scratch("wss");
    let pki = Pki::generate(&dir);
    let wss = free_port();
    let extra = format!(
        "socket = wss:127.0.0.1:{wss}\nloadmodule \"tls_mgm.so\"\nloadmodule \"proto_tls.so\"\n\
         loadmodule \"proto_wss.so\"\n\
         modparam(\"tls_mgm\", \"certificate\", \"{}\")\n\
         modparam(\"tls_mgm\", \"private_key\", \"{}\")\n\
         modparam(\"tls_mgm\", \"ca_list\", \"{}\")\n\
         modparam(\"tls_mgm\", \"verify_cert\", \"0\")\n\
         modparam(\"tls_mgm\", \"require_cert\", \"0\")\n\
         modparam(\"proto_tls\", \"tls_handshake_timeout\", 2000)\n\
         modparam(\"proto_wss\", \"wss_port\", {wss})\n\
         modparam(\"proto_wss\", \"wss_handshake_timeout\", 2000)\n\
         modparam(\"proto_wss\", \"wss_send_timeout\", 1000)",
        pki.server.0.display(),
        pki.server.1.display(),
        pki.ca.display()
    );
    let ws = free_port();
    let cfg = PROXY
        .replace("{WS}", &ws.to_string())
        .replace("{EXTRA}", &extra)
        .replace("{NAT}", "")
        .replace("{ONREPLY}", "");
    let server = Server::start_in(&dir, &cfg);
    let config = pki.client_config(&pki.ca, None);
    let mut browser = WsClient::connect_tls(local(wss), config).expect("wss upgrade");
    browser.send(&webrtc_request(
        "OPTIONS",
        "sip:127.0.0.1",
        "WSS",
        "carol",
        "wss-opt",
        "",
    ));
    let reply = browser.recv(WAIT).expect("OPTIONS answer over wss");
    assert_eq!(status(&reply), 200, "{reply}");
    assert!(
        header(&reply, "Via").is_some_and(|v| v.starts_with("SIP/2.0/WSS df7jal23ls0d.invalid;")),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Proto"), Some("wss wss"), "{reply}");

    browser.send(&webrtc_request(
        "REGISTER",
        "sip:127.0.0.1",
        "WSS",
        "carol",
        "wss-reg",
        "Expires: 600\r\n",
    ));
    let ok = browser.recv_final(WAIT).expect("REGISTER answer");
    assert_eq!(status(&ok), 200, "{ok}");

    browser.send(&webrtc_request(
        "INVITE",
        &format!("sip:carol@127.0.0.1:{}", server.port),
        "WSS",
        "carol",
        "wss-call",
        "",
    ));
    let got = loop {
        let m = browser
            .recv(WAIT)
            .unwrap_or_else(|| panic!("INVITE not relayed over wss\n{}", server.log_text()));
        if m.starts_with("INVITE ") {
            break m;
        }
    };
    assert!(
        header(&got, "Via")
            .is_some_and(|v| v.starts_with(&format!("SIP/2.0/WSS 127.0.0.1:{wss};"))),
        "{got}"
    );
    assert!(
        header(&got, "Record-Route")
            .is_some_and(|r| r.contains(&format!("127.0.0.1:{wss};transport=wss"))),
        "{got}"
    );
    assert_eq!(header(&got, "X-Proto"), Some("wss"), "{got}");
    // The browser's own Via below ours, marked with where it came from.
    assert!(
        headers(&got, "Via")
            .iter()
            .any(|v| v.starts_with("SIP/2.0/WSS df7jal23ls0d.invalid;")
                && v.contains("received=127.0.0.1")),
        "{got}"
    );
    browser.send(&reply_to(&got, 486, "Busy Here"));
    // As callee the browser gets tm's ACK for its 486, as caller the 486 itself.
    let (mut ack, mut answer) = (None, None);
    while ack.is_none() || answer.is_none() {
        let m = browser.recv(WAIT).expect("ACK and 486 over wss");
        if m.starts_with("ACK ") {
            ack = Some(m);
        } else if status(&m) >= 200 {
            answer = Some(m);
        }
    }
    let answer = answer.unwrap_or_default();
    assert_eq!(status(&answer), 486, "{answer}");
    assert!(
        header(&answer, "Via").is_some_and(|v| v.contains("branch=z9hG4bK-wss-call-INVITE")),
        "{answer}"
    );
}

/// `siplua -c` accepts the lines of an OpenSIPS 3 WebRTC configuration, and refuses an
/// unknown parameter, a bad value, and a `wss:` socket without `proto_wss`.
#[test]
fn check_webrtc_config() {
    let base = r#"socket = udp:127.0.0.1:5060
socket = ws:127.0.0.1:8080
loadmodule "proto_udp.so"
loadmodule "proto_ws.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "sipmsgops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "nathelper.so"
modparam("proto_ws", "ws_port", 8080)
modparam("proto_ws", "ws_max_msg_chunks", 8)
modparam("proto_ws", "ws_send_timeout", 200)
modparam("proto_ws", "ws_resource", "/sip")
modparam("proto_ws", "ws_handshake_timeout", 300)
modparam("proto_ws", "trace_on", 0)
modparam("nathelper", "received_avp", "$avp(rcv)")
{MORE}
route {
    if (is_method("REGISTER")) {
        fix_nated_contact();
        fix_nated_register();
        save("location");
        exit;
    }
    if ($proto == "ws" || $socket_in(proto) == "wss") {
        record_route();
    }
    if (!lookup("location")) {
        sl_send_reply(404, "Not Found");
        exit;
    }
    t_relay();
}
"#;
    let (out, _) = check_config("webrtc.cfg", &base.replace("{MORE}", ""));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (name, more, expect) in [
        (
            "unknown.cfg",
            "modparam(\"proto_ws\", \"ws_no_such_thing\", 1)",
            "ws_no_such_thing",
        ),
        (
            "chunks.cfg",
            "modparam(\"proto_ws\", \"ws_max_msg_chunks\", 0)",
            "ws_max_msg_chunks",
        ),
        ("nowss.cfg", "socket = wss:127.0.0.1:8443", "proto_wss"),
    ] {
        let (out, path) = check_config(name, &base.replace("{MORE}", more));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} accepted");
        assert!(err.contains(expect), "{name}: {err}");
        assert!(err.contains(&path.display().to_string()), "{name}: {err}");
    }
}
