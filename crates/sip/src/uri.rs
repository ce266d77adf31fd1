//! URIs: `sip:`, `sips:` and `tel:` parsed into parts; any other scheme kept
//! as opaque text with its scheme (RFC 4475 unksm2, novelsc).
//!
//! A [`Uri`] borrows the text it was parsed from and keeps every part raw
//! (escapes included); `*_decoded` accessors resolve `%HH` escapes on request.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::chars;
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

/// The text between two offsets of `s` (offsets of ASCII delimiters, so always boundaries).
fn part(s: &str, from: usize, to: usize) -> &str {
    s.get(from..to).unwrap_or("")
}

/// Offset of the first byte from `i` on that is neither in the classes of `mask`
/// nor the start of a valid `%HH` escape. The parts of a URI end at ASCII
/// delimiters that are not hex digits, so checking escapes over the whole text
/// finds the same bad escapes as checking each part on its own.
fn skip_escaped(b: &[u8], mut i: usize, mask: u16) -> usize {
    loop {
        i = chars::skip_class(b, i, mask);
        match b.get(i..i + 3) {
            Some(&[b'%', h, l]) if chars::is(h, chars::HEX) && chars::is(l, chars::HEX) => i += 3,
            _ => return i,
        }
    }
}

/// Validates `part` (at `base` in the URI) with escapes allowed: every
/// other byte must be in the [`chars`] classes of `allowed` (a class mask,
/// so the per-byte test inlines to a table lookup).
fn check_part(part: &str, base: usize, allowed: u16, what: &'static str) -> Result<(), UriError> {
    escape::check(part, |b| chars::is(b, allowed)).or_else(|i| err(base + i, what))
}

/// Validates the `;name[=value]` URI parameters of `b` from `i` (a `;` or the
/// end of the list) and returns where they end: at the end of the text or, when
/// `headers_follow` (SIP URIs), at the `?` of the headers.
fn scan_params(b: &[u8], mut i: usize, headers_follow: bool) -> Result<usize, UriError> {
    let list_end = |j: usize| match b.get(j) {
        None => true,
        Some(&c) => c == b'?' && headers_follow,
    };
    let item_end = |j: usize| b.get(j) == Some(&b';') || list_end(j);
    while !list_end(i) {
        let name = i + 1;
        let mut j = skip_escaped(b, name, chars::URI_PARAM);
        if j == name && (item_end(j) || b.get(j) == Some(&b'=')) {
            return err(name, "empty URI parameter");
        }
        if b.get(j) == Some(&b'=') {
            let value = j + 1;
            j = skip_escaped(b, value, chars::URI_PARAM);
            if j == value && item_end(j) {
                return err(value, "empty URI parameter value");
            }
        }
        if !item_end(j) {
            return err(j, "bad character in URI parameter");
        }
        i = j;
    }
    Ok(i)
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

/// True at the end of a SIP URI's `hostport`: the parameters, the headers or the end.
fn hostport_ends(b: &[u8], i: usize) -> bool {
    matches!(b.get(i), None | Some(b';' | b'?'))
}

/// Validates the port at `p` (after the `:`), which must run to the end of the
/// `hostport`: 1 to 5 digits, at most 65535.
fn scan_port(b: &[u8], p: usize) -> Result<(u16, usize), UriError> {
    let mut end = p;
    let mut n = 0u32;
    // Six digits at most, enough to tell a five-digit port from a longer number.
    while end - p < 6 {
        match b.get(end) {
            Some(d) if d.is_ascii_digit() => n = n * 10 + u32::from(d - b'0'),
            _ => break,
        }
        end += 1;
    }
    match u16::try_from(n) {
        Ok(n) if (1..=5).contains(&(end - p)) && hostport_ends(b, end) => Ok((n, end)),
        _ => err(p, "bad port"),
    }
}

/// Splits and validates `host[:port]` at `i` in a SIP URI; returns the host,
/// the port and where the `hostport` ends.
fn scan_hostport(s: &str, i: usize) -> Result<(&str, Option<u16>, usize), UriError> {
    let b = s.as_bytes();
    if b.get(i) == Some(&b'[') {
        return scan_ipv6_hostport(s, i);
    }
    let end = chars::skip_class(b, i, chars::HOST);
    if end == i && (hostport_ends(b, i) || b.get(i) == Some(&b':')) {
        return err(i, "empty host");
    }
    let host = part(s, i, end);
    if hostport_ends(b, end) {
        return Ok((host, None, end));
    }
    if b.get(end) != Some(&b':') {
        return err(end, "bad character in host");
    }
    let (port, end) = scan_port(b, end + 1)?;
    Ok((host, Some(port), end))
}

/// [`scan_hostport`] for an IPv6 reference `[...]`, the part up to the first `]` of the `hostport`.
fn scan_ipv6_hostport(s: &str, i: usize) -> Result<(&str, Option<u16>, usize), UriError> {
    let b = s.as_bytes();
    let hp_end = i + b
        .get(i..)
        .unwrap_or_default()
        .iter()
        .position(|&c| c == b';' || c == b'?')
        .unwrap_or(b.len() - i);
    let Some(close) = chars::find_byte(part(s, i, hp_end), b']').map(|k| i + k) else {
        return err(i, "unterminated IPv6 reference");
    };
    if part(s, i + 1, close).parse::<Ipv6Addr>().is_err() {
        return err(i, "bad IPv6 address");
    }
    let host = part(s, i, close + 1);
    match b.get(close + 1) {
        Some(b':') => {
            let (port, end) = scan_port(b, close + 2)?;
            Ok((host, Some(port), end))
        }
        _ if close + 1 == hp_end => Ok((host, None, hp_end)),
        _ => err(close + 1, "unexpected text after host"),
    }
}

/// The scheme named `s` (case-insensitively).
fn scheme_of(s: &str) -> Scheme {
    match s.as_bytes() {
        [a, b, c] => match [a, b, c].map(u8::to_ascii_lowercase) {
            [b's', b'i', b'p'] => Scheme::Sip,
            [b't', b'e', b'l'] => Scheme::Tel,
            _ => Scheme::Other,
        },
        [a, b, c, d] if [a, b, c, d].map(u8::to_ascii_lowercase) == *b"sips" => Scheme::Sips,
        _ => Scheme::Other,
    }
}

/// Where the scheme of `s` ends (its `:`) and which scheme it is. `sip:`, the scheme of
/// nearly every URI a server reads, is matched whole.
fn split_scheme(s: &str) -> Result<(usize, Scheme), UriError> {
    let b = s.as_bytes();
    if b.starts_with(b"sip:") {
        return Ok((3, Scheme::Sip));
    }
    let colon = chars::skip_class(b, 0, chars::SCHEME);
    if b.get(colon) != Some(&b':') || !b.first().is_some_and(u8::is_ascii_alphabetic) {
        // The scheme is `s` up to its first `:`: none, or one after another character.
        let what = if b.contains(&b':') {
            "bad scheme"
        } else {
            "missing scheme"
        };
        return err(0, what);
    }
    Ok((colon, scheme_of(part(s, 0, colon))))
}

impl<'a> Uri<'a> {
    /// Parses a URI. SIP and SIPS URIs are checked against RFC 3261 §25.1 (no
    /// LWS, valid escapes, valid host and port, well-formed parameters and
    /// headers); other schemes only need a valid scheme and URI characters.
    pub fn parse(s: &'a str) -> Result<Uri<'a>, UriError> {
        let (colon, scheme) = split_scheme(s)?;
        let scheme_str = part(s, 0, colon);
        let base = colon + 1;
        let rest = part(s, base, s.len());
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

    /// Parses the parts of a SIP URI after `scheme:` (at `base`) in one pass,
    /// left to right, so the first error found is the leftmost one. The
    /// userinfo ends at the first `@`, wherever it is (`sip:host;p=a@b` has
    /// the user `host;p=a`).
    fn parse_sip(&mut self, base: usize) -> Result<(), UriError> {
        let s = self.raw;
        let b = s.as_bytes();
        // The user part is scanned first: it ends at the first `@` when there is one (neither
        // its class nor escapes include `@`), and otherwise the `@` is looked for after it.
        let user_end = skip_escaped(b, base, chars::URI_USER);
        let at = match b.get(user_end) {
            Some(b'@') => Some(user_end),
            _ => b
                .get(user_end..)
                .and_then(|t| t.iter().position(|&c| c == b'@'))
                .map(|k| user_end + k),
        };
        let mut hp = base;
        if let Some(at) = at {
            if user_end == base && matches!(b.get(base), Some(b':' | b'@')) {
                return err(base, "empty user");
            }
            self.user = Some(part(s, base, user_end));
            if b.get(user_end) == Some(&b':') {
                let password_end = skip_escaped(b, user_end + 1, chars::URI_PASSWORD);
                if password_end != at {
                    return err(password_end, "bad character in password");
                }
                self.password = Some(part(s, user_end + 1, at));
            } else if user_end != at {
                return err(user_end, "bad character in user");
            }
            hp = at + 1;
        }
        let (host, port, params_start) = scan_hostport(s, hp)?;
        self.host = host;
        self.port = port;
        let params_end = scan_params(b, params_start, true)?;
        self.params = Params::new(part(s, params_start, params_end));
        if params_end < s.len() {
            let headers = part(s, params_end + 1, s.len());
            check_headers(headers, params_end + 1)?;
            self.headers = Some(headers);
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
        scan_params(self.raw.as_bytes(), base + num_len, false)?;
        self.user = Some(number);
        self.params = Params::new(rest.get(num_len..).unwrap_or(""));
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

    /// The one-pass scanner finds the parts where splitting did (the first `@` ends the
    /// userinfo even after a `;`, escapes are checked across part boundaries) and reports
    /// the error splitting reported first: same offset, same words.
    #[test]
    fn one_pass_splits_and_errors_as_splitting_did() {
        let u = Uri::parse("sip:a;b?c@h:5060;lr?x=y").unwrap();
        assert_eq!(
            (u.user(), u.host(), u.port()),
            (Some("a;b?c"), "h", Some(5060))
        );
        assert_eq!((u.params().as_str(), u.headers_str()), (";lr", Some("x=y")));
        let u = Uri::parse("sip:host;p=a@b").unwrap();
        assert_eq!((u.user(), u.host()), (Some("host;p=a"), "b"));
        assert_eq!(Uri::parse("sip:h:0080").unwrap().port(), Some(80));
        assert_eq!(Uri::parse("sip:[::1]:5").unwrap().port(), Some(5));
        assert_eq!(Uri::parse("sip:u:@h").unwrap().password(), Some(""));
        for (bad, offset, what) in [
            ("sip:a%4@h", 5, "bad character in user"),
            ("sip::p@h", 4, "empty user"),
            ("sip:u:p:q@h", 7, "bad character in password"),
            ("sip:u:p;x@h", 7, "bad character in password"),
            ("sip:h:000080", 6, "bad port"),
            ("sip:h:65536", 6, "bad port"),
            ("sip:h:5a", 6, "bad port"),
            ("sip:h[1]", 5, "bad character in host"),
            ("sip:[::1]x", 9, "unexpected text after host"),
            ("sip:[::1;x]", 4, "unterminated IPv6 reference"),
            ("sip:h;=b", 6, "empty URI parameter"),
            ("sip:h;a==b", 8, "bad character in URI parameter"),
            ("sip:h;a=b=c", 9, "bad character in URI parameter"),
            ("sip:h;%6", 6, "bad character in URI parameter"),
            ("sip:h?a&b=c", 6, "URI header without '='"),
            ("sip:h;lr?", 9, "URI header without '='"),
            ("tel:123;?", 8, "bad character in URI parameter"),
            ("tel:123;a=b?c", 11, "bad character in URI parameter"),
            ("1a:x", 0, "bad scheme"),
            ("a1", 0, "missing scheme"),
        ] {
            assert_eq!(Uri::parse(bad), Err(UriError { offset, what }), "{bad}");
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
