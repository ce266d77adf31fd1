//! `do_accounting("db")`: one row per reported transaction in OpenSIPS 3.x's `acc` table
//! (`missed_calls` for missed calls), written synchronously when the final reply goes out,
//! as OpenSIPS does. A failed write is logged; the call goes on.
//!
//! Text longer than its column (`callid` is `CHAR(64)`, `sip_reason` `CHAR(32)`) is cut to
//! fit rather than losing the row. Columns: `time` is when the final reply went out, `created` when the request came in,
//! `setuptime` the seconds between them; `duration` and `ms_duration` stay 0 (they measure
//! a dialog, and siplua's acc reports transactions, not CDRs).

use siplua_core::log::{self, level};
use siplua_db::{Db, DbValue};
use siplua_sip::HeaderKind;

use crate::tm::FinalInfo;

/// Where rows go: the database and the two INSERTs, built once from the table names.
pub struct AccDb {
    db: Db,
    acc_table: String,
    missed_table: String,
    acc_sql: String,
    missed_sql: String,
}

impl AccDb {
    /// Rows of `db` go to `acc_table` (`db_table_acc`) and `missed_table`
    /// (`db_table_missed_calls`), both checked by [`table_name`].
    pub fn new(db: Db, acc_table: String, missed_table: String) -> AccDb {
        AccDb {
            acc_sql: insert_sql(&acc_table, true),
            missed_sql: insert_sql(&missed_table, false),
            db,
            acc_table,
            missed_table,
        }
    }

    /// Writes the row of a reported transaction; `missed` picks the missed-calls table.
    pub fn write(&self, info: &FinalInfo, missed: bool, now_ms: u64) {
        let (table, sql) = if missed {
            (&self.missed_table, &self.missed_sql)
        } else {
            (&self.acc_table, &self.acc_sql)
        };
        self.exec(table, sql, &row(info, !missed, now_ms));
    }

    /// Writes the row of `acc_db_request` into `table` (a name checked by [`table_name`]):
    /// the columns `acc` and `missed_calls` share, as the request has no duration.
    pub fn write_to(&self, table: &str, info: &FinalInfo, now_ms: u64) {
        self.exec(table, &insert_sql(table, false), &row(info, false, now_ms));
    }

    fn exec(&self, table: &str, sql: &str, params: &[DbValue]) {
        if let Err(e) = self.db.exec(sql, params) {
            log::emit(
                level::ERR,
                "acc",
                &format!("cannot write the accounting row to table {table}: {e}"),
            );
        }
    }
}

/// The INSERT of a row into `table`; `with_duration` adds the `acc` table's `duration` and
/// `ms_duration` columns (`missed_calls` has none).
fn insert_sql(table: &str, with_duration: bool) -> String {
    let (extra_cols, extra_vals) = if with_duration {
        (", duration, ms_duration", ", ?, ?")
    } else {
        ("", "")
    };
    format!(
        "INSERT INTO `{table}` (method, from_tag, to_tag, callid, sip_code, sip_reason, \
         time, setuptime, created{extra_cols}) VALUES (?, ?, ?, ?, ?, ?, \
         FROM_UNIXTIME(?), ?, FROM_UNIXTIME(?){extra_vals})"
    )
}

/// The values of [`insert_sql`]'s placeholders for `info`.
fn row(info: &FinalInfo, with_duration: bool, now_ms: u64) -> Vec<DbValue> {
    let now = (now_ms / 1000) as i64;
    let elapsed = info.elapsed.as_secs() as i64;
    let from_tag = super::from_tag(info);
    let mut params = Vec::with_capacity(11);
    params.extend([
        fit(info.request.method_str().unwrap_or(""), 16),
        fit(&from_tag, 64),
        fit(info.to_tag, 64),
        fit(info.request.get(HeaderKind::CallId).unwrap_or(""), 64),
        info.code.to_string().into(),
        fit(info.reason, 32),
        DbValue::Int(now),
        DbValue::Int(elapsed),
        DbValue::Int(now - elapsed),
    ]);
    if with_duration {
        // duration, ms_duration
        params.extend([DbValue::Int(0), DbValue::Int(0)]);
    }
    params
}

/// `v` cut to the `CHAR(n)` width of its column (at a character boundary), so a long Call-ID
/// or reason phrase does not make a strict-mode server refuse the whole row.
fn fit(v: &str, n: usize) -> DbValue {
    DbValue::Str(v.chars().take(n).collect())
}

/// A table name from `db_table_*`, checked so it can be quoted.
pub fn table_name(param: &str, v: &str) -> Result<String, String> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(v.to_owned())
    } else {
        Err(format!("{param}: \"{v}\" is not a plain table name"))
    }
}
