//! Digest credentials read from an `Authorization` or `Proxy-Authorization` header.

use siplua_sip::headers::auth::Auth;
use siplua_sip::{HeaderKind, Message};

/// The parameters of one set of Digest credentials, unquoted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Index of the header line they came from (for `consume_credentials`).
    pub header: usize,
    /// `username` as sent (may be `user@domain`).
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `uri`.
    pub uri: String,
    /// `response`.
    pub response: String,
    /// `algorithm` as sent (empty when absent).
    pub algorithm: String,
    /// `qop` (empty when absent).
    pub qop: String,
    /// `nc` (empty when absent).
    pub nc: String,
    /// `cnonce`.
    pub cnonce: String,
    /// `opaque`.
    pub opaque: String,
}

impl Credentials {
    /// Reads credentials from one parsed header value; `None` when the scheme is not Digest.
    pub fn from_auth(header: usize, a: &Auth) -> Option<Credentials> {
        if !a.is_digest() {
            return None;
        }
        let p = |n: &str| a.param(n).map(|v| v.into_owned()).unwrap_or_default();
        Some(Credentials {
            header,
            username: p("username"),
            realm: p("realm"),
            nonce: p("nonce"),
            uri: p("uri"),
            response: p("response"),
            algorithm: p("algorithm"),
            qop: p("qop"),
            nc: p("nc"),
            cnonce: p("cnonce"),
            opaque: p("opaque"),
        })
    }

    /// The user part of the username (before `@`).
    pub fn user(&self) -> &str {
        self.username
            .split_once('@')
            .map_or(self.username.as_str(), |(u, _)| u)
    }

    /// The domain part of the username (after `@`), empty when there is none.
    pub fn domain(&self) -> &str {
        self.username.split_once('@').map_or("", |(_, d)| d)
    }

    /// True when the mandatory parameters are present (RFC 2617 §3.2.2).
    pub fn is_complete(&self) -> bool {
        !(self.username.is_empty()
            || self.nonce.is_empty()
            || self.uri.is_empty()
            || self.response.is_empty())
            && (self.qop.is_empty() || !(self.nc.is_empty() || self.cnonce.is_empty()))
    }
}

/// What a search for credentials found.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// Credentials for the realm.
    Yes(Box<Credentials>),
    /// No header with Digest credentials for the realm.
    None,
    /// A header for the realm that does not parse.
    Malformed,
}

/// The credentials in headers of `kind` whose realm is `realm`.
pub fn find(msg: &Message, kind: HeaderKind, realm: &str) -> Found {
    for (i, h) in msg.find_all(kind) {
        let text = msg.value_of(h);
        match Auth::parse(text) {
            Ok(a) => {
                if let Some(c) = Credentials::from_auth(i, &a) {
                    if c.realm == realm {
                        return if c.is_complete() {
                            Found::Yes(Box::new(c))
                        } else {
                            Found::Malformed
                        };
                    }
                }
            }
            Err(_) => {
                if text.contains(&format!("\"{realm}\"")) {
                    return Found::Malformed;
                }
            }
        }
    }
    Found::None
}

/// The credentials the auth pseudo-variables read: the first Proxy-Authorization header,
/// else the first Authorization header (as OpenSIPS does).
pub fn first_any(msg: &Message) -> Option<Credentials> {
    [HeaderKind::ProxyAuthorization, HeaderKind::Authorization]
        .into_iter()
        .find_map(|kind| {
            let (i, h) = msg.find(kind)?;
            let a = Auth::parse(msg.value_of(h)).ok()?;
            Credentials::from_auth(i, &a)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_realm() {
        let m = Message::parse_slice(
            b"INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
Proxy-Authorization: Digest username=\"a@d\", realm=\"other\", nonce=\"n\", uri=\"sip:b@x\", response=\"r\"\r\n\
Proxy-Authorization: Digest username=\"a@d\", realm=\"x\", nonce=\"n\", uri=\"sip:b@x\", response=\"r\", qop=auth, nc=00000001, cnonce=\"c\"\r\n\
Content-Length: 0\r\n\r\n",
        )
        .unwrap();
        let Found::Yes(c) = find(&m, HeaderKind::ProxyAuthorization, "x") else {
            panic!()
        };
        assert_eq!(
            (c.user(), c.domain(), c.nc.as_str()),
            ("a", "d", "00000001")
        );
        assert_eq!(c.header, 2);
        assert_eq!(find(&m, HeaderKind::Authorization, "x"), Found::None);
        assert_eq!(first_any(&m).unwrap().realm, "other");
    }

    #[test]
    fn incomplete_is_malformed() {
        let m = Message::parse_slice(
            b"REGISTER sip:x SIP/2.0\r\nAuthorization: Digest username=\"a\", realm=\"x\", nonce=\"n\"\r\n\r\n",
        )
        .unwrap();
        assert_eq!(find(&m, HeaderKind::Authorization, "x"), Found::Malformed);
    }
}
