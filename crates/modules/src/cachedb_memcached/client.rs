//! One `cachedb_url` of cachedb_memcached: the servers of the URL behind the `memcache`
//! crate's clients (keys spread over the servers by the crate's hash, the same for both
//! clients). Connections are pooled and made lazily, in the background; a call waits at
//! most the module's `timeout` for a connection and for each answer, so a memcached that is
//! down costs the calling worker that long and gives the script -1.

use std::time::Duration;

use memcache::{CommandError, ConnectionManager, MemcacheError, Url};
use siplua_core::cachedb::{CacheBackend, CacheResult};

use crate::pool_threads::connector_threads;

/// Connections per server and protocol: enough for the workers of one node.
const POOL_SIZE: u32 = 8;

/// The servers of one URL.
pub struct Memcached {
    /// ASCII protocol: get, set, delete, incr, decr.
    ascii: memcache::Client,
    /// Binary protocol, for `add` (creating a counter): unlike the crate's ASCII `add`, it
    /// tells "exists" from "stored".
    binary: memcache::Client,
}

impl Memcached {
    /// Clients for `hosts` (`h1:p1,h2:p2`; port 11211 by default).
    pub fn new(hosts: &str, timeout: Duration) -> Result<Memcached, String> {
        let servers: Vec<String> = hosts
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| {
                if h.rsplit_once(':')
                    .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
                {
                    h.to_owned()
                } else {
                    format!("{h}:11211")
                }
            })
            .collect();
        if servers.is_empty() {
            return Err("no memcached server in the URL".into());
        }
        let client = |proto: &str| -> Result<memcache::Client, String> {
            let pools = servers
                .iter()
                .map(|s| {
                    let url = Url::parse(&format!(
                        "memcache://{s}?tcp_nodelay=true&timeout={}&protocol={proto}",
                        timeout.as_secs_f64()
                    ))
                    .map_err(|e| format!("memcached server '{s}': {e}"))?;
                    Ok(r2d2::Pool::builder()
                        .max_size(POOL_SIZE)
                        .min_idle(Some(0))
                        .idle_timeout(None)
                        .max_lifetime(None)
                        .test_on_check_out(true)
                        .connection_timeout(timeout)
                        .error_handler(Box::new(r2d2::NopErrorHandler))
                        .thread_pool(connector_threads())
                        .build_unchecked(ConnectionManager::new(url)))
                })
                .collect::<Result<Vec<_>, String>>()?;
            memcache::Client::with_pools(pools).map_err(|e| e.to_string())
        };
        Ok(Memcached {
            ascii: client("ascii")?,
            binary: client("binary")?,
        })
    }
}

/// A key memcached's ASCII protocol accepts: 1–250 bytes, no whitespace or control
/// characters (anything else would break the protocol).
fn check_key(key: &str) -> CacheResult<()> {
    let ok = !key.is_empty() && key.len() <= 250 && key.bytes().all(|b| b > b' ' && b != 0x7f);
    if ok {
        Ok(())
    } else {
        Err(format!("'{key}' is not a valid memcached key"))
    }
}

fn text(e: MemcacheError) -> String {
    format!("memcached: {e}")
}

impl CacheBackend for Memcached {
    fn store(&self, key: &str, value: &str, expire: u32) -> CacheResult<()> {
        check_key(key)?;
        self.ascii.set(key, value, expire).map_err(text)
    }

    fn fetch(&self, key: &str) -> CacheResult<Option<String>> {
        check_key(key)?;
        self.ascii.get::<String>(key).map_err(text)
    }

    fn remove(&self, key: &str) -> CacheResult<()> {
        check_key(key)?;
        self.ascii.delete(key).map(|_| ()).map_err(text)
    }

    /// memcached counters are unsigned: a subtraction stops at 0, and a counter created by
    /// `cache_sub` starts at 0. The expiry is set when the counter is created.
    fn add(&self, key: &str, delta: i64, expire: u32) -> CacheResult<i64> {
        check_key(key)?;
        for _ in 0..3 {
            let changed = if delta >= 0 {
                self.ascii.increment(key, delta as u64)
            } else {
                self.ascii.decrement(key, delta.unsigned_abs())
            };
            match changed {
                Ok(v) => return Ok(v as i64),
                Err(MemcacheError::CommandError(CommandError::KeyNotFound)) => {}
                Err(e) => return Err(text(e)),
            }
            let initial = delta.max(0);
            match self.binary.add(key, initial.to_string().as_str(), expire) {
                Ok(()) => return Ok(initial),
                // Created meanwhile by another worker or node: add to it.
                Err(MemcacheError::CommandError(CommandError::KeyExists)) => {}
                Err(e) => return Err(text(e)),
            }
        }
        Err(format!("memcached: counter '{key}' keeps changing"))
    }
}
