//! The socket column: `[proto:]ip[:port]` naming one of the sockets siplua listens on,
//! which the selected destination's request leaves from.

use siplua_transport::{SocketId, Transports};

/// The listening socket `text` names (protocol and port must match when written).
pub fn find(transports: &Transports, text: &str) -> Option<SocketId> {
    let mut parts: Vec<&str> = text.trim().split(':').collect();
    let proto = match parts.first() {
        Some(p)
            if ["udp", "tcp", "tls", "ws", "wss"].contains(&p.to_ascii_lowercase().as_str()) =>
        {
            Some(parts.remove(0).to_ascii_lowercase())
        }
        _ => None,
    };
    let port = match parts.len() {
        2 => Some(parts.pop()?.parse::<u16>().ok()?),
        1 => None,
        _ => return None,
    };
    let ip: std::net::IpAddr = parts[0].trim_matches(['[', ']']).parse().ok()?;
    transports
        .sockets()
        .iter()
        .find(|s| {
            s.addr.ip() == ip
                && port.is_none_or(|p| p == s.addr.port())
                && proto
                    .as_deref()
                    .is_none_or(|p| p.eq_ignore_ascii_case(s.proto.as_str()))
        })
        .map(|s| s.id)
}
