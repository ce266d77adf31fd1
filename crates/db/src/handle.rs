//! [`Db`]: the handle modules hold, whichever backend their `db_url` names (a MySQL pool or
//! an SQLite file), so a module issues the same statements against either.

use std::path::Path;
use std::time::Duration;

use crate::pool::MysqlPool;
use crate::sqlite::{SqliteDb, SqliteOptions};
use crate::{DbError, DbUrl, DbValue, Row};

/// A handle on one database, cheap to clone and to share between threads.
#[derive(Clone)]
pub struct Db(Backend);

#[derive(Clone)]
enum Backend {
    Mysql(MysqlPool),
    Sqlite(SqliteDb),
}

impl Db {
    /// A handle on the MySQL database at `url`; connects on first use. `timeout` bounds each
    /// connect, read and write.
    pub fn open(url: &DbUrl, timeout: Duration) -> Db {
        Db(Backend::Mysql(MysqlPool::open(url, timeout)))
    }

    /// A handle on the SQLite database file at `path`, opened now so that a missing or
    /// unreadable file is a start-up error. Statements are written in the MySQL dialect the
    /// modules use and translated (see `sqlite::dialect`).
    pub fn open_sqlite(path: &Path, opts: &SqliteOptions) -> Result<Db, DbError> {
        Ok(Db(Backend::Sqlite(SqliteDb::open(path, opts)?)))
    }

    /// The URL, password hidden (for log lines).
    pub fn url(&self) -> &str {
        match &self.0 {
            Backend::Mysql(p) => p.url(),
            Backend::Sqlite(s) => s.url(),
        }
    }

    /// Whether this is an SQLite file (whose DDL differs from MySQL's).
    pub fn is_sqlite(&self) -> bool {
        matches!(self.0, Backend::Sqlite(_))
    }

    /// Runs a statement that returns rows (`?` placeholders bound to `params`).
    pub fn query(&self, sql: &str, params: &[DbValue]) -> Result<Vec<Row>, DbError> {
        match &self.0 {
            Backend::Mysql(p) => p.query(sql, params),
            Backend::Sqlite(s) => s.query(sql, params),
        }
    }

    /// Runs a statement that changes rows; returns how many it affected.
    pub fn exec(&self, sql: &str, params: &[DbValue]) -> Result<u64, DbError> {
        match &self.0 {
            Backend::Mysql(p) => p.exec(sql, params),
            Backend::Sqlite(s) => s.exec(sql, params),
        }
    }

    /// Runs `f` in one transaction: committed when `f` returns `Ok`, rolled back otherwise.
    /// On MySQL it is READ COMMITTED (locking reads of missing rows take no gap locks); on
    /// SQLite it holds the database's write lock from the start (`BEGIN IMMEDIATE`).
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        match &self.0 {
            Backend::Mysql(p) => p.transaction(|tx| f(&mut Tx(tx))),
            Backend::Sqlite(s) => s.transaction(|tx| f(&mut Tx(tx))),
        }
    }
}

/// An open transaction of [`Db::transaction`]; its statements run on one connection.
pub struct Tx<'a>(&'a mut (dyn TxOps + 'a));

/// What each backend's transaction offers.
pub(crate) trait TxOps {
    fn query(&mut self, sql: &str, params: &[DbValue]) -> Result<Vec<Row>, DbError>;
    fn exec(&mut self, sql: &str, params: &[DbValue]) -> Result<u64, DbError>;
}

impl Tx<'_> {
    /// [`Db::query`] inside the transaction.
    pub fn query(&mut self, sql: &str, params: &[DbValue]) -> Result<Vec<Row>, DbError> {
        self.0.query(sql, params)
    }

    /// [`Db::exec`] inside the transaction.
    pub fn exec(&mut self, sql: &str, params: &[DbValue]) -> Result<u64, DbError> {
        self.0.exec(sql, params)
    }
}
