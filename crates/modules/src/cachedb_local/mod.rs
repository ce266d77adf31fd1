//! `cachedb_local`: in-memory key-value collections shared by every worker of this siplua,
//! reached through the core `cache_*` functions with storage id `local` (or `local:group`).
//!
//! Parameters (OpenSIPS 3.x): `cachedb_url` (repeatable; `local://` or
//! `local:group:///collection`; default `local://` on collection `default`),
//! `cache_collections` (`"default; calls = 10; users"`: names, the size after `=` is
//! accepted and not needed, a `/r` replication mark is ignored), `cache_clean_period`
//! (seconds between sweeps of expired entries, default 600). Function
//! `cache_remove_chunk([collection,] glob)`.

mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use siplua_core::cachedb::{CacheRegistry, CacheUrl};
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::RouteMask;

use store::Collection;

const DEFAULT_COLLECTION: &str = "default";

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "cachedb_url",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "cache_collections",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "cache_clean_period",
        kind: ModParamKind::Int,
    },
    // Clustering and restart persistency: accepted, not implemented (use cachedb_memcached
    // to share between nodes).
    ModParamSpec {
        name: "cluster_id",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "cluster_persistency",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "enable_restart_persistency",
        kind: ModParamKind::Int,
    },
];

/// The module.
pub struct CachedbLocal {
    urls: Vec<String>,
    collection_names: Option<String>,
    clean_period: Duration,
    collections: Arc<HashMap<String, Arc<Collection>>>,
}

impl Default for CachedbLocal {
    fn default() -> Self {
        CachedbLocal {
            urls: Vec::new(),
            collection_names: None,
            clean_period: Duration::from_secs(600),
            collections: Arc::default(),
        }
    }
}

/// The collection names of `cache_collections`.
fn collection_names(text: &str) -> Vec<String> {
    text.split(';')
        .map(|part| part.split('=').next().unwrap_or("").trim())
        .map(|name| name.trim_end_matches("/r").trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

impl Module for CachedbLocal {
    fn name(&self) -> &'static str {
        "cachedb_local"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "cachedb_url" => self.urls.push(value.as_str()),
            "cache_collections" => self.collection_names = Some(value.as_str()),
            "cache_clean_period" => {
                self.clean_period = Duration::from_secs(value.as_int().max(1) as u64)
            }
            _ => {}
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let names = match &self.collection_names {
            Some(text) => collection_names(text),
            None => vec![DEFAULT_COLLECTION.to_owned()],
        };
        let collections: HashMap<String, Arc<Collection>> = names
            .into_iter()
            .map(|n| (n, Collection::new(self.clean_period)))
            .collect();
        let urls = if self.urls.is_empty() {
            vec!["local://".to_owned()]
        } else {
            self.urls.clone()
        };
        let registry = CacheRegistry::of(env);
        for url in &urls {
            let u = CacheUrl::parse(url)?;
            if u.scheme != "local" {
                return Err(format!("cachedb_url '{url}': the scheme must be 'local'"));
            }
            let name = if u.database.is_empty() {
                DEFAULT_COLLECTION
            } else {
                u.database.as_str()
            };
            let c = collections.get(name).ok_or_else(|| {
                format!("cachedb_url '{url}': collection '{name}' is not in cache_collections")
            })?;
            registry.register(&u.id(), c.clone());
        }
        self.collections = Arc::new(collections);
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let collections = self.collections.clone();
        vec![FunctionDecl::new(
            "cache_remove_chunk",
            vec![
                ParamSpec::req("collection_or_glob", ParamKind::Str),
                ParamSpec::opt("glob", ParamKind::Str),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| remove_chunk(&collections, ctx, args),
        )]
    }
}

/// `cache_remove_chunk([collection,] glob)`: removes the keys matching the glob; 1 when the
/// pattern was usable (even if nothing matched), -1 otherwise.
fn remove_chunk(
    collections: &HashMap<String, Arc<Collection>>,
    ctx: &mut Context,
    args: &Args,
) -> i32 {
    let first = args.str(ctx, 0).unwrap_or_default().into_owned();
    let (name, glob) = match args.str(ctx, 1) {
        Some(g) => (first, g.into_owned()),
        None => (DEFAULT_COLLECTION.to_owned(), first),
    };
    let (Some(c), Ok(re)) = (collections.get(&name), glob_regex(&glob)) else {
        return -1;
    };
    c.remove_matching(&|k| re.is_match(k));
    1
}

/// A shell glob (`*`, `?`, `[...]`) as an anchored regular expression.
fn glob_regex(glob: &str) -> Result<regex::Regex, regex::Error> {
    let mut re = String::from("^");
    let mut in_class = false;
    for ch in glob.chars() {
        match ch {
            '[' if !in_class => {
                in_class = true;
                re.push('[');
            }
            ']' if in_class => {
                in_class = false;
                re.push(']');
            }
            '!' if in_class && re.ends_with('[') => re.push('^'),
            _ if in_class => re.push_str(&regex::escape(&ch.to_string())),
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            _ => re.push_str(&regex::escape(&ch.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_and_globs() {
        assert_eq!(
            collection_names("default; calls = 10 ; users/r"),
            ["default", "calls", "users"]
        );
        let re = glob_regex("user_*.[ab]?").unwrap();
        assert!(re.is_match("user_x.az"));
        assert!(!re.is_match("user_x.cz"));
        assert!(!re.is_match("xuser_"));
    }
}
