//! The `flags` argument of `rtpproxy_offer`/`rtpproxy_answer` (OpenSIPS letters).

/// What the flags ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `l`: only look an existing session up (an `L` command even for an offer).
    pub lookup: bool,
    /// `f`: go on even when the SDP carries `nortpproxy_str` (chained proxies).
    pub force: bool,
    /// `r`: the SDP's address is the media address; without it, the message's source IP.
    pub trust_address: bool,
    /// `o`: rewrite the `o=` address too.
    pub origin: bool,
    /// `c`: rewrite the session-level `c=` even when every media has its own.
    pub session_connection: bool,
    /// `k`: create the session but leave the SDP as it is.
    pub keep_sdp: bool,
    /// Modifiers passed on to the proxy: `A` (a), `S` (s/w), `I`/`E` (i/e), `Z<ms>` (z).
    pub modifiers: String,
}

/// Reads the letters; an unknown one is an error (at load time when constant).
pub fn parse(text: &str) -> Result<Flags, String> {
    let mut f = Flags::default();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'l' | 'L' => f.lookup = true,
            'f' | 'F' => f.force = true,
            'r' | 'R' => f.trust_address = true,
            'o' | 'O' => f.origin = true,
            'c' | 'C' => f.session_connection = true,
            'k' | 'K' => f.keep_sdp = true,
            'a' | 'A' => f.modifiers.push('A'),
            's' | 'S' | 'w' | 'W' => f.modifiers.push('S'),
            'i' | 'I' => f.modifiers.push('I'),
            'e' | 'E' => f.modifiers.push('E'),
            'z' | 'Z' | 't' | 'T' => {
                let digits: String =
                    std::iter::from_fn(|| chars.next_if(char::is_ascii_digit)).collect();
                if digits.is_empty() {
                    return Err(format!("rtpproxy flag '{c}' needs a number"));
                }
                // Only repacketization is passed on; the TTLs are the proxy's own business.
                if c.eq_ignore_ascii_case(&'z') {
                    f.modifiers.push('Z');
                    f.modifiers.push_str(&digits);
                }
            }
            ' ' | ',' => {}
            other => return Err(format!("unknown rtpproxy flag '{other}'")),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        let f = parse("ro").unwrap();
        assert!(f.trust_address && f.origin && !f.lookup);
        assert_eq!(f.modifiers, "");
        assert_eq!(parse("aie").unwrap().modifiers, "AIE");
        assert_eq!(parse("z20t30").unwrap().modifiers, "Z20");
        assert!(parse("q").is_err());
        assert!(parse("z").is_err());
    }
}
