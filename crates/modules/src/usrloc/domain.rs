//! A location table (`location`, ...): AOR → bindings, sharded so that REGISTERs and lookups
//! of different users never wait for each other, with its statistics kept as gauges.

use std::collections::HashMap;

use parking_lot::Mutex;
use siplua_core::stats::{Counter, Stats};

use super::record::Aor;

/// Number of shards: enough for the workers of a busy box to rarely meet on one lock.
const SHARDS: usize = 64;

/// The gauges of one table, named as OpenSIPS names them (`usrloc:location-users`, ...),
/// plus the module-wide `usrloc:registered_users`.
#[derive(Clone, Debug)]
struct TableStats {
    users: Counter,
    contacts: Counter,
    expires: Counter,
    registered_users: Counter,
}

/// One location table.
pub struct Domain {
    name: String,
    shards: Box<[Mutex<HashMap<String, Aor>>]>,
    stats: TableStats,
}

impl Domain {
    /// An empty table whose gauges are registered in `stats`; `registered_users` is the
    /// module-wide gauge every table adds to.
    pub fn new(name: &str, stats: &Stats, registered_users: Counter) -> Domain {
        Domain {
            name: name.to_owned(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            stats: TableStats {
                users: stats.gauge("usrloc", &format!("{name}-users")),
                contacts: stats.gauge("usrloc", &format!("{name}-contacts")),
                expires: stats.counter("usrloc", &format!("{name}-expires")),
                registered_users,
            },
        }
    }

    /// The table's name (the first argument of `save()` / `lookup()`).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn shard(&self, aor: &str) -> &Mutex<HashMap<String, Aor>> {
        // FNV-1a: cheap, and AORs are not chosen to collide on a 64-way split.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in aor.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        &self.shards[(h % SHARDS as u64) as usize]
    }

    /// Runs `f` on the record of `aor` (an empty one when it has none) under its shard's lock,
    /// so that a whole REGISTER is applied atomically; a record left without bindings is
    /// dropped. Keep `f` short: it holds the lock.
    pub fn update<R>(&self, aor: &str, f: impl FnOnce(&mut Aor) -> R) -> R {
        let mut shard = self.shard(aor).lock();
        let existed = shard.contains_key(aor);
        let record = shard.entry(aor.to_owned()).or_insert_with(|| Aor::new(aor));
        let before = record.contacts().len() as i64;
        let result = f(record);
        let after = record.contacts().len() as i64;
        let exists = after > 0;
        if !exists {
            shard.remove(aor);
        }
        drop(shard);
        self.stats.contacts.add(after - before);
        let users = i64::from(exists) - i64::from(existed);
        self.stats.users.add(users);
        self.stats.registered_users.add(users);
        result
    }

    /// A copy of the record of `aor` with its valid bindings only; `None` when it has none.
    pub fn get(&self, aor: &str, now: i64) -> Option<Aor> {
        let shard = self.shard(aor).lock();
        let record = shard.get(aor)?;
        let mut copy = record.clone();
        copy.expire(now);
        (!copy.is_empty()).then_some(copy)
    }

    /// Removes `aor` and all its bindings; returns how many bindings went.
    pub fn delete_aor(&self, aor: &str) -> usize {
        self.update(aor, |r| r.delete_where(|_| true))
    }

    /// A copy of every record (for the management interface), expired bindings included.
    pub fn dump(&self) -> Vec<Aor> {
        self.shards
            .iter()
            .flat_map(|s| s.lock().values().cloned().collect::<Vec<_>>())
            .collect()
    }

    /// Removes the bindings expired at `now` (the timer calls it every `timer_interval`);
    /// returns how many went.
    pub fn expire(&self, now: i64) -> usize {
        let mut removed = 0;
        let mut users_gone = 0;
        for shard in self.shards.iter() {
            let mut map = shard.lock();
            map.retain(|_, record| {
                removed += record.expire(now);
                let keep = !record.is_empty();
                users_gone += i64::from(!keep);
                keep
            });
        }
        self.stats.contacts.add(-(removed as i64));
        self.stats.expires.add(removed as i64);
        self.stats.users.add(-users_gone);
        self.stats.registered_users.add(-users_gone);
        removed
    }

    /// Number of AORs and of bindings stored now (expired ones not yet swept included).
    pub fn counts(&self) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(u, c), s| {
            let map = s.lock();
            (
                u + map.len(),
                c + map.values().map(|r| r.contacts().len()).sum::<usize>(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usrloc::contact::UContact;

    #[test]
    fn update_get_expire_and_gauges() {
        let stats = Stats::default();
        let total = stats.counter("usrloc", "registered_users");
        let d = Domain::new("location", &stats, total.clone());
        d.update("a@x", |r| {
            let mut c = UContact::new("sip:a@1.1.1.1");
            c.expires = 10;
            r.insert(c);
            let mut c = UContact::new("sip:a@2.2.2.2");
            c.expires = 20;
            r.insert(c);
        });
        d.update("b@x", |r| {
            let mut c = UContact::new("sip:b@1.1.1.1");
            c.expires = 10;
            r.insert(c);
        });
        assert_eq!(d.counts(), (2, 3));
        assert_eq!(stats.counter("usrloc", "location-contacts").get(), 3);
        assert_eq!(total.get(), 2);
        assert_eq!(d.get("a@x", 15).unwrap().contacts().len(), 1);
        assert!(d.get("b@x", 15).is_none());
        assert_eq!(d.expire(15), 2);
        assert_eq!(d.counts(), (1, 1));
        assert_eq!(stats.counter("usrloc", "location-users").get(), 1);
        assert_eq!(stats.counter("usrloc", "location-expires").get(), 2);
        assert_eq!(d.delete_aor("a@x"), 1);
        assert_eq!((d.counts(), total.get()), ((0, 0), 0));
        // An update that adds nothing leaves no empty record behind.
        d.update("c@x", |_| ());
        assert_eq!(d.counts(), (0, 0));
        assert_eq!(d.dump().len(), 0);
    }
}
