//! Authorization, Proxy-Authorization, WWW-Authenticate and
//! Proxy-Authenticate values (RFC 3261 §20.7, §20.27, §20.28, §20.44):
//! a scheme and comma-separated `name=value` parameters.

use std::borrow::Cow;

use crate::chars::{is_param_value, is_token, trim_lws};
use crate::cursor::Cursor;
use crate::error::SyntaxError;
use crate::list::ListSplit;
use crate::text::unquote;

/// Credentials or a challenge: `Digest username="a", realm="b", ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Auth<'a> {
    scheme: &'a str,
    params: &'a str,
}

/// One auth parameter with its raw value (quotes kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthParam<'a> {
    /// Parameter name.
    pub name: &'a str,
    /// Raw value, quotes included.
    pub value: &'a str,
}

impl<'a> AuthParam<'a> {
    /// The value with quotes removed and escapes resolved.
    pub fn unquoted(&self) -> Cow<'a, str> {
        unquote(self.value)
    }
}

fn param_of(item: &str) -> Option<AuthParam<'_>> {
    let (name, value) = item.split_once('=')?;
    Some(AuthParam {
        name: trim_lws(name),
        value: trim_lws(value),
    })
}

impl<'a> Auth<'a> {
    /// Parses a value: a scheme token, LWS, then `name=value` pairs whose
    /// values are tokens or quoted strings. Unknown schemes parse the same way
    /// (RFC 4475 regaut01), so a server can decide what to do with them.
    pub fn parse(s: &'a str) -> Result<Auth<'a>, SyntaxError> {
        let mut c = Cursor::new(s);
        c.skip_lws();
        let scheme = c.take_while(is_token);
        if scheme.is_empty() {
            return Err(SyntaxError::new(c.pos(), "expected auth scheme"));
        }
        let params = trim_lws(c.slice(c.pos(), s.len()));
        if !params.is_empty() && !c.skip_lws() {
            return Err(SyntaxError::new(
                c.pos(),
                "expected space after auth scheme",
            ));
        }
        let base = c.pos();
        for (from, to) in ListSplit::new(params).filter(|_| !params.is_empty()) {
            let item = params.get(from..to).unwrap_or("");
            let mut ic = Cursor::new(item);
            let name_ok = !ic.take_while(is_token).is_empty();
            ic.skip_lws();
            let eq_ok = ic.eat(b'=');
            ic.skip_lws();
            let value_ok = if ic.peek() == Some(b'"') {
                ic.quoted().is_some()
            } else {
                !ic.take_while(|b| is_param_value(b) || b == b'/' || b == b'=')
                    .is_empty()
            };
            if !(name_ok && eq_ok && value_ok && ic.is_end()) {
                return Err(SyntaxError::new(base + from, "malformed auth parameter"));
            }
        }
        Ok(Auth { scheme, params })
    }

    /// The scheme as written (`Digest`).
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// True for the Digest scheme (case-insensitive).
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }

    /// The parameters in order.
    pub fn params(&self) -> impl Iterator<Item = AuthParam<'a>> + 'a {
        let params = self.params;
        ListSplit::new(params).filter_map(move |(a, b)| params.get(a..b).and_then(param_of))
    }

    /// A parameter's value, unquoted (`realm`, `nonce`, `response` ...).
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.unquoted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest() {
        let a = Auth::parse(
            "Digest username=\"bob\", realm=\"biloxi.com\",\r\n nonce=\"dcd98b\", uri=\"sip:bob@biloxi.com\", qop=auth, nc=00000001, response=\"6629fae4\"",
        )
        .unwrap();
        assert!(a.is_digest());
        assert_eq!(a.param("REALM").as_deref(), Some("biloxi.com"));
        assert_eq!(a.param("qop").as_deref(), Some("auth"));
        assert_eq!(a.param("uri").as_deref(), Some("sip:bob@biloxi.com"));
        assert_eq!(a.params().count(), 7);
        assert_eq!(a.param("missing"), None);
    }

    #[test]
    fn other_schemes_and_errors() {
        let a = Auth::parse("NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert_eq!(a.scheme(), "NoOneKnowsThisScheme");
        assert!(!a.is_digest());
        assert_eq!(a.param("opaque-data").as_deref(), Some("here"));
        assert!(Auth::parse("Digest").is_ok());
        for bad in [
            "",
            "Digest realm",
            "Digest realm=\"open",
            "Digest =x",
            "Digest a=b,,",
        ] {
            assert!(Auth::parse(bad).is_err(), "{bad}");
        }
    }
}
