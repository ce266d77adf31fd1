//! [`MysqlPool`]: a small pool of MySQL connections shared by every thread of a module (the
//! MySQL side of [`crate::Db`]).
//!
//! Connections are made on first use, kept idle between calls and dropped when they fail, so
//! a server restart costs one failed-then-retried call at most. Every network step (connect,
//! read, write) is bounded by the timeout given to [`MysqlPool::open`]. After a failed connect the
//! pool answers `Unavailable` at once for a short while (the smaller of the timeout and one
//! second), so a dead or unreachable server costs the workers one timeout, not one each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Params, Value};
use parking_lot::Mutex;

use crate::handle::TxOps;
use crate::{DbError, DbUrl, DbValue, Row};

/// Idle connections kept for reuse; more may be open while busy.
const MAX_IDLE: usize = 16;

/// A handle on one MySQL database, cheap to clone and to share between threads.
#[derive(Clone)]
pub(crate) struct MysqlPool(Arc<Inner>);

struct Inner {
    opts: Opts,
    url: String,
    timeout: Duration,
    idle: Mutex<Vec<Conn>>,
    /// Set after a failed connect: calls before it fail without trying.
    down_until: Mutex<Option<Instant>>,
}

/// How a failed statement leaves the connection.
enum Failure {
    /// The server refused the statement; the connection is fine.
    Server(String),
    /// No answer in time: the connection is dropped, the call not retried.
    Timeout,
    /// The connection broke: dropped; retried once when it was an old one.
    Broken(String),
}

fn classify(e: mysql::Error) -> Failure {
    let timed_out = is_timeout(&e);
    match e {
        mysql::Error::MySqlError(e) => Failure::Server(e.to_string()),
        _ if timed_out => Failure::Timeout,
        e => Failure::Broken(e.to_string()),
    }
}

/// Whether a client error is a read/write/connect timeout, wherever the `mysql` crate wrapped
/// the socket error (also `CodecError`). The Lua `mysql_connect` binding shares this rule.
pub fn is_timeout(e: &mysql::Error) -> bool {
    matches!(
        io_kind(e),
        Some(std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
    )
}

/// The socket error under a client error, wherever the library wrapped it.
fn io_kind(e: &mysql::Error) -> Option<std::io::ErrorKind> {
    match e {
        mysql::Error::IoError(io) => Some(io.kind()),
        mysql::Error::CodecError(c) => std::error::Error::source(c)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind),
        _ => None,
    }
}

impl MysqlPool {
    /// A handle on the database at `url`; connects on first use. `timeout` bounds each
    /// connect, read and write.
    pub fn open(url: &DbUrl, timeout: Duration) -> MysqlPool {
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(url.host.clone()))
            .tcp_port(url.port)
            .user((!url.user.is_empty()).then(|| url.user.clone()))
            .pass((!url.password.is_empty()).then(|| url.password.clone()))
            .db_name(Some(url.database.clone()))
            .prefer_socket(false)
            .tcp_connect_timeout(Some(timeout))
            .read_timeout(Some(timeout))
            .write_timeout(Some(timeout));
        MysqlPool(Arc::new(Inner {
            opts: opts.into(),
            url: url.to_string(),
            timeout,
            idle: Mutex::new(Vec::new()),
            down_until: Mutex::new(None),
        }))
    }

    /// The URL, password hidden (for log lines).
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// Runs a statement that returns rows (`?` placeholders bound to `params`).
    pub fn query(&self, sql: &str, params: &[DbValue]) -> Result<Vec<Row>, DbError> {
        self.run(|conn| query_on(conn, sql, params))
    }

    /// Runs a statement that changes rows; returns how many it affected.
    pub fn exec(&self, sql: &str, params: &[DbValue]) -> Result<u64, DbError> {
        self.run(|conn| exec_on(conn, sql, params))
    }

    /// Runs `f` on a pooled connection under the reconnect rule of the module comment.
    fn run<T>(&self, mut f: impl FnMut(&mut Conn) -> mysql::Result<T>) -> Result<T, DbError> {
        let (conn, v) = self.checkout(&mut f)?;
        self.release(conn);
        Ok(v)
    }

    /// A connection on which `f` succeeded (retrying once on a new connection when an idle
    /// one turns out stale), with what `f` returned.
    fn checkout<T>(
        &self,
        f: &mut impl FnMut(&mut Conn) -> mysql::Result<T>,
    ) -> Result<(Conn, T), DbError> {
        let mut pooled = self.0.idle.lock().pop();
        loop {
            let fresh = pooled.is_none();
            let mut conn = match pooled.take() {
                Some(c) => c,
                None => self.connect()?,
            };
            match f(&mut conn) {
                Ok(v) => return Ok((conn, v)),
                Err(e) => match self.failure(e) {
                    Failed::Query(e) => {
                        self.release(conn);
                        return Err(e);
                    }
                    Failed::Dropped(e) if fresh => return Err(e),
                    // An idle connection went stale: try once more on a new one.
                    Failed::Dropped(_) => {}
                },
            }
        }
    }

    /// Runs `f` in one transaction (READ COMMITTED, so that locking reads of rows that do not
    /// exist take no gap locks): committed when `f` returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&mut MysqlTx<'_>) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let (conn, ()) = self.checkout(&mut |c: &mut Conn| {
            c.query_drop("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")?;
            c.query_drop("START TRANSACTION")
        })?;
        let mut tx = MysqlTx {
            db: self,
            conn,
            usable: true,
        };
        let out = f(&mut tx);
        let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let ended = if tx.usable {
            tx.statement(|c| c.query_drop(end))
        } else {
            Ok(())
        };
        if tx.usable {
            self.release(tx.conn);
        }
        let v = out?;
        ended.map(|()| v)
    }

    /// What a failed statement means, with the error to report.
    fn failure(&self, e: mysql::Error) -> Failed {
        match classify(e) {
            Failure::Server(msg) => Failed::Query(DbError::Query(msg)),
            Failure::Timeout => Failed::Dropped(self.timeout_error()),
            Failure::Broken(reason) => Failed::Dropped(DbError::Lost {
                url: self.0.url.clone(),
                reason,
            }),
        }
    }

    fn connect(&self) -> Result<Conn, DbError> {
        if let Some(until) = *self.0.down_until.lock() {
            if Instant::now() < until {
                return Err(DbError::Unavailable {
                    url: self.0.url.clone(),
                    reason: "the last connect failed moments ago".into(),
                });
            }
        }
        match Conn::new(self.0.opts.clone()) {
            Ok(c) => {
                *self.0.down_until.lock() = None;
                Ok(c)
            }
            Err(e) => {
                let pause = self.0.timeout.min(Duration::from_secs(1));
                *self.0.down_until.lock() = Some(Instant::now() + pause);
                Err(match classify(e) {
                    Failure::Timeout => self.timeout_error(),
                    Failure::Server(reason) | Failure::Broken(reason) => DbError::Unavailable {
                        url: self.0.url.clone(),
                        reason,
                    },
                })
            }
        }
    }

    fn release(&self, conn: Conn) {
        let mut idle = self.0.idle.lock();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    fn timeout_error(&self) -> DbError {
        DbError::Timeout {
            url: self.0.url.clone(),
            ms: self.0.timeout.as_millis(),
        }
    }
}

/// What a failed statement leaves: the connection usable (`Query`) or dropped.
enum Failed {
    Query(DbError),
    Dropped(DbError),
}

/// An open transaction of [`MysqlPool::transaction`]; its statements run on one connection.
pub(crate) struct MysqlTx<'a> {
    db: &'a MysqlPool,
    conn: Conn,
    /// False once a statement broke the connection (it is then dropped, not pooled).
    usable: bool,
}

impl TxOps for MysqlTx<'_> {
    fn query(&mut self, sql: &str, params: &[DbValue]) -> Result<Vec<Row>, DbError> {
        self.statement(|conn| query_on(conn, sql, params))
    }

    fn exec(&mut self, sql: &str, params: &[DbValue]) -> Result<u64, DbError> {
        self.statement(|conn| exec_on(conn, sql, params))
    }
}

impl MysqlTx<'_> {
    fn statement<T>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> mysql::Result<T>,
    ) -> Result<T, DbError> {
        if !self.usable {
            return Err(DbError::Lost {
                url: self.db.0.url.clone(),
                reason: "an earlier statement of the transaction broke the connection".into(),
            });
        }
        f(&mut self.conn).map_err(|e| match self.db.failure(e) {
            Failed::Query(e) => e,
            Failed::Dropped(e) => {
                self.usable = false;
                e
            }
        })
    }
}

fn query_on(conn: &mut Conn, sql: &str, params: &[DbValue]) -> mysql::Result<Vec<Row>> {
    let rows: Vec<mysql::Row> = if params.is_empty() {
        conn.query(sql)?
    } else {
        conn.exec(sql, positional(params))?
    };
    Ok(rows.into_iter().map(|r| Row(r.unwrap())).collect())
}

fn exec_on(conn: &mut Conn, sql: &str, params: &[DbValue]) -> mysql::Result<u64> {
    if params.is_empty() {
        conn.query_drop(sql)?;
    } else {
        conn.exec_drop(sql, positional(params))?;
    }
    Ok(conn.affected_rows())
}

fn positional(params: &[DbValue]) -> Params {
    Params::Positional(params.iter().map(Value::from).collect())
}
