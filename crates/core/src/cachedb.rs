//! The key-value interface behind the core `cache_*` functions (OpenSIPS' CacheDB API): a
//! cachedb module (`cachedb_local`, `cachedb_memcached`) registers one backend per
//! `cachedb_url` under its storage id (`local`, `memcached:group1`), and `cache_store(id,
//! ...)` dispatches on that id.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::module::InitEnv;

/// Why a cache operation failed (`-1` in the script; a missing key is not an error).
pub type CacheResult<T> = Result<T, String>;

/// One key-value store.
pub trait CacheBackend: Send + Sync {
    /// Stores `value` under `key`, expiring after `expire` seconds (0: never).
    fn store(&self, key: &str, value: &str, expire: u32) -> CacheResult<()>;
    /// The value of `key`, None when absent or expired.
    fn fetch(&self, key: &str) -> CacheResult<Option<String>>;
    /// Removes `key` (absent is fine).
    fn remove(&self, key: &str) -> CacheResult<()>;
    /// Adds `delta` (negative to subtract) to the integer counter `key`, creating it with
    /// `delta` and an expiry of `expire` seconds (0: never) when absent; the new value.
    fn add(&self, key: &str, delta: i64, expire: u32) -> CacheResult<i64>;
    /// The counter `key` as an integer, None when absent.
    fn counter_fetch(&self, key: &str) -> CacheResult<Option<i64>> {
        match self.fetch(key)? {
            None => Ok(None),
            Some(v) => crate::value::parse_int(v.trim())
                .map(Some)
                .ok_or_else(|| format!("'{key}' does not hold an integer")),
        }
    }
}

/// The backends by storage id, shared by every module that registers one and read by the
/// core functions.
#[derive(Default)]
pub struct CacheRegistry {
    backends: RwLock<HashMap<String, Arc<dyn CacheBackend>>>,
}

impl CacheRegistry {
    /// The registry published in `env` (created on first use).
    pub fn of(env: &mut InitEnv) -> Arc<CacheRegistry> {
        if let Some(r) = env.apis.get::<CacheRegistry>() {
            return r;
        }
        let r = Arc::new(CacheRegistry::default());
        env.apis.publish(r.clone());
        r
    }

    /// Registers `backend` as storage id `id` (a later one with the same id replaces it, as
    /// OpenSIPS does for a redefined URL).
    pub fn register(&self, id: &str, backend: Arc<dyn CacheBackend>) {
        self.backends.write().insert(id.to_owned(), backend);
    }

    /// The backend registered as `id`.
    pub fn get(&self, id: &str) -> Option<Arc<dyn CacheBackend>> {
        self.backends.read().get(id.trim()).cloned()
    }
}

/// A `cachedb_url` split into its parts: `scheme[:group]://[user:pass@]hosts/[database]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheUrl {
    /// `local`, `memcached`, ...
    pub scheme: String,
    /// The group name, when the URL has one.
    pub group: Option<String>,
    /// What sits between `//` and the next `/` (servers, comma-separated).
    pub hosts: String,
    /// What follows the hosts' `/` (cachedb_local's collection).
    pub database: String,
}

impl CacheUrl {
    /// Parses a `cachedb_url`.
    pub fn parse(url: &str) -> Result<CacheUrl, String> {
        let url = url.trim();
        let (head, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("cachedb_url '{url}': expected scheme[:group]://..."))?;
        let (scheme, group) = match head.split_once(':') {
            Some((s, g)) if !g.is_empty() => (s, Some(g.to_owned())),
            Some((s, _)) => (s, None),
            None => (head, None),
        };
        if scheme.is_empty() {
            return Err(format!("cachedb_url '{url}': no scheme"));
        }
        let (hosts, database) = rest.split_once('/').unwrap_or((rest, ""));
        Ok(CacheUrl {
            scheme: scheme.to_owned(),
            group,
            hosts: hosts.to_owned(),
            database: database.trim_end_matches('/').to_owned(),
        })
    }

    /// The storage id scripts name it by: `scheme` or `scheme:group`.
    pub fn id(&self) -> String {
        match &self.group {
            Some(g) => format!("{}:{g}", self.scheme),
            None => self.scheme.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms() {
        let u = CacheUrl::parse("memcached:group1://127.0.0.1:11311/").unwrap();
        assert_eq!(u.id(), "memcached:group1");
        assert_eq!(u.hosts, "127.0.0.1:11311");
        let u = CacheUrl::parse("local://").unwrap();
        assert_eq!((u.id().as_str(), u.database.as_str()), ("local", ""));
        let u = CacheUrl::parse("local:g1:///col1").unwrap();
        assert_eq!((u.id().as_str(), u.database.as_str()), ("local:g1", "col1"));
        assert!(CacheUrl::parse("nothing").is_err());
    }
}
