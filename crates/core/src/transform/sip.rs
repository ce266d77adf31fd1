//! The SIP-aware transformations' helpers: parameter lists (`{param.*}`), IP addresses
//! (`{ip.*}`), To/From bodies (`{tobody.*}`), Via bodies (`{via.*}`) and comma-separated
//! lists (`{csv.*}`).

use std::net::IpAddr;

use siplua_sip::headers::{NameAddr, Via};

use crate::value::Value;

/// An IP address written bare or, for IPv6, in brackets (`[::1]`).
pub fn ip_of(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.parse().ok()
}

/// The separator argument of `{param.*}` (`;` when not given).
pub fn separator(v: &Value) -> char {
    v.as_str().chars().next().unwrap_or(';')
}

/// The `name[=value]` pairs of a parameter list (`a=1;b;c=3`), a leading separator allowed.
pub fn params(s: &str, sep: char) -> impl Iterator<Item = (&str, &str)> {
    s.split(sep)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.trim(), v.trim()),
            None => (p, ""),
        })
}

/// The value of parameter `name` (case-insensitive), "" for a flag.
pub fn param_find<'a>(s: &'a str, name: &str, sep: char) -> Option<&'a str> {
    params(s, sep)
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// `{param.value,name}`.
pub fn param_value(s: &str, name: &str, sep: char) -> Value {
    param_find(s, name, sep).map_or(Value::Null, |v| Value::Str(v.to_owned()))
}

fn text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |t| Value::Str(t.to_owned()))
}

/// Which part `{tobody.*}` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToBodyPart {
    /// `{tobody.uri}`.
    Uri,
    /// `{tobody.display}`.
    Display,
    /// `{tobody.tag}`.
    Tag,
    /// `{tobody.user}`.
    User,
    /// `{tobody.host}`.
    Host,
    /// `{tobody.params}`: the header parameters after the URI.
    Params,
}

/// `{tobody.*}` of a To/From header body; null when it does not parse.
pub fn tobody(s: &str, part: ToBodyPart) -> Value {
    let Ok(na) = NameAddr::parse(s.trim()) else {
        return Value::Null;
    };
    match part {
        ToBodyPart::Uri => Value::Str(na.uri().as_str().to_owned()),
        ToBodyPart::Display => na
            .display_name()
            .map_or(Value::Null, |d| Value::Str(d.into_owned())),
        ToBodyPart::Tag => text(na.tag()),
        ToBodyPart::User => text(na.uri().user()),
        ToBodyPart::Host => Value::Str(na.uri().host().to_owned()),
        ToBodyPart::Params => {
            let p = na.params().as_str();
            text((!p.is_empty()).then_some(p))
        }
    }
}

/// Which part `{via.*}` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViaPart {
    /// `{via.name}`: the protocol name (`SIP`).
    Name,
    /// `{via.version}` (`2.0`).
    Version,
    /// `{via.transport}` (`UDP`).
    Transport,
    /// `{via.host}`.
    Host,
    /// `{via.port}` (null when absent).
    Port,
    /// `{via.params}`: the whole parameter list.
    Params,
    /// `{via.branch}`.
    Branch,
    /// `{via.received}`.
    Received,
    /// `{via.rport}` (the value; "" for a bare `rport`).
    Rport,
}

/// `{via.*}` of one Via value; null when it does not parse or has no such part.
pub fn via(s: &str, part: ViaPart) -> Value {
    let Ok(v) = Via::parse(s.trim()) else {
        return Value::Null;
    };
    match part {
        ViaPart::Name => Value::Str(v.protocol_name().to_owned()),
        ViaPart::Version => Value::Str(v.protocol_version().to_owned()),
        ViaPart::Transport => Value::Str(v.transport().to_owned()),
        ViaPart::Host => Value::Str(v.host().to_owned()),
        ViaPart::Port => v.port().map_or(Value::Null, |p| Value::Int(i64::from(p))),
        ViaPart::Params => {
            let p = v.params().as_str();
            text((!p.is_empty()).then_some(p))
        }
        ViaPart::Branch => text(v.branch()),
        ViaPart::Received => text(v.received()),
        ViaPart::Rport => match v.rport() {
            None => Value::Null,
            Some(None) => Value::from(""),
            Some(Some(p)) => Value::Int(i64::from(p)),
        },
    }
}

/// `{via.param,name}`.
pub fn via_param(s: &str, name: &str) -> Value {
    let Ok(v) = Via::parse(s.trim()) else {
        return Value::Null;
    };
    match v.params().get(name) {
        None => Value::Null,
        Some(value) => Value::Str(value.unwrap_or("").to_owned()),
    }
}

/// The fields of a comma-separated list (`{csv.count}`, `{csv.value,N}`), trimmed.
pub fn csv(s: &str) -> Vec<&str> {
    if s.trim().is_empty() {
        return Vec::new();
    }
    s.split(',').map(str::trim).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_and_params() {
        assert_eq!(ip_of("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_of(" 10.0.0.1 "), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(ip_of("example.com"), None);
        assert_eq!(param_value(";a=1;b=two", "b", ';'), Value::from("two"));
        assert_eq!(param_value("a=1", "c", ';'), Value::Null);
    }

    #[test]
    fn to_bodies_vias_and_lists() {
        let to = "\"Bob\" <sip:bob@example.com;user=phone>;tag=x1";
        assert_eq!(
            tobody(to, ToBodyPart::Uri),
            Value::from("sip:bob@example.com;user=phone")
        );
        assert_eq!(tobody(to, ToBodyPart::Display), Value::from("Bob"));
        assert_eq!(tobody(to, ToBodyPart::Tag), Value::from("x1"));
        assert_eq!(tobody(to, ToBodyPart::User), Value::from("bob"));
        assert_eq!(tobody(to, ToBodyPart::Host), Value::from("example.com"));
        assert_eq!(tobody("<sip:a@b>", ToBodyPart::Tag), Value::Null);
        let v = "SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK1;rport;received=1.2.3.4";
        assert_eq!(via(v, ViaPart::Transport), Value::from("TCP"));
        assert_eq!(via(v, ViaPart::Host), Value::from("10.0.0.1"));
        assert_eq!(via(v, ViaPart::Port), Value::Int(5070));
        assert_eq!(via(v, ViaPart::Branch), Value::from("z9hG4bK1"));
        assert_eq!(via(v, ViaPart::Rport), Value::from(""));
        assert_eq!(via(v, ViaPart::Received), Value::from("1.2.3.4"));
        assert_eq!(via_param(v, "received"), Value::from("1.2.3.4"));
        assert_eq!(via("garbage", ViaPart::Host), Value::Null);
        assert_eq!(csv("a, b ,c"), ["a", "b", "c"]);
        assert!(csv("").is_empty());
    }
}
