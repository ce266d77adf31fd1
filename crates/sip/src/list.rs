//! Splitting of comma-separated header values (`Via: a, b`).
//!
//! Commas inside quoted strings and inside `<...>` do not separate values.

use crate::chars::is_lws;

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
        let start = self.pos;
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
        if end >= bytes.len() {
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

#[cfg(test)]
mod tests {
    use super::ListSplit;

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
    }
}
