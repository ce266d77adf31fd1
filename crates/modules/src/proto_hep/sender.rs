//! The thread that sends HEP packets, so that a slow or absent collector never holds a SIP
//! worker: workers queue packets (dropped, and counted, when the queue is full) and this
//! thread writes them — UDP datagrams from one unbound socket per address family, HEPv3
//! over one TCP connection per destination, opened on demand within
//! `hep_async_local_connect_timeout` and written within `hep_send_timeout`; after a failed
//! connect the destination is left alone for a second.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use siplua_core::log::{emit, level};

use super::hep_id::{HepId, HepTransport};

/// How long a destination whose connect failed is skipped.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// One queued packet: the destination's index and the bytes.
pub type Queued = (usize, Vec<u8>);

/// Timeouts of the TCP side.
#[derive(Clone, Copy, Debug)]
pub struct TcpTimeouts {
    /// Connect timeout.
    pub connect: Duration,
    /// Write timeout.
    pub write: Duration,
}

/// What the thread keeps per destination.
struct Dest {
    id: HepId,
    stream: Option<TcpStream>,
    retry_at: Option<Instant>,
}

/// Runs until `stop` is set: takes packets from `rx` and sends them.
pub fn run(dests: Vec<HepId>, rx: Receiver<Queued>, timeouts: TcpTimeouts, stop: Arc<AtomicBool>) {
    let mut dests: Vec<Dest> = dests
        .into_iter()
        .map(|id| Dest {
            id,
            stream: None,
            retry_at: None,
        })
        .collect();
    let v4 = UdpSocket::bind("0.0.0.0:0").ok();
    let v6 = UdpSocket::bind("[::]:0").ok();
    while !stop.load(Ordering::Relaxed) {
        let (i, packet) = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(q) => q,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(d) = dests.get_mut(i) else { continue };
        let result = match d.id.transport {
            HepTransport::Udp => {
                let sock = if d.id.addr.is_ipv4() { &v4 } else { &v6 };
                match sock {
                    Some(s) => s.send_to(&packet, d.id.addr).map(|_| ()),
                    None => Err(std::io::Error::other("no UDP socket of that family")),
                }
            }
            HepTransport::Tcp => send_tcp(d, &packet, timeouts),
        };
        if let Err(e) = result {
            emit(
                level::WARN,
                "proto_hep",
                &format!("hep_id {} ({}): packet not sent: {e}", d.id.name, d.id.addr),
            );
        }
    }
}

fn send_tcp(d: &mut Dest, packet: &[u8], t: TcpTimeouts) -> std::io::Result<()> {
    if d.stream.is_none() {
        if d.retry_at.is_some_and(|at| Instant::now() < at) {
            return Ok(());
        }
        match connect(d.id.addr, t) {
            Ok(s) => {
                d.stream = Some(s);
                d.retry_at = None;
            }
            Err(e) => {
                d.retry_at = Some(Instant::now() + RETRY_AFTER);
                return Err(e);
            }
        }
    }
    let stream = d.stream.as_mut().expect("connected above");
    let r = stream.write_all(packet);
    if r.is_err() {
        d.stream = None;
    }
    r
}

fn connect(addr: SocketAddr, t: TcpTimeouts) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, t.connect)?;
    s.set_write_timeout(Some(t.write))?;
    s.set_nodelay(true)?;
    Ok(s)
}
