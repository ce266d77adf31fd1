//! Script values: what a pseudo-variable holds and what expressions compute.
//!
//! OpenSIPS values are an integer, a string, or null; conversions follow its rules: a string
//! used as a number is parsed as a decimal integer (0 when it is not one), an integer used as a
//! string is printed in decimal, and null prints as `<null>` inside format strings.

use std::borrow::Cow;
use std::fmt;

/// A value of the routing script: the three kinds OpenSIPS pseudo-variables can hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Value {
    /// No value (`NULL`, an unset variable, an absent header).
    #[default]
    Null,
    /// A signed integer.
    Int(i64),
    /// A text value.
    Str(String),
}

/// How null is printed when a value is expanded inside a format string.
pub const NULL_TEXT: &str = "<null>";

impl Value {
    /// True for `Value::Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The integer view used by arithmetic and integer parameters: strings parse as decimal
    /// integers (surrounding blanks allowed), anything else is 0, as OpenSIPS does.
    pub fn as_int(&self) -> i64 {
        match self {
            Value::Null => 0,
            Value::Int(i) => *i,
            Value::Str(s) => parse_int(s).unwrap_or(0),
        }
    }

    /// The integer this value holds or spells, if it is one (`"12"` is 12, `"x"` is none).
    pub fn to_int(&self) -> Option<i64> {
        match self {
            Value::Null => None,
            Value::Int(i) => Some(*i),
            Value::Str(s) => parse_int(s),
        }
    }

    /// The text view used by string parameters and concatenation; null is the empty string.
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            Value::Null => Cow::Borrowed(""),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::Str(s) => Cow::Borrowed(s),
        }
    }

    /// Truth as a condition: non-zero integers and non-empty strings are true, null is false.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Int(i) => *i != 0,
            Value::Str(s) => !s.is_empty(),
        }
    }
}

impl fmt::Display for Value {
    /// Format-string expansion: null prints as `<null>` (what OpenSIPS' `pv_printf` does).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str(NULL_TEXT),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Parses a decimal integer with an optional sign, allowing surrounding blanks, as OpenSIPS'
/// `str2sint` does for script strings. Returns `None` for anything else (including overflow).
pub fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim_matches(|c| c == ' ' || c == '\t');
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_follow_opensips() {
        assert_eq!(Value::from("42").as_int(), 42);
        assert_eq!(Value::from(" -7 ").as_int(), -7);
        assert_eq!(Value::from("4x").as_int(), 0);
        assert_eq!(Value::from("4x").to_int(), None);
        assert_eq!(Value::Null.as_int(), 0);
        assert_eq!(Value::Int(-3).as_str(), "-3");
        assert_eq!(Value::Null.to_string(), "<null>");
        assert!(!Value::Null.is_true());
        assert!(Value::from("a").is_true());
        assert!(!Value::from("").is_true());
        assert!(!Value::Int(0).is_true());
    }

    #[test]
    fn parse_int_rejects_junk() {
        assert_eq!(parse_int("+5"), Some(5));
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }
}
