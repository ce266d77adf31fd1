//! Splitting of comma-separated header values (`Via: a, b`).
//!
//! Commas inside quoted strings and inside `<...>` do not separate values.

use memchr::{memchr, memchr2, memchr3};

use crate::chars::is_lws;

/// The first of the comma-separated values of one header value (trimmed; commas inside
/// quotes and `<>` do not count): for headers read by name, whose kind is not known to be a
/// list (`Diversion`, `Remote-Party-ID`).
pub fn first_list_value(s: &str) -> &str {
    let (start, end) = ListSplit::new(s).next().unwrap_or((0, 0));
    s.get(start..end).unwrap_or("")
}

/// Iterator over the values of one header line, as trimmed byte ranges
/// relative to the start of the line's value.
#[derive(Clone, Debug)]
pub(crate) struct ListSplit<'a> {
    s: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> ListSplit<'a> {
    /// Splits `s` (one header value).
    pub(crate) fn new(s: &'a str) -> Self {
        ListSplit {
            s,
            pos: 0,
            done: false,
        }
    }
}

impl Iterator for ListSplit<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if self.done {
            return None;
        }
        let bytes = self.s.as_bytes();
        let len = bytes.len();
        let start = self.pos;
        // Outside quotes and `<>`, only `,`, `"` and `<` matter: jump from
        // one to the next with memchr instead of testing every byte.
        let mut i = start;
        let end = loop {
            let rest = bytes.get(i..).unwrap_or_default();
            let Some(k) = memchr3(b',', b'"', b'<', rest) else {
                break len;
            };
            i += k;
            match bytes.get(i) {
                Some(b'<') => match memchr(b'>', bytes.get(i + 1..).unwrap_or_default()) {
                    Some(k) => i += k + 2,
                    None => break len,
                },
                Some(b'"') => match quoted_end(bytes, i + 1) {
                    Some(after) => i = after,
                    None => break len,
                },
                _ => break i,
            }
        };
        if end >= len {
            self.done = true;
        } else {
            self.pos = end + 1;
        }
        let (mut s, mut e) = (start, end);
        while s < e && bytes.get(s).copied().is_some_and(is_lws) {
            s += 1;
        }
        while e > s && bytes.get(e - 1).copied().is_some_and(is_lws) {
            e -= 1;
        }
        Some((s, e))
    }
}

/// Offset just after the `"` closing a quoted string whose content starts at
/// `from` (`\x` escapes skipped); `None` when it is not closed.
fn quoted_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        i += memchr2(b'\\', b'"', bytes.get(i..)?)?;
        match bytes.get(i) {
            Some(b'"') => return Some(i + 1),
            _ => i += 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ListSplit;
    use crate::chars::is_lws;

    fn split(s: &str) -> Vec<&str> {
        ListSplit::new(s)
            .map(|(a, b)| s.get(a..b).unwrap_or("?"))
            .collect()
    }

    #[test]
    fn splits() {
        assert_eq!(split("a, b"), ["a", "b"]);
        assert_eq!(
            split(r#""x, \"y" <sip:a,b>;p=1 , c"#),
            [r#""x, \"y" <sip:a,b>;p=1"#, "c"]
        );
        assert_eq!(split(";;,;,,"), [";;", ";", "", ""]);
        assert_eq!(split(""), [""]);
        assert_eq!(split("a ,\r\n b"), ["a", "b"]);
        assert_eq!(split("\"open, x"), ["\"open, x"]);
        assert_eq!(split("<open, x"), ["<open, x"]);
        assert_eq!(split(r#""a\\", b"#), [r#""a\\""#, "b"]);
        assert_eq!(split(r#""a\", b"#), [r#""a\", b"#]);
        assert_eq!(split(r#""a" <x,y>, b"#), [r#""a" <x,y>"#, "b"]);
        assert_eq!(split("\"ends in backslash\\"), ["\"ends in backslash\\"]);
        assert_eq!(split("a,"), ["a", ""]);
    }

    /// The byte-at-a-time definition the memchr version must agree with.
    fn reference(s: &str) -> Vec<(usize, usize)> {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut start = 0;
        loop {
            let mut i = start;
            let (mut in_quote, mut in_angle) = (false, false);
            while let Some(&b) = bytes.get(i) {
                if in_quote {
                    match b {
                        b'\\' => i += 1,
                        b'"' => in_quote = false,
                        _ => {}
                    }
                } else if in_angle {
                    in_angle = b != b'>';
                } else {
                    match b {
                        b'"' => in_quote = true,
                        b'<' => in_angle = true,
                        b',' => break,
                        _ => {}
                    }
                }
                i += 1;
            }
            let end = i.min(bytes.len());
            let (mut a, mut e) = (start, end);
            while a < e && is_lws(bytes[a]) {
                a += 1;
            }
            while e > a && is_lws(bytes[e - 1]) {
                e -= 1;
            }
            out.push((a, e));
            if end >= bytes.len() {
                return out;
            }
            start = end + 1;
        }
    }

    #[test]
    fn agrees_with_reference() {
        let alphabet = [b'a', b',', b'"', b'<', b'>', b'\\', b' '];
        let mut buf = Vec::new();
        for len in 0..=6u32 {
            for mut n in 0..alphabet.len().pow(len) {
                buf.clear();
                for _ in 0..len {
                    buf.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                let s = std::str::from_utf8(&buf).unwrap();
                let got: Vec<_> = ListSplit::new(s).collect();
                assert_eq!(got, reference(s), "{s:?}");
            }
        }
    }
}
