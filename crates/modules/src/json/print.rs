//! JSON text as OpenSIPS prints it through json-c: `$json` uses the spaced style
//! (`{ "a": 1, "b": [ 1, 2 ] }`), `$json_compact` the plain one (`{"a":1,"b":[1,2]}`) and
//! `$json_pretty` the pretty one (one member per line, two-space indent, `"a":1`). Strings
//! are escaped as json-c does, including `/` as `\/`.

use std::fmt::Write;

use super::node::{Json, Node};

/// The json-c output flags OpenSIPS' three variables use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `JSON_C_TO_STRING_SPACED`: `$json`.
    Spaced,
    /// `JSON_C_TO_STRING_PLAIN`: `$json_compact`.
    Plain,
    /// `JSON_C_TO_STRING_PRETTY`: `$json_pretty`.
    Pretty,
}

/// The text of a value in the given style.
pub fn to_text(n: &Node, style: Style) -> String {
    let mut out = String::new();
    write(&mut out, n, style, 0);
    out
}

fn write(out: &mut String, n: &Node, style: Style, level: usize) {
    match &*n.borrow() {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Json::Num(x) => {
            let _ = write!(out, "{x}");
        }
        Json::Str(s) => escape(out, s),
        Json::Array(items) => container(out, style, level, ('[', ']'), items.len(), |out, i| {
            write(out, &items[i], style, level + 1)
        }),
        Json::Object(members) => {
            container(out, style, level, ('{', '}'), members.len(), |out, i| {
                let (k, v) = &members[i];
                escape(out, k);
                out.push_str(if style == Style::Spaced { ": " } else { ":" });
                write(out, v, style, level + 1);
            })
        }
    }
}

/// The brackets, separators and indentation json-c puts around `len` members.
fn container(
    out: &mut String,
    style: Style,
    level: usize,
    (open, close): (char, char),
    len: usize,
    mut member: impl FnMut(&mut String, usize),
) {
    out.push(open);
    if style == Style::Pretty {
        out.push('\n');
    }
    for i in 0..len {
        if i > 0 {
            out.push(',');
            if style == Style::Pretty {
                out.push('\n');
            }
        }
        match style {
            Style::Spaced => out.push(' '),
            Style::Pretty => indent(out, level + 1),
            Style::Plain => {}
        }
        member(out, i);
    }
    match style {
        Style::Pretty => {
            if len > 0 {
                out.push('\n');
            }
            indent(out, level);
        }
        Style::Spaced => out.push(' '),
        Style::Plain => {}
    }
    out.push(close);
}

fn indent(out: &mut String, level: usize) {
    out.push_str(&" ".repeat(level * 2));
}

/// A quoted string with json-c's escapes.
fn escape(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::node::parse;
    use super::*;

    const DOC: &str = r#"{"a":1,"b":[1,{"c":"x/y"}],"e":{},"f":[]}"#;

    #[test]
    fn spaced_is_what_json_prints() {
        assert_eq!(
            to_text(&parse(DOC).unwrap(), Style::Spaced),
            r#"{ "a": 1, "b": [ 1, { "c": "x\/y" } ], "e": { }, "f": [ ] }"#
        );
    }

    #[test]
    fn plain_is_what_json_compact_prints() {
        assert_eq!(
            to_text(&parse(DOC).unwrap(), Style::Plain),
            r#"{"a":1,"b":[1,{"c":"x\/y"}],"e":{},"f":[]}"#
        );
    }

    #[test]
    fn pretty_is_what_json_pretty_prints() {
        assert_eq!(
            to_text(&parse(r#"{"a":1,"b":[2,{}]}"#).unwrap(), Style::Pretty),
            "{\n  \"a\":1,\n  \"b\":[\n    2,\n    {\n    }\n  ]\n}"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let n = parse(r#""a\"\\\n\u0001""#).unwrap();
        assert_eq!(to_text(&n, Style::Plain), r#""a\"\\\n\u0001""#);
    }
}
