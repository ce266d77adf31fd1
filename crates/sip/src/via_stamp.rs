//! What a server writes into the top Via of a request it received (RFC 3261 §18.2.1,
//! RFC 3581): `received` with the source address when the sent-by host is not that address,
//! and the source port in `rport` when the client asked for it (or the script forced it).
//!
//! Replies carry the stamped Via back, so a client behind NAT learns its public address from
//! them (pjsip and Linphone correct their Contact with it); forwarded requests carry it so
//! that their replies find the way back.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;

use crate::headers::via::rport_param;
use crate::headers::Via;
use crate::list::ListSplit;
use crate::message::Message;

/// The parameters a request's top Via gains from where the request came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViaStamp {
    received: Option<IpAddr>,
    rport: Option<u16>,
}

/// A piece of a stamped Via header value, in order: bytes kept from the original value (a
/// range of it) or text added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// These bytes of the original header value.
    Kept(Range<usize>),
    /// New text.
    Added(&'a str),
}

impl ViaStamp {
    /// What the top Via `via` of a request from `src` gains, or `None` when nothing: the
    /// sent-by host is the source address and no `rport` is asked for (`force_rport`: the
    /// script's `force_rport()`, as if the Via had an empty `rport`).
    pub fn for_request(via: &Via<'_>, src: SocketAddr, force_rport: bool) -> Option<ViaStamp> {
        Self::from_parts(via.host(), via.rport(), src, force_rport)
    }

    /// [`ViaStamp::for_request`] for the top Via of `msg`, read from its remembered view
    /// without rebuilding it (every reply asks); `None` also when the Via does not parse.
    pub fn for_message(msg: &Message, src: SocketAddr, force_rport: bool) -> Option<ViaStamp> {
        let (host, params) = msg.top_via_host_params().ok()?;
        Self::from_parts(host, rport_param(params), src, force_rport)
    }

    fn from_parts(
        host: &str,
        rport: Option<Option<u16>>,
        src: SocketAddr,
        force_rport: bool,
    ) -> Option<ViaStamp> {
        let received = (!is_address(host, src.ip())).then_some(src.ip());
        let rport = match rport {
            Some(None) => Some(src.port()),
            None if force_rport => Some(src.port()),
            _ => None,
        };
        (received.is_some() || rport.is_some()).then_some(ViaStamp { received, rport })
    }

    /// Walks the header value `value` holding the top Via (and maybe more Vias after a
    /// comma), giving the stamped value in pieces: an empty `rport` gets its port in place
    /// (or `;rport=PORT` is added), and `;received=IP` ends the first Via.
    pub fn rewrite(&self, value: &str, mut piece: impl FnMut(Piece<'_>)) {
        let end = ListSplit::new(value)
            .next()
            .map_or(value.len(), |(_, end)| end);
        let first = value.get(..end).unwrap_or(value);
        let mut kept_from = 0;
        if let Some(port) = self.rport {
            let (at, text) = match empty_param_end(first, "rport") {
                Some(at) => (at, format!("={port}")),
                None => (end, format!(";rport={port}")),
            };
            piece(Piece::Kept(0..at));
            piece(Piece::Added(&text));
            kept_from = at;
        }
        piece(Piece::Kept(kept_from..end));
        if let Some(ip) = self.received {
            piece(Piece::Added(&format!(";received={ip}")));
        }
        piece(Piece::Kept(end..value.len()));
    }

    /// The header value `value` (see [`ViaStamp::rewrite`]) with the stamp applied, for an
    /// edit of a request that is forwarded.
    pub fn apply(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len() + 40);
        self.rewrite(value, |p| match p {
            Piece::Kept(r) => out.push_str(value.get(r).unwrap_or_default()),
            Piece::Added(text) => out.push_str(text),
        });
        out
    }
}

/// Whether the sent-by `host` (IPv6 in brackets) is the address `ip`; a name never is.
fn is_address(host: &str, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => host.parse::<Ipv4Addr>() == Ok(ip),
        IpAddr::V6(ip) => host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<Ipv6Addr>() == Ok(ip)),
    }
}

/// Offset just after the name of the parameter `name` when it is written without a value in
/// the Via value `via` (where its value goes).
fn empty_param_end(via: &str, name: &str) -> Option<usize> {
    let mut pos = 0;
    for (i, part) in via.split(';').enumerate() {
        let param = part.trim();
        if i > 0 && param.eq_ignore_ascii_case(name) {
            return Some(pos + part.trim_end().len());
        }
        pos += part.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(via: &str, src: &str, force_rport: bool) -> Option<String> {
        let v = Via::parse(via).unwrap();
        ViaStamp::for_request(&v, src.parse().unwrap(), force_rport).map(|s| s.apply(via))
    }

    #[test]
    fn nothing_when_the_sent_by_is_the_source_and_no_rport_is_asked() {
        assert_eq!(
            stamp(
                "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1",
                "192.0.2.1:6000",
                false
            ),
            None
        );
        assert_eq!(
            stamp(
                "SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1",
                "[2001:db8::1]:5060",
                false
            ),
            None
        );
        // A filled rport is left as it is.
        assert_eq!(
            stamp(
                "SIP/2.0/UDP 192.0.2.1;rport=7;branch=z9hG4bK1",
                "192.0.2.1:6000",
                true
            ),
            None
        );
    }

    #[test]
    fn received_for_another_host_or_a_name() {
        assert_eq!(
            stamp(
                "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
                "192.0.2.7:40000",
                false
            )
            .unwrap(),
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=192.0.2.7"
        );
        assert_eq!(
            stamp(
                "SIP/2.0/WS abc.invalid;branch=z9hG4bK1",
                "[2001:db8::2]:40000",
                false
            )
            .unwrap(),
            "SIP/2.0/WS abc.invalid;branch=z9hG4bK1;received=2001:db8::2"
        );
    }

    #[test]
    fn empty_rport_filled_in_place_forced_one_added() {
        assert_eq!(
            stamp(
                "SIP/2.0/UDP 10.0.0.1:5062;rport;branch=z9hG4bK1",
                "192.0.2.7:40000",
                false
            )
            .unwrap(),
            "SIP/2.0/UDP 10.0.0.1:5062;rport=40000;branch=z9hG4bK1;received=192.0.2.7"
        );
        assert_eq!(
            stamp(
                "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1 ; RPort ",
                "192.0.2.7:40000",
                false
            )
            .unwrap(),
            "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1 ; RPort=40000 "
        );
        assert_eq!(
            stamp(
                "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1",
                "192.0.2.7:40000",
                true
            )
            .unwrap(),
            "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1;rport=40000"
        );
    }

    #[test]
    fn from_the_remembered_view_as_from_the_via() {
        let src: SocketAddr = "192.0.2.7:40000".parse().unwrap();
        for via in [
            "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1",
            "SIP/2.0/UDP 192.0.2.7;rport;branch=z9hG4bK1",
            "SIP/2.0/UDP h.example;branch=z9hG4bK1, SIP/2.0/UDP b",
            "SIP/2.0/UDP [2001:db8::7];rport=9",
        ] {
            let text = format!("OPTIONS sip:a@b SIP/2.0\r\nVia: {via}\r\nCall-ID: x\r\n\r\n");
            let mut m = Message::parse_slice(text.as_bytes()).unwrap();
            let first = via.split(',').next().unwrap();
            for force in [false, true] {
                let expected = ViaStamp::for_request(&Via::parse(first).unwrap(), src, force);
                assert_eq!(ViaStamp::for_message(&m, src, force), expected, "{via}");
                m.remember_views();
                assert_eq!(
                    ViaStamp::for_message(&m, src, force),
                    expected,
                    "remembered: {via}"
                );
            }
        }
    }

    #[test]
    fn only_the_first_via_of_a_line_is_stamped() {
        let line =
            "SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK1 , SIP/2.0/UDP h2;rport;branch=z9hG4bK2";
        let first = line.split(',').next().unwrap().trim();
        let v = Via::parse(first).unwrap();
        let s = ViaStamp::for_request(&v, "192.0.2.7:1".parse().unwrap(), false).unwrap();
        assert_eq!(
            s.apply(line),
            "SIP/2.0/UDP 10.0.0.1;rport=1;branch=z9hG4bK1;received=192.0.2.7 , SIP/2.0/UDP h2;rport;branch=z9hG4bK2"
        );
    }
}
