//! `;name=value` parameter lists, kept as raw text and iterated without copying.
//!
//! The same type serves header parameters (`;tag=x`, LWS and quoted values
//! allowed) and URI parameters (`;lr;transport=tcp`). Lookups by name are
//! case-insensitive, as parameter names are in SIP.

use crate::chars::{is_lws, is_param_value, is_token, split_once_byte, trim_lws};
use crate::cursor::Cursor;
use crate::error::SyntaxError;

/// A raw parameter list such as `;tag=1;lr`, validated by whoever built it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params<'a> {
    raw: &'a str,
}

/// One parameter: its name and, unless it is a flag, its raw value (quoted
/// values keep their quotes; see [`crate::text::unquote`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'a> {
    /// Parameter name as written.
    pub name: &'a str,
    /// Raw value, `None` for a flag such as `lr`.
    pub value: Option<&'a str>,
}

impl<'a> Params<'a> {
    pub(crate) fn new(raw: &'a str) -> Self {
        Params { raw }
    }

    /// The list as written, leading `;` included.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// True when there is no parameter.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Iterates over the parameters in order.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter { rest: self.raw }
    }

    /// Looks a parameter up by name: `None` when absent, `Some(None)` for a
    /// flag, `Some(Some(value))` otherwise.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value)
    }

    /// The value of a parameter, `None` when absent or a flag.
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.get(name).flatten()
    }

    /// True when the parameter is present (flag or with a value).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl<'a> IntoIterator for Params<'a> {
    type Item = Param<'a>;
    type IntoIter = ParamIter<'a>;
    fn into_iter(self) -> ParamIter<'a> {
        self.iter()
    }
}

/// Iterator over a [`Params`] list.
#[derive(Clone, Debug)]
pub struct ParamIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Param<'a>;

    fn next(&mut self) -> Option<Param<'a>> {
        loop {
            let b = self.rest.as_bytes();
            let Some(start) = b.iter().position(|&c| c != b';' && !is_lws(c)) else {
                self.rest = "";
                return None;
            };
            let end = item_end(b, start);
            let item = self.rest.get(start..end).unwrap_or("");
            self.rest = self.rest.get(end..).unwrap_or("");
            let (name, value) = match split_once_byte(item, b'=') {
                Some((name, value)) => (trim_lws(name), Some(trim_lws(value))),
                None => (trim_lws(item), None),
            };
            if !name.is_empty() {
                return Some(Param { name, value });
            }
        }
    }
}

/// Where the parameter starting at `start` ends: at the first `;` outside a
/// quoted string, or the end of `b`. Values are rarely quoted, so the bytes up
/// to a `;` or a `"` are skipped with `memchr2` (a branch parameter is long
/// enough for it to pay) before quotes are followed.
fn item_end(b: &[u8], start: usize) -> usize {
    let plain = |from: usize| {
        let tail = b.get(from..).unwrap_or_default();
        from + memchr::memchr2(b';', b'"', tail).unwrap_or(tail.len())
    };
    let mut i = plain(start);
    while b.get(i) == Some(&b'"') {
        i += 1;
        while let Some(&c) = b.get(i) {
            i += if c == b'\\' { 2 } else { 1 };
            if c == b'"' {
                break;
            }
        }
        i = plain(i.min(b.len()));
    }
    i
}

/// Parses header parameters `*(SEMI generic-param)` at the cursor (RFC 3261
/// §25.1: `generic-param = token [ EQUAL gen-value ]`), stopping before the
/// first byte that does not continue the list.
pub(crate) fn parse_header_params<'a>(cursor: &mut Cursor<'a>) -> Result<Params<'a>, SyntaxError> {
    // A local copy stays in registers; the caller's cursor is written once, at the end.
    let mut c = *cursor;
    let start = c.pos();
    let mut end = start;
    loop {
        let save = c.pos();
        c.skip_lws();
        if !c.eat(b';') {
            c.set_pos(save);
            break;
        }
        c.skip_lws();
        if c.take_while(is_token).is_empty() {
            return Err(SyntaxError::new(c.pos(), "empty parameter"));
        }
        end = c.pos();
        c.skip_lws();
        if c.eat(b'=') {
            c.skip_lws();
            if c.peek() == Some(b'"') {
                c.quoted()
                    .ok_or(SyntaxError::new(c.pos(), "unterminated quoted string"))?;
            } else if c.take_while(is_param_value).is_empty() {
                return Err(SyntaxError::new(c.pos(), "empty parameter value"));
            }
            end = c.pos();
        } else {
            c.set_pos(end);
        }
    }
    cursor.set_pos(end);
    Ok(Params::new(c.slice(start, end)))
}

/// True when `s` has only LWS left (the end check of every header grammar).
pub(crate) fn only_lws(s: &str) -> bool {
    s.bytes().all(is_lws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterate_and_lookup() {
        let p = Params::new(";lr;unknownwith=value;unknown-no-value; TAG = 98asjd8 ;q=\"a;b\"");
        let names: Vec<_> = p.iter().map(|p| p.name).collect();
        assert_eq!(names, ["lr", "unknownwith", "unknown-no-value", "TAG", "q"]);
        assert_eq!(p.get("lr"), Some(None));
        assert_eq!(p.value("tag"), Some("98asjd8"));
        assert_eq!(p.value("q"), Some("\"a;b\""));
        assert_eq!(p.get("nope"), None);
        assert!(p.has("UNKNOWN-NO-VALUE"));
        assert!(Params::default().is_empty());
    }

    /// A `;` ends a parameter only outside quotes; an escaped quote does not close them,
    /// and an unterminated quoted string runs to the end of the list.
    #[test]
    fn quoted_values_keep_their_semicolons() {
        let p = Params::new(r#";a="x\";y";b;c="1"="2";d"#);
        let items: Vec<_> = p.iter().map(|p| (p.name, p.value)).collect();
        assert_eq!(
            items,
            [
                ("a", Some(r#""x\";y""#)),
                ("b", None),
                ("c", Some(r#""1"="2""#)),
                ("d", None)
            ]
        );
        let p = Params::new(r#";a="open;b;c\"#);
        assert_eq!(p.value("a"), Some(r#""open;b;c\"#));
        assert_eq!(p.iter().count(), 1);
    }

    #[test]
    fn parse_generic_params() {
        let text = " ;\r\n  tag = 98asjd8 ;x=\"q\" rest";
        let mut c = Cursor::new(text);
        let p = parse_header_params(&mut c).unwrap();
        assert_eq!(p.value("tag"), Some("98asjd8"));
        assert_eq!(p.value("x"), Some("\"q\""));
        assert_eq!(c.pos(), text.find(" rest").unwrap());

        for bad in [";;", ";a=", ";a=\"open", "; =b"] {
            assert!(parse_header_params(&mut Cursor::new(bad)).is_err(), "{bad}");
        }
        let mut c = Cursor::new("no params");
        assert_eq!(parse_header_params(&mut c).unwrap().as_str(), "");
        assert_eq!(c.pos(), 0);
        assert!(only_lws(" \r\n") && !only_lws(" x"));
    }
}
