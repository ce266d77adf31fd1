//! `mc_new()` and the `siplua.memcache` object (spec §8): a memcached client per Lua object,
//! backed by the `memcache` crate (ASCII protocol), with OpenSIPS' method names and return
//! conventions.
//!
//! Every call waits at most `lua_db_timeout` for its server: the connection pool's checkout
//! wait and the socket read/write timeouts are all that value. A server that went away gives
//! the script nil / -1 / an error code; the pool tests a connection before each use (a
//! `version` round trip), drops dead ones and connects again, so the first call after the
//! server is back succeeds. Connections are made lazily, on the first call that needs one.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use memcache::{ConnectionManager, MemcacheError, Url};
use mlua::{Lua, LuaString, MultiValue, UserData, UserDataMethods, Value};
use scheduled_thread_pool::ScheduledThreadPool;

use super::args::{check_integer, check_string};
use crate::state::StateData;

/// libmemcached's return codes that `delete` reports (the original returned them raw).
mod code {
    /// MEMCACHED_SUCCESS.
    pub const SUCCESS: i64 = 0;
    /// MEMCACHED_FAILURE: the request was not sent (invalid key).
    pub const FAILURE: i64 = 1;
    /// MEMCACHED_CONNECTION_FAILURE: no usable connection to the server.
    pub const CONNECTION_FAILURE: i64 = 3;
    /// MEMCACHED_NOTFOUND.
    pub const NOTFOUND: i64 = 16;
    /// MEMCACHED_TIMEOUT: the server did not answer within `lua_db_timeout`.
    pub const TIMEOUT: i64 = 31;
}

/// Default expiry of stored items, as in OpenSIPS: one hour.
const DEFAULT_EXPTIME: i64 = 3600;

/// The threads that open memcached connections for every pool of the process (r2d2 would
/// otherwise start three per pool, i.e. per server of each object of each worker).
fn connector_threads() -> Arc<ScheduledThreadPool> {
    static POOL: OnceLock<Arc<ScheduledThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        Arc::new(
            ScheduledThreadPool::builder()
                .num_threads(2)
                .thread_name_pattern("siplua-memcache-{}")
                .build(),
        )
    })
    .clone()
}

/// The `siplua.memcache` object.
pub struct Memcache {
    /// `memcache://` URLs of the servers, in `server_add` order.
    servers: Vec<Url>,
    /// The ASCII-protocol client for `servers`, built on first use after the list changed.
    client: Option<memcache::Client>,
    /// A binary-protocol client for `add` and `replace`: the crate's ASCII `add`/`replace`
    /// do not tell "not stored" from "stored", the binary ones do.
    binary: Option<memcache::Client>,
    /// How long a call may wait for a server.
    timeout: Duration,
    /// Set by `close()`: every method returns nil afterwards.
    closed: bool,
}

/// `mc_new()` → a memcache object with no servers.
pub fn mc_new(lua: &Lua, _: MultiValue) -> mlua::Result<Memcache> {
    let timeout = StateData::of(lua)?.shared.settings.db_timeout;
    Ok(Memcache {
        servers: Vec::new(),
        client: None,
        binary: None,
        timeout,
        closed: false,
    })
}

/// A key memcached's ASCII protocol accepts: 1–250 bytes, no whitespace or control
/// characters. Anything else is refused before it is sent (it would break the protocol).
fn valid_key(key: &[u8]) -> Option<String> {
    let ok = !key.is_empty() && key.len() <= 250 && key.iter().all(|&b| b > b' ' && b != 0x7f);
    if ok {
        String::from_utf8(key.to_vec()).ok()
    } else {
        None
    }
}

impl Memcache {
    /// The client, built if the server list changed since the last call; None when closed
    /// or without servers.
    fn client(&mut self) -> Option<&memcache::Client> {
        self.client_for(false)
    }

    /// The client speaking the binary protocol (`binary`) or ASCII.
    fn client_for(&mut self, binary: bool) -> Option<&memcache::Client> {
        if self.closed || self.servers.is_empty() {
            return None;
        }
        let proto = if binary { "binary" } else { "ascii" };
        let slot = if binary {
            &mut self.binary
        } else {
            &mut self.client
        };
        if slot.is_none() {
            let pools = self
                .servers
                .iter()
                .map(|url| {
                    let mut url = url.clone();
                    url.query_pairs_mut().append_pair("protocol", proto);
                    r2d2::Pool::builder()
                        .max_size(1)
                        .min_idle(Some(0))
                        .idle_timeout(None)
                        .max_lifetime(None)
                        .test_on_check_out(true)
                        .connection_timeout(self.timeout)
                        .error_handler(Box::new(r2d2::NopErrorHandler))
                        .thread_pool(connector_threads())
                        .build_unchecked(ConnectionManager::new(url))
                })
                .collect();
            *slot = memcache::Client::with_pools(pools).ok();
        }
        slot.as_ref()
    }

    /// `server_add(host, port)`: adds a server; true when its address is usable. A port that
    /// is not a decimal 0–65535 is 0, which means memcached's default port 11211.
    fn server_add(&mut self, host: &str, port: &str) -> bool {
        let port = match port.parse::<u16>() {
            Ok(0) | Err(_) => 11211,
            Ok(p) => p,
        };
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let secs = self.timeout.as_secs_f64();
        match Url::parse(&format!(
            "memcache://{host}:{port}?tcp_nodelay=true&timeout={secs}"
        )) {
            Ok(url) => {
                self.servers.push(url);
                self.client = None;
                self.binary = None;
                true
            }
            Err(_) => false,
        }
    }

    /// Drops the connections; every method returns nil afterwards.
    fn close(&mut self) {
        self.closed = true;
        self.client = None;
        self.binary = None;
    }
}

/// The libmemcached code for a failed request.
fn error_code(e: &MemcacheError) -> i64 {
    match e {
        MemcacheError::IOError(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) =>
        {
            code::TIMEOUT
        }
        MemcacheError::IOError(_) | MemcacheError::PoolError(_) => code::CONNECTION_FAILURE,
        _ => code::FAILURE,
    }
}

/// Which storage command a `set`/`add`/`replace` call is.
#[derive(Clone, Copy)]
enum Store {
    Set,
    Add,
    Replace,
}

impl Store {
    fn name(self) -> &'static str {
        match self {
            Store::Set => "set",
            Store::Add => "add",
            Store::Replace => "replace",
        }
    }
}

/// `set/add/replace(key, value [, exptime=3600])` → 0 stored, -1 not stored or failed.
fn store(
    lua: &Lua,
    mc: &mut Memcache,
    cmd: Store,
    (key, value, exptime): (Value, Value, Value),
) -> mlua::Result<Option<i64>> {
    let key = check_string(lua, key, 2, cmd.name())?;
    let value = check_string(lua, value, 3, cmd.name())?;
    let exptime = match exptime {
        Value::Nil => DEFAULT_EXPTIME,
        v => check_integer(lua, v, 4, cmd.name())?,
    };
    let Some(client) = mc.client_for(!matches!(cmd, Store::Set)) else {
        return Ok(None);
    };
    let (Some(key), Ok(exptime)) = (valid_key(&key.as_bytes()[..]), u32::try_from(exptime)) else {
        return Ok(Some(-1));
    };
    let bytes = value.as_bytes();
    let r = match cmd {
        Store::Set => client.set(&key, &bytes[..], exptime),
        Store::Add => client.add(&key, &bytes[..], exptime),
        Store::Replace => client.replace(&key, &bytes[..], exptime),
    };
    Ok(Some(if r.is_ok() { 0 } else { -1 }))
}

/// `get(key)` → the value, nil when missing or on error.
fn get(lua: &Lua, mc: &mut Memcache, key: Value) -> mlua::Result<Option<LuaString>> {
    let key = check_string(lua, key, 2, "get")?;
    let Some(client) = mc.client() else {
        return Ok(None);
    };
    let Some(key) = valid_key(&key.as_bytes()[..]) else {
        return Ok(None);
    };
    match client.get::<Vec<u8>>(&key) {
        Ok(Some(v)) => lua.create_string(v).map(Some),
        _ => Ok(None),
    }
}

/// `delete(key)` → libmemcached's code: 0 deleted, 16 not found, 3/31 server unreachable /
/// timed out, 1 invalid key.
fn delete(lua: &Lua, mc: &mut Memcache, key: Value) -> mlua::Result<Option<i64>> {
    let key = check_string(lua, key, 2, "delete")?;
    let Some(client) = mc.client() else {
        return Ok(None);
    };
    let Some(key) = valid_key(&key.as_bytes()[..]) else {
        return Ok(Some(code::FAILURE));
    };
    Ok(Some(match client.delete(&key) {
        Ok(true) => code::SUCCESS,
        Ok(false) => code::NOTFOUND,
        Err(e) => error_code(&e),
    }))
}

/// `incr(key, n)` / `decr(key, n)` → the new value; nil when the key is missing, is not a
/// number, `n` is negative, or the server failed.
fn step(
    lua: &Lua,
    mc: &mut Memcache,
    up: bool,
    (key, n): (Value, Value),
) -> mlua::Result<Option<i64>> {
    let name = if up { "incr" } else { "decr" };
    let key = check_string(lua, key, 2, name)?;
    let n = check_integer(lua, n, 3, name)?;
    let Some(client) = mc.client() else {
        return Ok(None);
    };
    let (Some(key), Ok(n)) = (valid_key(&key.as_bytes()[..]), u64::try_from(n)) else {
        return Ok(None);
    };
    let r = if up {
        client.increment(&key, n)
    } else {
        client.decrement(&key, n)
    };
    Ok(r.ok().and_then(|v| i64::try_from(v).ok()))
}

/// `multi_get(k1, ...)` → `{key = value}` for the keys found (`{}` without keys); nil on a
/// server error.
fn multi_get(lua: &Lua, mc: &mut Memcache, keys: MultiValue) -> mlua::Result<Option<mlua::Table>> {
    let mut names = Vec::with_capacity(keys.len());
    for (i, k) in keys.into_iter().enumerate() {
        names.push(check_string(lua, k, i + 2, "multi_get")?);
    }
    let Some(client) = mc.client() else {
        return Ok(None);
    };
    let out = lua.create_table()?;
    let valid: Vec<String> = names
        .iter()
        .filter_map(|k| valid_key(&k.as_bytes()[..]))
        .collect();
    if valid.is_empty() {
        return Ok(Some(out));
    }
    let keys: Vec<&str> = valid.iter().map(String::as_str).collect();
    let found: HashMap<String, Vec<u8>> = match client.gets(&keys) {
        Ok(found) => found,
        Err(_) => return Ok(None),
    };
    for (k, v) in found {
        out.set(k, lua.create_string(v)?)?;
    }
    Ok(Some(out))
}

impl UserData for Memcache {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method_mut("server_add", |lua, mc, (host, port): (Value, Value)| {
            let host = check_string(lua, host, 2, "server_add")?;
            let port = check_string(lua, port, 3, "server_add")?;
            if mc.closed {
                return Ok(None);
            }
            Ok(Some(mc.server_add(
                &host.to_string_lossy(),
                &port.to_string_lossy(),
            )))
        });
        methods.add_method_mut("set", |lua, mc, a| store(lua, mc, Store::Set, a));
        methods.add_method_mut("add", |lua, mc, a| store(lua, mc, Store::Add, a));
        methods.add_method_mut("replace", |lua, mc, a| store(lua, mc, Store::Replace, a));
        methods.add_method_mut("get", get);
        methods.add_method_mut("delete", delete);
        methods.add_method_mut("incr", |lua, mc, a| step(lua, mc, true, a));
        methods.add_method_mut("decr", |lua, mc, a| step(lua, mc, false, a));
        methods.add_method_mut("multi_get", multi_get);
        methods.add_method_mut("close", |_, mc, ()| {
            mc.close();
            Ok(())
        });
        methods.add_meta_method(mlua::MetaMethod::ToString, |_, _, ()| Ok("siplua.memcache"));
    }
}

#[cfg(test)]
mod tests {
    use super::valid_key;

    #[test]
    fn keys_that_would_break_the_protocol_are_refused() {
        assert_eq!(valid_key(b"user:42").as_deref(), Some("user:42"));
        assert_eq!(valid_key(b""), None);
        assert_eq!(valid_key(b"a b"), None);
        assert_eq!(valid_key(b"a\r\nflush_all"), None);
        assert_eq!(valid_key(&[b'k'; 251]), None);
    }
}
