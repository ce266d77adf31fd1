//! The client side of digest authentication: reading a `WWW-Authenticate` /
//! `Proxy-Authenticate` challenge and building the `Authorization` /
//! `Proxy-Authorization` answer. The hashing is the auth module's ([`crate::auth::digest`]).

use siplua_sip::headers::auth::Auth;
use siplua_sip::{HeaderKind, Message};

use super::credentials::Credential;
use crate::auth::digest::{self, hex, Algorithm, Qop, ResponseInput};

/// One Digest challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `opaque`, echoed back.
    pub opaque: Option<String>,
    /// `algorithm` (MD5 when absent); `algorithm_given` tells whether to echo it.
    pub algorithm: Algorithm,
    /// The challenge named the algorithm.
    pub algorithm_given: bool,
    /// The qop chosen: `auth` when offered (preferred, as OpenSIPS), else `auth-int`.
    pub qop: Option<Qop>,
}

impl Challenge {
    /// Parses a challenge value; `None` when it is not Digest, lacks realm or nonce, or names
    /// an algorithm or only qop values we do not know.
    pub fn parse(value: &str) -> Option<Challenge> {
        let a = Auth::parse(value).ok()?;
        if !a.is_digest() {
            return None;
        }
        let p = |n: &str| a.param(n).map(|v| v.into_owned());
        let (algorithm, algorithm_given) = match p("algorithm") {
            Some(name) => (Algorithm::parse(&name)?, true),
            None => (Algorithm::Md5, false),
        };
        let qop = match p("qop") {
            None => None,
            Some(list) => {
                let offered: Vec<Qop> = list.split(',').filter_map(Qop::parse).collect();
                Some(if offered.contains(&Qop::Auth) {
                    Qop::Auth
                } else {
                    *offered.first()?
                })
            }
        };
        Some(Challenge {
            realm: p("realm")?,
            nonce: p("nonce")?,
            opaque: p("opaque"),
            algorithm,
            algorithm_given,
            qop,
        })
    }
}

/// The first usable Digest challenge of a 401 (`WWW-Authenticate`) or 407
/// (`Proxy-Authenticate`) reply whose algorithm is in `allowed` (empty: any), with the name
/// of the header that answers it; `None` for another code or no usable challenge.
/// `uac_auth()` and `uac_registrant` answer challenges through this.
pub fn pick_challenge(reply: &Message, allowed: &[Algorithm]) -> Option<(Challenge, &'static str)> {
    let (kind, answer_name) = match reply.status_code() {
        Some(401) => (HeaderKind::WwwAuthenticate, "Authorization"),
        Some(407) => (HeaderKind::ProxyAuthenticate, "Proxy-Authorization"),
        _ => return None,
    };
    reply
        .find_all(kind)
        .filter_map(|(_, h)| Challenge::parse(reply.value_of(h)))
        .find(|c| allowed.is_empty() || allowed.contains(&c.algorithm))
        .map(|c| (c, answer_name))
}

/// A fresh client nonce (16 hex digits); `None` when the system has no randomness to give.
pub fn cnonce() -> Option<String> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).ok()?;
    Some(hex(&raw))
}

/// What the answer is computed over besides the challenge and credentials.
pub struct Request<'a> {
    /// The request method.
    pub method: &'a str,
    /// The Request-URI (the `uri` parameter).
    pub uri: &'a str,
    /// The body (for `auth-int`).
    pub body: &'a [u8],
    /// A fresh client nonce (used with qop).
    pub cnonce: &'a str,
}

/// The `Authorization` / `Proxy-Authorization` value answering `ch`; `None` when the
/// credentials cannot serve its algorithm (an MD5 HA1 for a SHA-2 challenge).
pub fn answer(ch: &Challenge, cred: &Credential, req: &Request) -> Option<String> {
    const NC: &str = "00000001";
    let ha1 = cred.ha1(ch.algorithm, &ch.nonce, req.cnonce)?;
    let response = digest::response(
        &ha1,
        &ResponseInput {
            alg: ch.algorithm,
            method: req.method,
            uri: req.uri,
            nonce: &ch.nonce,
            qop: ch.qop.map(|q| (q, NC, req.cnonce)),
            body: req.body,
        },
    );
    let mut v = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\"",
        cred.user, ch.realm, ch.nonce, req.uri
    );
    if ch.algorithm_given {
        v.push_str(", algorithm=");
        v.push_str(ch.algorithm.name());
    }
    if let Some(o) = &ch.opaque {
        v.push_str(&format!(", opaque=\"{o}\""));
    }
    if let Some(q) = ch.qop {
        v.push_str(&format!(
            ", qop={}, nc={NC}, cnonce=\"{}\"",
            q.name(),
            req.cnonce
        ));
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5 example, computed from the client side.
    #[test]
    fn answers_the_rfc2617_challenge() {
        let ch = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .unwrap();
        assert_eq!(ch.qop, Some(Qop::Auth));
        let cred = Credential::parse("Mufasa:testrealm@host.com:Circle Of Life").unwrap();
        let v = answer(
            &ch,
            &cred,
            &Request {
                method: "GET",
                uri: "/dir/index.html",
                body: b"",
                cnonce: "0a4f113b",
            },
        )
        .unwrap();
        assert!(
            v.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{v}"
        );
        assert!(v.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
        assert!(v.contains("qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
        assert!(!v.contains("algorithm"));
    }

    #[test]
    fn reads_algorithm_and_refuses_unknown_ones() {
        let ch =
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256, qop=\"auth\"")
                .unwrap();
        assert_eq!(
            (ch.algorithm, ch.algorithm_given),
            (Algorithm::Sha256, true)
        );
        assert!(Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1").is_none());
        assert!(Challenge::parse("Basic realm=\"r\"").is_none());
        assert!(Challenge::parse("Digest nonce=\"n\"").is_none());
    }
}
