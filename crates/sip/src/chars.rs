//! Byte classes of the RFC 3261 grammar, shared by every parser in the crate.

/// `token` characters (RFC 3261 §25.1): method names, header names, parameter names.
pub(crate) fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// Linear white space, line folds included (folded lines stay inside value spans).
pub(crate) fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// True when `s` is a non-empty token.
pub(crate) fn is_token_str(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token)
}

/// Removes leading and trailing LWS (including folds).
pub(crate) fn trim_lws(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// `unreserved` = alphanum / mark (RFC 3261 §25.1).
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// `reserved` characters: an escaped reserved character is not equal to the
/// literal one when URIs are compared (RFC 3261 §19.1.4).
pub(crate) fn is_reserved(b: u8) -> bool {
    matches!(
        b,
        b';' | b'/' | b'?' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b','
    )
}

/// Characters of a host name, plus `_` which real deployments use.
pub(crate) fn is_host_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')
}

/// Characters of an unquoted generic parameter value: token, host and IPv6 reference.
pub(crate) fn is_param_value(b: u8) -> bool {
    is_token(b) || matches!(b, b'[' | b']' | b':')
}

/// Value of an ASCII hex digit.
pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a run of ASCII digits into a `u32`, refusing empty input, other
/// characters and overflow (RFC 4475 scalar02/scalarlg).
pub(crate) fn parse_u32(s: &str) -> Result<u32, &'static str> {
    if s.is_empty() {
        return Err("expected a number");
    }
    let mut n: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err("expected a number");
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u32::from(b - b'0')))
            .ok_or("number too large")?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_token_str("!interesting-Method0123456789_*+`.%indeed'~"));
        assert!(!is_token_str("a b"));
        assert!(!is_token_str(""));
        assert_eq!(trim_lws(" \r\n a b\t"), "a b");
        assert_eq!(hex_val(b'F'), Some(15));
        assert_eq!(hex_val(b'g'), None);
        assert!(is_reserved(b'@') && !is_reserved(b'a'));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u32("0068"), Ok(68));
        assert_eq!(parse_u32("4294967295"), Ok(u32::MAX));
        assert!(parse_u32("4294967296").is_err());
        assert!(parse_u32("36893488147419103232").is_err());
        assert!(parse_u32("-1").is_err());
        assert!(parse_u32("").is_err());
    }
}
