//! UDP transport over real sockets on 127.0.0.1.

mod common;

use std::collections::HashSet;
use std::net::UdpSocket;
use std::time::Duration;

use common::{start_one, test_config, text, WAIT};
use siplua_transport::{Destination, Proto, TransportConfig};

#[test]
fn echo_round_trip_every_datagram_handled_once() {
    let (running, addr, rx) = start_one(Proto::Udp, test_config(), true);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    let count = 200;
    // Echoes are read as they come, so the client's receive buffer cannot overflow.
    let echo_reader = {
        let client = client.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut echoed = HashSet::new();
            let mut buf = [0u8; 100];
            for _ in 0..count {
                let n = client.recv(&mut buf).expect("echo");
                echoed.insert(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
            echoed
        })
    };
    for i in 0..count {
        client.send_to(format!("MSG {i}").as_bytes(), addr).unwrap();
    }
    let mut handled = HashSet::new();
    let mut workers = HashSet::new();
    for _ in 0..count {
        let seen = rx.recv_timeout(WAIT).expect("message handled");
        assert_eq!(seen.msg.proto, Proto::Udp);
        assert_eq!(seen.msg.src, client.local_addr().unwrap());
        assert!(seen.msg.conn.is_none());
        assert!(
            handled.insert(text(&seen)),
            "handled twice: {}",
            text(&seen)
        );
        workers.insert(seen.worker);
    }
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    assert!(
        workers.iter().all(|&w| w < 3),
        "unknown worker ids {workers:?}"
    );
    let echoed = echo_reader.join().unwrap();
    assert_eq!(handled, echoed);
    assert_eq!(handled.len(), count);
    running.shutdown();
}

#[test]
fn oversize_empty_and_keepalive_datagrams_are_not_handled() {
    let cfg = TransportConfig {
        max_message_size: 100,
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Udp, cfg, false);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(&[b'x'; 101], addr).unwrap();
    client.send_to(b"", addr).unwrap();
    client.send_to(b"\r\n\r\n", addr).unwrap();
    client.send_to(&[b'y'; 100], addr).unwrap();
    let seen = rx.recv_timeout(WAIT).expect("message at the limit handled");
    assert_eq!(&seen.msg.data[..], &[b'y'; 100][..]);
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    running.shutdown();
}

#[test]
fn send_to_new_peer_uses_the_udp_socket() {
    let (running, addr, _rx) = start_one(Proto::Udp, test_config(), false);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    let dst = Destination {
        proto: Proto::Udp,
        addr: peer.local_addr().unwrap(),
        socket: None,
        conn: None,
    };
    running.transports().send(&dst, b"hello").unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(from, addr);
    running.shutdown();
}

#[test]
fn handler_panic_does_not_cost_a_worker() {
    let cfg = TransportConfig {
        udp_workers: 1,
        ..test_config()
    };
    let (running, addr, rx) = start_one(Proto::Udp, cfg, false);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.send_to(b"PANIC", addr).unwrap();
    client.send_to(b"after", addr).unwrap();
    let seen = rx.recv_timeout(WAIT).expect("worker survived");
    assert_eq!(text(&seen), "after");
    running.shutdown();
}
