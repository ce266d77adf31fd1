//! The Via header value (RFC 3261 §20.42): how a response finds its way back.

use crate::chars::{is_host_char, is_token};
use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::params::{only_lws, parse_header_params, Params};

/// Branch prefix that marks an RFC 3261 transaction id (§8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value: `SIP/2.0/UDP host:port;branch=...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    pub(crate) protocol: &'a str,
    pub(crate) version: &'a str,
    pub(crate) transport: &'a str,
    pub(crate) host: &'a str,
    pub(crate) port: Option<u16>,
    pub(crate) params: Params<'a>,
}

fn err<T>(c: &Cursor<'_>, what: &'static str) -> Result<T, SyntaxError> {
    Err(SyntaxError::new(c.pos(), what))
}

/// The protocol name and version every SIP 2.0 Via starts with (`SIP/2.0/UDP ...`), matched
/// whole before walking the general grammar: it reads as the grammar would read it.
const SIP_2_0: &str = "SIP/2.0/";

/// `protocol-name SLASH protocol-version SLASH` (LWS allowed around each part), leaving the
/// cursor after the second `/`.
fn sent_protocol<'a>(c: &mut Cursor<'a>) -> Result<(&'a str, &'a str), SyntaxError> {
    c.skip_lws();
    let protocol = c.take_while(is_token);
    if protocol.is_empty() {
        return err(c, "expected protocol name");
    }
    c.skip_lws();
    if !c.eat(b'/') {
        return err(c, "expected '/'");
    }
    c.skip_lws();
    let version = c.take_while(is_token);
    c.skip_lws();
    if version.is_empty() || !c.eat(b'/') {
        return err(c, "expected protocol version and '/'");
    }
    Ok((protocol, version))
}

/// A sent-by port: one to five digits, at most 65535.
fn port_number(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    let n = digits
        .bytes()
        .fold(0u32, |n, d| n * 10 + u32::from(d.wrapping_sub(b'0')));
    u16::try_from(n).ok()
}

impl<'a> Via<'a> {
    /// Parses one Via value (after list splitting). LWS is allowed around
    /// `/`, `:`, `;` and `=` as the grammar says (RFC 4475 wsinv).
    pub fn parse(s: &'a str) -> Result<Via<'a>, SyntaxError> {
        let mut c = Cursor::new(s);
        let (protocol, version) = match s.get(..SIP_2_0.len()) {
            Some(SIP_2_0) => {
                c.set_pos(SIP_2_0.len());
                (c.slice(0, 3), c.slice(4, 7))
            }
            _ => sent_protocol(&mut c)?,
        };
        c.skip_lws();
        let transport = c.take_while(is_token);
        if transport.is_empty() {
            return err(&c, "expected transport");
        }
        if !c.skip_lws() {
            return err(&c, "expected space before sent-by");
        }
        let host = if c.peek() == Some(b'[') {
            let start = c.pos();
            c.take_while(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.' || b == b'[');
            if !c.eat(b']') {
                return err(&c, "bad IPv6 reference");
            }
            c.slice(start, c.pos())
        } else {
            c.take_while(is_host_char)
        };
        if host.is_empty() {
            return err(&c, "expected sent-by host");
        }
        let save = c.pos();
        c.skip_lws();
        let port = if c.eat(b':') {
            c.skip_lws();
            let digits = c.take_while(|b| b.is_ascii_digit());
            match port_number(digits) {
                Some(p) => Some(p),
                None => return err(&c, "bad port"),
            }
        } else {
            c.set_pos(save);
            None
        };
        let params = parse_header_params(&mut c)?;
        if !only_lws(c.slice(c.pos(), s.len())) {
            return err(&c, "unexpected text in Via");
        }
        Ok(Via {
            protocol,
            version,
            transport,
            host,
            port,
            params,
        })
    }

    /// Protocol name (`SIP`).
    pub fn protocol_name(&self) -> &'a str {
        self.protocol
    }

    /// Protocol version (`2.0`).
    pub fn protocol_version(&self) -> &'a str {
        self.version
    }

    /// Transport as written (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, or unknown ones).
    pub fn transport(&self) -> &'a str {
        self.transport
    }

    /// Sent-by host (IPv6 with brackets).
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// Sent-by port, if written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// All parameters.
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.value("branch")
    }

    /// The branch when it is an RFC 3261 transaction id: magic cookie plus at
    /// least one more character. A bare `z9hG4bK` (RFC 4475 badbranch) or an
    /// RFC 2543 branch gives `None`, so the transaction layer falls back to
    /// the RFC 2543 matching rules.
    pub fn rfc3261_branch(&self) -> Option<&'a str> {
        self.branch()
            .filter(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&'a str> {
        self.params.value("received")
    }

    /// The `rport` parameter (RFC 3581): `None` absent, `Some(None)` present
    /// without a (valid) port — the client asks us to fill it — `Some(Some(p))` filled.
    pub fn rport(&self) -> Option<Option<u16>> {
        rport_param(self.params)
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.value("maddr")
    }

    /// The `ttl` parameter.
    pub fn ttl(&self) -> Option<u8> {
        self.params.value("ttl").and_then(|t| t.parse().ok())
    }
}

/// The `rport` parameter among a Via's `params`, as [`Via::rport`] gives it.
pub(crate) fn rport_param(params: Params<'_>) -> Option<Option<u16>> {
    if !mentions_rport(params.as_str()) {
        return None;
    }
    params.get("rport").map(|v| v.and_then(|p| p.parse().ok()))
}

/// False when `params` cannot hold an `rport` parameter because the word is nowhere in it
/// (in any case). A stateless reply asks for `rport` on every request, most Vias have none,
/// and looking for a `p` is cheaper than walking the parameters.
fn mentions_rport(params: &str) -> bool {
    let b = params.as_bytes();
    memchr::memchr2_iter(b'p', b'P', b).any(|p| {
        p.checked_sub(1)
            .and_then(|r| b.get(r..p + 4))
            .is_some_and(|w| w.eq_ignore_ascii_case(b"rport"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        let v = Via::parse("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543;rport;received=10.0.0.1;maddr=x;ttl=3").unwrap();
        assert_eq!(
            (v.protocol_name(), v.protocol_version(), v.transport()),
            ("SIP", "2.0", "UDP")
        );
        assert_eq!((v.host(), v.port()), ("127.0.0.1", Some(5070)));
        assert_eq!(v.branch(), Some("z9hG4bK-d87543"));
        assert_eq!(v.rfc3261_branch(), Some("z9hG4bK-d87543"));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("10.0.0.1"));
        assert_eq!(v.maddr(), Some("x"));
        assert_eq!(v.ttl(), Some(3));
        let v = Via::parse("SIP/2.0/TCP h;rport=5060").unwrap();
        assert_eq!(v.rport(), Some(Some(5060)));
        assert_eq!(v.rport().flatten(), Some(5060));
    }

    #[test]
    fn rport_lookup() {
        for (params, rport) in [
            ("", None),
            (";branch=z9hG4bKp;received=1.2.3.4", None),
            (";RPort", Some(None)),
            (" ; rport = 7 ;branch=x", Some(Some(7))),
            (";rport=x", Some(None)),
            (";x-rport=1;rports", None),
            (";x=\"a;rport\"", None),
            (";branch=rport;rport", Some(None)),
            (";p;pp;port=1", None),
        ] {
            let text = format!("SIP/2.0/UDP h{params}");
            let v = Via::parse(&text).unwrap();
            assert_eq!(v.rport(), rport, "{params}");
            let walked = v
                .params()
                .get("rport")
                .map(|p| p.and_then(|p| p.parse().ok()));
            assert_eq!(v.rport(), walked, "{params}");
        }
    }

    #[test]
    fn whitespace_and_ipv6() {
        let v = Via::parse("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(
            (v.transport(), v.host(), v.branch()),
            ("UDP", "192.0.2.2", Some("390skdjuw"))
        );
        assert_eq!(v.rfc3261_branch(), None);
        let v = Via::parse("SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239")
            .unwrap();
        assert_eq!(v.branch(), Some("z9hG4bK30239"));
        let v = Via::parse("SIP/2.0/TLS [2001:db8::9] : 5061 ;received=[2001:db8::1]").unwrap();
        assert_eq!((v.host(), v.port()), ("[2001:db8::9]", Some(5061)));
        assert_eq!(v.received(), Some("[2001:db8::1]"));
        assert_eq!(
            Via::parse("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK")
                .unwrap()
                .rfc3261_branch(),
            None
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;",
            ";",
            "",
            "SIP/2.0 host",
            "SIP/2.0/UDPhost",
            "SIP/2.0/UDP host:x",
            "SIP/2.0/UDP host:99999",
            "SIP/2.0/UDP [::1",
            "SIP/2.0/UDP host junk",
            "SIP/2.0/UDP host;branch=",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad:?}");
        }
    }
}
