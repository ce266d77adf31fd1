//! Values going into statements and rows coming out, without the client library's types.

use mysql::Value;

/// A statement parameter (`?` in the SQL).
#[derive(Debug, Clone, PartialEq)]
pub enum DbValue {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// Text.
    Str(String),
    /// Raw bytes (BLOB).
    Bytes(Vec<u8>),
}

impl From<&DbValue> for Value {
    fn from(v: &DbValue) -> Value {
        match v {
            DbValue::Null => Value::NULL,
            DbValue::Int(i) => Value::Int(*i),
            DbValue::Float(f) => Value::Double(*f),
            DbValue::Str(s) => Value::Bytes(s.as_bytes().to_vec()),
            DbValue::Bytes(b) => Value::Bytes(b.clone()),
        }
    }
}

impl From<&str> for DbValue {
    fn from(s: &str) -> DbValue {
        DbValue::Str(s.to_owned())
    }
}

impl From<String> for DbValue {
    fn from(s: String) -> DbValue {
        DbValue::Str(s)
    }
}

impl From<i64> for DbValue {
    fn from(i: i64) -> DbValue {
        DbValue::Int(i)
    }
}

impl From<f64> for DbValue {
    fn from(f: f64) -> DbValue {
        DbValue::Float(f)
    }
}

impl<T: Into<DbValue>> From<Option<T>> for DbValue {
    fn from(v: Option<T>) -> DbValue {
        v.map_or(DbValue::Null, Into::into)
    }
}

/// One result row; columns by position, in the order of the SELECT.
#[derive(Debug, Clone)]
pub struct Row(pub(crate) Vec<Value>);

impl Row {
    /// How many columns.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Column `i` as text (numbers and dates formatted); `None` for NULL or no such column.
    pub fn get_str(&self, i: usize) -> Option<String> {
        Some(match self.0.get(i)? {
            Value::NULL => return None,
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Double(v) => v.to_string(),
            Value::Date(y, mo, d, h, mi, s, _) => {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
            Value::Time(neg, days, h, mi, s, _) => {
                let hours = u64::from(*days) * 24 + u64::from(*h);
                format!("{}{hours:02}:{mi:02}:{s:02}", if *neg { "-" } else { "" })
            }
        })
    }

    /// Column `i` as an integer (text is parsed, floats truncated); `None` for NULL, no such
    /// column, or a value that is not a number.
    pub fn get_i64(&self, i: usize) -> Option<i64> {
        match self.0.get(i)? {
            Value::Int(v) => Some(*v),
            Value::UInt(v) => i64::try_from(*v).ok(),
            Value::Float(v) => Some(*v as i64),
            Value::Double(v) => Some(*v as i64),
            Value::Bytes(b) => {
                let s = std::str::from_utf8(b).ok()?.trim();
                s.parse()
                    .ok()
                    .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
            }
            _ => None,
        }
    }

    /// Column `i` as a float; `None` for NULL, no such column, or not a number.
    pub fn get_f64(&self, i: usize) -> Option<f64> {
        match self.0.get(i)? {
            Value::Int(v) => Some(*v as f64),
            Value::UInt(v) => Some(*v as f64),
            Value::Float(v) => Some(f64::from(*v)),
            Value::Double(v) => Some(*v),
            Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters() {
        let r = Row(vec![
            Value::NULL,
            Value::Bytes(b"42".to_vec()),
            Value::Int(-7),
            Value::Date(2026, 1, 2, 3, 4, 5, 0),
            Value::Bytes(b"0.5".to_vec()),
            Value::Bytes(b"abc".to_vec()),
        ]);
        assert_eq!(r.get_str(0), None);
        assert_eq!(r.get_i64(0), None);
        assert_eq!(r.get_i64(1), Some(42));
        assert_eq!(r.get_str(2).as_deref(), Some("-7"));
        assert_eq!(r.get_str(3).as_deref(), Some("2026-01-02 03:04:05"));
        assert_eq!(r.get_f64(4), Some(0.5));
        assert_eq!(r.get_i64(5), None);
        assert_eq!(r.get_str(9), None);
    }

    #[test]
    fn option_into_value() {
        assert_eq!(DbValue::from(None::<&str>), DbValue::Null);
        assert_eq!(DbValue::from(Some(3i64)), DbValue::Int(3));
    }
}
