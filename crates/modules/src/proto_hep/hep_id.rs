//! The `hep_id` parameter: `[name] host[:port][; transport=udp|tcp][; version=1|2|3]`,
//! one capture destination (OpenSIPS' defaults: port 9060, version 3, TCP; HEPv1/v2 only
//! over UDP).

use std::net::{SocketAddr, ToSocketAddrs};

/// The port of a `hep_id` without one.
const DEFAULT_PORT: u16 = 9060;

/// How packets reach a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HepTransport {
    /// One datagram per packet.
    Udp,
    /// A stream of HEPv3 packets over one connection.
    Tcp,
}

/// One parsed `hep_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HepId {
    /// The name `trace_id`'s `uri=hep:NAME` refers to.
    pub name: String,
    /// The collector, resolved at load.
    pub addr: SocketAddr,
    /// UDP or TCP.
    pub transport: HepTransport,
    /// 1, 2 or 3.
    pub version: u8,
    /// A note for the log when the value was adjusted (TCP asked with HEPv1/v2).
    pub note: Option<String>,
}

/// Parses one `hep_id` value; the error says what is wrong with it.
pub fn parse(value: &str) -> Result<HepId, String> {
    let v = value.trim();
    let rest = v
        .strip_prefix('[')
        .ok_or_else(|| format!("hep_id '{v}': expected '[name] host:port'"))?;
    let (name, rest) = rest
        .split_once(']')
        .ok_or_else(|| format!("hep_id '{v}': the name has no closing ']'"))?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("hep_id '{v}': bad name '{name}'"));
    }
    let mut parts = rest.split(';').map(str::trim).filter(|p| !p.is_empty());
    let host = parts
        .next()
        .filter(|h| !h.contains('='))
        .ok_or_else(|| format!("hep_id '{v}': no destination host"))?;
    let (mut transport, mut version) = (None, 3u8);
    for p in parts {
        let (k, val) = p
            .split_once('=')
            .ok_or_else(|| format!("hep_id '{v}': '{p}' is not key=value"))?;
        match (k.trim().to_ascii_lowercase().as_str(), val.trim()) {
            ("transport", t) if t.eq_ignore_ascii_case("udp") => {
                transport = Some(HepTransport::Udp)
            }
            ("transport", t) if t.eq_ignore_ascii_case("tcp") => {
                transport = Some(HepTransport::Tcp)
            }
            ("transport", t) => {
                return Err(format!("hep_id '{v}': bad transport '{t}' (udp, tcp)"))
            }
            ("version", n) => {
                version = match n {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    _ => return Err(format!("hep_id '{v}': bad version '{n}' (1, 2, 3)")),
                }
            }
            (other, _) => {
                return Err(format!(
                    "hep_id '{v}': unknown key '{other}' (transport, version)"
                ))
            }
        }
    }
    let mut note = None;
    let transport = match transport.unwrap_or(HepTransport::Tcp) {
        HepTransport::Tcp if version < 3 => {
            note = Some(format!(
                "hep_id {name}: TCP is for HEPv3 only, HEPv{version} goes over UDP"
            ));
            HepTransport::Udp
        }
        t => t,
    };
    Ok(HepId {
        name: name.to_string(),
        addr: resolve(host, DEFAULT_PORT).map_err(|e| format!("hep_id '{v}': {e}"))?,
        transport,
        version,
        note,
    })
}

/// `host[:port]` (an IPv6 address in brackets, `default_port` when none is written) to one
/// address: a HEP collector here, a plain `sip:` copy destination in tracer.
pub(crate) fn resolve(host: &str, default_port: u16) -> Result<SocketAddr, String> {
    if let Ok(a) = host.parse::<SocketAddr>() {
        return Ok(a);
    }
    let (h, port) = match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
            (h, p.parse::<u16>().map_err(|_| format!("bad port '{p}'"))?)
        }
        _ => (host, default_port),
    };
    let h = h.trim_start_matches('[').trim_end_matches(']');
    if h.is_empty() {
        return Err("no destination host".into());
    }
    (h, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve '{h}': {e}"))?
        .next()
        .ok_or_else(|| format!("'{h}' has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_default_forms() {
        let h = parse("[hep_dst] 127.0.0.1:9061; transport=udp; version=3").unwrap();
        assert_eq!(h.name, "hep_dst");
        assert_eq!(h.addr, "127.0.0.1:9061".parse().unwrap());
        assert_eq!((h.transport, h.version), (HepTransport::Udp, 3));
        let h = parse("[hid]10.10.10.10").unwrap();
        assert_eq!(h.addr, "10.10.10.10:9060".parse().unwrap());
        assert_eq!((h.transport, h.version), (HepTransport::Tcp, 3));
        let h = parse("[h2] [::1]:5000; version=2").unwrap();
        assert_eq!(h.addr, "[::1]:5000".parse().unwrap());
        assert_eq!((h.transport, h.version), (HepTransport::Udp, 2));
        assert!(h.note.is_some());
    }

    #[test]
    fn errors() {
        for bad in [
            "127.0.0.1:9060",
            "[x 127.0.0.1",
            "[] 127.0.0.1",
            "[x]",
            "[x] 127.0.0.1:99999",
            "[x] 127.0.0.1:9060; transport=sctp",
            "[x] 127.0.0.1:9060; version=4",
            "[x] 127.0.0.1:9060; colour=red",
            "[x] 127.0.0.1:9060; version",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
