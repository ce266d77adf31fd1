//! Stateless forwarding: requests sent on with our Via on top (core `forward()`), replies
//! sent back along their Via path. Also the destination resolution and Via building that the
//! stateful proxy reuses.

use std::net::SocketAddr;

use siplua_sip::edit::{Edits, Position};
use siplua_sip::via_stamp::ViaStamp;
use siplua_sip::{HeaderKind, Message, Uri};
use siplua_transport::{Destination, Proto, SocketInfo, Transports};

use crate::context::Context;

/// Where a request goes: protocol and resolved address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Transport to use.
    pub proto: Proto,
    /// Resolved address.
    pub addr: SocketAddr,
}

/// Resolves a destination written as a SIP URI (`sip:host:port;transport=tcp`) or as
/// `[proto:]host[:port]` to the first target of [`resolve_all`].
pub fn resolve(dest: &str) -> Result<Target, String> {
    resolve_all(dest).map(|mut list| list.swap_remove(0))
}

/// Resolves a destination to the targets a client tries in order (RFC 3263, see
/// [`crate::dns`]): an IP or an explicit port gives A/AAAA only, else NAPTR, SRV, then
/// A/AAAA on 5060 (5061 for `sips:` and TLS); the default transport is UDP (TLS for `sips:`). Never empty.
pub fn resolve_all(dest: &str) -> Result<Vec<Target>, String> {
    let dest = dest.trim();
    let (proto, host, port, secure) = match Uri::parse(dest) {
        Ok(u)
            if u.scheme() != siplua_sip::Scheme::Other && u.scheme() != siplua_sip::Scheme::Tel =>
        {
            let sips = u.scheme() == siplua_sip::Scheme::Sips;
            // RFC 3261 §26.2.2: a sips: URI is reached over TLS whatever its transport says
            // (over WSS when it says WebSocket).
            let proto = match u.transport().map(str::to_ascii_lowercase).as_deref() {
                Some("ws" | "wss") if sips => Some(Proto::Wss),
                _ if sips => Some(Proto::Tls),
                None => None,
                Some("udp") => Some(Proto::Udp),
                Some("tcp") => Some(Proto::Tcp),
                Some("tls") => Some(Proto::Tls),
                Some("ws") => Some(Proto::Ws),
                Some("wss") => Some(Proto::Wss),
                Some(other) => return Err(format!("transport '{other}' is not supported")),
            };
            let host = u.maddr().unwrap_or(u.host());
            (proto, host.to_owned(), u.port(), sips)
        }
        _ => {
            let (proto, rest) = match dest.split_once(':') {
                Some((p, r)) if p.eq_ignore_ascii_case("udp") => (Some(Proto::Udp), r),
                Some((p, r)) if p.eq_ignore_ascii_case("tcp") => (Some(Proto::Tcp), r),
                Some((p, r)) if p.eq_ignore_ascii_case("tls") => (Some(Proto::Tls), r),
                Some((p, r)) if p.eq_ignore_ascii_case("ws") => (Some(Proto::Ws), r),
                Some((p, r)) if p.eq_ignore_ascii_case("wss") => (Some(Proto::Wss), r),
                _ => (None, dest),
            };
            let (h, p) = crate::sipview::split_host_port(rest)?;
            (proto, h.to_owned(), p, false)
        }
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    crate::dns::resolve(crate::dns::Wanted {
        host,
        port,
        proto,
        secure,
    })
}

/// Puts a stored Path vector in front of the request's Route set (RFC 3327 §5.3), as OpenSIPS
/// does: before the first Route, or after the last Via when there is none.
pub fn add_path_route(msg: &Message, edits: &mut Edits, path: &str) -> Result<(), String> {
    let at = match msg.find(HeaderKind::Route) {
        Some((i, _)) => Position::Before(i),
        None => match msg.find_all(HeaderKind::Via).last() {
            Some((i, _)) => Position::After(i),
            None => Position::Top,
        },
    };
    edits
        .add_header(msg, "Route", path, at)
        .map_err(|e| format!("cannot add the Path as Route: {e}"))
}

/// The port a destination without one is reached on: 5061 for TLS, 5060 for UDP and TCP
/// (RFC 3261 §19.1.2), 80 for WS and 443 for WSS (RFC 7118 §5.2, OpenSIPS' `ws_port`/`wss_port`).
pub fn default_port(proto: Proto) -> u16 {
    match proto {
        Proto::Tls => 5061,
        Proto::Udp | Proto::Tcp => 5060,
        Proto::Ws => 80,
        Proto::Wss => 443,
    }
}

/// The local socket to send from: the forced one when it fits, else the first socket of the
/// same protocol and address family.
pub fn pick_socket<'t>(
    transports: &'t Transports,
    target: &Target,
    forced: Option<siplua_transport::SocketId>,
) -> Option<&'t SocketInfo> {
    if let Some(s) = forced.and_then(|id| transports.socket(id)) {
        if s.proto == target.proto {
            return Some(s);
        }
    }
    transports
        .sockets()
        .iter()
        .find(|s| s.proto == target.proto && s.addr.is_ipv4() == target.addr.is_ipv4())
}

/// The host and port that a message's forwarded copies advertise in Via and Record-Route
/// instead of their socket's own (`set_advertised_address`, `set_advertised_port`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Advertised {
    /// The host, when the script set one.
    pub host: Option<String>,
    /// The port, when the script set one.
    pub port: Option<u16>,
    /// Our Via asks the next hop for `rport` (`force_local_rport`, `add_local_rport`).
    pub rport: bool,
}

impl Advertised {
    /// The host to advertise for a copy sent from `socket`.
    pub fn host<'a>(&'a self, socket: &'a SocketInfo) -> &'a str {
        self.host.as_deref().unwrap_or(&socket.advertised_host)
    }

    /// The port to advertise for a copy sent from `socket`.
    pub fn port(&self, socket: &SocketInfo) -> u16 {
        self.port.unwrap_or(socket.advertised_port)
    }
}

/// Our Via value for a request sent from `socket`, advertising `advertised` over the
/// socket's own address where the script set it.
pub fn via_value(socket: &SocketInfo, advertised: &Advertised, branch: &str) -> String {
    let host = advertised.host(socket);
    let bracket = host.contains(':') && !host.starts_with('[');
    let mut value = String::with_capacity(32 + host.len() + branch.len());
    value.push_str("SIP/2.0/");
    value.extend(
        socket
            .proto
            .as_str()
            .chars()
            .map(|c| c.to_ascii_uppercase()),
    );
    value.push(' ');
    if bracket {
        value.push('[');
    }
    value.push_str(host);
    if bracket {
        value.push(']');
    }
    value.push(':');
    value.push_str(itoa::Buffer::new().format(advertised.port(socket)));
    value.push_str(";branch=");
    value.push_str(branch);
    if advertised.rport {
        value.push_str(";rport");
    }
    value
}

/// A branch for a statelessly forwarded request: derived from what identifies the request
/// (top Via branch, Call-ID, CSeq, new Request-URI), so a retransmission gets the same one
/// (RFC 3261 §16.11).
pub fn stateless_branch(msg: &Message, ruri: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for &x in b {
            h ^= u64::from(x);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(msg
        .top_via()
        .ok()
        .and_then(|v| v.branch())
        .unwrap_or("")
        .as_bytes());
    eat(msg.get(HeaderKind::CallId).unwrap_or("").as_bytes());
    eat(msg.get(HeaderKind::CSeq).unwrap_or("").as_bytes());
    eat(ruri.as_bytes());
    format!("z9hG4bKsl{h:016x}")
}

/// Adds `received` (and fills `rport`) on the request's top Via, as a server must for a
/// request whose sent-by differs from its source (RFC 3261 §18.2.1, RFC 3581).
pub fn mark_received(msg: &Message, src: SocketAddr, force_rport: bool, edits: &mut Edits) {
    let Some(stamp) = ViaStamp::for_message(msg, src, force_rport) else {
        return;
    };
    let Some((index, header)) = msg.find(HeaderKind::Via) else {
        return;
    };
    let _ = edits.replace_value(msg, index, &stamp.apply(msg.value_of(header)));
}

/// Forwards the request in `ctx` statelessly to `dest`, or `$du`, or the Request-URI.
pub fn forward_request(ctx: &mut Context, dest: Option<&str>) -> Result<(), String> {
    let msg = ctx.msg.as_ref().ok_or("no message to forward")?;
    if !msg.is_request() {
        return Err("forward() works on requests".into());
    }
    let transports = ctx
        .worker
        .transports
        .clone()
        .ok_or("transports are not running")?;
    let ruri = ctx.ruri().ok_or("no Request-URI")?.to_owned();
    let dest_text = dest
        .map(str::to_owned)
        .or_else(|| ctx.dst_uri.clone())
        .unwrap_or_else(|| ruri.clone());
    let target = resolve(&dest_text)?;
    let socket = pick_socket(&transports, &target, ctx.send_socket).ok_or_else(|| {
        format!(
            "no {} socket to send to {}",
            target.proto.as_str(),
            target.addr
        )
    })?;
    let branch = stateless_branch(msg, &ruri);
    let mut edits = std::mem::take(&mut ctx.edits);
    if let Some(origin) = ctx.origin {
        mark_received(msg, origin.src, ctx.force_rport, &mut edits);
    }
    if let Some(new) = &ctx.new_ruri {
        edits
            .set_ruri(msg, new)
            .map_err(|e| format!("cannot rewrite the Request-URI: {e}"))?;
    }
    if let Some(path) = ctx.path.take() {
        add_path_route(msg, &mut edits, &path)?;
    }
    edits
        .insert_via(msg, &via_value(socket, &ctx.advertised, &branch))
        .map_err(|e| format!("cannot add Via: {e}"))?;
    let bytes = edits.apply(msg);
    ctx.edits = edits;
    let dst = Destination {
        proto: target.proto,
        addr: target.addr,
        socket: Some(socket.id),
        conn: None,
    };
    transports
        .send(&dst, &bytes)
        .map_err(|e| format!("cannot send to {}: {e}", target.addr))?;
    ctx.core.core_stats.fwd_requests.inc();
    Ok(())
}

/// Sends a received reply on along its Via path: our Via (which must be on top) is removed
/// and the reply goes to the next Via's `received`/`rport` or sent-by (RFC 3261 §18.2.2),
/// with what the main `onreply_route` changed in it (`change_reply_status`, header edits).
pub fn forward_reply(ctx: &mut Context) -> Result<(), String> {
    let msg = ctx.msg.ok_or("no reply")?;
    let transports = ctx
        .worker
        .transports
        .clone()
        .ok_or("transports are not running")?;
    let mut vias = msg.vias();
    let top = vias
        .next()
        .ok_or("reply without Via")?
        .map_err(|e| format!("bad top Via: {e}"))?;
    if !crate::corefn::is_myself(
        ctx.core,
        Some(&transports),
        top.host(),
        top.port().or(Some(5060)),
    ) {
        return Err(format!(
            "top Via {}:{} is not ours",
            top.host(),
            top.port().unwrap_or(5060)
        ));
    }
    let next = vias
        .next()
        .ok_or("no Via left after ours")?
        .map_err(|e| format!("bad second Via: {e}"))?;
    let proto = match next.transport().to_ascii_uppercase().as_str() {
        "UDP" => Proto::Udp,
        "TCP" => Proto::Tcp,
        "TLS" => Proto::Tls,
        "WS" => Proto::Ws,
        "WSS" => Proto::Wss,
        other => return Err(format!("transport {other} is not supported")),
    };
    let host = next.received().unwrap_or(next.host());
    let port = match next.rport() {
        Some(Some(p)) => p,
        _ => next.port().unwrap_or(default_port(proto)),
    };
    let target = resolve(&format!("{}:{host}:{port}", proto.as_str()))?;
    let mut edits = std::mem::take(&mut ctx.edits);
    edits
        .remove_top_via(msg)
        .map_err(|e| format!("cannot remove our Via: {e}"))?;
    let bytes = edits.apply(msg);
    let dst = Destination {
        proto,
        addr: target.addr,
        socket: None,
        conn: None,
    };
    transports
        .send(&dst, &bytes)
        .map_err(|e| format!("cannot send reply to {}: {e}", target.addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_forms() {
        let t = resolve("sip:bob@127.0.0.1:5080;transport=tcp").unwrap();
        assert_eq!(
            (t.proto, t.addr),
            (Proto::Tcp, "127.0.0.1:5080".parse().unwrap())
        );
        let t = resolve("udp:127.0.0.1:5070").unwrap();
        assert_eq!(
            (t.proto, t.addr),
            (Proto::Udp, "127.0.0.1:5070".parse().unwrap())
        );
        let t = resolve("sip:127.0.0.1").unwrap();
        assert_eq!(t.addr.port(), 5060);
        assert!(resolve("sip:a@b;transport=sctp").is_err());
        let t = resolve("sips:bob@127.0.0.1").unwrap();
        assert_eq!(
            (t.proto, t.addr),
            (Proto::Tls, "127.0.0.1:5061".parse().unwrap())
        );
        let t = resolve("sip:127.0.0.1:5071;transport=TLS").unwrap();
        assert_eq!(t.proto, Proto::Tls);
        let t = resolve("tls:127.0.0.1").unwrap();
        assert_eq!(
            (t.proto, t.addr),
            (Proto::Tls, "127.0.0.1:5061".parse().unwrap())
        );
    }

    #[test]
    fn host_names_use_the_system_configuration() {
        // /etc/hosts, through the resolver's system configuration.
        let t = resolve("udp:localhost:5070").unwrap();
        assert_eq!(t.addr, "127.0.0.1:5070".parse().unwrap());
    }

    #[test]
    fn received_and_rport_are_added() {
        let raw = "OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK1, SIP/2.0/UDP h2;branch=z9hG4bK2\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        let msg = Message::parse_slice(raw.as_bytes()).unwrap();
        let mut edits = Edits::default();
        mark_received(&msg, "192.0.2.7:40000".parse().unwrap(), false, &mut edits);
        let out = String::from_utf8(edits.apply(&msg)).unwrap();
        assert!(out.contains("Via: SIP/2.0/UDP 10.0.0.1:5062;rport=40000;branch=z9hG4bK1;received=192.0.2.7, SIP/2.0/UDP h2;branch=z9hG4bK2\r\n"), "{out}");
    }
}
