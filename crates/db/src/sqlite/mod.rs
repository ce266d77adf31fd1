//! [`SqliteDb`]: the SQLite side of [`crate::Db`], one connection to one database file shared
//! by every thread of a module (SQLite serialises writers anyway; statements on a local file
//! take microseconds, so a mutex costs less than a pool).

mod dialect;
mod value;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{params_from_iter, Connection, ErrorCode, OpenFlags};

use crate::handle::TxOps;
use crate::{DbError, DbValue, Row};

/// How an SQLite file is opened: `db_sqlite`'s module parameters.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// How long a statement waits for another process' lock before failing (`busy_timeout`).
    pub busy_timeout: Duration,
    /// `PRAGMA`s run on the new connection, without the word PRAGMA (`exec_pragma`).
    pub pragmas: Vec<String>,
}

impl Default for SqliteOptions {
    /// OpenSIPS' defaults: a 500 ms busy timeout, no pragmas.
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_millis(500),
            pragmas: Vec::new(),
        }
    }
}

/// A handle on one SQLite file, cheap to clone and to share between threads.
#[derive(Clone)]
pub(crate) struct SqliteDb(Arc<Inner>);

struct Inner {
    conn: Mutex<Connection>,
    url: String,
    busy: Duration,
}

impl SqliteDb {
    /// Opens the existing database file at `path` (a missing file is an error rather than a
    /// new empty database on which every query would fail), runs the pragmas and checks the
    /// file really is an SQLite database.
    pub fn open(path: &Path, opts: &SqliteOptions) -> Result<SqliteDb, DbError> {
        let url = format!("sqlite://{}", path.display());
        let unavailable = |reason: String| DbError::Unavailable {
            url: url.clone(),
            reason,
        };
        if !path.is_file() {
            return Err(unavailable("no such database file".into()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| unavailable(e.to_string()))?;
        conn.busy_timeout(opts.busy_timeout)
            .map_err(|e| unavailable(e.to_string()))?;
        for p in &opts.pragmas {
            conn.execute_batch(&format!("PRAGMA {p};"))
                .map_err(|e| unavailable(format!("PRAGMA {p}: {e}")))?;
        }
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map_err(|e| unavailable(e.to_string()))?;
        Ok(SqliteDb(Arc::new(Inner {
            conn: Mutex::new(conn),
            url,
            busy: opts.busy_timeout,
        })))
    }

    /// `sqlite://` and the file's path (for log lines).
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// Runs a statement that returns rows.
    pub fn query(&self, sql: &str, params: &[DbValue]) -> Result<Vec<Row>, DbError> {
        // Translated before the connection is taken: other threads wait for SQLite only.
        let sql = dialect::translate(sql);
        query_on(&self.0.conn.lock(), &sql, params).map_err(|e| self.error(e))
    }

    /// Runs a statement that changes rows; returns how many it changed.
    pub fn exec(&self, sql: &str, params: &[DbValue]) -> Result<u64, DbError> {
        let sql = dialect::translate(sql);
        exec_on(&self.0.conn.lock(), &sql, params).map_err(|e| self.error(e))
    }

    /// Runs `f` between `BEGIN IMMEDIATE` and `COMMIT` (`ROLLBACK` when it fails), holding
    /// the connection, so no other thread's statement lands inside the transaction.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&mut SqliteTx<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let conn = self.0.conn.lock();
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.error(e))?;
        let mut tx = SqliteTx {
            db: self,
            conn: &conn,
        };
        let out = f(&mut tx);
        let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = conn.execute_batch(end).map_err(|e| self.error(e));
        if ended.is_err() && out.is_ok() {
            // A failed COMMIT leaves the transaction open: end it so the next one can begin.
            let _ = conn.execute_batch("ROLLBACK");
        }
        let v = out?;
        ended.map(|()| v)
    }

    /// The [`DbError`] for a failed statement: a lock held past the busy timeout is a
    /// timeout, anything else a refused statement.
    fn error(&self, e: rusqlite::Error) -> DbError {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DbError::Timeout {
                url: self.0.url.clone(),
                ms: self.0.busy.as_millis(),
            },
            _ => DbError::Query(e.to_string()),
        }
    }
}

/// An open transaction of [`SqliteDb::transaction`].
pub(crate) struct SqliteTx<'a> {
    db: &'a SqliteDb,
    conn: &'a Connection,
}

impl TxOps for SqliteTx<'_> {
    fn query(&mut self, sql: &str, params: &[DbValue]) -> Result<Vec<Row>, DbError> {
        query_on(self.conn, &dialect::translate(sql), params).map_err(|e| self.db.error(e))
    }

    fn exec(&mut self, sql: &str, params: &[DbValue]) -> Result<u64, DbError> {
        exec_on(self.conn, &dialect::translate(sql), params).map_err(|e| self.db.error(e))
    }
}

/// Runs `sql`, already translated, on `conn`.
fn query_on(conn: &Connection, sql: &str, params: &[DbValue]) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query(params_from_iter(params.iter().map(value::param)))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let cols = (0..width)
            .map(|i| r.get_ref(i).map(value::column))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(Row(cols));
    }
    Ok(out)
}

/// Runs `sql`, already translated, on `conn`.
fn exec_on(conn: &Connection, sql: &str, params: &[DbValue]) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare_cached(sql)?;
    let n = stmt.execute(params_from_iter(params.iter().map(value::param)))?;
    Ok(n as u64)
}
