//! One `cachedb_url` of cachedb_redis: a pool of connections to its Redis server, made
//! lazily in the background. Every connection is opened within `connect_timeout` and reads
//! and writes within `query_timeout`; a call waits at most `connect_timeout` for a pooled
//! connection, so a Redis that is down costs the calling worker that long and gives the
//! script -1. A connection that failed mid-command is dropped, never reused.

use std::time::Duration;

use redis::{ConnectionAddr, ConnectionLike, IntoConnectionInfo, RedisConnectionInfo, RedisError};
use siplua_core::cachedb::{CacheBackend, CacheResult};

use crate::pool_threads::connector_threads;

use super::server::Server;

/// Connections per URL: enough for the workers of one node.
const POOL_SIZE: u32 = 8;

/// The timeouts of the module (`connect_timeout`, `query_timeout`).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// Opening a connection (TCP, AUTH, SELECT), and waiting for a pooled one.
    pub connect: Duration,
    /// Each command's write and answer.
    pub query: Duration,
}

/// A pooled connection and whether it failed (then the pool closes it).
pub struct Conn {
    inner: redis::Connection,
    broken: bool,
}

/// Opens connections for the pool, bounded by the timeouts.
struct Manager {
    client: redis::Client,
    timeouts: Timeouts,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = RedisError;

    fn connect(&self) -> Result<Conn, RedisError> {
        let inner = self
            .client
            .get_connection_with_timeout(self.timeouts.connect)?;
        inner.set_read_timeout(Some(self.timeouts.query))?;
        inner.set_write_timeout(Some(self.timeouts.query))?;
        Ok(Conn {
            inner,
            broken: false,
        })
    }

    fn is_valid(&self, c: &mut Conn) -> Result<(), RedisError> {
        redis::cmd("PING").query::<()>(&mut c.inner)
    }

    fn has_broken(&self, c: &mut Conn) -> bool {
        c.broken || !c.inner.is_open()
    }
}

/// The Redis server of one URL.
pub struct Redis {
    /// `host:port`, for the log.
    name: String,
    pool: r2d2::Pool<Manager>,
}

impl Redis {
    /// A pool for `server`; nothing is connected yet.
    pub fn new(server: &Server, timeouts: Timeouts) -> Result<Redis, String> {
        let mut settings = RedisConnectionInfo::default().set_db(server.db);
        if let Some(u) = &server.user {
            settings = settings.set_username(u);
        }
        if let Some(p) = &server.password {
            settings = settings.set_password(p);
        }
        let info = ConnectionAddr::Tcp(server.host.clone(), server.port)
            .into_connection_info()
            .map_err(|e| e.to_string())?
            .set_redis_settings(settings);
        let client = redis::Client::open(info).map_err(|e| e.to_string())?;
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            .idle_timeout(None)
            .max_lifetime(None)
            .test_on_check_out(true)
            .connection_timeout(timeouts.connect)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .thread_pool(connector_threads())
            .build_unchecked(Manager { client, timeouts });
        Ok(Redis {
            name: format!("{}:{}", server.host, server.port),
            pool,
        })
    }

    /// Connects once (`shutdown_on_error`: a Redis that is not there stops the start).
    pub fn check(&self) -> CacheResult<()> {
        self.run(|c| redis::cmd("PING").query::<()>(c))
    }

    /// Runs `f` on a pooled connection; an error marks the connection broken.
    fn run<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> CacheResult<T> {
        let mut c = self
            .pool
            .get()
            .map_err(|e| format!("redis {}: no connection: {e}", self.name))?;
        f(&mut c.inner).map_err(|e| {
            // A reply that came late or half would answer the next command: drop it.
            if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() {
                c.broken = true;
            }
            format!("redis {}: {e}", self.name)
        })
    }
}

impl CacheBackend for Redis {
    fn store(&self, key: &str, value: &str, expire: u32) -> CacheResult<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value);
        if expire > 0 {
            cmd.arg("EX").arg(expire);
        }
        self.run(|c| cmd.query::<()>(c))
    }

    fn fetch(&self, key: &str) -> CacheResult<Option<String>> {
        let v = self.run(|c| redis::cmd("GET").arg(key).query::<Option<Vec<u8>>>(c))?;
        Ok(v.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    fn remove(&self, key: &str) -> CacheResult<()> {
        self.run(|c| redis::cmd("DEL").arg(key).query::<i64>(c))
            .map(|_| ())
    }

    /// INCRBY (DECRBY for a negative delta), then, with an expiry, EXPIRE in the same
    /// transaction: as OpenSIPS, every call with an expiry re-arms it.
    fn add(&self, key: &str, delta: i64, expire: u32) -> CacheResult<i64> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        if delta >= 0 {
            pipe.cmd("INCRBY").arg(key).arg(delta);
        } else {
            pipe.cmd("DECRBY").arg(key).arg(delta.unsigned_abs());
        }
        if expire > 0 {
            pipe.cmd("EXPIRE").arg(key).arg(expire).ignore();
        }
        self.run(|c| pipe.query::<(i64,)>(c)).map(|(v,)| v)
    }
}
