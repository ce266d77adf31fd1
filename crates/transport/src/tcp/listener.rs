//! TCP listening sockets and their acceptor threads.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::socket_info::{Proto, SocketId};
use crate::tcp::{Layers, TcpContext};
use crate::tls::context::TlsContext;

/// Pending-connection backlog of a listening socket.
const BACKLOG: i32 = 1024;

/// Pause after an accept error (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(20);

/// Binds and listens. SO_REUSEADDR lets a restart bind while old connections sit in
/// TIME_WAIT; it does not allow two listeners on one port.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<Socket> {
    let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sock.bind(&addr.into())?;
    sock.listen(BACKLOG)?;
    Ok(sock)
}

/// Accepts connections until the stop signal fires, registering each in the table as a
/// connection of `proto`; on a `tls:` or `wss:` socket (`tls` given) each gets a server
/// session whose handshake its reader runs, on `ws:` and `wss:` its reader first answers
/// the WebSocket upgrade.
///
/// Connections beyond `tcp_max_connections`, or beyond `tcp_max_connections_per_source` from
/// one address, are accepted and closed at once, so the peer sees a reset rather than a
/// hanging handshake.
pub(crate) fn accept_loop(
    listener: &Socket,
    socket: SocketId,
    ctx: &Arc<TcpContext>,
    proto: Proto,
    tls: Option<&TlsContext>,
) {
    while !ctx.stop.is_set() {
        let (stream, from) = match listener.accept() {
            Ok(pair) => pair,
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    tracing::debug!(error = %e, "tcp accept failed");
                    std::thread::sleep(ACCEPT_ERROR_PAUSE);
                }
                continue;
            }
        };
        if ctx.stop.is_set() {
            break;
        }
        let Some(peer) = from.as_socket() else {
            continue;
        };
        let Some(slot) = ctx.per_source.acquire(peer.ip()) else {
            tracing::debug!(%peer, "tcp_max_connections_per_source reached; connection refused");
            continue;
        };
        let session = match tls.map(TlsContext::accept) {
            Some(Err(e)) => {
                tracing::debug!(%peer, error = %e, "tls session refused");
                continue;
            }
            Some(Ok(session)) => Some(session),
            None => None,
        };
        let layers = layers(ctx, proto, tls, session);
        if let Err(e) = ctx.register_holding(stream, peer, socket, layers, Some(slot)) {
            tracing::debug!(%peer, error = %e, "tcp connection refused");
        }
    }
}

/// What a connection accepted on a `proto` socket carries, with its send timeout.
fn layers(
    ctx: &TcpContext,
    proto: Proto,
    tls: Option<&TlsContext>,
    session: Option<crate::tls::session::TlsSession>,
) -> Layers {
    let tls_handshake = tls.map_or(Duration::ZERO, TlsContext::handshake_timeout);
    let (websocket, send_timeout) = match proto {
        Proto::Ws => (
            Some(ctx.limits.ws.handshake_timeout),
            ctx.limits.ws.send_timeout,
        ),
        Proto::Wss => (
            Some(tls_handshake + ctx.limits.wss.handshake_timeout),
            ctx.limits.wss.send_timeout,
        ),
        Proto::Tls => (
            None,
            tls.map_or(ctx.limits.send_timeout, TlsContext::send_timeout),
        ),
        Proto::Tcp | Proto::Udp => (None, ctx.limits.send_timeout),
    };
    Layers {
        tls: session,
        websocket,
        send_timeout,
    }
}

/// Unblocks an acceptor waiting in `accept` by connecting to it (after the stop signal fired).
pub(crate) fn wake(addr: SocketAddr, timeout: Duration) {
    let target = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    };
    if let Err(e) = std::net::TcpStream::connect_timeout(&target, timeout) {
        tracing::debug!(%target, error = %e, "cannot wake tcp acceptor");
    }
}
