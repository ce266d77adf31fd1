//! One row of the `address` table and whether a peer matches it: the address inside
//! `ip/mask`, the port (0 = any), the protocol (`any` = any) and, when both are given, the
//! row's `pattern` (shell-style `*` and `?`) against the script's pattern argument.

use std::net::IpAddr;

/// A peer to check.
pub struct Peer {
    /// Its address.
    pub ip: IpAddr,
    /// Its port (0 = do not check).
    pub port: u16,
    /// `udp`, `tcp`, `tls`... or `any`.
    pub proto: String,
}

/// One row.
#[derive(Clone, Debug)]
pub struct Entry {
    /// `grp`.
    pub group: i64,
    ip: IpAddr,
    mask: u8,
    port: u16,
    proto: String,
    pattern: Option<String>,
    /// `context_info`, handed to the script.
    pub context_info: Option<String>,
}

impl Entry {
    /// A row in `grp, ip, mask, port, proto, pattern, context_info` order; `None` when it
    /// does not parse (such a row never matches).
    pub fn from_row(r: &[Option<String>]) -> Option<Entry> {
        let text = |i: usize| r.get(i).cloned().flatten();
        let ip: IpAddr = text(1)?.trim().parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        Some(Entry {
            group: text(0)?.trim().parse().ok()?,
            ip,
            mask: text(2)
                .and_then(|m| m.trim().parse().ok())
                .unwrap_or(max)
                .min(max),
            port: text(3).and_then(|p| p.trim().parse().ok()).unwrap_or(0),
            proto: text(4)
                .map(|p| p.trim().to_ascii_lowercase())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "any".into()),
            pattern: text(5).filter(|p| !p.is_empty()),
            context_info: text(6),
        })
    }

    /// The row as MI `address_dump` shows it.
    pub fn dump(&self) -> serde_json::Value {
        serde_json::json!({
            "grp": self.group,
            "ip": self.ip.to_string(),
            "mask": self.mask,
            "port": self.port,
            "proto": self.proto,
            "pattern": self.pattern,
            "context_info": self.context_info,
        })
    }

    /// Whether `peer` (and `pattern`, when given) matches this row.
    pub fn matches(&self, peer: &Peer, pattern: Option<&str>) -> bool {
        in_subnet(peer.ip, self.ip, self.mask)
            && (self.port == 0 || peer.port == 0 || self.port == peer.port)
            && (self.proto == "any" || peer.proto == "any" || self.proto == peer.proto)
            && match (&self.pattern, pattern) {
                (Some(p), Some(text)) => wildcard(p.as_bytes(), text.as_bytes()),
                _ => true,
            }
    }
}

fn in_subnet(ip: IpAddr, net: IpAddr, mask: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = if mask == 0 {
                0
            } else {
                u32::MAX << (32 - mask)
            };
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = if mask == 0 {
                0
            } else {
                u128::MAX << (128 - mask)
            };
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

/// Shell-style matching: `*` any run, `?` one byte (avpops' `fm` uses it too). Iterative, with
/// one backtrack point: linear-time per star, whatever the text (which may come from the network).
pub(crate) fn wildcard(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and where in the text its run ends for now.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    pi = sp + 1;
                    ti = st + 1;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cols: [&str; 7]) -> Entry {
        let r: Vec<Option<String>> = cols
            .iter()
            .map(|c| (!c.is_empty()).then(|| c.to_string()))
            .collect();
        Entry::from_row(&r).unwrap()
    }

    fn peer(ip: &str, port: u16, proto: &str) -> Peer {
        Peer {
            ip: ip.parse().unwrap(),
            port,
            proto: proto.into(),
        }
    }

    #[test]
    fn subnets_ports_protocols_patterns() {
        let e = row(["1", "10.0.0.0", "8", "0", "any", "", "gw"]);
        assert!(e.matches(&peer("10.1.2.3", 5060, "udp"), None));
        assert!(!e.matches(&peer("11.1.2.3", 5060, "udp"), None));
        let e = row([
            "1",
            "192.0.2.1",
            "32",
            "5060",
            "udp",
            "sip:*@example.com",
            "",
        ]);
        assert!(e.matches(&peer("192.0.2.1", 5060, "udp"), None));
        assert!(!e.matches(&peer("192.0.2.1", 5062, "udp"), None));
        assert!(!e.matches(&peer("192.0.2.1", 5060, "tcp"), None));
        assert!(e.matches(&peer("192.0.2.1", 5060, "udp"), Some("sip:bob@example.com")));
        assert!(!e.matches(&peer("192.0.2.1", 5060, "udp"), Some("sip:bob@example.org")));
        assert!(!e.matches(&peer("::1", 5060, "udp"), None));
    }

    #[test]
    fn wildcards() {
        let w = |p: &str, t: &str| wildcard(p.as_bytes(), t.as_bytes());
        assert!(w("", ""));
        assert!(w("*", ""));
        assert!(w("a*b*c", "aXXbYYc"));
        assert!(w("a*b*c", "abcbc"));
        assert!(!w("a*b*c", "aXXbYY"));
        assert!(w("?b*", "ab"));
        assert!(!w("?", ""));
        assert!(!w("ab", "abc"));
        assert!(w("*x", "xxxx"));
        // Many stars against a long text that does not match: no exponential backtracking.
        let text = "a".repeat(5000);
        assert!(!w("*a*a*a*a*a*a*a*a*b", &text));
    }
}
