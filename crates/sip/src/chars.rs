//! Byte classes of the RFC 3261 grammar, shared by every parser in the crate.

// Byte classes as bit flags in one 256-entry table, built at compile time.
// Every scanner in the crate tests bytes one at a time; a table lookup is one
// load and one AND, where a `matches!` chain is a handful of compares.

/// `token` (RFC 3261 §25.1).
pub(crate) const TOKEN: u16 = 1 << 0;
/// SP, HT, CR, LF.
pub(crate) const LWS: u16 = 1 << 1;
/// `unreserved` = alphanum / mark.
pub(crate) const UNRESERVED: u16 = 1 << 2;
/// `reserved`.
pub(crate) const RESERVED: u16 = 1 << 3;
/// Host name characters, `_` included.
pub(crate) const HOST: u16 = 1 << 4;
/// Unquoted generic parameter value: token, `[`, `]`, `:`.
pub(crate) const PARAM_VALUE: u16 = 1 << 5;
/// SIP URI `user` characters (unescaped).
pub(crate) const URI_USER: u16 = 1 << 6;
/// SIP URI `password` characters (unescaped).
pub(crate) const URI_PASSWORD: u16 = 1 << 7;
/// SIP URI `paramchar` (unescaped).
pub(crate) const URI_PARAM: u16 = 1 << 8;
/// SIP URI `hnv-unreserved` / header name and value characters (unescaped).
pub(crate) const URI_HNV: u16 = 1 << 9;
/// Bytes no URI may contain: controls, space, non-ASCII, RFC 3986 excluded.
pub(crate) const URI_EXCLUDED: u16 = 1 << 10;
/// Hexadecimal digits, either case (`%HH` escapes).
pub(crate) const HEX: u16 = 1 << 11;
/// URI scheme characters after the first letter: alphanum, `+`, `-`, `.`.
pub(crate) const SCHEME: u16 = 1 << 12;

const fn any_of(b: u8, set: &[u8]) -> bool {
    let mut i = 0;
    while i < set.len() {
        if set[i] == b {
            return true;
        }
        i += 1;
    }
    false
}

const fn classify(b: u8) -> u16 {
    let alnum = b.is_ascii_alphanumeric();
    let unreserved = alnum || any_of(b, b"-_.!~*'()");
    let token = alnum || any_of(b, b"-.!%*_+`'~");
    let mut c = 0;
    if token {
        c |= TOKEN | PARAM_VALUE;
    }
    if any_of(b, b" \t\r\n") {
        c |= LWS;
    }
    if unreserved {
        c |= UNRESERVED;
    }
    if any_of(b, b";/?:@&=+$,") {
        c |= RESERVED;
    }
    if alnum || any_of(b, b"-._") {
        c |= HOST;
    }
    if any_of(b, b"[]:") {
        c |= PARAM_VALUE;
    }
    if unreserved || any_of(b, b"&=+$,;?/") {
        c |= URI_USER;
    }
    if unreserved || any_of(b, b"&=+$,") {
        c |= URI_PASSWORD;
    }
    if unreserved || any_of(b, b"[]/:&+$") {
        c |= URI_PARAM;
    }
    if unreserved || any_of(b, b"[]/?:+$") {
        c |= URI_HNV;
    }
    if b <= b' ' || b >= 0x7f || any_of(b, b"\"<>\\^`{|}") {
        c |= URI_EXCLUDED;
    }
    if b.is_ascii_hexdigit() {
        c |= HEX;
    }
    if alnum || any_of(b, b"+-.") {
        c |= SCHEME;
    }
    c
}

/// The class bits of every byte value.
static CLASSES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = classify(i as u8);
        i += 1;
    }
    t
};

/// True when `b` belongs to one of the classes in `mask`.
#[inline]
pub(crate) fn is(b: u8, mask: u16) -> bool {
    CLASSES[b as usize] & mask != 0
}

/// Offset of the first byte of `b` from `i` on that is not in the classes of `mask`
/// (`b.len()` when there is none): the inner loop of every scanner over a class.
#[inline]
pub(crate) fn skip_class(b: &[u8], i: usize, mask: u16) -> usize {
    let tail = b.get(i..).unwrap_or_default();
    i + tail
        .iter()
        .position(|&c| !is(c, mask))
        .unwrap_or(tail.len())
}

/// `token` characters (RFC 3261 §25.1): method names, header names, parameter names.
#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    is(b, TOKEN)
}

/// Linear white space, line folds included (folded lines stay inside value spans).
#[inline]
pub(crate) fn is_lws(b: u8) -> bool {
    is(b, LWS)
}

/// True when `s` is a non-empty token.
pub(crate) fn is_token_str(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token)
}

/// Removes leading and trailing LWS (including folds).
pub(crate) fn trim_lws(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| !is_lws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| !is_lws(c)).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or("")
}

// Searching for one ASCII byte in header text. The texts are short (a URI, a
// parameter), where a plain loop beats the setup of `str::find`'s searcher;
// an ASCII byte is always a char boundary, so the halves are valid `str`s.

/// Offset of the first `b` (ASCII) in `s`.
#[inline]
pub(crate) fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// Splits `s` around the first `b` (ASCII), like `str::split_once`.
#[inline]
pub(crate) fn split_once_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = find_byte(s, b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Splits `s` at every `b` (ASCII), like `str::split`.
pub(crate) fn split_byte(s: &str, b: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match split_once_byte(r, b) {
            Some((head, tail)) => {
                rest = Some(tail);
                Some(head)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `reserved` characters: an escaped reserved character is not equal to the
/// literal one when URIs are compared (RFC 3261 §19.1.4).
#[inline]
pub(crate) fn is_reserved(b: u8) -> bool {
    is(b, RESERVED)
}

/// Characters of a host name, plus `_` which real deployments use.
#[inline]
pub(crate) fn is_host_char(b: u8) -> bool {
    is(b, HOST)
}

/// Characters of an unquoted generic parameter value: token, host and IPv6 reference.
#[inline]
pub(crate) fn is_param_value(b: u8) -> bool {
    is(b, PARAM_VALUE)
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

/// Parses a run of ASCII digits (text or raw bytes) into a `u32`, refusing empty input,
/// other characters and overflow (RFC 4475 scalar02/scalarlg).
pub(crate) fn parse_u32(s: impl AsRef<[u8]>) -> Result<u32, &'static str> {
    let s = s.as_ref();
    if s.is_empty() {
        return Err("expected a number");
    }
    let mut n: u32 = 0;
    for &b in s {
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
        assert_eq!(trim_lws(" \t "), "");
        assert_eq!(trim_lws("é "), "é");
        assert_eq!(find_byte("a;b;c", b';'), Some(1));
        assert_eq!(split_once_byte("a=b=c", b'='), Some(("a", "b=c")));
        assert_eq!(split_once_byte("abc", b'='), None);
        let parts: Vec<_> = split_byte(";a;;b", b';').collect();
        assert_eq!(parts, ["", "a", "", "b"]);
        assert_eq!(split_byte("", b';').collect::<Vec<_>>(), [""]);
        assert_eq!(hex_val(b'F'), Some(15));
        assert_eq!(hex_val(b'g'), None);
        assert!(is_reserved(b'@') && !is_reserved(b'a'));
        assert_eq!(skip_class(b"ab;c", 0, TOKEN), 2);
        assert_eq!(skip_class(b"ab;c", 3, TOKEN), 4);
        assert_eq!(skip_class(b"ab", 5, TOKEN), 5);
    }

    #[test]
    fn table_matches_grammar() {
        for b in 0..=255u8 {
            let alnum = b.is_ascii_alphanumeric();
            let mark = b"-_.!~*'()".contains(&b);
            assert_eq!(is_token(b), alnum || b"-.!%*_+`'~".contains(&b), "{b}");
            assert_eq!(is_lws(b), b" \t\r\n".contains(&b), "{b}");
            assert_eq!(is(b, UNRESERVED), alnum || mark, "{b}");
            assert_eq!(is_reserved(b), b";/?:@&=+$,".contains(&b), "{b}");
            assert_eq!(is_host_char(b), alnum || b"-._".contains(&b), "{b}");
            assert_eq!(is_param_value(b), is_token(b) || b"[]:".contains(&b), "{b}");
            let excluded = b <= b' ' || b >= 0x7f || b"\"<>\\^`{|}".contains(&b);
            assert_eq!(is(b, URI_EXCLUDED), excluded, "{b}");
            assert_eq!(is(b, URI_USER), alnum || mark || b"&=+$,;?/".contains(&b));
            assert_eq!(is(b, URI_PASSWORD), alnum || mark || b"&=+$,".contains(&b));
            assert_eq!(is(b, URI_PARAM), alnum || mark || b"[]/:&+$".contains(&b));
            assert_eq!(is(b, URI_HNV), alnum || mark || b"[]/?:+$".contains(&b));
            assert_eq!(is(b, HEX), hex_val(b).is_some(), "{b}");
            assert_eq!(is(b, SCHEME), alnum || b"+-.".contains(&b), "{b}");
        }
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
