//! Message order with several workers: a peer's messages are handled in the order it sent
//! them (over UDP, each worker receives on its own `SO_REUSEPORT` socket; over TCP, each
//! connection feeds one worker's queue).

mod common;

use std::io::Write;
use std::net::{TcpStream, UdpSocket};

use common::{reporter, request, start_one, test_config, text, Seen, WAIT};
use crossbeam_channel::Receiver;
use siplua_transport::{start, ListenSpec, Proto};

/// Enough back-to-back messages that workers racing for them would interleave.
const BURST: usize = 400;

/// Takes `count` reports and returns (worker, text) for each, in handling order.
fn handled(rx: &Receiver<Seen>, count: usize) -> Vec<(usize, String)> {
    (0..count)
        .map(|_| {
            let seen = rx.recv_timeout(WAIT).expect("message handled");
            (seen.worker, text(&seen))
        })
        .collect()
}

#[test]
fn one_udp_peer_is_handled_in_order_by_one_worker() {
    let (running, addr, rx) = start_one(Proto::Udp, test_config(), false);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..BURST {
        peer.send_to(format!("MSG {i}").as_bytes(), addr).unwrap();
    }
    let seen = handled(&rx, BURST);
    let texts: Vec<String> = seen.iter().map(|(_, t)| t.clone()).collect();
    let sent: Vec<String> = (0..BURST).map(|i| format!("MSG {i}")).collect();
    assert_eq!(texts, sent, "handled out of order");
    assert!(
        seen.iter().all(|(w, _)| *w == seen[0].0),
        "one peer spread over several workers"
    );
    running.shutdown();
}

#[test]
fn every_worker_of_a_udp_address_receives() {
    // Peers are spread over the group by the kernel's hash of their address: with enough of
    // them, every worker gets some.
    let (running, addr, rx) = start_one(Proto::Udp, test_config(), false);
    let peers: Vec<UdpSocket> = (0..64)
        .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    for peer in &peers {
        peer.send_to(b"MSG", addr).unwrap();
    }
    let mut workers: Vec<usize> = handled(&rx, peers.len())
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    workers.sort_unstable();
    workers.dedup();
    assert_eq!(workers.len(), test_config().udp_workers, "{workers:?}");
    running.shutdown();
}

#[test]
fn a_udp_port_served_by_several_workers_cannot_be_joined_by_another_server() {
    let (running, addr, _rx) = start_one(Proto::Udp, test_config(), false);
    let (factory, _rx2) = reporter(false);
    let specs = [ListenSpec {
        proto: Proto::Udp,
        addr,
        advertised: None,
    }];
    let err = start(&specs, test_config(), factory)
        .err()
        .expect("second server on the same port refused");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    running.shutdown();
}

#[test]
fn one_tcp_connection_is_handled_in_order_by_one_worker() {
    let (running, addr, rx) = start_one(Proto::Tcp, test_config(), false);
    let mut stream = TcpStream::connect(addr).unwrap();
    let burst: String = (0..BURST).map(|i| request(&format!("m{i}"), "")).collect();
    stream.write_all(burst.as_bytes()).unwrap();
    let seen = handled(&rx, BURST);
    for (i, (_, text)) in seen.iter().enumerate() {
        assert!(
            text.contains(&format!("Call-ID: m{i}\r\n")),
            "message {i} out of order: {text}"
        );
    }
    assert!(seen.iter().all(|(w, _)| *w == seen[0].0));
    // The next connection feeds the other worker's queue.
    let mut other = TcpStream::connect(addr).unwrap();
    other.write_all(request("other", "").as_bytes()).unwrap();
    let (worker, _) = handled(&rx, 1).remove(0);
    assert_ne!(worker, seen[0].0, "two connections on one worker");
    running.shutdown();
}
