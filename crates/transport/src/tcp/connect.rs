//! Outbound TCP connections, opened when the engine sends to a peer with no open connection.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

/// Connects to `dst` from the IP of the local listening socket `local` (any port), within `timeout`.
///
/// Binding the source IP makes the peer see the same address as in our Via on multi-homed hosts.
pub(crate) fn connect(local: SocketAddr, dst: SocketAddr, timeout: Duration) -> io::Result<Socket> {
    let annotate = |e: io::Error| io::Error::new(e.kind(), format!("tcp connect to {dst}: {e}"));
    let sock = Socket::new(Domain::for_address(dst), Type::STREAM, Some(Protocol::TCP))
        .map_err(annotate)?;
    if !local.ip().is_unspecified() {
        sock.bind(&SocketAddr::new(local.ip(), 0).into())
            .map_err(annotate)?;
    }
    sock.connect_timeout(&dst.into(), timeout)
        .map_err(annotate)?;
    Ok(sock)
}
