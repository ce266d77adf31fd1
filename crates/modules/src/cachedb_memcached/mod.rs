//! `cachedb_memcached`: the core `cache_*` functions on memcached servers, so that the
//! workers of every siplua node sharing the servers see the same keys.
//!
//! Parameters: `cachedb_url` (OpenSIPS 3.x, repeatable: `memcached:group1://host:port/`,
//! several servers comma-separated, storage id `memcached:group1`, or `memcached` without a
//! group), `timeout` (siplua's: milliseconds a call may wait for a connection or an answer,
//! default 1000), `exec_threshold` (accepted, no effect).

mod client;

use std::sync::Arc;
use std::time::Duration;

use siplua_core::cachedb::{CacheRegistry, CacheUrl};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

use client::Memcached;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "cachedb_url",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "exec_threshold",
        kind: ModParamKind::Int,
    },
];

/// The module.
pub struct CachedbMemcached {
    urls: Vec<String>,
    timeout: Duration,
}

impl Default for CachedbMemcached {
    fn default() -> Self {
        CachedbMemcached {
            urls: Vec::new(),
            timeout: Duration::from_millis(1000),
        }
    }
}

impl Module for CachedbMemcached {
    fn name(&self) -> &'static str {
        "cachedb_memcached"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "cachedb_url" => self.urls.push(value.as_str()),
            "timeout" => self.timeout = Duration::from_millis(value.as_int().max(1) as u64),
            _ => {}
        }
        Ok(())
    }

    /// Registers one backend per URL; no connection is made yet (a memcached that is down
    /// at start-up is an error per call, not a start-up failure).
    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        if self.urls.is_empty() {
            return Err("no cachedb_url given".into());
        }
        let registry = CacheRegistry::of(env);
        for url in &self.urls {
            let u = CacheUrl::parse(url)?;
            if u.scheme != "memcached" {
                return Err(format!(
                    "cachedb_url '{url}': the scheme must be 'memcached'"
                ));
            }
            let backend = Memcached::new(&u.hosts, self.timeout)
                .map_err(|e| format!("cachedb_url '{url}': {e}"))?;
            registry.register(&u.id(), Arc::new(backend));
        }
        Ok(())
    }
}
