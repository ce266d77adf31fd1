//! Whether a registering user agent sits behind a NAT, and where to reach it then.
//!
//! OpenSIPS leaves this to the script (nathelper's `fix_nated_register` fills
//! `received_avp`); siplua decides in `save()` so that `lookup()` routes back to where the
//! REGISTER really came from. A binding gets the source address as its `received` URI when:
//!
//! 1. the script set `nat_bflag` on the REGISTER's branch;
//! 2. the Contact names a private or shared address (RFC 1918, RFC 6598, IPv6 unique-local or
//!    link-local) other than the source — nobody outside can reach it;
//! 3. the Contact names the host of the top Via but the request came from another address or
//!    port (the RFC 3581 situation: the device's own address was rewritten on the way);
//! 4. the REGISTER came over TCP (TLS, WS, WSS) and the Contact is not the connection's far
//!    end — a connection-oriented client is reached over its connection (a WebRTC client's
//!    Contact names a `.invalid` host that nobody can resolve).
//!
//! A Contact for another host than the sender (a third-party registration) is left alone.

use std::net::{IpAddr, SocketAddr};

use siplua_core::context::Origin;
use siplua_sip::headers::NameAddr;
use siplua_sip::{Scheme, Uri};
use siplua_transport::Proto;

/// The `received` URI to store for this Contact, or `None` when it is reachable as it is.
/// `via` is the top Via's sent-by host and port.
pub fn received(
    contact: &NameAddr,
    via: Option<(&str, Option<u16>)>,
    origin: &Origin,
    flagged: bool,
) -> Option<String> {
    let uri = contact.uri();
    let host = bare(uri.host());
    let ip: Option<IpAddr> = host.parse().ok();
    let nat = flagged
        || ip.is_some_and(|ip| is_private(ip) && ip != origin.src.ip())
        || via.is_some_and(|(vhost, vport)| {
            bare(vhost).eq_ignore_ascii_case(host) && sent_by(vhost, vport) != Some(origin.src)
        })
        || (origin.proto.is_stream() && contact_addr(&uri) != Some((origin.src, origin.proto)));
    nat.then(|| source_uri(origin.src, origin.proto))
}

fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The address a Via sent-by names, when it is an IP.
fn sent_by(host: &str, port: Option<u16>) -> Option<SocketAddr> {
    let ip: IpAddr = bare(host).parse().ok()?;
    Some(SocketAddr::new(ip, port.unwrap_or(5060)))
}

/// Addresses that are not reachable from outside the user agent's network.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The address and transport a request to this Contact goes to, when it names an IP.
fn contact_addr(uri: &Uri) -> Option<(SocketAddr, Proto)> {
    let ip: IpAddr = bare(uri.host()).parse().ok()?;
    let sips = uri.scheme() == Scheme::Sips;
    let proto = match uri.transport().map(str::to_ascii_lowercase).as_deref() {
        Some("ws" | "wss") if sips => Proto::Wss,
        _ if sips => Proto::Tls,
        Some("tcp") => Proto::Tcp,
        Some("tls") => Proto::Tls,
        Some("ws") => Proto::Ws,
        Some("wss") => Proto::Wss,
        _ => Proto::Udp,
    };
    let default_port = siplua_core::forward::default_port(proto);
    Some((
        SocketAddr::new(ip, uri.port().unwrap_or(default_port)),
        proto,
    ))
}

/// `sip:ip:port[;transport=tcp|tls|ws|wss]` for a source address.
pub(crate) fn source_uri(src: SocketAddr, proto: Proto) -> String {
    let host = match src.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    match proto {
        Proto::Udp => format!("sip:{host}:{}", src.port()),
        Proto::Tcp => format!("sip:{host}:{};transport=tcp", src.port()),
        Proto::Tls => format!("sip:{host}:{};transport=tls", src.port()),
        Proto::Ws => format!("sip:{host}:{};transport=ws", src.port()),
        Proto::Wss => format!("sip:{host}:{};transport=wss", src.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(src: &str, proto: Proto) -> Origin {
        Origin {
            src: src.parse().unwrap(),
            socket: siplua_transport::SocketId(0),
            proto,
            conn: None,
        }
    }

    fn check(contact: &str, via: (&str, Option<u16>), o: &Origin, flagged: bool) -> Option<String> {
        received(&NameAddr::parse(contact).unwrap(), Some(via), o, flagged)
    }

    #[test]
    fn rules() {
        let udp = origin("198.51.100.1:40000", Proto::Udp);
        let src = Some("sip:198.51.100.1:40000".to_owned());
        // Reachable as registered.
        let direct = "<sip:a@198.51.100.1:40000>";
        assert_eq!(
            check(direct, ("198.51.100.1", Some(40000)), &udp, false),
            None
        );
        // 1. flagged by the script.
        assert_eq!(
            check(direct, ("198.51.100.1", Some(40000)), &udp, true),
            src
        );
        // 2. private Contact.
        assert_eq!(
            check("<sip:a@10.0.0.1>", ("10.0.0.1", None), &udp, false),
            src
        );
        assert_eq!(check("<sip:a@100.64.1.1>", ("x", None), &udp, false), src);
        // 3. the device's Via says another port than the packet came from.
        let public = "<sip:a@198.51.100.1:5060>";
        assert_eq!(check(public, ("198.51.100.1", None), &udp, false), src);
        // Third-party registration: another public host, sent by someone else.
        assert_eq!(
            check(
                "<sip:a@203.0.113.9>",
                ("198.51.100.1", Some(40000)),
                &udp,
                false
            ),
            None
        );
        // 4. TCP: reached over the connection unless the Contact is its far end.
        let tcp = origin("198.51.100.1:40000", Proto::Tcp);
        assert_eq!(
            check(public, ("198.51.100.1", Some(40000)), &tcp, false).as_deref(),
            Some("sip:198.51.100.1:40000;transport=tcp")
        );
        let far_end = "<sip:a@198.51.100.1:40000;transport=tcp>";
        assert_eq!(
            check(far_end, ("198.51.100.1", Some(40000)), &tcp, false),
            None
        );
        // 5. TLS likewise, with transport=tls (a sips: Contact is TLS too).
        let tls = origin("198.51.100.1:40000", Proto::Tls);
        assert_eq!(
            check(public, ("198.51.100.1", Some(40000)), &tls, false).as_deref(),
            Some("sip:198.51.100.1:40000;transport=tls")
        );
        for far_end in [
            "<sip:a@198.51.100.1:40000;transport=tls>",
            "<sips:a@198.51.100.1:40000>",
        ] {
            assert_eq!(
                check(far_end, ("198.51.100.1", Some(40000)), &tls, false),
                None
            );
        }
        assert!(check(
            "<sip:a@198.51.100.1:40000;transport=tcp>",
            ("198.51.100.1", Some(40000)),
            &tls,
            false
        )
        .is_some());
        // 6. A WebRTC client over WS/WSS: its `.invalid` Contact is reached over the connection.
        let webrtc = "<sip:abc@df7jal23ls0d.invalid;transport=ws>";
        let ws = origin("198.51.100.1:40000", Proto::Ws);
        assert_eq!(
            check(webrtc, ("df7jal23ls0d.invalid", None), &ws, false).as_deref(),
            Some("sip:198.51.100.1:40000;transport=ws")
        );
        let wss = origin("198.51.100.1:40000", Proto::Wss);
        assert_eq!(
            check(webrtc, ("df7jal23ls0d.invalid", None), &wss, false).as_deref(),
            Some("sip:198.51.100.1:40000;transport=wss")
        );
        let ws_far_end = "<sip:a@198.51.100.1:40000;transport=ws>";
        assert_eq!(
            check(ws_far_end, ("198.51.100.1", Some(40000)), &ws, false),
            None
        );
        assert!(is_private("fd00::1".parse().unwrap()) && is_private("fe80::1".parse().unwrap()));
        assert!(!is_private("2001:db8::1".parse().unwrap()));
    }
}
