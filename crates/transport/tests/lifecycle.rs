//! Starting and stopping: binding errors, real ports, prompt shutdown.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use common::{local, reporter, request, start_one, test_config, WAIT};
use siplua_transport::{start, ListenSpec, Proto};

#[test]
fn udp_address_in_use_is_an_error_naming_it() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let (factory, _rx) = reporter(false);
    let specs = [
        local(Proto::Tcp),
        ListenSpec {
            proto: Proto::Udp,
            addr,
            advertised: None,
        },
    ];
    let err = start(&specs, test_config(), factory)
        .err()
        .expect("bind fails");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn tcp_address_in_use_is_an_error_naming_it() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let (factory, _rx) = reporter(false);
    let specs = [ListenSpec {
        proto: Proto::Tcp,
        addr,
        advertised: None,
    }];
    let err = start(&specs, test_config(), factory)
        .err()
        .expect("bind fails");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn port_zero_reports_the_real_port_and_advertises_it() {
    let (factory, _rx) = reporter(false);
    let specs = [
        local(Proto::Udp),
        local(Proto::Tcp),
        ListenSpec {
            proto: Proto::Udp,
            addr: "127.0.0.1:0".parse().unwrap(),
            advertised: Some(("sip.example.com".into(), 5060)),
        },
    ];
    let running = start(&specs, test_config(), factory).unwrap();
    let transports = running.transports();
    let sockets = transports.sockets();
    assert_eq!(sockets.len(), 3);
    for (i, s) in sockets.iter().enumerate() {
        assert_eq!(s.id.index(), i);
        assert_ne!(s.addr.port(), 0);
    }
    assert_eq!(sockets[0].advertised_port, sockets[0].addr.port());
    assert_eq!(sockets[0].advertised_host, "127.0.0.1");
    assert_eq!(sockets[1].proto, Proto::Tcp);
    assert_eq!(sockets[2].advertised_host, "sip.example.com");
    assert_eq!(sockets[2].advertised_port, 5060);
    running.shutdown();
}

#[test]
fn shutdown_is_prompt_with_blocked_receivers_and_open_connections() {
    let (factory, rx) = reporter(false);
    let cfg = test_config();
    let running = start(&[local(Proto::Udp), local(Proto::Tcp)], cfg, factory).unwrap();
    let tcp_addr = running.transports().sockets()[1].addr;
    let mut conn = TcpStream::connect(tcp_addr).unwrap();
    conn.write_all(request("before-shutdown", "").as_bytes())
        .unwrap();
    rx.recv_timeout(WAIT).expect("tcp message handled");
    let started = Instant::now();
    running.shutdown();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
    conn.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(conn.read(&mut buf), Ok(0) | Err(_)),
        "connection left open"
    );
}

#[test]
fn send_after_shutdown_fails() {
    let (running, addr, _rx) = start_one(Proto::Udp, test_config(), false);
    let transports = running.transports();
    running.shutdown();
    let dst = siplua_transport::Destination {
        proto: Proto::Udp,
        addr,
        socket: None,
        conn: None,
    };
    assert!(transports.send(&dst, b"x").is_err());
}

#[test]
fn every_worker_gets_a_unique_id_and_its_kind() {
    use siplua_transport::{Handler, HandlerFactory, Received, WorkerInfo, WorkerKind};
    use std::sync::Arc;

    struct Idle;
    impl Handler for Idle {
        fn handle(&mut self, _msg: Received) {}
    }
    let (tx, rx) = crossbeam_channel::unbounded();
    let factory: HandlerFactory = Arc::new(move |info: &WorkerInfo| {
        tx.send((info.id, info.kind)).unwrap();
        Box::new(Idle) as Box<dyn Handler>
    });
    let specs = [local(Proto::Udp), local(Proto::Tcp), local(Proto::Udp)];
    let running = start(&specs, test_config(), factory).unwrap();
    let mut seen: Vec<(usize, WorkerKind)> =
        (0..8).map(|_| rx.recv_timeout(WAIT).unwrap()).collect();
    seen.sort_by_key(|(id, _)| *id);
    let ids: Vec<usize> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (0..8).collect::<Vec<_>>());
    let count = |kind: WorkerKind| seen.iter().filter(|(_, k)| *k == kind).count();
    let sockets = running.transports().sockets().to_vec();
    assert_eq!(
        count(WorkerKind::Udp {
            socket: sockets[0].id
        }),
        3
    );
    assert_eq!(
        count(WorkerKind::Udp {
            socket: sockets[2].id
        }),
        3
    );
    assert_eq!(count(WorkerKind::Tcp), 2);
    assert!(rx
        .recv_timeout(std::time::Duration::from_millis(100))
        .is_err());
    running.shutdown();
}
