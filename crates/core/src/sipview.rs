//! Script-level views of SIP text: URI and name-addr parts as values, and URI rewriting.
//!
//! Transformations (`{uri.user}`), pseudo-variables (`$rU = "bob"`) and core functions
//! (`rewritehost`, `prefix`, `strip`) all need the same few operations on URI text; they live
//! here once, on top of the SIP library's parsers.

use siplua_sip::headers::NameAddr;
use siplua_sip::Uri;

use crate::value::Value;

/// A part of a URI, as `{uri.*}` transformations name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriPart {
    /// `{uri.user}`.
    User,
    /// `{uri.host}`.
    Host,
    /// `{uri.port}`.
    Port,
    /// `{uri.passwd}`.
    Password,
    /// `{uri.params}`.
    Params,
    /// `{uri.headers}`.
    Headers,
    /// `{uri.transport}`.
    Transport,
    /// `{uri.scheme}`.
    Scheme,
}

/// A part of a name-addr (`"Bob" <sip:bob@x>;tag=1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameAddrPart {
    /// `{nameaddr.name}`.
    Name,
    /// `{nameaddr.uri}`.
    Uri,
    /// `{nameaddr.params}`.
    Params,
}

fn text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

/// One part of the URI written in `s`; null when `s` is not a URI or lacks the part.
pub fn uri_part(s: &str, part: UriPart) -> Value {
    let Ok(u) = Uri::parse(s.trim()) else {
        return Value::Null;
    };
    match part {
        UriPart::User => text(u.user()),
        UriPart::Host => Value::from(u.host()),
        UriPart::Port => u.port().map_or(Value::Null, |p| Value::Int(p as i64)),
        UriPart::Password => text(u.password()),
        UriPart::Params => Value::from(u.params().as_str().trim_start_matches(';')),
        UriPart::Headers => text(u.headers_str()),
        UriPart::Transport => text(u.transport()),
        UriPart::Scheme => Value::from(u.scheme_str()),
    }
}

/// `{uri.param,name}`: a URI parameter's value (empty for a flag like `lr`).
pub fn uri_param(s: &str, name: &str) -> Value {
    let Ok(u) = Uri::parse(s.trim()) else {
        return Value::Null;
    };
    match u.params().get(name) {
        None => Value::Null,
        Some(v) => Value::from(v.unwrap_or("")),
    }
}

/// One part of a name-addr.
pub fn nameaddr_part(s: &str, part: NameAddrPart) -> Value {
    let Ok(na) = NameAddr::parse(s) else {
        return Value::Null;
    };
    match part {
        NameAddrPart::Name => Value::from(na.display_name().as_deref().unwrap_or("")),
        NameAddrPart::Uri => Value::from(na.uri().as_str()),
        NameAddrPart::Params => Value::from(na.params().as_str().trim_start_matches(';')),
    }
}

/// `{nameaddr.param,name}`.
pub fn nameaddr_param(s: &str, name: &str) -> Value {
    let Ok(na) = NameAddr::parse(s) else {
        return Value::Null;
    };
    match na.params().get(name) {
        None => Value::Null,
        Some(v) => Value::from(v.unwrap_or("")),
    }
}

/// A change to a URI's user or host part.
#[derive(Clone, Copy, Debug)]
pub enum UriChange<'a> {
    /// Replace (or with `None` remove) the user part.
    User(Option<&'a str>),
    /// Replace the host.
    Host(&'a str),
    /// Replace (or remove) the port.
    Port(Option<u16>),
    /// Replace user and password with `user[:password]` (`setuserpass`).
    UserPass(&'a str),
    /// Replace host and port with `host[:port]`.
    HostPort(&'a str),
    /// Put text in front of the user part.
    Prefix(&'a str),
    /// Remove this many characters from the start of the user part.
    Strip(usize),
    /// Remove this many characters from the end of the user part.
    StripTail(usize),
}

/// Applies a change to a URI, keeping everything else as written.
pub fn rewrite_uri(uri: &str, change: UriChange) -> Result<String, String> {
    let u = Uri::parse(uri.trim()).map_err(|e| format!("invalid URI '{uri}': {e}"))?;
    let mut user = u.user().map(str::to_owned);
    let mut host = u.host().to_owned();
    let mut port = u.port();
    let mut password = u.password().map(str::to_owned);
    match change {
        UriChange::User(v) => user = v.filter(|s| !s.is_empty()).map(str::to_owned),
        UriChange::UserPass(v) => {
            let (u, p) = v.split_once(':').map_or((v, None), |(u, p)| (u, Some(p)));
            user = Some(u.to_owned()).filter(|s| !s.is_empty());
            password = p.map(str::to_owned);
        }
        UriChange::Host(h) => host = h.to_owned(),
        UriChange::Port(p) => port = p,
        UriChange::HostPort(hp) => {
            let (h, p) = split_host_port(hp)?;
            host = h.to_owned();
            port = p;
        }
        UriChange::Prefix(p) => user = Some(format!("{p}{}", user.unwrap_or_default())),
        UriChange::Strip(n) => user = user.map(|s| s.chars().skip(n).collect()),
        UriChange::StripTail(n) => {
            user = user.map(|s| {
                let keep = s.chars().count().saturating_sub(n);
                s.chars().take(keep).collect()
            })
        }
    }
    let mut out = String::with_capacity(uri.len() + 16);
    out.push_str(u.scheme_str());
    out.push(':');
    if let Some(user) = user.filter(|s| !s.is_empty()) {
        out.push_str(&user);
        if let Some(pw) = &password {
            out.push(':');
            out.push_str(pw);
        }
        out.push('@');
    }
    out.push_str(&host);
    if let Some(p) = port {
        out.push(':');
        out.push_str(&p.to_string());
    }
    out.push_str(u.params().as_str());
    if let Some(h) = u.headers_str() {
        out.push('?');
        out.push_str(h);
    }
    Ok(out)
}

/// Splits `host[:port]` (IPv6 references in brackets).
pub fn split_host_port(hp: &str) -> Result<(&str, Option<u16>), String> {
    let hp = hp.trim();
    let (host, port) = if let Some(end) = hp.strip_prefix('[').and_then(|r| r.find(']')) {
        let host = &hp[..end + 2];
        (host, hp[end + 2..].strip_prefix(':'))
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (hp, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| format!("invalid port in '{hp}'"))?,
        ),
    };
    if host.is_empty() {
        return Err(format!("no host in '{hp}'"));
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        let u = "sip:alice:pw@example.com:5070;transport=tcp;lr?X=1";
        assert_eq!(uri_part(u, UriPart::User), Value::from("alice"));
        assert_eq!(uri_part(u, UriPart::Host), Value::from("example.com"));
        assert_eq!(uri_part(u, UriPart::Port), Value::Int(5070));
        assert_eq!(uri_part(u, UriPart::Transport), Value::from("tcp"));
        assert_eq!(uri_param(u, "lr"), Value::from(""));
        assert_eq!(uri_param(u, "x"), Value::Null);
        assert_eq!(uri_part("not a uri", UriPart::User), Value::Null);
        let na = "\"Bob\" <sip:bob@b.example>;tag=99";
        assert_eq!(nameaddr_part(na, NameAddrPart::Name), Value::from("Bob"));
        assert_eq!(
            nameaddr_part(na, NameAddrPart::Uri),
            Value::from("sip:bob@b.example")
        );
        assert_eq!(nameaddr_param(na, "tag"), Value::from("99"));
    }

    #[test]
    fn rewrites() {
        let u = "sip:123@a.example;lr";
        assert_eq!(
            rewrite_uri(u, UriChange::Host("b.example")).unwrap(),
            "sip:123@b.example;lr"
        );
        assert_eq!(
            rewrite_uri(u, UriChange::Prefix("00")).unwrap(),
            "sip:00123@a.example;lr"
        );
        assert_eq!(
            rewrite_uri(u, UriChange::Strip(1)).unwrap(),
            "sip:23@a.example;lr"
        );
        assert_eq!(
            rewrite_uri(u, UriChange::StripTail(1)).unwrap(),
            "sip:12@a.example;lr"
        );
        assert_eq!(
            rewrite_uri(u, UriChange::HostPort("[::1]:5080")).unwrap(),
            "sip:123@[::1]:5080;lr"
        );
        assert_eq!(
            rewrite_uri(u, UriChange::User(None)).unwrap(),
            "sip:a.example;lr"
        );
        assert_eq!(
            rewrite_uri(u, UriChange::UserPass("bob:secret")).unwrap(),
            "sip:bob:secret@a.example;lr"
        );
        assert_eq!(
            rewrite_uri("sip:bob:pw@h:5070", UriChange::UserPass("carol")).unwrap(),
            "sip:carol@h:5070"
        );
        assert_eq!(
            rewrite_uri("sip:bob@h:5070;lr", UriChange::Port(None)).unwrap(),
            "sip:bob@h;lr"
        );
        assert!(rewrite_uri("junk", UriChange::Host("x")).is_err());
    }
}
