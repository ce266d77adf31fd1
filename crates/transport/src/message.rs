//! What crosses the boundary between transports and the engine: a received message and a destination.

use std::net::SocketAddr;

use bytes::Bytes;

use crate::socket_info::{Proto, SocketId};

/// Identifier of a TCP connection, never reused during a run.
///
/// The engine stores it with a transaction or a registration so that replies and
/// requests go back over the connection the peer opened (RFC 3261 §18.2.2, RFC 5626).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// One complete SIP message as it arrived, handed to a worker's [`crate::Handler`].
#[derive(Debug, Clone)]
pub struct Received {
    /// Exactly one SIP message (start line, headers, body), shared without copying.
    pub data: Bytes,
    /// Address of the peer that sent it (the source of the datagram or the TCP peer).
    pub src: SocketAddr,
    /// Local socket it arrived on (for TCP: the listening socket the connection belongs to).
    pub socket: SocketId,
    /// Protocol it arrived over.
    pub proto: Proto,
    /// TCP connection it came on, so that a reply can reuse it.
    pub conn: Option<ConnId>,
}

/// Where to send bytes, as resolved by the engine (DNS and routing already done).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destination {
    /// Protocol to send over.
    pub proto: Proto,
    /// Peer address.
    pub addr: SocketAddr,
    /// Local socket to send from; `None` picks the first socket of the same protocol and family.
    pub socket: Option<SocketId>,
    /// TCP connection to reuse if it is still open.
    pub conn: Option<ConnId>,
}

impl Destination {
    /// Destination for a reply to `msg`: same protocol, same peer, same socket, same connection.
    pub fn reply_to(msg: &Received) -> Self {
        Destination {
            proto: msg.proto,
            addr: msg.src,
            socket: Some(msg.socket),
            conn: msg.conn,
        }
    }
}
