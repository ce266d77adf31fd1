//! `%HH` escapes in URIs: validation, decoding, and escape-aware comparison.

use std::borrow::Cow;

use crate::chars::{hex_val, is_reserved};

/// Decodes `%HH` escapes to bytes; text without `%` is borrowed. Malformed
/// escapes are kept literally (URIs are validated before this is called).
pub fn decode_bytes(s: &str) -> Cow<'_, [u8]> {
    if !s.contains('%') {
        return Cow::Borrowed(s.as_bytes());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let (b'%', Some(h), Some(l)) = (
            b,
            bytes.get(i + 1).copied().and_then(hex_val),
            bytes.get(i + 2).copied().and_then(hex_val),
        ) {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// Decodes `%HH` escapes to text (`sips%3Auser%40example.com` →
/// `sips:user@example.com`); bytes that are not UTF-8 become U+FFFD.
pub fn decode(s: &str) -> Cow<'_, str> {
    match decode_bytes(s) {
        Cow::Borrowed(_) => Cow::Borrowed(s),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Cow::Owned(s),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
    }
}

/// One unit of a URI component for comparison: a byte, and whether it was an
/// escaped reserved character (which differs from the literal one, RFC 3261 §19.1.4).
fn units(s: &str) -> impl Iterator<Item = (u8, bool)> + '_ {
    let bytes = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *bytes.get(i)?;
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            ) {
                i += 3;
                let d = h << 4 | l;
                return Some((d, is_reserved(d)));
            }
        }
        i += 1;
        Some((b, false))
    })
}

/// Compares two URI components with escapes resolved, case-sensitively
/// (userinfo) or not (everything else).
pub(crate) fn escaped_eq(a: &str, b: &str, case_sensitive: bool) -> bool {
    let norm = |(c, esc): (u8, bool)| {
        if case_sensitive {
            (c, esc)
        } else {
            (c.to_ascii_lowercase(), esc)
        }
    };
    units(a).map(norm).eq(units(b).map(norm))
}

/// Checks that every `%` starts a valid `%HH` escape and that every other
/// byte is accepted by `allowed`; returns the offset of the first bad byte.
pub(crate) fn check(s: &str, allowed: impl Fn(u8) -> bool) -> Result<(), usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let ok = bytes.get(i + 1).copied().and_then(hex_val).is_some()
                && bytes.get(i + 2).copied().and_then(hex_val).is_some();
            if !ok {
                return Err(i);
            }
            i += 3;
        } else if allowed(b) {
            i += 1;
        } else {
            return Err(i);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode("sips%3Auser%40example.com"), "sips:user@example.com");
        assert_eq!(decode("null-%00-null"), "null-\0-null");
        assert!(matches!(decode("plain"), Cow::Borrowed("plain")));
        assert_eq!(decode("%ZZ%4"), "%ZZ%4");
        assert_eq!(decode("%FF"), "\u{FFFD}");
        assert_eq!(&*decode_bytes("%00%00"), b"\0\0");
    }

    #[test]
    fn comparing() {
        assert!(escaped_eq("%61lice", "alice", true));
        assert!(!escaped_eq("Alice", "alice", true));
        assert!(escaped_eq("TCP", "tcp", false));
        assert!(!escaped_eq("a%3Bb", "a;b", true));
        assert!(escaped_eq("%3b", "%3B", true));
    }

    #[test]
    fn checking() {
        assert_eq!(check("a%20b", |b| b.is_ascii_alphabetic()), Ok(()));
        assert_eq!(check("a%2", |b| b.is_ascii_alphabetic()), Err(1));
        assert_eq!(check("a b", |b| b.is_ascii_alphabetic()), Err(1));
    }
}
