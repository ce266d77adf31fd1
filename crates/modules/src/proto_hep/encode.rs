//! HEP (Homer Encapsulation Protocol) packets: version 3, the chunked format Homer reads
//! today, and versions 1 and 2, the fixed headers of older capture servers. Pure functions
//! over a [`Capture`]; the sender only moves the bytes.
//!
//! HEPv3: `HEP3`, the total length (u16), then chunks of vendor id (u16, 0 = generic), type
//! id (u16) and length (u16, the 6 header bytes included), all big-endian.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

/// HEP's protocol type for a SIP payload.
pub const PROTO_TYPE_SIP: u8 = 1;

/// Generic chunk type ids of HEPv3 (vendor 0).
pub mod chunk {
    /// IP family (u8: 2 IPv4, 10 IPv6).
    pub const IP_FAMILY: u16 = 0x0001;
    /// IP protocol (u8: 17 UDP, 6 TCP).
    pub const IP_PROTO: u16 = 0x0002;
    /// IPv4 source address.
    pub const IPV4_SRC: u16 = 0x0003;
    /// IPv4 destination address.
    pub const IPV4_DST: u16 = 0x0004;
    /// IPv6 source address.
    pub const IPV6_SRC: u16 = 0x0005;
    /// IPv6 destination address.
    pub const IPV6_DST: u16 = 0x0006;
    /// Source port (u16).
    pub const SRC_PORT: u16 = 0x0007;
    /// Destination port (u16).
    pub const DST_PORT: u16 = 0x0008;
    /// Timestamp, seconds since the epoch (u32).
    pub const TIME_SEC: u16 = 0x0009;
    /// Timestamp, microseconds within the second (u32).
    pub const TIME_USEC: u16 = 0x000a;
    /// Protocol type of the payload (u8, 1 = SIP).
    pub const PROTO_TYPE: u16 = 0x000b;
    /// Capture agent id (u32).
    pub const CAPTURE_ID: u16 = 0x000c;
    /// The captured payload.
    pub const PAYLOAD: u16 = 0x000f;
    /// Correlation id (the Call-ID for SIP).
    pub const CORRELATION_ID: u16 = 0x0011;
}

/// Address family numbers as HEP carries them (Linux `AF_INET`, `AF_INET6`).
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;

/// One captured message, as every HEP version describes it.
#[derive(Clone, Copy, Debug)]
pub struct Capture<'a> {
    /// IP protocol number of the transport the message used (17 UDP, 6 TCP).
    pub ip_proto: u8,
    /// Who sent it.
    pub src: SocketAddr,
    /// Who received it.
    pub dst: SocketAddr,
    /// When it was captured.
    pub time: SystemTime,
    /// The SIP message, byte for byte.
    pub payload: &'a [u8],
    /// The correlation id (HEPv3 only): the Call-ID, or the script's own.
    pub correlation: Option<&'a str>,
}

impl Capture<'_> {
    /// Source and destination in one family: IPv6 (IPv4 ones mapped) when they differ.
    fn addresses(&self) -> (IpAddr, IpAddr) {
        match (self.src.ip(), self.dst.ip()) {
            (IpAddr::V4(s), IpAddr::V6(d)) => (IpAddr::V6(s.to_ipv6_mapped()), IpAddr::V6(d)),
            (IpAddr::V6(s), IpAddr::V4(d)) => (IpAddr::V6(s), IpAddr::V6(d.to_ipv6_mapped())),
            (s, d) => (s, d),
        }
    }

    fn seconds(&self) -> (u32, u32) {
        let d = self.time.duration_since(UNIX_EPOCH).unwrap_or_default();
        (d.as_secs() as u32, d.subsec_micros())
    }
}

/// A HEPv3 packet; `None` when it would exceed the 65535 bytes its length field counts.
pub fn encode_v3(c: &Capture, capture_id: u32) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(c.payload.len() + 128);
    out.extend_from_slice(b"HEP3\0\0");
    let (src, dst) = c.addresses();
    let family = if src.is_ipv4() { AF_INET } else { AF_INET6 };
    put(&mut out, chunk::IP_FAMILY, &[family]);
    put(&mut out, chunk::IP_PROTO, &[c.ip_proto]);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            put(&mut out, chunk::IPV4_SRC, &s.octets());
            put(&mut out, chunk::IPV4_DST, &d.octets());
        }
        _ => {
            put(&mut out, chunk::IPV6_SRC, &v6(src).octets());
            put(&mut out, chunk::IPV6_DST, &v6(dst).octets());
        }
    }
    put(&mut out, chunk::SRC_PORT, &c.src.port().to_be_bytes());
    put(&mut out, chunk::DST_PORT, &c.dst.port().to_be_bytes());
    let (sec, usec) = c.seconds();
    put(&mut out, chunk::TIME_SEC, &sec.to_be_bytes());
    put(&mut out, chunk::TIME_USEC, &usec.to_be_bytes());
    put(&mut out, chunk::PROTO_TYPE, &[PROTO_TYPE_SIP]);
    put(&mut out, chunk::CAPTURE_ID, &capture_id.to_be_bytes());
    if let Some(id) = c.correlation.filter(|id| !id.is_empty()) {
        put(&mut out, chunk::CORRELATION_ID, id.as_bytes());
    }
    if c.payload.len() > usize::from(u16::MAX) {
        return None;
    }
    put(&mut out, chunk::PAYLOAD, c.payload);
    let total = u16::try_from(out.len()).ok()?;
    out[4..6].copy_from_slice(&total.to_be_bytes());
    Some(out)
}

/// A HEPv1 (`version` 1) or HEPv2 (`version` 2) packet: the fixed header (version, header
/// length, family, protocol, ports), the two addresses, for v2 the time header (seconds,
/// microseconds and a 16-bit capture id in the little-endian order x86 capture agents write
/// them, padded to 12 bytes), then the payload.
pub fn encode_v12(version: u8, c: &Capture, capture_id: u32) -> Vec<u8> {
    let (src, dst) = c.addresses();
    let (family, addrs): (u8, Vec<u8>) = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => (AF_INET, [s.octets(), d.octets()].concat()),
        _ => (AF_INET6, [v6(src).octets(), v6(dst).octets()].concat()),
    };
    let mut out = Vec::with_capacity(c.payload.len() + 64);
    out.extend_from_slice(&[version, (8 + addrs.len()) as u8, family, c.ip_proto]);
    out.extend_from_slice(&c.src.port().to_be_bytes());
    out.extend_from_slice(&c.dst.port().to_be_bytes());
    out.extend_from_slice(&addrs);
    if version == 2 {
        let (sec, usec) = c.seconds();
        out.extend_from_slice(&sec.to_le_bytes());
        out.extend_from_slice(&usec.to_le_bytes());
        out.extend_from_slice(&(capture_id as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
    }
    out.extend_from_slice(c.payload);
    out
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// Appends one generic chunk (the caller keeps `data` under 65530 bytes).
fn put(out: &mut Vec<u8>, type_id: u16, data: &[u8]) {
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&type_id.to_be_bytes());
    out.extend_from_slice(&((data.len() + 6) as u16).to_be_bytes());
    out.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::time::Duration;

    /// The chunks of a HEPv3 packet by type id (the test's own reading of the format).
    fn chunks(p: &[u8]) -> HashMap<u16, Vec<u8>> {
        assert_eq!(&p[..4], b"HEP3");
        assert_eq!(u16::from_be_bytes([p[4], p[5]]) as usize, p.len());
        let mut map = HashMap::new();
        let mut i = 6;
        while i < p.len() {
            assert_eq!(&p[i..i + 2], &[0, 0], "vendor");
            let ty = u16::from_be_bytes([p[i + 2], p[i + 3]]);
            let len = u16::from_be_bytes([p[i + 4], p[i + 5]]) as usize;
            assert!(len >= 6 && i + len <= p.len());
            map.insert(ty, p[i + 6..i + len].to_vec());
            i += len;
        }
        assert_eq!(i, p.len());
        map
    }

    fn capture<'a>(src: &str, dst: &str, payload: &'a [u8]) -> Capture<'a> {
        Capture {
            ip_proto: 17,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            time: UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_000),
            payload,
            correlation: Some("abc@host"),
        }
    }

    #[test]
    fn v3_ipv4_has_every_chunk() {
        let sip = b"OPTIONS sip:a SIP/2.0\r\n\r\n";
        let p = encode_v3(&capture("10.0.0.1:5060", "10.0.0.2:5080", sip), 234).unwrap();
        let c = chunks(&p);
        assert_eq!(c[&chunk::IP_FAMILY], [2]);
        assert_eq!(c[&chunk::IP_PROTO], [17]);
        assert_eq!(c[&chunk::IPV4_SRC], [10, 0, 0, 1]);
        assert_eq!(c[&chunk::IPV4_DST], [10, 0, 0, 2]);
        assert_eq!(c[&chunk::SRC_PORT], 5060u16.to_be_bytes());
        assert_eq!(c[&chunk::DST_PORT], 5080u16.to_be_bytes());
        assert_eq!(c[&chunk::TIME_SEC], 1_700_000_000u32.to_be_bytes());
        assert_eq!(c[&chunk::TIME_USEC], 123_456u32.to_be_bytes());
        assert_eq!(c[&chunk::PROTO_TYPE], [PROTO_TYPE_SIP]);
        assert_eq!(c[&chunk::CAPTURE_ID], 234u32.to_be_bytes());
        assert_eq!(c[&chunk::CORRELATION_ID], b"abc@host");
        assert_eq!(c[&chunk::PAYLOAD], sip);
        assert!(!c.contains_key(&chunk::IPV6_SRC));
    }

    #[test]
    fn v3_ipv6_and_mixed_families() {
        let p = encode_v3(&capture("[::1]:5060", "[2001:db8::2]:5070", b"x"), 1).unwrap();
        let c = chunks(&p);
        assert_eq!(c[&chunk::IP_FAMILY], [10]);
        assert_eq!(
            c[&chunk::IPV6_SRC],
            "::1".parse::<Ipv6Addr>().unwrap().octets()
        );
        let p = encode_v3(&capture("10.0.0.1:1", "[2001:db8::2]:2", b"x"), 1).unwrap();
        let c = chunks(&p);
        assert_eq!(
            c[&chunk::IPV6_SRC],
            "::ffff:10.0.0.1".parse::<Ipv6Addr>().unwrap().octets()
        );
    }

    #[test]
    fn v3_without_correlation_and_too_large() {
        let mut cap = capture("10.0.0.1:1", "10.0.0.2:2", b"x");
        cap.correlation = None;
        let c = chunks(&encode_v3(&cap, 1).unwrap());
        assert!(!c.contains_key(&chunk::CORRELATION_ID));
        let big = vec![b'a'; 65_600];
        assert!(encode_v3(&capture("10.0.0.1:1", "10.0.0.2:2", &big), 1).is_none());
    }

    #[test]
    fn v2_and_v1_fixed_headers() {
        let sip = b"SIP/2.0 200 OK\r\n\r\n";
        let cap = capture("10.0.0.1:5060", "10.0.0.2:5080", sip);
        let p = encode_v12(2, &cap, 7);
        assert_eq!(&p[..4], &[2, 16, 2, 17]);
        assert_eq!(&p[4..8], &[0x13, 0xc4, 0x13, 0xd8]);
        assert_eq!(&p[8..16], &[10, 0, 0, 1, 10, 0, 0, 2]);
        assert_eq!(&p[16..20], &1_700_000_000u32.to_le_bytes());
        assert_eq!(&p[24..26], &7u16.to_le_bytes());
        assert_eq!(&p[28..], sip);
        let p = encode_v12(1, &cap, 7);
        assert_eq!(p[0], 1);
        assert_eq!(&p[16..], sip);
        let p = encode_v12(1, &capture("[::1]:1", "[::2]:2", sip), 7);
        assert_eq!(&p[..4], &[1, 40, 10, 17]);
        assert_eq!(&p[40..], sip);
    }
}
