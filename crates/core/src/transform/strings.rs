//! The string transformations' helpers (`{s.*}`, `{re.subst}`): pure functions of text.

use base64::Engine;

use crate::value::Value;

/// Whitespace as `{s.trim}` sees it.
pub fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `{s.int}` of a string that is not a whole integer: its leading digits, as `strtol` would.
pub fn leading_int(s: &str) -> i64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    crate::value::parse_int(&t[..end]).unwrap_or(0)
}

/// `{s.substr,offset,length}`: a negative offset counts from the end, length 0 means "to the
/// end"; out of range gives null.
pub fn substr(s: &str, offset: i64, len: i64) -> Value {
    let n = s.len() as i64;
    let start = if offset < 0 { n + offset } else { offset };
    if start < 0 || start > n || len < 0 {
        return Value::Null;
    }
    let end = if len == 0 { n } else { (start + len).min(n) };
    match s.get(start as usize..end as usize) {
        Some(t) => Value::Str(t.to_owned()),
        None => Value::Null,
    }
}

/// `{s.select,index,separator}`: the index-th field (negative from the end).
pub fn select(s: &str, index: i64, sep: &str) -> Value {
    let sep = sep.chars().next().unwrap_or(',');
    let fields: Vec<&str> = s.split(sep).collect();
    pick(&fields, index).map_or(Value::Null, |f| Value::Str((*f).to_owned()))
}

/// The element at `index`, negative counting from the end.
pub fn pick<T>(list: &[T], index: i64) -> Option<&T> {
    let i = if index < 0 {
        list.len() as i64 + index
    } else {
        index
    };
    if i < 0 {
        None
    } else {
        list.get(i as usize)
    }
}

/// Lower-case hexadecimal of bytes (`{s.md5}`, `{s.encode.hexa}`).
pub fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// `{s.decode.hexa}`: `None` for an odd length, a non-hex digit or text that is not UTF-8.
pub fn decode_hex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

/// Which characters an escape transformation leaves as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EscapeSet {
    /// `{s.escape.common}`: backslash-escapes `'`, `"`, `\` and NUL (for SQL and shells).
    Common,
    /// `{s.escape.user}`: %-escapes what a SIP URI user part cannot hold (RFC 3261).
    User,
    /// `{s.escape.param}`: %-escapes what a SIP URI parameter cannot hold.
    Param,
}

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c)
}

/// The escape transformations.
pub fn escape(s: &str, set: EscapeSet) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let keep = match set {
            EscapeSet::Common => {
                if matches!(c, '\'' | '"' | '\\' | '\0') {
                    out.push('\\');
                    out.push(if c == '\0' { '0' } else { c });
                    continue;
                }
                true
            }
            EscapeSet::User => unreserved(c) || "&=+$,;?/".contains(c),
            EscapeSet::Param => unreserved(c) || "[]/:&+$".contains(c),
        };
        if keep {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The unescape transformations: `\x` → `x` (`Common`) or `%HH` → the byte (`User`,
/// `Param`); `None` for a broken escape or text that is not UTF-8 afterwards.
pub fn unescape(s: &str, set: EscapeSet) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (set, bytes[i]) {
            (EscapeSet::Common, b'\\') => {
                let next = *bytes.get(i + 1)?;
                out.push(if next == b'0' { 0 } else { next });
                i += 2;
            }
            (EscapeSet::User | EscapeSet::Param, b'%') => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            (_, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `{s.index,needle[,offset]}`: the byte position of the first `needle` at or after
/// `offset` (negative: from the end); `{s.rindex,needle[,offset]}`: of the last one starting
/// at or before `offset` (0: anywhere). -1 when there is none.
pub fn index(s: &str, needle: &str, offset: i64, reverse: bool) -> Value {
    let n = s.len() as i64;
    let start = if offset < 0 {
        (n + offset).max(0)
    } else {
        offset.min(n)
    } as usize;
    let found = if reverse {
        let end = if offset == 0 {
            s.len()
        } else {
            (start + needle.len()).min(s.len())
        };
        s.get(..end).and_then(|hay| hay.rfind(needle))
    } else {
        s.get(start..)
            .and_then(|hay| hay.find(needle))
            .map(|i| i + start)
    };
    Value::Int(found.map_or(-1, |i| i as i64))
}

/// `{s.fill.left,char,len}` / `{s.fill.right,...}`: padded with `fill` up to `len` characters.
pub fn fill(s: &str, fill: &str, len: i64, left: bool) -> String {
    let missing = usize::try_from(len)
        .unwrap_or(0)
        .saturating_sub(s.chars().count());
    let pad: String = fill.chars().cycle().take(missing).collect();
    if left {
        format!("{pad}{s}")
    } else {
        format!("{s}{pad}")
    }
}

/// `{s.width,len}`: cut to `len` characters, or padded on the right with spaces to it.
pub fn width(s: &str, len: i64) -> String {
    let len = usize::try_from(len).unwrap_or(0);
    let cut: String = s.chars().take(len).collect();
    fill(&cut, " ", len as i64, false)
}

/// `{s.b64encode}`.
pub fn b64encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// `{s.b64decode}`: `None` for bad base64 or text that is not UTF-8.
pub fn b64decode(s: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};

    #[test]
    fn substrings_and_fields() {
        assert_eq!(substr("abcdef", 1, 3), Value::from("bcd"));
        assert_eq!(substr("abcdef", -2, 0), Value::from("ef"));
        assert_eq!(substr("abc", 5, 1), Value::Null);
        assert_eq!(select("a,b,c", 1, ","), Value::from("b"));
        assert_eq!(select("a,b,c", -1, ","), Value::from("c"));
        assert_eq!(select("a,b,c", 3, ","), Value::Null);
        assert_eq!(leading_int("12ab"), 12);
        assert_eq!(leading_int("-3x"), -3);
        assert_eq!(
            hex_lower(&Md5::digest(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(decode_hex("6869").as_deref(), Some("hi"));
    }

    #[test]
    fn escapes_round_trip() {
        assert_eq!(
            escape(r#"it's "x"\"#, EscapeSet::Common),
            r#"it\'s \"x\"\\"#
        );
        assert_eq!(
            unescape(r#"it\'s"#, EscapeSet::Common).as_deref(),
            Some("it's")
        );
        assert_eq!(escape("a b@c", EscapeSet::User), "a%20b%40c");
        assert_eq!(
            unescape("a%20b%40c", EscapeSet::User).as_deref(),
            Some("a b@c")
        );
        assert_eq!(escape("a;b=c", EscapeSet::Param), "a%3Bb%3Dc");
        assert_eq!(unescape("%zz", EscapeSet::Param), None);
    }

    #[test]
    fn positions_padding_and_base64() {
        assert_eq!(index("abcabc", "bc", 0, false), Value::Int(1));
        assert_eq!(index("abcabc", "bc", 2, false), Value::Int(4));
        assert_eq!(index("abcabc", "x", 0, false), Value::Int(-1));
        assert_eq!(index("abcabc", "bc", 0, true), Value::Int(4));
        assert_eq!(index("abcabc", "bc", 3, true), Value::Int(1));
        assert_eq!(fill("42", "0", 5, true), "00042");
        assert_eq!(fill("42", "-", 4, false), "42--");
        assert_eq!(fill("12345", "0", 3, true), "12345");
        assert_eq!(width("abcdef", 3), "abc");
        assert_eq!(width("ab", 4), "ab  ");
        assert_eq!(b64encode("hello"), "aGVsbG8=");
        assert_eq!(b64decode("aGVsbG8=").as_deref(), Some("hello"));
        assert_eq!(b64decode("!!"), None);
    }
}
