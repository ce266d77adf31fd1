//! Helpers that turn raw header text into the text it stands for.
//!
//! Spans keep the bytes as received; these functions give the logical value
//! when a caller needs it, borrowing whenever no change is required.

use std::borrow::Cow;

/// Replaces every line fold (LWS containing CR or LF) in a header value by a
/// single space, as RFC 3261 §7.3.1 says a fold is equivalent to one SP.
pub fn unfold(value: &str) -> Cow<'_, str> {
    if !value.contains(['\r', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            let mut folded = c == '\r' || c == '\n';
            let mut run = String::new();
            run.push(c);
            while let Some(&n) = chars.peek() {
                if !matches!(n, ' ' | '\t' | '\r' | '\n') {
                    break;
                }
                folded |= n == '\r' || n == '\n';
                run.push(n);
                chars.next();
            }
            if folded {
                out.push(' ');
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Removes the quotes of a quoted string and resolves its `\x` escapes; text
/// that is not quoted is returned as is.
pub fn unquote(s: &str) -> Cow<'_, str> {
    let inner = match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if s.len() >= 2 => inner,
        _ => return Cow::Borrowed(s),
    };
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds() {
        assert!(matches!(unfold("a  b"), Cow::Borrowed("a  b")));
        assert_eq!(
            unfold("newfangled value\r\n continued"),
            "newfangled value continued"
        );
        assert_eq!(unfold("a ,\r\n\t b"), "a , b");
    }

    #[test]
    fn unquotes() {
        assert_eq!(unquote(r#""J Rosenberg \\\"""#), r#"J Rosenberg \""#);
        assert_eq!(unquote("\"plain\""), "plain");
        assert_eq!(unquote("token"), "token");
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote(r#""Quoted string \"\"""#), r#"Quoted string """#);
    }
}
