//! A collection of cachedb_local: an in-memory hash table shared by every worker of the
//! process, sharded so that concurrent workers rarely wait on one another. Expired entries
//! are never returned; every `cache_clean_period` seconds the next operation sweeps them out.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use siplua_core::cachedb::{CacheBackend, CacheResult};

const SHARDS: usize = 16;

struct Entry {
    value: String,
    expires: Option<Instant>,
}

impl Entry {
    fn alive(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }
}

/// One named collection.
pub struct Collection {
    shards: Vec<Mutex<HashMap<String, Entry>>>,
    hasher: std::collections::hash_map::RandomState,
    started: Instant,
    clean_period: Duration,
    /// Milliseconds since `started` of the last sweep.
    last_clean: AtomicU64,
}

impl Collection {
    /// An empty collection swept every `clean_period`.
    pub fn new(clean_period: Duration) -> Arc<Collection> {
        Arc::new(Collection {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
            started: Instant::now(),
            clean_period,
            last_clean: AtomicU64::new(0),
        })
    }

    fn shard(&self, key: &str) -> &Mutex<HashMap<String, Entry>> {
        &self.shards[self.hasher.hash_one(key) as usize % SHARDS]
    }

    /// Sweeps expired entries when the clean period has passed since the last sweep.
    fn maybe_clean(&self, now: Instant) {
        let elapsed = now.duration_since(self.started).as_millis() as u64;
        let last = self.last_clean.load(Ordering::Relaxed);
        let period = self.clean_period.as_millis() as u64;
        if elapsed.saturating_sub(last) < period
            || self
                .last_clean
                .compare_exchange(last, elapsed, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        for s in &self.shards {
            s.lock().retain(|_, e| e.alive(now));
        }
    }

    /// Removes every live key `matches` accepts; how many.
    pub fn remove_matching(&self, matches: &dyn Fn(&str) -> bool) -> usize {
        let mut n = 0;
        for s in &self.shards {
            s.lock().retain(|k, _| {
                let hit = matches(k);
                n += usize::from(hit);
                !hit
            });
        }
        n
    }

    fn deadline(now: Instant, expire: u32) -> Option<Instant> {
        (expire > 0).then(|| now + Duration::from_secs(u64::from(expire)))
    }
}

impl CacheBackend for Collection {
    fn store(&self, key: &str, value: &str, expire: u32) -> CacheResult<()> {
        let now = Instant::now();
        self.maybe_clean(now);
        self.shard(key).lock().insert(
            key.to_owned(),
            Entry {
                value: value.to_owned(),
                expires: Self::deadline(now, expire),
            },
        );
        Ok(())
    }

    fn fetch(&self, key: &str) -> CacheResult<Option<String>> {
        let now = Instant::now();
        self.maybe_clean(now);
        Ok(self
            .shard(key)
            .lock()
            .get(key)
            .filter(|e| e.alive(now))
            .map(|e| e.value.clone()))
    }

    fn remove(&self, key: &str) -> CacheResult<()> {
        self.maybe_clean(Instant::now());
        self.shard(key).lock().remove(key);
        Ok(())
    }

    /// The expiry is set when the counter is created and not renewed by later additions,
    /// as in OpenSIPS.
    fn add(&self, key: &str, delta: i64, expire: u32) -> CacheResult<i64> {
        let now = Instant::now();
        self.maybe_clean(now);
        let mut shard = self.shard(key).lock();
        match shard.get_mut(key).filter(|e| e.alive(now)) {
            Some(e) => {
                let old = siplua_core::value::parse_int(e.value.trim())
                    .ok_or_else(|| format!("'{key}' does not hold an integer"))?;
                let new = old.wrapping_add(delta);
                e.value = new.to_string();
                Ok(new)
            }
            None => {
                shard.insert(
                    key.to_owned(),
                    Entry {
                        value: delta.to_string(),
                        expires: Self::deadline(now, expire),
                    },
                );
                Ok(delta)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_fetch_expire_count() {
        let c = Collection::new(Duration::from_secs(600));
        c.store("a", "x", 0).unwrap();
        assert_eq!(c.fetch("a").unwrap().as_deref(), Some("x"));
        assert_eq!(c.fetch("b").unwrap(), None);
        assert_eq!(c.add("n", 5, 0).unwrap(), 5);
        assert_eq!(c.add("n", -7, 0).unwrap(), -2);
        assert_eq!(c.counter_fetch("n").unwrap(), Some(-2));
        assert!(c.add("a", 1, 0).is_err());
        c.remove("a").unwrap();
        assert_eq!(c.fetch("a").unwrap(), None);
        c.store("gone", "y", 1).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(c.fetch("gone").unwrap(), None);
        // An expired counter starts again.
        c.add("t", 3, 1).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(c.add("t", 3, 1).unwrap(), 3);
    }

    #[test]
    fn remove_matching_and_sweep() {
        let c = Collection::new(Duration::from_millis(0));
        c.store("user_1", "a", 0).unwrap();
        c.store("user_2", "b", 0).unwrap();
        c.store("other", "c", 0).unwrap();
        assert_eq!(c.remove_matching(&|k| k.starts_with("user_")), 2);
        assert_eq!(c.fetch("other").unwrap().as_deref(), Some("c"));
    }
}
