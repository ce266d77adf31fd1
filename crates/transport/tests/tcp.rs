//! TCP transport over real sockets on 127.0.0.1.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{request, start_one, test_config, text, Seen, WAIT};
use crossbeam_channel::Receiver;
use siplua_transport::{Destination, Proto, Running, TransportConfig};

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

fn next(rx: &Receiver<Seen>) -> Seen {
    rx.recv_timeout(WAIT).expect("message handled")
}

/// Reads until `len` bytes arrived.
fn read_exact(s: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut buf = vec![0; len];
    s.read_exact(&mut buf).expect("read");
    buf
}

/// Whether the server closed the stream (EOF or reset) within the read timeout.
fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Opens two connections and gets a message through each; returns them, still open.
fn two_served(addr: SocketAddr, rx: &Receiver<Seen>) -> (TcpStream, TcpStream) {
    let mut first = connect(addr);
    let mut second = connect(addr);
    first.write_all(request("one", "").as_bytes()).unwrap();
    second.write_all(request("two", "").as_bytes()).unwrap();
    next(rx);
    next(rx);
    (first, second)
}

/// A third connection is closed by the server and its message never handled.
fn third_is_refused(addr: SocketAddr, rx: &Receiver<Seen>) {
    let mut third = connect(addr);
    let _ = third.write_all(request("three", "").as_bytes());
    assert!(closed_by_server(&mut third));
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
}

/// Once `first` is closed and the server has let it go, a new connection is served.
fn closing_one_makes_room(
    running: &Running,
    first: TcpStream,
    addr: SocketAddr,
    rx: &Receiver<Seen>,
) {
    drop(first);
    let deadline = Instant::now() + WAIT;
    while running.transports().tcp_connection_count() > 1 && Instant::now() < deadline {
        sleep(Duration::from_millis(10));
    }
    let mut fourth = connect(addr);
    fourth.write_all(request("four", "").as_bytes()).unwrap();
    assert_eq!(text(&next(rx)), request("four", ""));
}

#[test]
fn several_messages_in_one_write() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), false);
    let mut s = connect(addr);
    let all = [request("a", ""), request("b", "xyz"), request("c", "")].concat();
    s.write_all(all.as_bytes()).unwrap();
    let got: Vec<Seen> = (0..3).map(|_| next(&rx)).collect();
    let mut texts: Vec<String> = got.iter().map(text).collect();
    texts.sort();
    assert_eq!(
        texts,
        [request("a", ""), request("b", "xyz"), request("c", "")]
    );
    for seen in &got {
        assert_eq!(seen.msg.proto, Proto::Tcp);
        assert_eq!(seen.msg.src, s.local_addr().unwrap());
        assert_eq!(seen.msg.conn, got[0].msg.conn);
        assert!(seen.msg.conn.is_some());
    }
    running.shutdown();
}

#[test]
fn message_split_across_writes_with_a_delay() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), false);
    let mut s = connect(addr);
    let msg = request("split", "0123456789");
    let (head, tail) = msg.as_bytes().split_at(40);
    s.write_all(head).unwrap();
    sleep(Duration::from_millis(150));
    assert!(rx.try_recv().is_err(), "half a message was delivered");
    let (body_head, rest) = tail.split_at(tail.len() - 5);
    s.write_all(body_head).unwrap();
    sleep(Duration::from_millis(100));
    assert!(
        rx.try_recv().is_err(),
        "message without its whole body was delivered"
    );
    s.write_all(rest).unwrap();
    assert_eq!(text(&next(&rx)), msg);
    running.shutdown();
}

#[test]
fn body_is_delimited_by_content_length() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), false);
    let mut s = connect(addr);
    let body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n\r\n";
    let first = request("body", body);
    let second = request("after-body", "");
    s.write_all([first.clone(), second.clone()].concat().as_bytes())
        .unwrap();
    let mut texts = vec![text(&next(&rx)), text(&next(&rx))];
    texts.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(texts, expected);
    running.shutdown();
}

#[test]
fn crlf_keepalives_between_messages_are_skipped() {
    let cfg = TransportConfig {
        tcp_workers: 1,
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Tcp, cfg, false);
    let mut s = connect(addr);
    let wire = format!("\r\n{}\r\n{}", request("k1", ""), request("k2", "body"));
    s.write_all(wire.as_bytes()).unwrap();
    assert_eq!(text(&next(&rx)), request("k1", ""));
    assert_eq!(text(&next(&rx)), request("k2", "body"));
    running.shutdown();
}

#[test]
fn crlfcrlf_ping_gets_a_crlf_pong() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), false);
    let mut s = connect(addr);
    s.write_all(b"\r\n\r\n").unwrap();
    assert_eq!(read_exact(&mut s, 2), b"\r\n");
    s.write_all(request("after-ping", "").as_bytes()).unwrap();
    assert_eq!(text(&next(&rx)), request("after-ping", ""));
    running.shutdown();
}

#[test]
fn reply_by_conn_id_goes_back_on_the_same_connection() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), true);
    let mut s = connect(addr);
    let msg = request("echo", "hi");
    s.write_all(msg.as_bytes()).unwrap();
    next(&rx);
    assert_eq!(read_exact(&mut s, msg.len()), msg.as_bytes());

    // The connection id alone must find it: the address given is not the peer's.
    let seen_conn = {
        s.write_all(request("again", "").as_bytes()).unwrap();
        let seen = next(&rx);
        read_exact(&mut s, request("again", "").len());
        seen.msg.conn
    };
    let dst = Destination {
        proto: Proto::Tcp,
        addr: "127.0.0.1:9".parse().unwrap(),
        socket: None,
        conn: seen_conn,
    };
    running.transports().send(&dst, b"by-id").unwrap();
    assert_eq!(read_exact(&mut s, 5), b"by-id");
    running.shutdown();
}

#[test]
fn send_to_new_peer_opens_a_connection_and_replies_come_back() {
    let (running, local, rx) = start_one(Proto::Tcp, test_config(), false);
    let peer = TcpListener::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let dst = Destination {
        proto: Proto::Tcp,
        addr: peer_addr,
        socket: None,
        conn: None,
    };
    let transports = running.transports();
    let out = request("out", "");
    transports.send(&dst, out.as_bytes()).unwrap();
    let (mut conn, from) = peer.accept().unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(from.ip(), local.ip());
    assert_eq!(read_exact(&mut conn, out.len()), out.as_bytes());

    // A second send reuses the connection: no new accept, bytes on the same stream.
    transports.send(&dst, b"second").unwrap();
    assert_eq!(read_exact(&mut conn, 6), b"second");
    peer.set_nonblocking(true).unwrap();
    assert!(peer.accept().is_err(), "a second connection was opened");
    assert_eq!(transports.tcp_connection_count(), 1);

    let reply = request("reply", "");
    conn.write_all(reply.as_bytes()).unwrap();
    let seen = next(&rx);
    assert_eq!(text(&seen), reply);
    assert_eq!(seen.msg.src, peer_addr);
    assert_eq!(seen.msg.socket.index(), 0);
    assert!(seen.msg.conn.is_some());
    running.shutdown();
}

#[test]
fn alias_lets_a_request_reuse_an_accepted_connection() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), false);
    let mut s = connect(addr);
    s.write_all(request("reg", "").as_bytes()).unwrap();
    let seen = next(&rx);
    let alias: SocketAddr = "127.0.0.1:5999".parse().unwrap();
    let transports = running.transports();
    assert!(transports.add_alias(seen.msg.conn.unwrap(), alias));
    let dst = Destination {
        proto: Proto::Tcp,
        addr: alias,
        socket: None,
        conn: None,
    };
    transports.send(&dst, b"via-alias").unwrap();
    assert_eq!(read_exact(&mut s, 9), b"via-alias");
    running.shutdown();
}

#[test]
fn idle_connection_is_closed_after_lifetime() {
    let cfg = TransportConfig {
        tcp_connection_lifetime: Duration::from_millis(300),
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Tcp, cfg, false);
    let mut s = connect(addr);
    s.write_all(request("idle", "").as_bytes()).unwrap();
    let seen = next(&rx);
    let started = Instant::now();
    assert!(closed_by_server(&mut s));
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(200),
        "closed too early: {after:?}"
    );
    assert!(after < Duration::from_secs(2), "closed too late: {after:?}");
    sleep(Duration::from_millis(50));
    assert_eq!(running.transports().tcp_connection_count(), 0);
    assert!(seen.msg.conn.is_some());
    running.shutdown();
}

#[test]
fn framing_error_closes_the_connection() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), false);
    let mut s = connect(addr);
    let bad = "OPTIONS sip:bob@example.com SIP/2.0\r\nContent-Length: many\r\n\r\n";
    s.write_all(bad.as_bytes()).unwrap();
    assert!(closed_by_server(&mut s));
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    running.shutdown();
}

#[test]
fn oversize_message_closes_the_connection() {
    let cfg = TransportConfig {
        max_message_size: 300,
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Tcp, cfg, false);

    let mut big_body = connect(addr);
    big_body
        .write_all(request("big", &"x".repeat(400)).as_bytes())
        .unwrap();
    assert!(closed_by_server(&mut big_body));

    let mut endless_headers = connect(addr);
    let mut wire = String::from("OPTIONS sip:bob@example.com SIP/2.0\r\n");
    while wire.len() < 1000 {
        wire.push_str("X-Filler: 0123456789\r\n");
    }
    // The peer may see a reset before it finishes writing; either way the stream must end.
    let _ = endless_headers.write_all(wire.as_bytes());
    assert!(closed_by_server(&mut endless_headers));
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    running.shutdown();
}

#[test]
fn max_connections_is_enforced() {
    let cfg = TransportConfig {
        tcp_max_connections: 2,
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Tcp, cfg, false);
    let (first, _second) = two_served(addr, &rx);
    assert_eq!(running.transports().tcp_connection_count(), 2);

    third_is_refused(addr, &rx);

    // Outbound connections count too.
    let peer = TcpListener::bind("127.0.0.1:0").unwrap();
    let dst = Destination {
        proto: Proto::Tcp,
        addr: peer.local_addr().unwrap(),
        socket: None,
        conn: None,
    };
    assert!(running.transports().send(&dst, b"x").is_err());

    // Closing one makes room again.
    closing_one_makes_room(&running, first, addr, &rx);
    running.shutdown();
}

#[test]
fn connect_failure_is_an_error_naming_the_peer() {
    let (running, _addr, _rx) = start_one(Proto::Tcp, test_config(), false);
    let gone = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = gone.local_addr().unwrap();
    drop(gone);
    let dst = Destination {
        proto: Proto::Tcp,
        addr,
        socket: None,
        conn: None,
    };
    let err = running.transports().send(&dst, b"x").unwrap_err();
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    assert_eq!(running.transports().tcp_connection_count(), 0);
    running.shutdown();
}

#[test]
fn connections_per_source_are_capped_and_freed_on_close() {
    let cfg = TransportConfig {
        tcp_max_connections_per_source: 2,
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Tcp, cfg, false);
    let (first, _second) = two_served(addr, &rx);
    third_is_refused(addr, &rx);

    closing_one_makes_room(&running, first, addr, &rx);
    running.shutdown();
}

#[test]
fn a_message_trickled_slower_than_max_msg_time_closes_the_connection() {
    let cfg = TransportConfig {
        tcp_max_msg_time: Duration::from_millis(300),
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Tcp, cfg, false);
    let mut s = connect(addr);
    let msg = request("slow", "");
    let started = Instant::now();
    // One byte every 50 ms keeps the connection busy (no idle close) but never completes
    // the message in time.
    let mut closed = false;
    for b in msg.as_bytes() {
        if s.write_all(&[*b]).is_err() {
            closed = true;
            break;
        }
        sleep(Duration::from_millis(50));
        if started.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    assert!(closed || closed_by_server(&mut s), "still open");
    assert!(started.elapsed() < Duration::from_secs(2) || closed);
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    running.shutdown();
}
