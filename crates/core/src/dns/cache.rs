//! A bounded cache of DNS answers with per-entry expiry: what lets a busy proxy resolve the
//! same destination once per TTL instead of once per request.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Entries keyed by `K`, each valid until its own deadline; at most `capacity` of them.
/// When full, expired entries go first, then the one closest to expiry.
pub struct TtlCache<K, V> {
    entries: HashMap<K, (V, Instant)>,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// An empty cache holding at most `capacity` entries (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        TtlCache {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// The value for `key` when it has not expired at `now`.
    pub fn get(&mut self, key: &K, now: Instant) -> Option<V> {
        match self.entries.get(key) {
            Some((v, until)) if *until > now => Some(v.clone()),
            Some(_) => {
                self.entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Stores `value` for `ttl` from `now`, making room when the cache is full.
    pub fn insert(&mut self, key: K, value: V, ttl: Duration, now: Instant) {
        if self.capacity == 0 || ttl.is_zero() {
            return;
        }
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.entries.retain(|_, (_, until)| *until > now);
            if self.entries.len() >= self.capacity {
                let soonest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, until))| *until)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    self.entries.remove(&k);
                }
            }
        }
        self.entries.insert(key, (value, now + ttl));
    }

    /// Number of entries held (expired ones included until they are evicted).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_and_stays_bounded() {
        let t0 = Instant::now();
        let mut c = TtlCache::new(2);
        c.insert("a", 1, Duration::from_secs(10), t0);
        c.insert("b", 2, Duration::from_secs(5), t0);
        assert_eq!(c.get(&"a", t0), Some(1));
        assert_eq!(c.get(&"b", t0 + Duration::from_secs(6)), None);
        c.insert("b", 2, Duration::from_secs(5), t0);
        // Full: the entry closest to expiry ("b") makes room.
        c.insert("c", 3, Duration::from_secs(20), t0);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&"b", t0), None);
        assert_eq!(c.get(&"a", t0), Some(1));
        assert_eq!(c.get(&"c", t0 + Duration::from_secs(15)), Some(3));
        assert_eq!(c.get(&"a", t0 + Duration::from_secs(15)), None);
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let t0 = Instant::now();
        let mut c = TtlCache::new(0);
        c.insert(1, 1, Duration::from_secs(10), t0);
        assert!(c.is_empty());
    }
}
