//! Values between [`DbValue`]/[`Row`] and SQLite's five storage classes.

use mysql::Value;
use rusqlite::types::{Value as Lite, ValueRef};

use crate::DbValue;

/// A statement parameter as SQLite binds it.
pub(super) fn param(v: &DbValue) -> Lite {
    match v {
        DbValue::Null => Lite::Null,
        DbValue::Int(i) => Lite::Integer(*i),
        DbValue::Float(f) => Lite::Real(*f),
        DbValue::Str(s) => Lite::Text(s.clone()),
        DbValue::Bytes(b) => Lite::Blob(b.clone()),
    }
}

/// A result column as a [`crate::Row`] holds it, so the getters read both backends alike
/// (text and blobs are bytes, as MySQL's text protocol gives them).
pub(super) fn column(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::NULL,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Double(f),
        ValueRef::Text(b) | ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Row;

    #[test]
    fn params_keep_their_class() {
        assert_eq!(param(&DbValue::Null), Lite::Null);
        assert_eq!(param(&DbValue::Int(-3)), Lite::Integer(-3));
        assert_eq!(param(&DbValue::Float(0.5)), Lite::Real(0.5));
        assert_eq!(param(&DbValue::from("a")), Lite::Text("a".into()));
        assert_eq!(param(&DbValue::Bytes(vec![0, 1])), Lite::Blob(vec![0, 1]));
    }

    #[test]
    fn columns_read_through_row_getters() {
        let r = Row(vec![
            column(ValueRef::Null),
            column(ValueRef::Integer(42)),
            column(ValueRef::Real(1.5)),
            column(ValueRef::Text(b"17")),
            column(ValueRef::Blob(b"x\0y")),
            column(ValueRef::Text(b"2026-01-02 03:04:05")),
        ]);
        assert_eq!(r.get_str(0), None);
        assert_eq!(r.get_i64(1), Some(42));
        assert_eq!(r.get_str(1).as_deref(), Some("42"));
        assert_eq!(r.get_f64(2), Some(1.5));
        assert_eq!(r.get_i64(2), Some(1));
        assert_eq!(r.get_i64(3), Some(17));
        assert_eq!(r.get_str(4).as_deref(), Some("x\0y"));
        assert_eq!(r.get_str(5).as_deref(), Some("2026-01-02 03:04:05"));
        assert_eq!(r.get_i64(5), None);
    }
}
