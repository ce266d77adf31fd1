//! URIs: `sip:`, `sips:` and `tel:` parsed into parts; any other scheme kept
//! as opaque text with its scheme (RFC 4475 unksm2, novelsc).
//!
//! A [`Uri`] borrows the text it was parsed from and keeps every part raw
//! (escapes included); `*_decoded` accessors resolve `%HH` escapes on request.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::chars::{self, is_host_char};
use crate::escape;
use crate::params::Params;

/// The URI scheme, case-insensitively recognized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:` (RFC 3966)
    Tel,
    /// Any other scheme; the URI is opaque.
    Other,
}

/// The host part of a SIP URI, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// A host name (as written).
    Name(&'a str),
    /// A dotted IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference written `[...]`.
    Ipv6(Ipv6Addr),
}

/// Why a text is not a valid URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UriError {
    /// Offset in the URI text.
    pub offset: usize,
    /// What is wrong.
    pub what: &'static str,
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.what, self.offset)
    }
}

impl std::error::Error for UriError {}

/// A parsed URI borrowing its text. Cheap to build and to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uri<'a> {
    pub(crate) raw: &'a str,
    pub(crate) scheme: Scheme,
    pub(crate) scheme_str: &'a str,
    pub(crate) rest: &'a str,
    pub(crate) user: Option<&'a str>,
    pub(crate) password: Option<&'a str>,
    pub(crate) host: &'a str,
    pub(crate) port: Option<u16>,
    pub(crate) params: Params<'a>,
    pub(crate) headers: Option<&'a str>,
}

fn err<T>(offset: usize, what: &'static str) -> Result<T, UriError> {
    Err(UriError { offset, what })
}

/// Bytes that no URI may contain (RFC 3986 excluded characters, controls, space, non-ASCII).
fn is_excluded(b: u8) -> bool {
    chars::is(b, chars::URI_EXCLUDED)
}

/// The error for the first excluded character of `s`, if it has one.
fn first_excluded(s: &str) -> Option<UriError> {
    s.bytes().position(is_excluded).map(|offset| UriError {
        offset,
        what: "character not allowed in URI",
    })
}

fn is_tel_char(b: u8) -> bool {
    b.is_ascii_hexdigit()
        || matches!(
            b,
            b'*' | b'#' | b'+' | b'-' | b'.' | b'(' | b')' | b'p' | b'w'
        )
}

/// Validates `part` (at `base` in the URI) with escapes allowed: every
/// other byte must be in the [`chars`] classes of `allowed` (a class mask,
/// so the per-byte test inlines to a table lookup).
fn check_part(part: &str, base: usize, allowed: u16, what: &'static str) -> Result<(), UriError> {
    escape::check(part, |b| chars::is(b, allowed)).or_else(|i| err(base + i, what))
}

/// Validates `;name[=value]` URI parameters.
fn check_params(params: &str, base: usize) -> Result<(), UriError> {
    let mut off = base;
    for item in chars::split_byte(params, b';').skip(1) {
        off += 1;
        let (name, value) = match chars::split_once_byte(item, b'=') {
            Some((n, v)) => (n, Some(v)),
            None => (item, None),
        };
        if name.is_empty() {
            return err(off, "empty URI parameter");
        }
        check_part(
            name,
            off,
            chars::URI_PARAM,
            "bad character in URI parameter",
        )?;
        if let Some(v) = value {
            if v.is_empty() {
                return err(off + name.len() + 1, "empty URI parameter value");
            }
            check_part(
                v,
                off + name.len() + 1,
                chars::URI_PARAM,
                "bad character in URI parameter",
            )?;
        }
        off += item.len();
    }
    Ok(())
}

/// Validates `hname=hvalue&...` URI headers.
fn check_headers(headers: &str, base: usize) -> Result<(), UriError> {
    let mut off = base;
    for item in chars::split_byte(headers, b'&') {
        let Some((name, value)) = chars::split_once_byte(item, b'=') else {
            return err(off, "URI header without '='");
        };
        if name.is_empty() {
            return err(off, "empty URI header name");
        }
        check_part(name, off, chars::URI_HNV, "bad character in URI header")?;
        check_part(
            value,
            off + name.len() + 1,
            chars::URI_HNV,
            "bad character in URI header",
        )?;
        off += item.len() + 1;
    }
    Ok(())
}

/// Splits `host[:port]`, validating both.
fn parse_hostport(hp: &str, base: usize) -> Result<(&str, Option<u16>), UriError> {
    let (host, port) = if hp.starts_with('[') {
        let Some(close) = chars::find_byte(hp, b']') else {
            return err(base, "unterminated IPv6 reference");
        };
        let host = hp.get(..=close).unwrap_or("");
        let inner = host.get(1..host.len().saturating_sub(1)).unwrap_or("");
        if inner.parse::<Ipv6Addr>().is_err() {
            return err(base, "bad IPv6 address");
        }
        let after = hp.get(close + 1..).unwrap_or("");
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return err(base + close + 1, "unexpected text after host"),
        }
    } else {
        match chars::split_once_byte(hp, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (hp, None),
        }
    };
    if host.is_empty() {
        return err(base, "empty host");
    }
    if !host.starts_with('[') {
        if let Some(i) = host.bytes().position(|b| !is_host_char(b)) {
            return err(base + i, "bad character in host");
        }
    }
    let port = match port {
        None => None,
        Some(p) => {
            let n = (!p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u16>().ok())
                .flatten();
            match n {
                Some(n) => Some(n),
                None => return err(base + host.len() + 1, "bad port"),
            }
        }
    };
    Ok((host, port))
}

impl<'a> Uri<'a> {
    /// Parses a URI. SIP and SIPS URIs are checked against RFC 3261 §25.1 (no
    /// LWS, valid escapes, valid host and port, well-formed parameters and
    /// headers); other schemes only need a valid scheme and URI characters.
    pub fn parse(s: &'a str) -> Result<Uri<'a>, UriError> {
        let Some(colon) = chars::find_byte(s, b':') else {
            return err(0, "missing scheme");
        };
        let scheme_str = s.get(..colon).unwrap_or("");
        let mut sb = scheme_str.bytes();
        if !sb.next().is_some_and(|b| b.is_ascii_alphabetic())
            || !sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return err(0, "bad scheme");
        }
        let rest = s.get(colon + 1..).unwrap_or("");
        let base = colon + 1;
        let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_str.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_str.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            Scheme::Other
        };
        let mut uri = Uri {
            raw: s,
            scheme,
            scheme_str,
            rest,
            user: None,
            password: None,
            host: "",
            port: None,
            params: Params::default(),
            headers: None,
        };
        if let Some(e) = (!matches!(scheme, Scheme::Sip | Scheme::Sips))
            .then(|| first_excluded(s))
            .flatten()
        {
            return Err(e);
        }
        match scheme {
            // Every byte of a SIP URI is a separator or passes a class that excludes the
            // excluded characters (see the tests), so a URI that parses has none: they are
            // looked for only to name the error of one that does not, as before the parts.
            Scheme::Sip | Scheme::Sips => {
                if let Err(e) = uri.parse_sip(base) {
                    return Err(first_excluded(s).unwrap_or(e));
                }
            }
            Scheme::Tel => uri.parse_tel(base)?,
            Scheme::Other if rest.is_empty() => return err(base, "empty URI"),
            Scheme::Other => {}
        }
        Ok(uri)
    }

    fn parse_sip(&mut self, base: usize) -> Result<(), UriError> {
        let rest = self.rest;
        let hp_start = match chars::find_byte(rest, b'@') {
            Some(at) => {
                let userinfo = rest.get(..at).unwrap_or("");
                let (user, password) = match chars::split_once_byte(userinfo, b':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (userinfo, None),
                };
                if user.is_empty() {
                    return err(base, "empty user");
                }
                check_part(user, base, chars::URI_USER, "bad character in user")?;
                if let Some(p) = password {
                    check_part(
                        p,
                        base + user.len() + 1,
                        chars::URI_PASSWORD,
                        "bad character in password",
                    )?;
                }
                self.user = Some(user);
                self.password = password;
                at + 1
            }
            None => 0,
        };
        let tail = rest.get(hp_start..).unwrap_or("");
        let hp_len = tail
            .bytes()
            .position(|b| b == b';' || b == b'?')
            .unwrap_or(tail.len());
        let (host, port) = parse_hostport(tail.get(..hp_len).unwrap_or(""), base + hp_start)?;
        self.host = host;
        self.port = port;
        let after = tail.get(hp_len..).unwrap_or("");
        let pbase = base + hp_start + hp_len;
        let params_len = chars::find_byte(after, b'?').unwrap_or(after.len());
        let params = after.get(..params_len).unwrap_or("");
        check_params(params, pbase)?;
        self.params = Params::new(params);
        if let Some(h) = after.get(params_len..).and_then(|h| h.strip_prefix('?')) {
            check_headers(h, pbase + params_len + 1)?;
            self.headers = Some(h);
        }
        Ok(())
    }

    fn parse_tel(&mut self, base: usize) -> Result<(), UriError> {
        let rest = self.rest;
        let num_len = chars::find_byte(rest, b';').unwrap_or(rest.len());
        let number = rest.get(..num_len).unwrap_or("");
        if number.is_empty() {
            return err(base, "empty telephone number");
        }
        if let Some(i) = number.bytes().position(|b| !is_tel_char(b)) {
            return err(base + i, "bad character in telephone number");
        }
        let params = rest.get(num_len..).unwrap_or("");
        check_params(params, base + num_len)?;
        self.user = Some(number);
        self.params = Params::new(params);
        Ok(())
    }

    /// The whole URI as written.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// The scheme, classified.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The scheme as written (`nobodyKnowsThisScheme` for RFC 4475 unkscm), so
    /// a server can answer 416 for schemes it does not handle.
    pub fn scheme_str(&self) -> &'a str {
        self.scheme_str
    }

    /// Everything after `scheme:` — the whole content of an opaque URI.
    pub fn opaque(&self) -> &'a str {
        self.rest
    }

    /// The user part, escapes kept (the number of a `tel:` URI).
    pub fn user(&self) -> Option<&'a str> {
        self.user
    }

    /// The user part with `%HH` escapes decoded.
    pub fn user_decoded(&self) -> Option<Cow<'a, str>> {
        self.user.map(escape::decode)
    }

    /// The password, escapes kept.
    pub fn password(&self) -> Option<&'a str> {
        self.password
    }

    /// The host as written (IPv6 with its brackets); empty for tel and opaque URIs.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The host classified as name, IPv4 or IPv6; `None` when there is no host.
    pub fn host_kind(&self) -> Option<Host<'a>> {
        if self.host.is_empty() {
            return None;
        }
        if let Some(inner) = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            return inner.parse().ok().map(Host::Ipv6);
        }
        Some(self.host.parse().map_or(Host::Name(self.host), Host::Ipv4))
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The URI parameters (`;lr;transport=tcp`).
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// The `transport` parameter.
    pub fn transport(&self) -> Option<&'a str> {
        self.params.value("transport")
    }

    /// The `user` parameter (`phone`, `ip`).
    pub fn user_param(&self) -> Option<&'a str> {
        self.params.value("user")
    }

    /// The `method` parameter.
    pub fn method_param(&self) -> Option<&'a str> {
        self.params.value("method")
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.value("maddr")
    }

    /// The `ttl` parameter, when it is a number 0..=255.
    pub fn ttl(&self) -> Option<u8> {
        self.params.value("ttl").and_then(|t| t.parse().ok())
    }

    /// True when the `lr` (loose routing) parameter is present.
    pub fn lr(&self) -> bool {
        self.params.has("lr")
    }

    /// The raw header part after `?`, if any.
    pub fn headers_str(&self) -> Option<&'a str> {
        self.headers
    }

    /// The URI headers as raw `(name, value)` pairs.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.headers
            .into_iter()
            .flat_map(|h| h.split('&'))
            .filter_map(|item| item.split_once('='))
    }

    /// A URI header's value with escapes decoded (`Route=%3Csip:x%3E` → `<sip:x>`).
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        self.headers()
            .find(|(n, _)| escape::decode(n).eq_ignore_ascii_case(name))
            .map(|(_, v)| escape::decode(v))
    }
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_parts_never_accept_excluded_characters() {
        let parts = chars::HOST | chars::URI_USER | chars::URI_PASSWORD | chars::URI_PARAM;
        for b in 0..=255u8 {
            if is_excluded(b) {
                assert!(!chars::is(b, parts | chars::URI_HNV), "{b}");
                assert!(!b.is_ascii_hexdigit() && !b":@;?=&[]%.".contains(&b), "{b}");
            }
        }
        for bad in [
            "sip:a b@h",
            "sip:a@h^",
            "sip:a@h:50<60",
            "sip:a@[::1]{",
            "sip:a@h;p=<x>",
            "sips:a@h?x={y}",
            "sip:a%2@h|",
            "x:a|b",
        ] {
            let e = Uri::parse(bad).unwrap_err();
            assert_eq!(e.what, "character not allowed in URI", "{bad}");
            assert_eq!(Some(e.offset), bad.bytes().position(is_excluded), "{bad}");
        }
    }

    #[test]
    fn sip_parts() {
        let u = Uri::parse("sip:alice:secret@Atlanta.com:5061;transport=tcp;lr;maddr=239.255.255.1;ttl=15?subject=a%20b&priority=urgent").unwrap();
        assert_eq!(u.scheme(), Scheme::Sip);
        assert_eq!(u.user(), Some("alice"));
        assert_eq!(u.password(), Some("secret"));
        assert_eq!(u.host(), "Atlanta.com");
        assert_eq!(u.port(), Some(5061));
        assert_eq!(u.transport(), Some("tcp"));
        assert!(u.lr());
        assert_eq!(u.maddr(), Some("239.255.255.1"));
        assert_eq!(u.ttl(), Some(15));
        assert_eq!(u.header("Subject").as_deref(), Some("a b"));
        assert_eq!(u.headers().count(), 2);
        assert_eq!(u.host_kind(), Some(Host::Name("Atlanta.com")));
        assert_eq!(u.to_string(), u.as_str());
    }

    #[test]
    fn hosts() {
        let u = Uri::parse("sips:[2001:db8::1]:5061").unwrap();
        assert_eq!(u.host(), "[2001:db8::1]");
        assert_eq!(u.port(), Some(5061));
        assert!(matches!(u.host_kind(), Some(Host::Ipv6(_))));
        let u = Uri::parse("sip:192.0.2.1").unwrap();
        assert_eq!(u.host_kind(), Some(Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1))));
        assert_eq!(u.user(), None);
    }

    #[test]
    fn escapes_and_odd_users() {
        let u = Uri::parse("sip:sips%3Auser%40example.com@example.net").unwrap();
        assert_eq!(u.user_decoded().as_deref(), Some("sips:user@example.com"));
        assert_eq!(u.host(), "example.net");
        let u = Uri::parse("sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user(), Some("user;par=u%40example.net"));
        assert!(u.params().is_empty());
        let u = Uri::parse("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com").unwrap();
        assert_eq!(
            u.user(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        let u =
            Uri::parse("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31").unwrap();
        assert_eq!(u.params().iter().count(), 2);
    }

    #[test]
    fn other_schemes() {
        let u = Uri::parse("tel:+1-201-555-0123;phone-context=example.com").unwrap();
        assert_eq!(u.scheme(), Scheme::Tel);
        assert_eq!(u.user(), Some("+1-201-555-0123"));
        assert_eq!(u.params().value("phone-context"), Some("example.com"));
        for (s, scheme) in [
            ("soap.beep://192.0.2.103:3002", "soap.beep"),
            (
                "nobodyKnowsThisScheme:totallyopaquecontent",
                "nobodyKnowsThisScheme",
            ),
            ("http://www.example.com", "http"),
            ("name:John_Smith", "name"),
            ("isbn:2983792873", "isbn"),
        ] {
            let u = Uri::parse(s).unwrap();
            assert_eq!(u.scheme(), Scheme::Other);
            assert_eq!(u.scheme_str(), scheme);
            assert_eq!(u.host_kind(), None);
        }
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "sip",
            "<sip:user@example.com>",
            "sip:user@example.com; lr",
            "1sip:x",
            "sip:",
            "sip:@host",
            "sip:host:99999",
            "sip:host:",
            "sip:ho st",
            "sip:a%2@host",
            "sip:host;;lr",
            "sip:host;a=",
            "sip:host?noequals",
            "sip:[::1",
            "sip:[zz]",
            "sip:user@",
            "tel:",
            "tel:abcxyz",
            "x:",
            "sip:host?=v",
            "sip:h\u{e9}st",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let e = Uri::parse("sip:a b").unwrap_err();
        assert_eq!(e.offset, 5);
        assert!(!e.to_string().is_empty());
    }
}
