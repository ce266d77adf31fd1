//! The top Via of every reply says where the request came from (RFC 3261 §18.2.1, RFC 3581):
//! `received` when the sent-by host is not the source address, the source port in an empty
//! `rport`. Stateless replies (`sl_send_reply`, the registrar's), tm's local replies and the
//! Via of a forwarded request all carry it, as OpenSIPS and Kamailio do; clients behind NAT
//! learn their public address from it.

use crate::common;

use std::net::UdpSocket;

use common::*;

const ROUTES: &str = r#"route {
    if (is_method("REGISTER")) {
        save("location");
        exit;
    }
    if ($rU == "tm") {
        t_newtran();
        t_reply(404, "Not Here");
        exit;
    }
    if ($rU == "fwd") {
        forward("udp:127.0.0.1:$hdr(X-Hop)");
        exit;
    }
    sl_send_reply(200, "OK");
}"#;

fn server() -> Server {
    Server::start(&cfg(
        "loadmodule \"tm.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n",
        ROUTES,
    ))
}

/// A request from `client` whose top Via is `via` (a second Via follows it on the same line,
/// as a proxy's request would have).
fn request_with_via(method: &str, ruri: &str, via: &str, extra: &str) -> String {
    request(method, ruri, 0, extra).replace(
        "Via: SIP/2.0/UDP 127.0.0.1:0;branch=z9hG4bK-test-",
        &format!("Via: {via}, SIP/2.0/UDP 192.0.2.9;rport;branch=z9hG4bK-second-"),
    )
}

fn top_via(msg: &str) -> String {
    header(msg, "Via")
        .expect("a Via")
        .split(',')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn register_behind_nat_learns_its_public_address() {
    let server = server();
    let client = UdpClient::new();
    let via = "SIP/2.0/UDP 10.0.0.99:5060;rport;branch=z9hG4bKnat1";
    let req = request_with_via(
        "REGISTER",
        "sip:127.0.0.1",
        via,
        "Contact: <sip:alice@10.0.0.99:5060>\r\nExpires: 60\r\n",
    );
    // The Via names 10.0.0.99:5060: only `rport` brings the reply back to the NAT's port.
    let reply = client
        .request(&server, &req)
        .expect("200 at the source port");
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(
        top_via(&reply),
        format!(
            "SIP/2.0/UDP 10.0.0.99:5060;rport={};branch=z9hG4bKnat1;received=127.0.0.1",
            client.port()
        ),
        "{reply}"
    );
    assert!(
        reply.contains("SIP/2.0/UDP 192.0.2.9;rport;branch=z9hG4bK-second-"),
        "the second Via is copied unchanged: {reply}"
    );
}

#[test]
fn nothing_added_when_the_via_is_the_source() {
    let server = server();
    let client = UdpClient::new();
    let via = format!(
        "SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bKplain",
        client.port()
    );
    let reply = client
        .request(
            &server,
            &request_with_via("OPTIONS", "sip:x@127.0.0.1", &via, ""),
        )
        .expect("200");
    assert_eq!(top_via(&reply), via, "{reply}");
}

#[test]
fn tm_local_reply_carries_received() {
    let server = server();
    let client = UdpClient::new();
    // A host name as sent-by (a WebRTC or SIP client that does not know its address): the
    // reply goes to the source address at the Via's port, which is the client's.
    let via = format!(
        "SIP/2.0/UDP phone.invalid:{};branch=z9hG4bKtm1",
        client.port()
    );
    let reply = client
        .request(
            &server,
            &request_with_via("INVITE", "sip:tm@127.0.0.1", &via, ""),
        )
        .map(|first| {
            if status(&first) == 100 {
                recv_final(&client).expect("the 404")
            } else {
                first
            }
        })
        .expect("a reply");
    assert_eq!(status(&reply), 404, "{reply}");
    assert_eq!(
        top_via(&reply),
        format!("{via};received=127.0.0.1"),
        "{reply}"
    );
}

#[test]
fn forwarded_request_carries_received_and_rport() {
    let server = server();
    let client = UdpClient::new();
    let hop = UdpSocket::bind("127.0.0.1:0").unwrap();
    hop.set_read_timeout(Some(std::time::Duration::from_secs(3)))
        .unwrap();
    let via = "SIP/2.0/UDP 10.0.0.99:5060;rport;branch=z9hG4bKfwd1";
    let extra = format!("X-Hop: {}\r\n", hop.local_addr().unwrap().port());
    client.send(
        &server,
        request_with_via("MESSAGE", "sip:fwd@127.0.0.1", via, &extra).as_bytes(),
    );
    let forwarded = recv_datagram(&hop).expect("the forwarded MESSAGE");
    let vias = headers(&forwarded, "Via").join(",");
    let stamped = format!(
        "SIP/2.0/UDP 10.0.0.99:5060;rport={};branch=z9hG4bKfwd1;received=127.0.0.1",
        client.port()
    );
    assert!(vias.contains(&stamped), "{forwarded}");
}
