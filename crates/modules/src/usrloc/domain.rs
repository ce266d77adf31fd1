//! A location table (`location`, ...): AOR → bindings, sharded so that REGISTERs and lookups
//! of different users never wait for each other, with its statistics kept as gauges.
//!
//! With a database ([`Store`]) the table also keeps it up to date: write-through writes an
//! AOR's rows right after the change, outside the shard lock (lookups never wait for the
//! database) but under a write lock of the AOR's shard, copying the record only once that
//! lock is held, so the last write of an AOR always carries its latest bindings;
//! write-back marks the AOR dirty for [`Domain::flush`], and `sql-only` keeps nothing in
//! memory: every operation reads (and locks) the AOR's rows in a transaction.
//!
//! Each shard is a hash table of records keyed by their own AOR string (no second copy of
//! the AOR as a map key), with one keyed hash per operation: the same hash picks the shard
//! and the slot.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use hashbrown::hash_table::Entry;
use hashbrown::HashTable;
use parking_lot::Mutex;
use siplua_core::log::{self, level};
use siplua_core::stats::{Counter, Stats};
use siplua_db::DbError;

use super::record::Aor;
use super::store::{DbMode, Store, TableSql};

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

/// One shard: records found by the hash of their AOR.
type Shard = HashTable<Aor>;

/// One location table.
pub struct Domain {
    name: String,
    shards: Box<[Mutex<Shard>]>,
    /// Keyed (SipHash), so that AORs chosen by senders cannot be made to collide.
    hasher: RandomState,
    /// Write-through order, one per shard: held across the database write of an AOR of the
    /// shard (never while holding, nor taken under, the shard's own lock).
    writers: Box<[Mutex<()>]>,
    stats: TableStats,
    store: Option<Arc<Store>>,
    /// The table's statements, built once (the error when its name cannot be quoted).
    sql: Result<TableSql, String>,
    /// AORs changed since the last write-back flush.
    dirty: Mutex<HashSet<String>>,
}

/// Logs a failed database operation of a table.
fn db_error(table: &str, what: &str, e: &DbError) {
    log::emit(
        level::ERR,
        "usrloc",
        &format!("table {table}: {what} failed: {e}"),
    );
}

impl Domain {
    /// An empty table whose gauges are registered in `stats`; `registered_users` is the
    /// module-wide gauge every table adds to; `store` is the database behind it, if any.
    pub fn new(
        name: &str,
        stats: &Stats,
        registered_users: Counter,
        store: Option<Arc<Store>>,
    ) -> Domain {
        Domain {
            name: name.to_owned(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            writers: (0..SHARDS).map(|_| Mutex::default()).collect(),
            stats: TableStats {
                users: stats.gauge("usrloc", &format!("{name}-users")),
                contacts: stats.gauge("usrloc", &format!("{name}-contacts")),
                expires: stats.counter("usrloc", &format!("{name}-expires")),
                registered_users,
            },
            store,
            sql: TableSql::new(name).map_err(|e| match e {
                DbError::Query(why) => why,
                e => e.to_string(),
            }),
            dirty: Mutex::default(),
        }
    }

    /// The table's statements, for the [`Store`] calls.
    pub fn sql(&self) -> Result<&TableSql, DbError> {
        self.sql.as_ref().map_err(|e| DbError::Query(e.clone()))
    }

    fn mode(&self) -> DbMode {
        self.store.as_ref().map_or(DbMode::NoDb, |s| s.mode)
    }

    /// The table's name (the first argument of `save()` / `lookup()`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hash of `aor`, for its shard and its slot in the shard.
    fn hash(&self, aor: &str) -> u64 {
        self.hasher.hash_one(aor)
    }

    /// The shard index of a hash: bits 32.. (the shard's table uses the lowest bits for the
    /// slot and the highest for its tags).
    fn slot(hash: u64) -> usize {
        (hash >> 32) as usize % SHARDS
    }

    fn shard(&self, hash: u64) -> &Mutex<Shard> {
        &self.shards[Self::slot(hash)]
    }

    /// A copy of the record of `aor` in memory.
    fn cloned(&self, aor: &str) -> Option<Aor> {
        let hash = self.hash(aor);
        self.shard(hash)
            .lock()
            .find(hash, |r| r.aor() == aor)
            .cloned()
    }

    /// Runs `f` on the record of `aor` (an empty one when it has none) atomically — under its
    /// shard's lock, or in `sql-only` in a transaction holding the AOR's rows — and stores the
    /// result; a record left without bindings is dropped. Keep `f` short: it holds the lock.
    /// Fails only in `sql-only` when the database does (a write-through write that fails is
    /// logged and the memory copy kept, as OpenSIPS does).
    pub fn update<R>(&self, aor: &str, f: impl FnOnce(&mut Aor) -> R) -> Result<R, DbError> {
        if let (Some(store), DbMode::DbOnly) = (&self.store, self.mode()) {
            let sql = self.sql()?;
            return store.db.transaction(|tx| {
                let mut record = store.get_locked(tx, sql, aor)?;
                let before = record.clone();
                let result = f(&mut record);
                if record != before {
                    store.replace(tx, sql, &record)?;
                }
                Ok(result)
            });
        }
        let hash = self.hash(aor);
        let mut shard = self.shard(hash).lock();
        let (mut entry, existed) =
            match shard.entry(hash, |r| r.aor() == aor, |r| self.hash(r.aor())) {
                Entry::Occupied(e) => (e, true),
                Entry::Vacant(e) => (e.insert(Aor::new(aor)), false),
            };
        let record = entry.get_mut();
        let snapshot = self.store.is_some().then(|| record.clone());
        let before = record.contacts().len() as i64;
        let result = f(record);
        let after = record.contacts().len() as i64;
        let changed = snapshot.is_some_and(|s| s != *record);
        let write_through = changed && self.mode() == DbMode::WriteThrough;
        if changed && !write_through {
            self.dirty.lock().insert(aor.to_owned());
        }
        let exists = after > 0;
        if !exists {
            entry.remove();
        }
        drop(shard);
        self.count(after - before, i64::from(exists) - i64::from(existed));
        if write_through {
            self.write_through(aor);
        }
        Ok(result)
    }

    /// Writes the bindings `aor` has now (write-through), outside its shard lock. Writes of
    /// one AOR are serialized by the shard's write lock, and each copies the record once it
    /// holds that lock: whichever write comes last carries every change made before it, so
    /// the table ends with what memory holds. A failed write is logged, memory kept.
    fn write_through(&self, aor: &str) {
        let Some(store) = &self.store else {
            return;
        };
        let _order = self.writers[Self::slot(self.hash(aor))].lock();
        let record = self.cloned(aor).unwrap_or_else(|| Aor::new(aor));
        if let Err(e) = self.sql().and_then(|sql| store.write(sql, &record)) {
            db_error(&self.name, &format!("writing {aor}"), &e);
        }
    }

    fn count(&self, contacts: i64, users: i64) {
        self.stats.contacts.add(contacts);
        self.stats.users.add(users);
        self.stats.registered_users.add(users);
    }

    /// Puts records read from the database into memory (start-up load), replacing what an
    /// AOR had; the database is not written.
    pub fn load(&self, records: Vec<Aor>) {
        for record in records {
            let hash = self.hash(record.aor());
            let mut shard = self.shard(hash).lock();
            let added = record.contacts().len() as i64;
            let old = match shard.entry(hash, |r| r.aor() == record.aor(), |r| self.hash(r.aor())) {
                Entry::Occupied(mut e) => Some(std::mem::replace(e.get_mut(), record)),
                Entry::Vacant(e) => {
                    e.insert(record);
                    None
                }
            };
            drop(shard);
            let removed = old.map_or(0, |o| o.contacts().len() as i64);
            self.count(added - removed, i64::from(removed == 0));
        }
    }

    /// Writes the AORs changed since the last call (write-back); an AOR whose write fails
    /// stays dirty for the next flush. Returns how many were written.
    pub fn flush(&self) -> usize {
        let Some(store) = self.store.as_ref().filter(|s| s.mode == DbMode::WriteBack) else {
            return 0;
        };
        let dirty: Vec<String> = self.dirty.lock().drain().collect();
        let mut written = 0;
        for (i, aor) in dirty.iter().enumerate() {
            let record = self.cloned(aor).unwrap_or_else(|| Aor::new(aor));
            if let Err(e) = self.sql().and_then(|sql| store.write(sql, &record)) {
                db_error(&self.name, "write-back flush", &e);
                self.dirty.lock().extend(dirty[i..].iter().cloned());
                break;
            }
            written += 1;
        }
        written
    }

    /// A copy of the record of `aor` with its valid bindings only; `None` when it has none
    /// (or, in `sql-only`, when the database cannot be read: logged).
    pub fn get(&self, aor: &str, now: i64) -> Option<Aor> {
        let mut copy = match (&self.store, self.mode()) {
            (Some(store), DbMode::DbOnly) => match self.sql().and_then(|sql| store.get(sql, aor)) {
                Ok(r) => r,
                Err(e) => {
                    db_error(&self.name, &format!("reading {aor}"), &e);
                    return None;
                }
            },
            _ => self.cloned(aor)?,
        };
        copy.expire(now);
        (!copy.is_empty()).then_some(copy)
    }

    /// Removes `aor` and all its bindings; returns how many bindings went.
    pub fn delete_aor(&self, aor: &str) -> Result<usize, DbError> {
        self.update(aor, |r| r.delete_where(|_| true))
    }

    /// A copy of every record (for the management interface), expired bindings included.
    pub fn dump(&self) -> Vec<Aor> {
        if let (Some(store), DbMode::DbOnly) = (&self.store, self.mode()) {
            return self
                .sql()
                .and_then(|sql| store.dump(sql))
                .unwrap_or_else(|e| {
                    db_error(&self.name, "dump", &e);
                    Vec::new()
                });
        }
        self.shards
            .iter()
            .flat_map(|s| s.lock().iter().cloned().collect::<Vec<_>>())
            .collect()
    }

    /// Removes the bindings expired at `now` (the timer calls it every `timer_interval`), from
    /// the database too; returns how many went.
    pub fn expire(&self, now: i64) -> usize {
        let mut removed = 0;
        let mut users_gone = 0;
        for shard in self.shards.iter() {
            let mut map = shard.lock();
            map.retain(|record| {
                removed += record.expire(now);
                let keep = !record.is_empty();
                users_gone += i64::from(!keep);
                keep
            });
        }
        self.count(-(removed as i64), -users_gone);
        self.stats.expires.add(removed as i64);
        if let Some(store) = self.store.as_ref() {
            match self.sql().and_then(|sql| store.delete_expired(sql, now)) {
                Ok(n) if store.mode == DbMode::DbOnly => {
                    self.stats.expires.add(n as i64);
                    removed += n as usize;
                }
                Ok(_) => {}
                Err(e) => db_error(&self.name, "deleting expired rows", &e),
            }
        }
        removed
    }

    /// Number of AORs and of bindings stored now (expired ones not yet swept included).
    pub fn counts(&self) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(u, c), s| {
            let map = s.lock();
            (
                u + map.len(),
                c + map.iter().map(|r| r.contacts().len()).sum::<usize>(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usrloc::contact::{ContactText, UContact};

    fn contact(uri: &str, expires: i64) -> UContact {
        let mut c = UContact::new(ContactText {
            uri,
            ..ContactText::default()
        });
        c.expires = expires;
        c
    }

    #[test]
    fn update_get_expire_and_gauges() {
        let stats = Stats::default();
        let total = stats.counter("usrloc", "registered_users");
        let d = Domain::new("location", &stats, total.clone(), None);
        let _ = d.update("a@x", |r| {
            r.insert(contact("sip:a@1.1.1.1", 10));
            r.insert(contact("sip:a@2.2.2.2", 20));
        });
        let _ = d.update("b@x", |r| {
            r.insert(contact("sip:b@1.1.1.1", 10));
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
        assert_eq!(d.delete_aor("a@x").unwrap(), 1);
        assert_eq!((d.counts(), total.get()), ((0, 0), 0));
        // An update that adds nothing leaves no empty record behind.
        d.update("c@x", |_| ()).unwrap();
        assert_eq!(d.counts(), (0, 0));
        assert_eq!(d.dump().len(), 0);
    }

    /// A write-through write the database is slow to answer holds no lock a lookup needs:
    /// `get` of the same AOR answers while the write still waits.
    #[test]
    fn write_through_waits_outside_the_shard_lock() {
        use std::net::TcpListener;
        use std::sync::mpsc;
        use std::time::{Duration, Instant};

        use siplua_db::{Db, DbUrl};

        // A "server" that accepts and never answers: the write waits for its timeout.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (accepted, on_accept) = mpsc::channel();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while let Ok((conn, _)) = listener.accept() {
                held.push(conn);
                let _ = accepted.send(());
            }
        });
        let url = DbUrl::parse(&format!("mysql://u:p@127.0.0.1:{port}/db")).unwrap();
        let timeout = Duration::from_secs(2);
        let store = Store::new(
            Db::open(&url, timeout),
            DbMode::WriteThrough,
            Vec::new(),
            true,
        );
        let stats = Stats::default();
        let total = stats.counter("usrloc", "registered_users");
        let d = Arc::new(Domain::new(
            "location",
            &stats,
            total,
            Some(Arc::new(store)),
        ));
        let writer = {
            let d = d.clone();
            std::thread::spawn(move || {
                d.update("a@x", |r| {
                    r.insert(contact("sip:a@1.1.1.1", 100));
                })
                .unwrap();
            })
        };
        on_accept.recv_timeout(Duration::from_secs(5)).unwrap();
        let start = Instant::now();
        assert_eq!(d.get("a@x", 0).unwrap().contacts().len(), 1);
        assert!(
            start.elapsed() < timeout / 2,
            "lookup waited {:?} for the database write",
            start.elapsed()
        );
        writer.join().unwrap();
        // The failed write is logged; memory keeps the binding.
        assert_eq!(d.counts(), (1, 1));
    }
}
