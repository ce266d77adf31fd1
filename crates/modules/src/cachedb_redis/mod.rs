//! `cachedb_redis`: the core `cache_*` functions on a Redis server, so that the workers of
//! every siplua node sharing the server see the same keys (OpenSIPS 3.x module).
//!
//! Parameters: `cachedb_url` (repeatable: `redis[:group]://[user:pass@]host[:port]/[db]`,
//! storage id `redis:group` or `redis`), `connect_timeout` and `query_timeout` (ms, default
//! 5000 each, as OpenSIPS), `shutdown_on_error` (1: a Redis not reachable at start-up is a
//! load error), `use_tls` (0 only: TLS is refused), `ftsearch_*` (accepted, no effect: they
//! serve OpenSIPS' JSON/full-text columns, which siplua has not). Several hosts in one URL
//! (Redis Cluster) are refused at load.

mod client;
mod server;

use std::sync::Arc;
use std::time::Duration;

use siplua_core::cachedb::{CacheRegistry, CacheUrl};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

use client::{Redis, Timeouts};
use server::Server;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "cachedb_url",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "connect_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "query_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "shutdown_on_error",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "use_tls",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "ftsearch_index_name",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "ftsearch_json_prefix",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "ftsearch_max_results",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "ftsearch_json_mset_expire",
        kind: ModParamKind::Int,
    },
];

/// The module.
pub struct CachedbRedis {
    /// Storage id and server of each `cachedb_url`, checked when set.
    urls: Vec<(String, Server)>,
    timeouts: Timeouts,
    shutdown_on_error: bool,
}

impl Default for CachedbRedis {
    fn default() -> Self {
        CachedbRedis {
            urls: Vec::new(),
            timeouts: Timeouts {
                connect: Duration::from_millis(5000),
                query: Duration::from_millis(5000),
            },
            shutdown_on_error: false,
        }
    }
}

fn millis(name: &str, v: i64) -> Result<Duration, String> {
    if v <= 0 {
        return Err(format!("{name} must be a positive number of milliseconds"));
    }
    Ok(Duration::from_millis(v as u64))
}

impl Module for CachedbRedis {
    fn name(&self) -> &'static str {
        "cachedb_redis"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "cachedb_url" => {
                let url = value.as_str();
                let u = CacheUrl::parse(&url)?;
                if u.scheme != "redis" {
                    return Err(format!("cachedb_url '{url}': the scheme must be 'redis'"));
                }
                let server =
                    Server::from_url(&u).map_err(|e| format!("cachedb_url '{url}': {e}"))?;
                self.urls.push((u.id(), server));
            }
            "connect_timeout" => self.timeouts.connect = millis(name, value.as_int())?,
            "query_timeout" => self.timeouts.query = millis(name, value.as_int())?,
            "shutdown_on_error" => self.shutdown_on_error = value.as_int() != 0,
            "use_tls" if value.as_int() != 0 => {
                return Err("use_tls: TLS to Redis is not supported by siplua".into());
            }
            _ => {}
        }
        Ok(())
    }

    /// Registers one backend per URL; no connection is made yet unless `shutdown_on_error`
    /// asks to check the server at start-up.
    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        if self.urls.is_empty() {
            return Err("no cachedb_url given".into());
        }
        let registry = CacheRegistry::of(env);
        for (id, server) in &self.urls {
            let backend = Redis::new(server, self.timeouts)
                .map_err(|e| format!("cachedb_url of '{id}': {e}"))?;
            if self.shutdown_on_error {
                backend
                    .check()
                    .map_err(|e| format!("cachedb_url of '{id}' (shutdown_on_error): {e}"))?;
            }
            registry.register(id, Arc::new(backend));
        }
        Ok(())
    }
}
