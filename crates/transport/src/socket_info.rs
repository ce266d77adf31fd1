//! What a listening socket is: its protocol, where it is bound and how it is advertised.

use std::fmt;
use std::net::SocketAddr;

/// Transport protocol of a socket or a destination.
///
/// The engine needs it for Via/Record-Route transport parameters and to pick a socket
/// to send from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// Datagrams: one SIP message per datagram.
    Udp,
    /// Stream: messages framed by Content-Length (RFC 3261 §18.3).
    Tcp,
    /// TCP carrying TLS records (RFC 3261 §26.2), framed as TCP once decrypted.
    Tls,
    /// WebSocket (RFC 7118): one SIP message per WebSocket message, over TCP.
    Ws,
    /// Secure WebSocket (RFC 7118): WebSocket over TLS.
    Wss,
}

impl Proto {
    /// Upper-case token as used in a Via header (`SIP/2.0/UDP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Udp => "UDP",
            Proto::Tcp => "TCP",
            Proto::Tls => "TLS",
            Proto::Ws => "WS",
            Proto::Wss => "WSS",
        }
    }

    /// The value of a SIP URI's `transport` parameter that names it (`tcp`...); none for UDP,
    /// the default a URI without the parameter means.
    pub fn uri_transport(self) -> Option<&'static str> {
        match self {
            Proto::Udp => None,
            Proto::Tcp => Some("tcp"),
            Proto::Tls => Some("tls"),
            Proto::Ws => Some("ws"),
            Proto::Wss => Some("wss"),
        }
    }

    /// Whether it runs over a connection (TCP, TLS, WS, WSS), as opposed to datagrams.
    pub fn is_stream(self) -> bool {
        self != Proto::Udp
    }

    /// Whether its connections carry TLS (TLS, WSS).
    pub fn is_secure(self) -> bool {
        matches!(self, Proto::Tls | Proto::Wss)
    }

    /// Whether it carries SIP in WebSocket messages (WS, WSS).
    pub fn is_websocket(self) -> bool {
        matches!(self, Proto::Ws | Proto::Wss)
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Small index of a listening socket, valid for [`crate::Transports::sockets`].
///
/// Messages and destinations carry this instead of a reference so that they stay
/// `Copy` and cheap to store in transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub u16);

impl SocketId {
    /// Position of the socket in [`crate::Transports::sockets`].
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// One `listen = proto:ip:port [as host:port]` line of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpec {
    /// Protocol to listen with.
    pub proto: Proto,
    /// Address to bind; port 0 picks a free port (the real one is in [`SocketInfo::addr`]).
    pub addr: SocketAddr,
    /// Host and port to put in Via/Record-Route instead of the bound ones (NAT, `as` in OpenSIPS).
    pub advertised: Option<(String, u16)>,
}

/// A bound listening socket, as the engine sees it.
///
/// The engine reads it to build Via and Record-Route headers and to match
/// `$Ri`/`$Rp`/`socket_in` in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketInfo {
    /// Index of this socket in [`crate::Transports::sockets`].
    pub id: SocketId,
    /// Protocol of the socket.
    pub proto: Proto,
    /// Real bound address (port 0 in the spec is replaced by the port the kernel chose).
    pub addr: SocketAddr,
    /// Host to advertise in headers; the bound IP unless the spec said otherwise.
    pub advertised_host: String,
    /// Port to advertise in headers; the bound port unless the spec said otherwise.
    pub advertised_port: u16,
}

impl SocketInfo {
    /// Builds the info of a socket bound at `addr` for `spec`, applying the default advertisement.
    pub(crate) fn new(id: SocketId, spec: &ListenSpec, addr: SocketAddr) -> Self {
        let (advertised_host, advertised_port) = match &spec.advertised {
            Some((host, port)) => (host.clone(), *port),
            None => (addr.ip().to_string(), addr.port()),
        };
        SocketInfo {
            id,
            proto: spec.proto,
            addr,
            advertised_host,
            advertised_port,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_defaults_to_bound_address() {
        let spec = ListenSpec {
            proto: Proto::Udp,
            addr: "127.0.0.1:0".parse().unwrap(),
            advertised: None,
        };
        let info = SocketInfo::new(SocketId(3), &spec, "127.0.0.1:5070".parse().unwrap());
        assert_eq!(info.advertised_host, "127.0.0.1");
        assert_eq!(info.advertised_port, 5070);
        assert_eq!(info.id.index(), 3);
    }

    #[test]
    fn advertised_override_is_kept() {
        let spec = ListenSpec {
            proto: Proto::Tcp,
            addr: "0.0.0.0:5060".parse().unwrap(),
            advertised: Some(("sip.example.com".into(), 5080)),
        };
        let info = SocketInfo::new(SocketId(0), &spec, "0.0.0.0:5060".parse().unwrap());
        assert_eq!(info.advertised_host, "sip.example.com");
        assert_eq!(info.advertised_port, 5080);
        assert_eq!(info.proto.to_string(), "TCP");
    }
}
