//! UDP: binding a socket and the receive loop run by each of its workers.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use socket2::{Domain, Protocol, Socket, Type};

use crate::handler::{handle_guarded, Handler};
use crate::message::Received;
use crate::recv_buf::{is_timeout, recv_into};
use crate::socket_info::{Proto, SocketId};
use crate::stop::Stop;

/// Datagrams between two looks at the receive backlog while not overloaded.
const OVERLOAD_SAMPLE: u32 = 16;

/// How often a blocked receiver looks at the stop flag; bounds shutdown latency.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Binds a UDP socket with large kernel buffers and a short read timeout for shutdown polling.
///
/// No SO_REUSEADDR: on Linux it would let a second server bind the same UDP port silently.
pub(crate) fn bind(addr: SocketAddr, buffer: usize) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    // Best effort: the kernel caps these at net.core.[rw]mem_max.
    if let Err(e) = sock.set_recv_buffer_size(buffer) {
        tracing::debug!(%addr, error = %e, "cannot set SO_RCVBUF");
    }
    if let Err(e) = sock.set_send_buffer_size(buffer) {
        tracing::debug!(%addr, error = %e, "cannot set SO_SNDBUF");
    }
    sock.bind(&addr.into())?;
    sock.set_read_timeout(Some(STOP_POLL))?;
    Ok(sock)
}

/// Sends one datagram from `sock`.
pub(crate) fn send_to(sock: &Socket, addr: SocketAddr, data: &[u8]) -> io::Result<()> {
    let n = sock.send_to(data, &addr.into())?;
    if n != data.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("udp send to {addr}: {n} of {} bytes sent", data.len()),
        ));
    }
    Ok(())
}

/// Whether a datagram carries nothing to handle: empty, or only CRLF keep-alives.
fn is_keepalive(data: &[u8]) -> bool {
    data.iter().all(|&b| b == b'\r' || b == b'\n')
}

/// Receives datagrams on `sock` and hands each one to `handler` until `stop` fires.
///
/// All workers of a socket run this on the same socket; the kernel wakes one per datagram.
pub(crate) fn worker_loop(
    sock: &Socket,
    socket: SocketId,
    max_message_size: usize,
    overload_percent: u8,
    stop: &Stop,
    handler: &mut dyn Handler,
) {
    // One extra byte tells a datagram of exactly the limit from a truncated bigger one.
    let room = max_message_size.saturating_add(1);
    let mut buf = BytesMut::with_capacity(room);
    // The backlog is read with a system call: every message while overloaded (to see the end
    // of it at once), else every OVERLOAD_SAMPLE-th message, which bounds the cost on the hot
    // path and still notices a flood within a few datagrams.
    let mut overloaded = false;
    let mut since_check: u32 = 0;
    while !stop.is_set() {
        let received = recv_into(&mut buf, room, |spare| sock.recv_from(spare));
        let (n, from) = match received {
            Ok(r) => r,
            Err(e) => {
                if !is_timeout(&e) {
                    tracing::debug!(error = %e, "udp receive error");
                }
                continue;
            }
        };
        let Some(src) = from.as_socket() else {
            buf.clear();
            continue;
        };
        if n > max_message_size {
            tracing::debug!(%src, "udp datagram over max_message_size dropped");
            buf.clear();
            continue;
        }
        if is_keepalive(&buf) {
            buf.clear();
            continue;
        }
        // A right-sized copy: splitting the receive buffer instead would tie up its whole
        // allocation (room for the largest datagram) for as long as a transaction keeps the
        // message.
        let data = Bytes::copy_from_slice(&buf);
        buf.clear();
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
