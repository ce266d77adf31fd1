//! Helpers for the digest-authentication tests: a db_text directory holding the OpenSIPS
//! `subscriber` table, and a client side of RFC 2617/7616 (read a challenge, answer it).
#![allow(dead_code)]

use std::path::Path;

use siplua_modules::auth::digest::{self, Algorithm, Qop, ResponseInput};

/// The password of every test subscriber.
pub const PASSWORD: &str = "s3cret";

/// Writes `dir/subscriber` and `dir/version` in db_text format: alice and bob in
/// example.com with plain passwords and precomputed HA1s for realm example.com (the `ha1b`
/// column holds the MD5 HA1 computed with `user@example.com` as username).
pub fn write_db(dir: &Path) {
    std::fs::create_dir_all(dir).expect("db dir");
    let realm = "example.com";
    let mut text = String::from(
        "id(int,auto) username(string) domain(string) password(string) ha1(string) \
         ha1b(string) ha1_sha256(string) ha1_sha512t256(string) rpid(string,null)\n",
    );
    for (id, user) in [(1, "alice"), (2, "bob")] {
        let h = |alg, u: &str| digest::ha1(alg, u, realm, PASSWORD);
        text.push_str(&format!(
            "{id}:{user}:{realm}:{PASSWORD}:{}:{}:{}:{}:sip\\:+4912345@{realm}\n",
            h(Algorithm::Md5, user),
            h(Algorithm::Md5, &format!("{user}@{realm}")),
            h(Algorithm::Sha256, user),
            h(Algorithm::Sha512_256, user),
        ));
    }
    std::fs::write(dir.join("subscriber"), text).expect("subscriber table");
    std::fs::write(
        dir.join("uri"),
        "id(int,auto) username(string) domain(string) uri_user(string) last_modified(string)\n",
    )
    .expect("uri table");
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\nsubscriber:8\nuri:2\n",
    )
    .expect("version table");
}

/// One parsed challenge header.
#[derive(Clone, Debug, Default)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub qop: Option<String>,
    pub algorithm: Option<String>,
    pub stale: bool,
}

/// Every challenge in header lines called `name` of `reply`.
pub fn challenges(reply: &str, name: &str) -> Vec<Challenge> {
    reply
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            if !n.trim().eq_ignore_ascii_case(name) {
                return None;
            }
            let v = v.trim().strip_prefix("Digest ")?;
            let mut c = Challenge::default();
            for (k, val) in params(v) {
                match k.as_str() {
                    "realm" => c.realm = val,
                    "nonce" => c.nonce = val,
                    "qop" => c.qop = Some(val),
                    "algorithm" => c.algorithm = Some(val),
                    "stale" => c.stale = val.eq_ignore_ascii_case("true"),
                    _ => {}
                }
            }
            Some(c)
        })
        .collect()
}

fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((k, after)) = rest.split_once('=') else {
            break;
        };
        let (val, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            (q[..end].to_owned(), q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        out.push((k.trim().to_owned(), val));
        rest = next.trim_start_matches([',', ' ']);
    }
    out
}

/// What a client puts into its answer.
pub struct Answer<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub method: &'a str,
    pub uri: &'a str,
    pub qop: Option<(&'a str, u32)>,
    pub body: &'a [u8],
}

/// The credentials answering `ch` (the `Digest ...` value).
pub fn credentials(ch: &Challenge, a: &Answer) -> String {
    let alg = ch
        .algorithm
        .as_deref()
        .and_then(Algorithm::parse)
        .unwrap_or(Algorithm::Md5);
    let cnonce = "0a4f113b";
    let nc = a.qop.map(|(_, n)| format!("{n:08x}"));
    let ha1 = digest::session_ha1(
        alg,
        &digest::ha1(alg, a.username, &ch.realm, a.password),
        &ch.nonce,
        cnonce,
    );
    let qop = a.qop.map(|(q, _)| Qop::parse(q).expect("qop"));
    let response = digest::response(
        &ha1,
        &ResponseInput {
            alg,
            method: a.method,
            uri: a.uri,
            nonce: &ch.nonce,
            qop: qop.map(|q| (q, nc.as_deref().unwrap_or(""), cnonce)),
            body: a.body,
        },
    );
    let mut s = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\"",
        a.username, ch.realm, ch.nonce, a.uri
    );
    if let Some(alg) = &ch.algorithm {
        s.push_str(&format!(", algorithm={alg}"));
    }
    if let (Some((q, _)), Some(nc)) = (a.qop, nc) {
        s.push_str(&format!(", qop={q}, nc={nc}, cnonce=\"{cnonce}\""));
    }
    s
}

/// A request with a body (for auth-int); `extra` header lines end in CRLF.
pub fn request_with_body(
    method: &str,
    ruri: &str,
    port: u16,
    n: u32,
    extra: &str,
    body: &str,
) -> String {
    format!(
        "{method} {ruri} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-auth-{n};rport\r\n\
         From: <sip:alice@example.com>;tag=a{n}\r\n\
         To: <sip:alice@example.com>\r\n\
         Call-ID: auth-{n}@test\r\n\
         CSeq: {n} {method}\r\n\
         Max-Forwards: 70\r\n\
         {extra}Content-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// The value of parameter `name` in a `Digest ...` credentials value (panics when absent).
pub fn param<'a>(value: &'a str, name: &str) -> &'a str {
    value
        .split(',')
        .find_map(|p| {
            let (n, v) = p.trim().trim_start_matches("Digest ").split_once('=')?;
            (n.trim() == name).then(|| v.trim().trim_matches('"'))
        })
        .unwrap_or_else(|| panic!("no {name} in {value}"))
}

/// The response a correct client computes for these credentials (qop=auth, no body).
pub fn expected_response(alg: Algorithm, method: &str, auth: &str, password: &str) -> String {
    let ha1 = digest::ha1(alg, param(auth, "username"), param(auth, "realm"), password);
    digest::response(
        &ha1,
        &ResponseInput {
            alg,
            method,
            uri: param(auth, "uri"),
            nonce: param(auth, "nonce"),
            qop: Some((Qop::Auth, param(auth, "nc"), param(auth, "cnonce"))),
            body: b"",
        },
    )
}
