//! The digest computations of RFC 2617 / RFC 7616 / RFC 8760: HA1, HA2 and the response, for
//! MD5, SHA-256 and SHA-512/256 and their `-sess` variants, with qop `auth` and `auth-int`.
//!
//! Pure functions over strings, so the module's flows and the tests share one definition.

use md5::Md5;
use sha2::{Digest, Sha256, Sha512_256};

/// A digest algorithm (the `algorithm=` parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// MD5 (also what an absent `algorithm` means).
    Md5,
    /// MD5-sess.
    Md5Sess,
    /// SHA-256 (RFC 8760).
    Sha256,
    /// SHA-256-sess.
    Sha256Sess,
    /// SHA-512-256 (RFC 8760).
    Sha512_256,
    /// SHA-512-256-sess.
    Sha512_256Sess,
}

/// Every algorithm, weakest first (a challenge lists them strongest first).
pub const ALL: [Algorithm; 6] = [
    Algorithm::Md5,
    Algorithm::Md5Sess,
    Algorithm::Sha256,
    Algorithm::Sha256Sess,
    Algorithm::Sha512_256,
    Algorithm::Sha512_256Sess,
];

impl Algorithm {
    /// Parses the parameter value (case-insensitive).
    pub fn parse(s: &str) -> Option<Algorithm> {
        ALL.into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The name as written in headers.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
            Algorithm::Sha512_256 => "SHA-512-256",
            Algorithm::Sha512_256Sess => "SHA-512-256-sess",
        }
    }

    /// A small number identifying it inside a nonce.
    pub fn code(self) -> u8 {
        ALL.iter().position(|a| *a == self).unwrap_or(0) as u8
    }

    /// The algorithm a nonce code stands for.
    pub fn from_code(c: u8) -> Option<Algorithm> {
        ALL.get(c as usize).copied()
    }

    /// True for the `-sess` variants (HA1 folds in nonce and cnonce).
    pub fn is_sess(self) -> bool {
        matches!(
            self,
            Algorithm::Md5Sess | Algorithm::Sha256Sess | Algorithm::Sha512_256Sess
        )
    }

    /// The same hash without `-sess`: which stored HA1 it needs.
    pub fn base(self) -> Algorithm {
        match self {
            Algorithm::Md5Sess => Algorithm::Md5,
            Algorithm::Sha256Sess => Algorithm::Sha256,
            Algorithm::Sha512_256Sess => Algorithm::Sha512_256,
            other => other,
        }
    }

    /// Lowercase hex of the hash of `data`.
    pub fn hash_hex(self, data: &[u8]) -> String {
        match self.base() {
            Algorithm::Sha256 => hex(&Sha256::digest(data)),
            Algorithm::Sha512_256 => hex(&Sha512_256::digest(data)),
            _ => hex(&Md5::digest(data)),
        }
    }

    /// Length in hex digits of one of its hashes (to recognise a stored HA1).
    pub fn hex_len(self) -> usize {
        match self.base() {
            Algorithm::Md5 => 32,
            _ => 64,
        }
    }
}

/// Quality of protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qop {
    /// `auth`: the request line is protected.
    Auth,
    /// `auth-int`: the body too.
    AuthInt,
}

impl Qop {
    /// Parses `auth` / `auth-int`.
    pub fn parse(s: &str) -> Option<Qop> {
        match s.trim() {
            q if q.eq_ignore_ascii_case("auth") => Some(Qop::Auth),
            q if q.eq_ignore_ascii_case("auth-int") => Some(Qop::AuthInt),
            _ => None,
        }
    }

    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// HA1 = H(username:realm:password), the value stored in `ha1` columns.
pub fn ha1(alg: Algorithm, username: &str, realm: &str, password: &str) -> String {
    alg.hash_hex(format!("{username}:{realm}:{password}").as_bytes())
}

/// The HA1 that enters the response: the stored one, or for `-sess` H(HA1:nonce:cnonce).
pub fn session_ha1(alg: Algorithm, stored: &str, nonce: &str, cnonce: &str) -> String {
    if alg.is_sess() {
        alg.hash_hex(format!("{stored}:{nonce}:{cnonce}").as_bytes())
    } else {
        stored.to_owned()
    }
}

/// What the response is computed over, besides HA1.
#[derive(Clone, Copy, Debug)]
pub struct ResponseInput<'a> {
    /// The algorithm.
    pub alg: Algorithm,
    /// The request method.
    pub method: &'a str,
    /// The `uri` parameter of the credentials.
    pub uri: &'a str,
    /// The nonce.
    pub nonce: &'a str,
    /// qop with its nonce count and cnonce, when qop is used.
    pub qop: Option<(Qop, &'a str, &'a str)>,
    /// The message body (for `auth-int`).
    pub body: &'a [u8],
}

/// The expected `response` value for `ha1` (already the session HA1 for `-sess`).
pub fn response(ha1: &str, input: &ResponseInput) -> String {
    let alg = input.alg;
    let ha2 = match input.qop {
        Some((Qop::AuthInt, _, _)) => {
            let hbody = alg.hash_hex(input.body);
            alg.hash_hex(format!("{}:{}:{hbody}", input.method, input.uri).as_bytes())
        }
        _ => alg.hash_hex(format!("{}:{}", input.method, input.uri).as_bytes()),
    };
    let text = match input.qop {
        Some((qop, nc, cnonce)) => {
            format!("{ha1}:{}:{nc}:{cnonce}:{}:{ha2}", input.nonce, qop.name())
        }
        None => format!("{ha1}:{}:{ha2}", input.nonce),
    };
    alg.hash_hex(text.as_bytes())
}

/// Compares two response strings in constant time (case-insensitive hex).
pub fn same_response(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    let a = a.to_ascii_lowercase();
    let b = b.to_ascii_lowercase();
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 §3.5: Mufasa / "Circle Of Life", qop=auth, MD5.
    #[test]
    fn rfc2617_example() {
        let h = ha1(
            Algorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
        );
        let r = response(
            &h,
            &ResponseInput {
                alg: Algorithm::Md5,
                method: "GET",
                uri: "/dir/index.html",
                nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                qop: Some((Qop::Auth, "00000001", "0a4f113b")),
                body: b"",
            },
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    /// RFC 7616 §3.9.1: the same user with SHA-256 and MD5.
    #[test]
    fn rfc7616_examples() {
        let input = |alg| ResponseInput {
            alg,
            method: "GET",
            uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            qop: Some((
                Qop::Auth,
                "00000001",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            )),
            body: b"",
        };
        let realm = "http-auth@example.org";
        let h = ha1(Algorithm::Sha256, "Mufasa", realm, "Circle of Life");
        assert_eq!(
            response(&h, &input(Algorithm::Sha256)),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        let h = ha1(Algorithm::Md5, "Mufasa", realm, "Circle of Life");
        assert_eq!(
            response(&h, &input(Algorithm::Md5)),
            "8ca523f5e9506fed4657c9700eebdbec"
        );
    }

    #[test]
    fn auth_int_hashes_the_body_and_sess_rehashes() {
        let base = ResponseInput {
            alg: Algorithm::Md5,
            method: "INVITE",
            uri: "sip:b@x",
            nonce: "n",
            qop: Some((Qop::AuthInt, "00000001", "c")),
            body: b"v=0\r\n",
        };
        let other = ResponseInput {
            body: b"v=1\r\n",
            ..base
        };
        assert_ne!(response("h", &base), response("h", &other));
        assert_eq!(
            session_ha1(Algorithm::Md5Sess, "h", "n", "c"),
            Algorithm::Md5.hash_hex(b"h:n:c")
        );
        assert_eq!(session_ha1(Algorithm::Sha256, "h", "n", "c"), "h");
        assert_eq!(Algorithm::parse("sha-512-256"), Some(Algorithm::Sha512_256));
        assert_eq!(Algorithm::Sha512_256.hash_hex(b"").len(), 64);
        assert!(same_response("ABcd", "abcd"));
        assert!(!same_response("abc", "abcd"));
    }
}
