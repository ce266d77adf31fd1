//! Helpers shared by the integration tests: handlers that report to the test thread.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use siplua_transport::{
    start, Destination, Handler, HandlerFactory, ListenSpec, Proto, Received, Running,
    TransportConfig, WorkerInfo,
};

/// Long enough for loopback traffic on a loaded 2-core machine, short enough to fail fast.
pub const WAIT: Duration = Duration::from_secs(5);

/// What a handler saw: the worker that handled it and the message.
pub struct Seen {
    pub worker: usize,
    pub msg: Received,
}

/// Reports every message to the test and optionally echoes it back to its sender.
struct Reporter {
    worker: usize,
    info: WorkerInfo,
    tx: Sender<Seen>,
    echo: bool,
}

impl Handler for Reporter {
    fn handle(&mut self, msg: Received) {
        if msg.data.windows(5).any(|w| w == b"PANIC") {
            panic!("handler asked to panic");
        }
        if self.echo {
            let dst = Destination::reply_to(&msg);
            self.info
                .transports
                .send(&dst, &msg.data)
                .expect("echo send");
        }
        let _ = self.tx.send(Seen {
            worker: self.worker,
            msg,
        });
    }
}

/// A factory of reporting handlers and the receiving end of their reports.
pub fn reporter(echo: bool) -> (HandlerFactory, Receiver<Seen>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    let factory: HandlerFactory = Arc::new(move |info: &WorkerInfo| {
        Box::new(Reporter {
            worker: info.id,
            info: info.clone(),
            tx: tx.clone(),
            echo,
        }) as Box<dyn Handler>
    });
    (factory, rx)
}

/// Listen spec on 127.0.0.1 with a free port.
pub fn local(proto: Proto) -> ListenSpec {
    ListenSpec {
        proto,
        addr: "127.0.0.1:0".parse().unwrap(),
        advertised: None,
    }
}

/// Small worker counts and short timers for tests.
pub fn test_config() -> TransportConfig {
    TransportConfig {
        udp_workers: 3,
        tcp_workers: 2,
        ..TransportConfig::default()
    }
}

/// Starts one socket of `proto` and returns the server, its address and the reports.
pub fn start_one(
    proto: Proto,
    cfg: TransportConfig,
    echo: bool,
) -> (Running, SocketAddr, Receiver<Seen>) {
    let (factory, rx) = reporter(echo);
    let running = start(&[local(proto)], cfg, factory).expect("start");
    let addr = running.transports().sockets()[0].addr;
    (running, addr, rx)
}

/// A small SIP request whose Call-ID carries `tag`, with an optional body.
pub fn request(tag: &str, body: &str) -> String {
    format!(
        "OPTIONS sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK{tag}\r\n\
         Call-ID: {tag}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Text of a received message, for assertions.
pub fn text(seen: &Seen) -> String {
    String::from_utf8_lossy(&seen.msg.data).into_owned()
}
