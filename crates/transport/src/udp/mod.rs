//! UDP: binding a socket and the receive loop run by each of its workers.

mod outbox;
mod recv_batch;

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};

use crate::handler::{handle_guarded, Handler};
use crate::message::Received;
use crate::recv_buf::is_timeout;
use crate::socket_info::{Proto, SocketId};
use crate::stop::Stop;
use recv_batch::RecvBatch;

/// Datagrams between two looks at the receive backlog while not overloaded.
const OVERLOAD_SAMPLE: u32 = 16;

/// A message whose handling takes longer than this (a database query, an HTTP call, a Lua
/// `sleep`) ends the holding back of answers: what is held goes out at once, and the next
/// batch sends every answer as it is made. Holding back pays only while handling is fast
/// next to the wake-up of the peer that it saves; behind slow handling it would only delay
/// answers. Holding resumes after a batch in which every message was fast.
const SLOW_MESSAGE: Duration = Duration::from_micros(200);

/// Binds the receive sockets of one UDP listen address: one per worker.
///
/// With several workers each gets a socket of its own in one `SO_REUSEPORT` group: the kernel
/// sends every datagram of one source address and port to the same socket, so one worker
/// handles a peer's messages in the order they arrived (a 180 is relayed before its 200, an
/// ACK before the BYE that follows it). Workers sharing one socket would race for consecutive
/// datagrams of a call. The price: one busy peer is served by one worker.
///
/// The address is first bound once without `SO_REUSEPORT`, so that a port already in use (by
/// another siplua too, which could otherwise join the group and take half the traffic) is
/// refused as with a single socket.
pub(crate) fn bind_group(
    addr: SocketAddr,
    buffer: usize,
    workers: usize,
) -> io::Result<Vec<Socket>> {
    if workers <= 1 {
        return Ok(vec![bind(addr, buffer, false)?]);
    }
    let first = if addr.port() == 0 {
        bind(addr, buffer, true)?
    } else {
        drop(bind(addr, buffer, false)?);
        bind(addr, buffer, true)?
    };
    // Port 0: the others join the port the kernel chose for the first.
    let bound = first.local_addr()?.as_socket().unwrap_or(addr);
    let mut group = Vec::with_capacity(workers);
    group.push(first);
    for _ in 1..workers {
        group.push(bind(bound, buffer, true)?);
    }
    Ok(group)
}

/// Binds a UDP socket with large kernel buffers.
///
/// Receives block without a timeout: a timed wait costs the kernel a timer armed and removed
/// each time the worker sleeps, which is before nearly every datagram at moderate rates. At
/// shutdown [`wake_receiver`] ends the wait instead.
///
/// No SO_REUSEADDR: on Linux it would let a second server bind the same UDP port silently.
fn bind(addr: SocketAddr, buffer: usize, reuse_port: bool) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    if reuse_port {
        sock.set_reuse_port(true)?;
    }
    // Best effort: the kernel caps these at net.core.[rw]mem_max.
    if let Err(e) = sock.set_recv_buffer_size(buffer) {
        tracing::debug!(%addr, error = %e, "cannot set SO_RCVBUF");
    }
    if let Err(e) = sock.set_send_buffer_size(buffer) {
        tracing::debug!(%addr, error = %e, "cannot set SO_SNDBUF");
    }
    sock.bind(&addr.into())?;
    Ok(sock)
}

/// Wakes the worker blocked receiving on `sock` so that it sees the stop flag.
///
/// Shutting the receive side of a UDP socket makes a blocked receive return 0 once the
/// datagrams already queued are read (Linux reports `ENOTCONN` for an unconnected socket but
/// still shuts it and wakes its waiters). Sending from the socket goes on working, so replies
/// and retransmissions during shutdown are not lost.
pub(crate) fn wake_receiver(sock: &Socket) {
    if let Err(e) = sock.shutdown(Shutdown::Read) {
        if e.kind() != io::ErrorKind::NotConnected {
            tracing::debug!(error = %e, "udp shutdown(SHUT_RD)");
        }
    }
}

/// Sends one datagram from `sock`; on a UDP worker handling a batch, a datagram to a source
/// of the batch is held back and sent with the batch's other answers ([`outbox`]), and any
/// other first sends what is held.
pub(crate) fn send_to(sock: &Socket, addr: SocketAddr, data: &[u8]) -> io::Result<()> {
    if outbox::hold(sock, addr, data) {
        return Ok(());
    }
    outbox::flush();
    let n = sock.send_to(data, &addr.into())?;
    if n != data.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("udp send to {addr}: {n} of {} bytes sent", data.len()),
        ));
    }
    Ok(())
}

/// Sends the datagrams this thread holds back, before a send over TCP, TLS or WebSocket,
/// so that a thread's sends leave in the order it made them.
pub(crate) fn send_held() {
    outbox::flush();
}

/// Whether a datagram carries nothing to handle: empty, or only CRLF keep-alives.
fn is_keepalive(data: &[u8]) -> bool {
    data.iter().all(|&b| b == b'\r' || b == b'\n')
}

/// Receives datagrams on `sock` and hands each one to `handler` until `stop` fires.
///
/// Each worker of a listen address runs this on its own socket of the group ([`bind_group`]).
/// It takes every datagram already queued in one call ([`RecvBatch`]), handles them in
/// order, and sends the answers to their sources together at the end ([`outbox`]), unless
/// handling is slow ([`SLOW_MESSAGE`]).
pub(crate) fn worker_loop(
    sock: &Socket,
    socket: SocketId,
    max_message_size: usize,
    overload_percent: u8,
    stop: &Stop,
    handler: &mut dyn Handler,
) {
    // One extra byte tells a datagram of exactly the limit from a truncated bigger one.
    let mut batch = RecvBatch::new(max_message_size.saturating_add(1));
    // The backlog is read with a system call: every message while overloaded (to see the end
    // of it at once), else every OVERLOAD_SAMPLE-th message, which bounds the cost on the hot
    // path and still notices a flood within a few datagrams.
    let mut overloaded = false;
    let mut since_check: u32 = 0;
    let mut hold_answers = true;
    while !stop.is_set() {
        let count = match batch.receive(sock) {
            Ok(count) => count,
            Err(e) => {
                if !is_timeout(&e) {
                    tracing::debug!(error = %e, "udp receive error");
                }
                continue;
            }
        };
        if hold_answers {
            outbox::open(batch.sources());
        }
        let mut all_fast = true;
        let mut last = Instant::now();
        for i in 0..count {
            let (bytes, from) = batch.datagram(i);
            let Some(src) = from else { continue };
            if bytes.len() > max_message_size {
                tracing::debug!(%src, "udp datagram over max_message_size dropped");
                continue;
            }
            if is_keepalive(bytes) {
                continue;
            }
            // A right-sized copy: the receive buffers are reused by the next batch, and a
            // transaction may keep the message for minutes.
            let data = Bytes::copy_from_slice(bytes);
            since_check += 1;
            if overloaded || since_check >= OVERLOAD_SAMPLE {
                since_check = 0;
                overloaded = crate::overload::udp_backlogged(sock, overload_percent);
            }
            handle_guarded(
                handler,
                Received {
                    data,
                    src,
                    socket,
                    proto: Proto::Udp,
                    conn: None,
                },
                overloaded,
            );
            let now = Instant::now();
            if now.duration_since(last) > SLOW_MESSAGE {
                all_fast = false;
                outbox::close();
            }
            last = now;
        }
        outbox::close();
        hold_answers = all_fast;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_detection() {
        assert!(is_keepalive(b""));
        assert!(is_keepalive(b"\r\n"));
        assert!(is_keepalive(b"\r\n\r\n"));
        assert!(!is_keepalive(b"\r\nOPTIONS"));
    }
}
