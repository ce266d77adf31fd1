//! Locating SIP servers (RFC 3263 §4): from a host, an optional port and an optional
//! transport to the ordered list of (transport, address) a client tries.

use std::net::{IpAddr, SocketAddr};

use siplua_transport::Proto;

use super::client::{QType, Records};
use super::srv;
use crate::forward::Target;

/// What the destination URI says.
#[derive(Clone, Copy, Debug)]
pub struct Wanted<'a> {
    /// Host name or IP literal (without brackets).
    pub host: &'a str,
    /// Explicit port.
    pub port: Option<u16>,
    /// Explicit transport (`;transport=`, or a `proto:` prefix).
    pub proto: Option<Proto>,
    /// `sips:` URI.
    pub secure: bool,
}

impl Wanted<'_> {
    /// The transport when DNS does not choose one: the explicit one, TLS for `sips:`, else UDP.
    pub fn default_proto(&self) -> Proto {
        match self.proto {
            Some(p) => p,
            None if self.secure => Proto::Tls,
            None => Proto::Udp,
        }
    }
}

/// Which steps to take.
#[derive(Clone, Copy, Debug)]
pub struct Steps {
    /// Query NAPTR first (`dns_try_naptr`).
    pub naptr: bool,
    /// Also query AAAA (`dns_try_ipv6`).
    pub ipv6: bool,
}

/// The ordered targets for `w`; `lookup` answers one query (from the cache or the name
/// server), `draw` is the SRV weight draw.
pub fn targets(
    w: Wanted<'_>,
    steps: Steps,
    lookup: &mut dyn FnMut(&str, QType) -> Records,
    draw: &mut dyn FnMut(u32) -> u32,
) -> Vec<Target> {
    let proto = w.default_proto();
    let default_port = crate::forward::default_port(proto);
    if let Ok(ip) = w.host.parse::<IpAddr>() {
        return vec![target(proto, ip, w.port.unwrap_or(default_port))];
    }
    let mut out = Vec::new();
    // An explicit port means A/AAAA only (§4.2).
    if w.port.is_none() {
        if (w.proto.is_none() || w.secure) && steps.naptr {
            from_naptr(w.host, w.secure, steps, lookup, draw, &mut out);
        }
        if out.is_empty() {
            from_srv(w.host, w.proto, steps, lookup, draw, &mut out);
        }
    }
    if out.is_empty() {
        let port = w.port.unwrap_or(default_port);
        for ip in addresses(w.host, steps, lookup) {
            out.push(target(proto, ip, port));
        }
    }
    dedup(out)
}

/// NAPTR records with flag `s` and a service siplua speaks (only `SIPS+D2T` for a `sips:`
/// URI), in order and preference, each followed to its SRV records.
fn from_naptr(
    host: &str,
    secure: bool,
    steps: Steps,
    lookup: &mut dyn FnMut(&str, QType) -> Records,
    draw: &mut dyn FnMut(u32) -> u32,
    out: &mut Vec<Target>,
) {
    let mut naptr = lookup(host, QType::Naptr).naptr;
    naptr.sort_by_key(|n| (n.order, n.preference));
    for n in naptr {
        let proto = match (n.flags.as_str(), n.service.as_str()) {
            ("s", "SIPS+D2T") => Proto::Tls,
            ("s", "SIP+D2U") if !secure => Proto::Udp,
            ("s", "SIP+D2T") if !secure => Proto::Tcp,
            _ => continue,
        };
        srv_targets(&n.replacement, proto, steps, lookup, draw, out);
    }
}

/// `_sip._udp` then `_sip._tcp` (or only the one of the explicit transport, `_sips._tcp`
/// for TLS): the first service with records wins.
fn from_srv(
    host: &str,
    proto: Option<Proto>,
    steps: Steps,
    lookup: &mut dyn FnMut(&str, QType) -> Records,
    draw: &mut dyn FnMut(u32) -> u32,
    out: &mut Vec<Target>,
) {
    let services: &[Proto] = match proto {
        Some(Proto::Tcp) => &[Proto::Tcp],
        Some(Proto::Tls) => &[Proto::Tls],
        Some(Proto::Udp) => &[Proto::Udp],
        // No SRV service is defined for WebSocket (RFC 7118 §6): A/AAAA only.
        Some(Proto::Ws | Proto::Wss) => &[],
        None => &[Proto::Udp, Proto::Tcp],
    };
    for &p in services {
        let name = match p {
            Proto::Udp => format!("_sip._udp.{host}"),
            Proto::Tcp => format!("_sip._tcp.{host}"),
            Proto::Tls => format!("_sips._tcp.{host}"),
            Proto::Ws | Proto::Wss => continue,
        };
        srv_targets(&name, p, steps, lookup, draw, out);
        if !out.is_empty() {
            return;
        }
    }
}

/// The SRV records of `name`, ordered (RFC 2782), each resolved to its addresses.
fn srv_targets(
    name: &str,
    proto: Proto,
    steps: Steps,
    lookup: &mut dyn FnMut(&str, QType) -> Records,
    draw: &mut dyn FnMut(u32) -> u32,
    out: &mut Vec<Target>,
) {
    let records = lookup(name, QType::Srv).srv;
    for r in srv::order(records, draw) {
        for ip in addresses(&r.target, steps, lookup) {
            out.push(target(proto, ip, r.port));
        }
    }
}

/// A then (with `dns_try_ipv6`) AAAA addresses of `host`.
fn addresses(
    host: &str,
    steps: Steps,
    lookup: &mut dyn FnMut(&str, QType) -> Records,
) -> Vec<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![ip];
    }
    let mut ips = lookup(host, QType::A).ips;
    if steps.ipv6 {
        ips.extend(lookup(host, QType::Aaaa).ips);
    }
    ips
}

fn target(proto: Proto, ip: IpAddr, port: u16) -> Target {
    Target {
        proto,
        addr: SocketAddr::new(ip, port),
    }
}

/// Keeps the first occurrence of each target.
fn dedup(list: Vec<Target>) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::with_capacity(list.len());
    for t in list {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::client::Naptr;
    use super::super::srv::Srv;
    use super::*;
    use std::collections::HashMap;

    fn zone() -> HashMap<(String, QType), Records> {
        let mut z = HashMap::new();
        let srv = |priority, port, target: &str| Srv {
            priority,
            weight: 0,
            port,
            target: target.into(),
        };
        z.insert(
            ("_sip._udp.ex.test".into(), QType::Srv),
            Records {
                srv: vec![srv(20, 5072, "b.ex.test"), srv(10, 5071, "a.ex.test")],
                ..Default::default()
            },
        );
        z.insert(
            ("_sip._tcp.ex.test".into(), QType::Srv),
            Records {
                srv: vec![srv(10, 5073, "a.ex.test")],
                ..Default::default()
            },
        );
        z.insert(
            ("nap.test".into(), QType::Naptr),
            Records {
                naptr: vec![
                    Naptr {
                        order: 20,
                        preference: 0,
                        flags: "s".into(),
                        service: "SIP+D2U".into(),
                        replacement: "_sip._udp.ex.test".into(),
                    },
                    Naptr {
                        order: 10,
                        preference: 0,
                        flags: "s".into(),
                        service: "SIP+D2T".into(),
                        replacement: "_sip._tcp.ex.test".into(),
                    },
                ],
                ..Default::default()
            },
        );
        z.insert(
            ("_sips._tcp.ex.test".into(), QType::Srv),
            Records {
                srv: vec![srv(10, 5081, "b.ex.test")],
                ..Default::default()
            },
        );
        z.insert(
            ("tls.test".into(), QType::Naptr),
            Records {
                naptr: vec![
                    Naptr {
                        order: 10,
                        preference: 0,
                        flags: "s".into(),
                        service: "SIP+D2U".into(),
                        replacement: "_sip._udp.ex.test".into(),
                    },
                    Naptr {
                        order: 20,
                        preference: 0,
                        flags: "s".into(),
                        service: "SIPS+D2T".into(),
                        replacement: "_sips._tcp.ex.test".into(),
                    },
                ],
                ..Default::default()
            },
        );
        for (name, ip) in [
            ("a.ex.test", "10.0.0.1"),
            ("b.ex.test", "10.0.0.2"),
            ("ex.test", "10.0.0.9"),
        ] {
            z.insert(
                (name.into(), QType::A),
                Records {
                    ips: vec![ip.parse().unwrap()],
                    ..Default::default()
                },
            );
        }
        z
    }

    fn run(host: &str, port: Option<u16>, proto: Option<Proto>, naptr: bool) -> Vec<String> {
        run_secure(host, port, proto, naptr, false)
    }

    fn run_secure(
        host: &str,
        port: Option<u16>,
        proto: Option<Proto>,
        naptr: bool,
        secure: bool,
    ) -> Vec<String> {
        let z = zone();
        let mut lookup = |n: &str, q: QType| z.get(&(n.to_owned(), q)).cloned().unwrap_or_default();
        let w = Wanted {
            host,
            port,
            proto,
            secure,
        };
        let steps = Steps { naptr, ipv6: false };
        targets(w, steps, &mut lookup, &mut |_| 0)
            .iter()
            .map(|t| format!("{}:{}", t.proto.as_str().to_ascii_lowercase(), t.addr))
            .collect()
    }

    #[test]
    fn srv_by_priority_udp_first() {
        assert_eq!(
            run("ex.test", None, None, true),
            ["udp:10.0.0.1:5071", "udp:10.0.0.2:5072"]
        );
        assert_eq!(
            run("ex.test", None, Some(Proto::Tcp), true),
            ["tcp:10.0.0.1:5073"]
        );
    }

    #[test]
    fn explicit_port_or_ip_skips_srv() {
        assert_eq!(
            run("ex.test", Some(5099), None, true),
            ["udp:10.0.0.9:5099"]
        );
        assert_eq!(run("192.0.2.1", None, None, true), ["udp:192.0.2.1:5060"]);
    }

    #[test]
    fn naptr_order_then_srv() {
        assert_eq!(
            run("nap.test", None, None, true),
            [
                "tcp:10.0.0.1:5073",
                "udp:10.0.0.1:5071",
                "udp:10.0.0.2:5072"
            ]
        );
        // Without NAPTR the name has no SRV of its own and no address.
        assert!(run("nap.test", None, None, false).is_empty());
    }

    #[test]
    fn sips_uses_only_tls_services() {
        // A sips: URI (TLS, secure) takes only the SIPS+D2T NAPTR, and _sips._tcp SRV.
        assert_eq!(
            run_secure("tls.test", None, Some(Proto::Tls), true, true),
            ["tls:10.0.0.2:5081"]
        );
        assert_eq!(
            run_secure("ex.test", None, Some(Proto::Tls), true, true),
            ["tls:10.0.0.2:5081"]
        );
        // No records: the host's address on 5061.
        assert_eq!(
            run_secure("a.ex.test", None, None, true, true),
            ["tls:10.0.0.1:5061"]
        );
        // A sip: URI may follow every service NAPTR offers, TLS included.
        assert_eq!(
            run("tls.test", None, None, true),
            [
                "udp:10.0.0.1:5071",
                "udp:10.0.0.2:5072",
                "tls:10.0.0.2:5081"
            ]
        );
    }
}
