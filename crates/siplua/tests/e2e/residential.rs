//! `etc/residential.cfg` unchanged (but for its port): two users register, one calls the
//! other through the proxy with SIPp on both sides — record-routed ACK and BYE, accounting
//! lines — and a call to a user registered twice forks in parallel (one answers, the other
//! is cancelled).

use crate::common;

use std::time::Duration;

use common::*;

fn residential_cfg() -> String {
    std::fs::read_to_string(root().join("etc/residential.cfg"))
        .expect("etc/residential.cfg")
        .replace(
            "socket = udp:127.0.0.1:5060",
            "socket = udp:127.0.0.1:{PORT}",
        )
}

/// The same script serving UDP and TCP on its port: two lines added, nothing changed.
fn residential_cfg_with_tcp() -> String {
    residential_cfg()
        .replace(
            "socket = udp:127.0.0.1:{PORT}",
            "socket = udp:127.0.0.1:{PORT}\nsocket = tcp:127.0.0.1:{PORT}",
        )
        .replace(
            "loadmodule \"proto_udp.so\"",
            "loadmodule \"proto_udp.so\"\nloadmodule \"proto_tcp.so\"",
        )
}

/// A REGISTER of `user` with a contact at `contact_port` (`;transport=tcp` for TCP).
fn register_request(
    proxy: &Server,
    user: &str,
    contact_port: u16,
    via_port: u16,
    tcp: bool,
) -> String {
    let transport = if tcp { ";transport=tcp" } else { "" };
    let extra =
        format!("Contact: <sip:{user}@127.0.0.1:{contact_port}{transport}>\r\nExpires: 600\r\n");
    let req = request(
        "REGISTER",
        &format!("sip:127.0.0.1:{}", proxy.port),
        via_port,
        &extra,
    )
    .replace(
        "To: <sip:bob@example.com>",
        &format!("To: <sip:{user}@127.0.0.1>"),
    )
    .replace(
        "From: <sip:alice@example.com>",
        &format!("From: <sip:{user}@127.0.0.1>"),
    );
    if tcp {
        req.replace("SIP/2.0/UDP", "SIP/2.0/TCP")
    } else {
        req
    }
}

/// Registers `user` with a contact at `contact_port`, from a fresh UDP socket.
fn register(proxy: &Server, user: &str, contact_port: u16) {
    let client = UdpClient::new();
    let req = register_request(proxy, user, contact_port, client.port(), false);
    let reply = client.request(proxy, &req).expect("REGISTER answered");
    assert_eq!(
        status(&reply),
        200,
        "REGISTER {user}: {reply}\n{}",
        proxy.log_text()
    );
}

fn call(proxy: &Server, callee: &str, caller_port: u16, calls: usize) {
    call_over(proxy, callee, caller_port, calls, "u1");
}

/// Runs `calls` SIPp calls to `callee` with SIPp's transport mode (`u1`, `t1`).
fn call_over(proxy: &Server, callee: &str, caller_port: u16, calls: usize, transport: &str) {
    SippCalls {
        service: callee,
        calls,
        transport,
        port: Some(caller_port),
        rate: Some(20),
        ..SippCalls::default()
    }
    .assert_ok(proxy);
}

#[test]
fn residential_config_registers_and_routes_calls() {
    let out = run_siplua(&[
        "-c",
        "-f",
        &root().join("etc/residential.cfg").display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let proxy = Server::start(&residential_cfg());
    let (alice_port, bob_port) = (free_port(), free_port());
    register(&proxy, "alice", alice_port);
    register(&proxy, "bob", bob_port);

    let _bob = SippCallee::start("call_uas.xml", bob_port, "u1", 10);
    call(&proxy, "bob", alice_port, 10);

    // The accounting line is written just after the final reply went out: give the last
    // one a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while proxy
        .log_text()
        .matches("ACC: transaction answered")
        .count()
        < 20
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = proxy.log_text();
    assert!(
        log.contains("new branch at sip:bob@127.0.0.1:"),
        "branch_route ran: {log}"
    );
    assert!(
        log.contains("incoming reply 180 Ringing"),
        "onreply_route ran: {log}"
    );
    assert_eq!(
        log.matches("ACC: transaction answered").count(),
        20,
        "10 INVITEs and 10 BYEs accounted: {log}"
    );
    assert!(log.contains(";method=BYE;"), "{log}");

    // Unknown user: 404 from lookup.
    let client = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:nobody@127.0.0.1:{}", proxy.port),
        client.port(),
        "",
    )
    .replace(
        "From: <sip:alice@example.com>",
        "From: <sip:alice@127.0.0.1>",
    );
    let reply = client.request(&proxy, &invite).expect("reply");
    assert_eq!(status(&reply), 404, "{reply}");
}

#[test]
fn a_user_registered_twice_is_called_in_parallel() {
    let proxy = Server::start(&residential_cfg());
    let (caller_port, answering, ringing) = (free_port(), free_port(), free_port());
    register(&proxy, "bob", answering);
    register(&proxy, "bob", ringing);

    let _answers = SippCallee::start("call_uas.xml", answering, "u1", 3);
    let _rings = SippCallee::start("ring_uas.xml", ringing, "u1", 3);
    call(&proxy, "bob", caller_port, 3);
    let log = proxy.log_text();
    assert_eq!(
        log.matches("new branch at sip:bob@").count(),
        6,
        "two branches per call: {log}"
    );
}

/// Sends a REGISTER over a TCP connection from local `port` — the port the phone also
/// listens on, as phones do, so the binding is its Contact and not the connection — and
/// returns the reply once the connection is closed again.
fn register_from_port(proxy: &Server, port: u16, req: &str) -> String {
    use socket2::{Domain, Socket, Type};
    use std::io::{Read, Write};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_reuse_address(true).expect("SO_REUSEADDR");
    let local: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    socket.bind(&local.into()).expect("bind the phone's port");
    socket.connect(&proxy.addr().into()).expect("connect");
    let mut stream: std::net::TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    stream.write_all(req.as_bytes()).expect("send REGISTER");
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn residential_config_routes_calls_over_tcp() {
    let proxy = Server::start(&residential_cfg_with_tcp());
    let (alice_port, bob_port) = (free_port(), free_port());
    for (user, port) in [("alice", alice_port), ("bob", bob_port)] {
        let req = register_request(&proxy, user, port, port, true);
        let reply = register_from_port(&proxy, port, &req);
        assert_eq!(status(&reply), 200, "{reply}\n{}", proxy.log_text());
        assert!(
            reply.contains(";transport=tcp>"),
            "the binding keeps its transport: {reply}"
        );
    }

    let _bob = SippCallee::start("call_uas.xml", bob_port, "t1", 5);
    call_over(&proxy, "bob", alice_port, 5, "t1");
    let log = proxy.log_text();
    assert_eq!(
        log.matches("new branch at sip:bob@127.0.0.1:").count(),
        5,
        "each call reached bob over TCP: {log}"
    );
}
