//! A result set kept client-side (what `mysql_store_result` gave the original), its values
//! as MySQL's text form, and the three fetchers shared by connections and statements.
//!
//! Every value reaches Lua as a string, as in OpenSIPS: the text protocol sends text already;
//! the binary protocol of prepared statements sends typed values, written here the way MySQL
//! writes them as text. SQL NULL is `""`.

use std::collections::VecDeque;
use std::rc::Rc;

use mlua::{Lua, Table, Value};
use mysql::consts::ColumnType;
use mysql::prelude::Protocol;
use mysql::{Column, QueryResult};

use crate::api::args::{bad_arg, type_name};

/// One row as text; `None` is SQL NULL.
pub type TextRow = Vec<Option<Vec<u8>>>;

/// Rows of one result set, stored whole, fetched one by one.
#[derive(Debug)]
pub struct Rows {
    /// Column names, in order.
    pub columns: Rc<[String]>,
    /// Rows not fetched yet; `None` is SQL NULL.
    pub rows: VecDeque<TextRow>,
}

/// What one statement produced: its first result set (if it has columns), the affected-row
/// count (rows in the set for a SELECT, as `mysql_affected_rows` after a stored result) and
/// the last insert id.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The first result set, when the statement returns rows.
    pub rows: Option<Rows>,
    /// Affected rows (DML) or rows in the set (SELECT).
    pub affected: u64,
    /// `LAST_INSERT_ID()` after the statement, when it set one.
    pub insert_id: Option<u64>,
}

/// Reads every result set of `qr` (they must all be read before the connection is usable
/// again) and keeps the first.
pub fn collect<T: Protocol>(mut qr: QueryResult<'_, '_, '_, T>) -> mysql::Result<Outcome> {
    let mut out = Outcome {
        rows: None,
        affected: qr.affected_rows(),
        insert_id: qr.last_insert_id().filter(|&id| id != 0),
    };
    let mut first = true;
    while let Some(set) = qr.iter() {
        let columns: Vec<Column> = set.columns().as_ref().to_vec();
        let mut rows = VecDeque::new();
        for row in set {
            let values = row?.unwrap();
            rows.push_back(
                values
                    .into_iter()
                    .zip(columns.iter())
                    .map(|(v, c)| text(v, c))
                    .collect(),
            );
        }
        if first && !columns.is_empty() {
            out.affected = rows.len() as u64;
            out.rows = Some(Rows {
                columns: columns.iter().map(|c| c.name_str().into_owned()).collect(),
                rows,
            });
        }
        first = false;
    }
    Ok(out)
}

/// The text MySQL would send for `v` in column `col`; `None` for NULL.
fn text(v: mysql::Value, col: &Column) -> Option<Vec<u8>> {
    use mysql::Value::*;
    let s = match v {
        NULL => return None,
        Bytes(b) => return Some(b),
        Int(i) => i.to_string(),
        UInt(u) => u.to_string(),
        Float(f) => f.to_string(),
        Double(d) => d.to_string(),
        Date(y, mo, d, h, mi, s, us) => {
            let date = format!("{y:04}-{mo:02}-{d:02}");
            if col.column_type() == ColumnType::MYSQL_TYPE_DATE {
                date
            } else {
                format!(
                    "{date} {h:02}:{mi:02}:{s:02}{}",
                    fraction(us, col.decimals())
                )
            }
        }
        Time(neg, days, h, mi, s, us) => {
            let hours = u64::from(days) * 24 + u64::from(h);
            let sign = if neg { "-" } else { "" };
            format!(
                "{sign}{hours:02}:{mi:02}:{s:02}{}",
                fraction(us, col.decimals())
            )
        }
    };
    Some(s.into_bytes())
}

/// `.ffffff` cut to the column's declared fractional digits (none for 0).
fn fraction(micros: u32, decimals: u8) -> String {
    let digits = usize::from(decimals.min(6));
    if digits == 0 {
        return String::new();
    }
    let all = format!("{micros:06}");
    format!(".{}", &all[..digits])
}

/// Which table shape a fetcher returns.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// `fetch_row`: `{[1] = v1, ...}`.
    Row,
    /// `fetch_assoc`: `{colname = v, ...}`.
    Assoc,
    /// `fetch_array`: both.
    Array,
}

impl Shape {
    /// The Lua method name, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Row => "fetch_row",
            Shape::Assoc => "fetch_assoc",
            Shape::Array => "fetch_array",
        }
    }
}

/// The table to fill: the caller's (argument `[t]`) or a new one. A non-table is an error.
pub fn target(lua: &Lua, t: Value, shape: Shape) -> mlua::Result<Table> {
    match t {
        Value::Nil => lua.create_table(),
        Value::Table(t) => Ok(t),
        other => Err(bad_arg(
            2,
            shape.name(),
            &format!("table expected, got {}", type_name(&other)),
        )),
    }
}

/// Fills `t` with one row in `shape` (NULL as `""`) and returns it.
pub fn fill(
    lua: &Lua,
    t: Table,
    columns: &[String],
    row: TextRow,
    shape: Shape,
) -> mlua::Result<Table> {
    for (i, (v, name)) in row.into_iter().zip(columns).enumerate() {
        let v = lua.create_string(v.unwrap_or_default())?;
        if matches!(shape, Shape::Row | Shape::Array) {
            t.raw_set(i + 1, v.clone())?;
        }
        if matches!(shape, Shape::Assoc | Shape::Array) {
            t.raw_set(name.as_str(), v)?;
        }
    }
    Ok(t)
}

/// Takes the next row of `rows` (with the column names) to build outside any borrow.
pub fn next_row(rows: &mut Option<Rows>) -> Option<(Rc<[String]>, TextRow)> {
    let r = rows.as_mut()?;
    let row = r.rows.pop_front()?;
    Some((r.columns.clone(), row))
}

#[cfg(test)]
mod tests {
    use super::fraction;

    #[test]
    fn fractions_follow_the_column_precision() {
        assert_eq!(fraction(123456, 0), "");
        assert_eq!(fraction(123456, 3), ".123");
        assert_eq!(fraction(5, 6), ".000005");
    }
}
