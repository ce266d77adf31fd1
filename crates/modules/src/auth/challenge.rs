//! `www_challenge` / `proxy_challenge`: the options (qop list, algorithms) and the
//! `WWW-Authenticate` / `Proxy-Authenticate` header lines of a challenge.

use std::sync::Arc;

use siplua_core::function::PreparedArg;

use super::digest::{Algorithm, Qop};

/// What a challenge offers, parsed from the function's `qop` and `algorithms` arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChallengeOpts {
    /// The qop values, in the order given (empty: no qop parameter).
    pub qop: Vec<Qop>,
    /// The algorithms, strongest first (empty: one challenge without `algorithm=`, MD5).
    pub algorithms: Vec<Algorithm>,
}

impl ChallengeOpts {
    /// Parses the arguments. `qop` is `auth`, `auth-int`, both comma-separated, or the
    /// pre-3.0 spellings `1` (auth) and `0` (none); `algorithms` a comma-separated list.
    pub fn parse(qop: &str, algorithms: &str) -> Result<ChallengeOpts, String> {
        let mut opts = ChallengeOpts::default();
        for q in qop.split(',').map(str::trim).filter(|q| !q.is_empty()) {
            match q {
                "0" => {}
                "1" => opts.qop.push(Qop::Auth),
                _ => {
                    let v = Qop::parse(q).ok_or_else(|| format!("bad qop type {q:?}"))?;
                    if !opts.qop.contains(&v) {
                        opts.qop.push(v);
                    }
                }
            }
        }
        for a in algorithms
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            let v = Algorithm::parse(a).ok_or_else(|| format!("unsupported algorithm {a:?}"))?;
            if !opts.algorithms.contains(&v) {
                opts.algorithms.push(v);
            }
        }
        opts.algorithms.sort_by_key(|a| std::cmp::Reverse(a.code()));
        // RFC 8760 requires qop with the SHA-2 algorithms.
        if opts.qop.is_empty() && opts.algorithms.iter().any(|a| a.base() != Algorithm::Md5) {
            opts.qop.push(Qop::Auth);
        }
        Ok(opts)
    }

    /// The qop bits a nonce records (bit 0 auth, bit 1 auth-int).
    pub fn qop_bits(&self) -> u8 {
        self.qop.iter().fold(0, |b, q| {
            b | match q {
                Qop::Auth => 1,
                Qop::AuthInt => 2,
            }
        })
    }
}

/// Load-time preparation of the `qop` (index 1) and `algorithms` (index 2) arguments when
/// both are constant: a bad value is a configuration error.
pub fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let text = |a: Option<&PreparedArg>| match a {
        None | Some(PreparedArg::None) => Some(String::new()),
        Some(PreparedArg::Str(s)) => Some(s.to_string()),
        Some(PreparedArg::Int(i)) => Some(i.to_string()),
        _ => None,
    };
    if let (Some(q), Some(a)) = (text(args.get(1)), text(args.get(2))) {
        let opts = ChallengeOpts::parse(&q, &a)?;
        if let Some(slot) = args.get_mut(1) {
            *slot = PreparedArg::Custom(Arc::new(opts));
        }
    }
    Ok(())
}

/// One challenge header line (CRLF-terminated).
pub fn header_line(
    name: &str,
    realm: &str,
    nonce: &str,
    opts: &ChallengeOpts,
    stale: bool,
    alg: Option<Algorithm>,
) -> String {
    let mut s = format!("{name}: Digest realm=\"{realm}\", nonce=\"{nonce}\"");
    if !opts.qop.is_empty() {
        let q: Vec<&str> = opts.qop.iter().map(|q| q.name()).collect();
        s.push_str(&format!(", qop=\"{}\"", q.join(",")));
    }
    if stale {
        s.push_str(", stale=true");
    }
    if let Some(a) = alg {
        s.push_str(", algorithm=");
        s.push_str(a.name());
    }
    s.push_str("\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = ChallengeOpts::parse("auth-int,auth", "MD5,SHA-256").unwrap();
        assert_eq!(o.qop, [Qop::AuthInt, Qop::Auth]);
        assert_eq!(o.algorithms, [Algorithm::Sha256, Algorithm::Md5]);
        assert_eq!(o.qop_bits(), 3);
        assert_eq!(
            ChallengeOpts::parse("0", "").unwrap(),
            ChallengeOpts::default()
        );
        assert_eq!(ChallengeOpts::parse("1", "").unwrap().qop, [Qop::Auth]);
        assert_eq!(
            ChallengeOpts::parse("", "SHA-256").unwrap().qop,
            [Qop::Auth]
        );
        assert!(ChallengeOpts::parse("bogus", "").is_err());
        assert!(ChallengeOpts::parse("", "SHA-1").is_err());
    }

    #[test]
    fn header() {
        let o = ChallengeOpts::parse("auth", "").unwrap();
        assert_eq!(
            header_line("WWW-Authenticate", "r", "n", &o, true, Some(Algorithm::Sha256)),
            "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\", stale=true, algorithm=SHA-256\r\n"
        );
    }
}
