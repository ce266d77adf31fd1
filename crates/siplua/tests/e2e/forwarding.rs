//! Stateless forwarding, end to end: a UDP socket in the test is the next hop. `forward()`
//! adds our Via (with a `z9hG4bK` branch), marks `received`/`rport` on the client's Via,
//! applies the script's edits (Request-URI rewrite, `append_hf`, `insert_hf`, `remove_hf`,
//! `mf_process_maxfwd_header`); the next hop's reply comes back through siplua, which removes
//! its Via and sends the reply to the client's `received`/`rport`.

use crate::common;

use common::*;

/// A 200 OK built by the next hop from the forwarded request (all its Vias copied).
fn ok_for(req: &str) -> String {
    let mut out = String::from("SIP/2.0 200 OK\r\n");
    for line in req.split("\r\n\r\n").next().unwrap().lines().skip(1) {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if ["via", "from", "call-id", "cseq"].contains(&name.as_str()) {
            out.push_str(line);
            out.push_str("\r\n");
        } else if name == "to" {
            out.push_str(line);
            out.push_str(";tag=hop-tag\r\n");
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

fn forwarding_cfg(hop: u16) -> String {
    cfg(
        "",
        &r#"route {
            if (!mf_process_maxfwd_header(10)) {
                sl_send_reply(483, "Too Many Hops");
                exit;
            }
            if ($rU == "viadu") {
                $du = "sip:127.0.0.1:HOP";
                forward();
                exit;
            }
            if ($rU == "viaruri") {
                forward();
                exit;
            }
            $rU = "rewritten";
            append_hf("X-Added: yes\r\n");
            insert_hf("X-First: top\r\n");
            append_hf("X-After-CallID: here\r\n", "Call-ID");
            remove_hf("X-Remove");
            if (!forward("udp:127.0.0.1:HOP")) {
                sl_send_reply(500, "Forward Failed");
            }
        }
        onreply_route {
            xlog("L_INFO", "onreply rs=[$rs] rr=[$rr] T=[$T_reply_code] ci=[$ci]\n");
        }"#
        .replace("HOP", &hop.to_string()),
    )
}

#[test]
fn forward_adds_via_applies_edits_and_routes_the_reply_back() {
    let hop = NextHop::new();
    let server = Server::start(&forwarding_cfg(hop.port()));
    let client = UdpClient::new();
    let req = format!(
        "OPTIONS sip:bob@127.0.0.1:{sport} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK-client-1;rport\r\n\
         From: <sip:alice@example.com>;tag=a1\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: fwd-1@test\r\n\
         CSeq: 1 OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         X-Remove: gone\r\n\
         X-Keep: kept\r\n\
         Content-Length: 0\r\n\r\n",
        sport = server.port
    );
    client.send(&server, req.as_bytes());
    let (fwd, from) = hop.recv(&server);
    assert_eq!(from, server.addr(), "sent from the listening socket");
    assert!(
        fwd.starts_with(&format!(
            "OPTIONS sip:rewritten@127.0.0.1:{} SIP/2.0\r\n",
            server.port
        )),
        "{fwd}"
    );

    let vias = headers(&fwd, "Via");
    assert_eq!(vias.len(), 2, "{fwd}");
    let ours = format!("SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK", server.port);
    assert!(vias[0].starts_with(&ours), "our Via on top: {fwd}");
    assert!(
        vias[0].len() > ours.len(),
        "a branch after the magic cookie: {fwd}"
    );
    assert_eq!(
        vias[1],
        format!(
            "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK-client-1;rport={};received=127.0.0.1",
            client.port()
        ),
        "{fwd}"
    );
    assert_eq!(header(&fwd, "Max-Forwards"), Some("69"), "{fwd}");
    assert_eq!(header(&fwd, "X-Added"), Some("yes"), "{fwd}");
    assert_eq!(header(&fwd, "X-Keep"), Some("kept"), "{fwd}");
    assert_eq!(header(&fwd, "X-Remove"), None, "{fwd}");
    let names: Vec<&str> = fwd
        .lines()
        .skip(1)
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        names.first(),
        Some(&"X-First"),
        "insert_hf puts it first: {fwd}"
    );
    let callid = names.iter().position(|n| *n == "Call-ID").unwrap();
    assert_eq!(names[callid + 1], "X-After-CallID", "{fwd}");

    // The next hop answers through siplua.
    hop.sock
        .send_to(ok_for(&fwd).as_bytes(), server.addr())
        .unwrap();
    let reply = client
        .recv()
        .unwrap_or_else(|| panic!("reply not forwarded back; log:\n{}", server.log_text()));
    assert_eq!(status(&reply), 200, "{reply}");
    let vias = headers(&reply, "Via");
    assert_eq!(vias.len(), 1, "our Via is removed: {reply}");
    assert!(
        vias[0].starts_with("SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK-client-1"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "To"),
        Some("<sip:bob@example.com>;tag=hop-tag"),
        "{reply}"
    );
    assert!(
        server.wait_log("onreply rs=[200] rr=[OK] T=[200] ci=[fwd-1@test]"),
        "{}",
        server.log_text()
    );
}

#[test]
fn retransmission_gets_the_same_branch() {
    let hop = NextHop::new();
    let server = Server::start(&forwarding_cfg(hop.port()));
    let client = UdpClient::new();
    let req = request("OPTIONS", "sip:bob@127.0.0.1", client.port(), "");
    client.send(&server, req.as_bytes());
    let (first, _) = hop.recv(&server);
    client.send(&server, req.as_bytes());
    let (second, _) = hop.recv(&server);
    assert_eq!(headers(&first, "Via")[0], headers(&second, "Via")[0]);
    let other = request("OPTIONS", "sip:bob@127.0.0.1", client.port(), "");
    client.send(&server, other.as_bytes());
    let (third, _) = hop.recv(&server);
    assert_ne!(
        headers(&first, "Via")[0],
        headers(&third, "Via")[0],
        "another request, another branch"
    );
}

#[test]
fn forward_to_du_and_to_the_request_uri() {
    let hop = NextHop::new();
    let server = Server::start(&forwarding_cfg(hop.port()));
    let client = UdpClient::new();
    client.send(
        &server,
        request("OPTIONS", "sip:viadu@example.com", client.port(), "").as_bytes(),
    );
    let (fwd, _) = hop.recv(&server);
    assert!(
        fwd.starts_with("OPTIONS sip:viadu@example.com SIP/2.0\r\n"),
        "$du does not change the R-URI: {fwd}"
    );

    let ruri = format!("sip:viaruri@127.0.0.1:{}", hop.port());
    client.send(
        &server,
        request("OPTIONS", &ruri, client.port(), "").as_bytes(),
    );
    let (fwd, _) = hop.recv(&server);
    assert!(
        fwd.starts_with(&format!("OPTIONS {ruri} SIP/2.0\r\n")),
        "{fwd}"
    );
    // Without received (same IP) and with rport filled in.
    assert_eq!(
        headers(&fwd, "Via")[1]
            .split(';')
            .find(|p| p.starts_with("rport")),
        Some(format!("rport={}", client.port()).as_str()),
        "{fwd}"
    );
}

#[test]
fn max_forwards_zero_gets_483_and_missing_is_added() {
    let hop = NextHop::new();
    let server = Server::start(&forwarding_cfg(hop.port()));
    let client = UdpClient::new();
    let req = request("OPTIONS", "sip:bob@127.0.0.1", client.port(), "")
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    let reply = client.ask(&server, &req);
    assert_eq!(
        (status(&reply), reason(&reply)),
        (483, "Too Many Hops"),
        "{reply}"
    );

    let req = request("OPTIONS", "sip:bob@127.0.0.1", client.port(), "")
        .replace("Max-Forwards: 70\r\n", "");
    client.send(&server, req.as_bytes());
    let (fwd, _) = hop.recv(&server);
    assert_eq!(header(&fwd, "Max-Forwards"), Some("10"), "{fwd}");
}

#[test]
fn reply_not_for_us_is_dropped() {
    let hop = NextHop::new();
    let server = Server::start(&forwarding_cfg(hop.port()));
    let client = UdpClient::new();
    // A reply whose top Via is not siplua's: nowhere to send it.
    let reply = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-x\r\nVia: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK-y\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: stray@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
        client.port()
    );
    client.send(&server, reply.as_bytes());
    assert!(client.silent_for(300));
    let r = client.ask(
        &server,
        &request("OPTIONS", "sip:bob@127.0.0.1", client.port(), "")
            .replace("Max-Forwards: 70", "Max-Forwards: 0"),
    );
    assert_eq!(status(&r), 483, "still serving");
}

#[test]
fn force_send_socket_picks_the_socket_forwarded_requests_leave_from() {
    let hop = NextHop::new();
    let second = free_port();
    let routes = r#"route {
            if ($rU == "bare") {
                force_send_socket(udp:127.0.0.1:SECOND);
            } else if ($rU == "quoted") {
                force_send_socket("udp:127.0.0.1:SECOND");
            } else if ($rU == "unknown") {
                if (!force_send_socket(udp:192.0.2.1:5060)) {
                    sl_send_reply(500, "No Such Socket");
                    exit;
                }
            }
            forward("udp:127.0.0.1:HOP");
        }"#
    .replace("SECOND", &second.to_string())
    .replace("HOP", &hop.port().to_string());
    let globals = format!("socket = udp:127.0.0.1:{second}\n");
    let server = Server::start(&cfg(&globals, &routes));
    let client = UdpClient::new();
    for (user, port) in [("plain", server.port), ("bare", second), ("quoted", second)] {
        let ruri = format!("sip:{user}@example.com");
        client.send(
            &server,
            request("OPTIONS", &ruri, client.port(), "").as_bytes(),
        );
        let (fwd, from) = hop.recv(&server);
        assert_eq!(from.port(), port, "{user}: {fwd}");
        assert!(
            headers(&fwd, "Via")[0].contains(&format!("127.0.0.1:{port}")),
            "{user}: {fwd}"
        );
    }
    let r = client.ask(
        &server,
        &request("OPTIONS", "sip:unknown@example.com", client.port(), ""),
    );
    assert_eq!(status(&r), 500, "{r}");
    assert!(server.wait_log("force_send_socket: udp:192.0.2.1:5060 is not a socket"));
}

#[test]
fn advertised_address_and_port_go_into_via_and_record_route() {
    let hop = NextHop::new();
    let routes = r#"route {
            if ($rU == "adv") {
                set_advertised_address("adv.example.com");
                set_advertised_port(5999);
            }
            if ($rU == "tm") {
                set_advertised_address("tm.example.com");
                t_relay("udp:127.0.0.1:HOP");
                exit;
            }
            record_route();
            forward("udp:127.0.0.1:HOP");
        }"#
    .replace("HOP", &hop.port().to_string());
    let globals = "advertised_address = \"pub.example.com\"\n\
                   loadmodule \"rr.so\"\nloadmodule \"tm.so\"\n";
    let server = Server::start(&cfg(globals, &routes));
    let client = UdpClient::new();
    let send = |user: &str| {
        let ruri = format!("sip:{user}@example.com");
        client.send(
            &server,
            request("OPTIONS", &ruri, client.port(), "").as_bytes(),
        );
        hop.recv(&server).0
    };
    // The global: every socket advertises pub.example.com with its own port.
    let fwd = send("plain");
    let port = server.port;
    let via = format!("SIP/2.0/UDP pub.example.com:{port};branch=");
    assert!(headers(&fwd, "Via")[0].starts_with(&via), "{fwd}");
    let rr = format!("<sip:pub.example.com:{port};lr");
    assert!(headers(&fwd, "Record-Route")[0].starts_with(&rr), "{fwd}");
    // The per-message functions win over it.
    let fwd = send("adv");
    let via = "SIP/2.0/UDP adv.example.com:5999;branch=";
    assert!(headers(&fwd, "Via")[0].starts_with(via), "{fwd}");
    let rr = "<sip:adv.example.com:5999;lr";
    assert!(headers(&fwd, "Record-Route")[0].starts_with(rr), "{fwd}");
    // And so do the branches tm sends.
    let fwd = send("tm");
    let via = format!("SIP/2.0/UDP tm.example.com:{port};branch=z9hG4bK");
    assert!(headers(&fwd, "Via")[0].starts_with(&via), "{fwd}");
}
