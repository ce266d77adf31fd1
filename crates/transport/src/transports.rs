//! The shared send path: sockets, the TCP connection table and the rules for picking them.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use socket2::Socket;

use crate::message::{ConnId, Destination};
use crate::socket_info::{Proto, SocketId, SocketInfo};
use crate::stop::Stop;
use crate::tap::{SendTap, Sent};
use crate::tcp::{connect, Layers, TcpContext};
use crate::tls::context::TlsContext;
use crate::udp;

/// Sockets and connections of a running server, shared (in an `Arc`) by all workers and timers.
///
/// It is the only way out: the engine sends replies, forwarded requests and retransmissions
/// through [`Transports::send`], from any thread.
pub struct Transports {
    sockets: Vec<SocketInfo>,
    /// UDP socket groups by [`SocketId`] index, one socket per worker (the first also sends);
    /// `None` at the index of a TCP socket.
    udp: Vec<Option<Vec<Socket>>>,
    tcp: Arc<TcpContext>,
    /// Present when TLS is configured; outbound TLS connections use its client side.
    tls: Option<Arc<TlsContext>>,
    stop: Arc<Stop>,
    /// The observer of sent messages, once set.
    tap: OnceLock<SendTap>,
}

impl Transports {
    pub(crate) fn new(
        sockets: Vec<SocketInfo>,
        udp: Vec<Option<Vec<Socket>>>,
        tcp: Arc<TcpContext>,
        tls: Option<Arc<TlsContext>>,
        stop: Arc<Stop>,
    ) -> Self {
        Transports {
            sockets,
            udp,
            tcp,
            tls,
            stop,
            tap: OnceLock::new(),
        }
    }

    /// All listening sockets, indexed by [`SocketId`], with their real bound addresses.
    pub fn sockets(&self) -> &[SocketInfo] {
        &self.sockets
    }

    /// The socket with this id, if there is one.
    pub fn socket(&self, id: SocketId) -> Option<&SocketInfo> {
        self.sockets.get(id.index())
    }

    /// Sends `data` (one complete SIP message) to `dst`.
    ///
    /// UDP: one datagram from the chosen socket. TCP: over `dst.conn` if it is still open,
    /// else over an open connection to `dst.addr` (its source address or an alias), else over
    /// a new connection opened within `tcp_connect_timeout` and then read like an accepted one.
    /// TLS: the same, a new connection also doing its client handshake (certificate checked
    /// against the CA list) before the send returns. Two workers sending at once to a new
    /// peer may each open a connection; both work. WS and WSS: only over a connection the
    /// peer opened (by id, source address or alias), as one frame; none is opened.
    pub fn send(&self, dst: &Destination, data: &[u8]) -> io::Result<()> {
        if self.stop.is_set() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "transports are shut down",
            ));
        }
        let local = match dst.proto {
            Proto::Udp => {
                let id = self.pick_socket(dst)?;
                match self.udp_socket(id) {
                    Some(sock) => udp::send_to(sock, dst.addr, data)?,
                    None => return Err(no_socket(dst)),
                }
                self.sockets[id.index()].addr
            }
            Proto::Tcp | Proto::Tls | Proto::Ws | Proto::Wss => {
                udp::send_held();
                self.send_stream(dst, data)?
            }
        };
        if let Some(tap) = self.tap.get() {
            tap(&Sent {
                proto: dst.proto,
                local,
                peer: dst.addr,
                data,
            });
        }
        Ok(())
    }

    /// Sets the observer of every message sent from now on (SIP capture); there is one at
    /// most, false when one was already set.
    pub fn set_send_tap(&self, tap: SendTap) -> bool {
        self.tap.set(tap).is_ok()
    }

    /// The UDP socket that sends for listen address `id` (any socket of the group would do:
    /// they share the address).
    pub(crate) fn udp_socket(&self, id: SocketId) -> Option<&Socket> {
        self.udp_receiver(id, 0)
    }

    /// The socket that worker number `member` of listen address `id` receives on.
    pub(crate) fn udp_receiver(&self, id: SocketId, member: usize) -> Option<&Socket> {
        self.udp.get(id.index())?.as_ref()?.get(member)
    }

    /// Wakes every UDP worker blocked in a receive, at shutdown.
    pub(crate) fn wake_udp_receivers(&self) {
        self.udp
            .iter()
            .flatten()
            .flatten()
            .for_each(crate::udp::wake_receiver);
    }

    /// Lets requests to `addr` reuse connection `conn` (RFC 5923 `alias`, or a registered
    /// contact behind NAT). Returns false if the connection is closed.
    pub fn add_alias(&self, conn: ConnId, addr: SocketAddr) -> bool {
        self.tcp.table.add_alias(conn, addr)
    }

    /// Number of open TCP, TLS, WS and WSS connections, for statistics.
    pub fn tcp_connection_count(&self) -> usize {
        self.tcp.table.len()
    }

    /// Sends over a stream connection; returns the listening address the connection belongs to.
    fn send_stream(&self, dst: &Destination, data: &[u8]) -> io::Result<SocketAddr> {
        let same_proto = |c: &Arc<crate::tcp::connection::Connection>| c.proto() == dst.proto;
        let open = dst
            .conn
            .and_then(|id| self.tcp.table.get(id))
            .filter(same_proto)
            .or_else(|| self.tcp.table.by_addr(dst.addr).filter(same_proto));
        if let Some(conn) = open {
            conn.write(data)?;
            return Ok(self.sockets[conn.socket().index()].addr);
        }
        if dst.proto.is_websocket() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!(
                    "no open {} connection from {}: siplua does not open WebSocket connections",
                    dst.proto, dst.addr
                ),
            ));
        }
        let id = self.pick_socket(dst)?;
        let local = self.sockets[id.index()].addr;
        let stream = connect::connect(local, dst.addr, self.tcp.limits.connect_timeout)?;
        let layers = match dst.proto {
            Proto::Tls => {
                let tls = self.tls.as_ref().ok_or_else(|| no_socket(dst))?;
                Layers {
                    tls: Some(tls.connect(&stream, dst.addr)?),
                    websocket: None,
                    send_timeout: tls.send_timeout(),
                }
            }
            _ => Layers {
                tls: None,
                websocket: None,
                send_timeout: self.tcp.limits.send_timeout,
            },
        };
        let conn = self.tcp.register(stream, dst.addr, id, layers)?;
        conn.write(data)?;
        Ok(local)
    }

    /// The socket to send from: the one asked for if it fits, else the first of the same
    /// protocol and address family.
    fn pick_socket(&self, dst: &Destination) -> io::Result<SocketId> {
        let fits = |s: &SocketInfo| s.proto == dst.proto && s.addr.is_ipv4() == dst.addr.is_ipv4();
        match dst.socket {
            Some(id) => match self.socket(id) {
                Some(info) if fits(info) => Ok(id),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("socket {} cannot send {} to {}", id.0, dst.proto, dst.addr),
                )),
            },
            None => self
                .sockets
                .iter()
                .find(|s| fits(s))
                .map(|s| s.id)
                .ok_or_else(|| no_socket(dst)),
        }
    }
}

fn no_socket(dst: &Destination) -> io::Error {
    io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!("no {} socket to send to {}", dst.proto, dst.addr),
    )
}
