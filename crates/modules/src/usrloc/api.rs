//! The API usrloc publishes for other modules (`registrar` now, the management interface
//! later): the location tables by name and the settings callers must honour.
//!
//! Other modules get it with `env.apis.get::<Usrloc>()` in their `init` and never touch the
//! module itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::RwLock;
use siplua_core::stats::{Counter, Stats};

use siplua_core::log::{self, level};

use super::domain::Domain;
use super::record::MatchingMode;
use super::store::{DbMode, Store};

/// The current Unix time in seconds, the clock every expiry is measured with.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The published user location service.
pub struct Usrloc {
    domains: RwLock<HashMap<String, Arc<Domain>>>,
    registered_users: Counter,
    nat_bflag: Option<u32>,
    matching: MatchingMode,
    use_domain: bool,
    /// `desc_time_order`: lookups order contacts newest first, whatever their q.
    desc_time_order: bool,
    store: Option<Arc<Store>>,
    /// Set once the start-up load ran: tables created later are loaded when created.
    loaded: AtomicBool,
}

impl Usrloc {
    /// A service with no table yet; `registered_users` is the module-wide gauge, `store` the
    /// database behind the tables (none in `single-instance-no-db`); `use_domain` says whether
    /// AORs carry their domain (`user@domain`) or are the user part alone.
    pub fn new(
        nat_bflag: Option<u32>,
        matching: MatchingMode,
        use_domain: bool,
        desc_time_order: bool,
        registered_users: Counter,
        store: Option<Arc<Store>>,
    ) -> Self {
        Usrloc {
            domains: RwLock::default(),
            registered_users,
            nat_bflag,
            matching,
            use_domain,
            desc_time_order,
            store,
            loaded: AtomicBool::new(false),
        }
    }

    /// Whether lookups order contacts by time only, newest first (`desc_time_order`).
    pub fn desc_time_order(&self) -> bool {
        self.desc_time_order
    }

    /// The table `name`, created (with its statistics registered in `stats`) on first use,
    /// as OpenSIPS registers a table the first time a script function names it.
    pub fn domain(&self, name: &str, stats: &Stats) -> Arc<Domain> {
        if let Some(d) = self.domains.read().get(name) {
            return d.clone();
        }
        let mut created = None;
        let domain = self
            .domains
            .write()
            .entry(name.to_owned())
            .or_insert_with(|| {
                let d = Arc::new(Domain::new(
                    name,
                    stats,
                    self.registered_users.clone(),
                    self.store.clone(),
                ));
                created = Some(d.clone());
                d
            })
            .clone();
        if let Some(d) = created {
            if self.loaded.load(Ordering::Acquire) {
                self.load_domain(&d);
            }
        }
        domain
    }

    /// Loads every table from the database (write-back and write-through; `sql-only` keeps
    /// nothing in memory), once, before the first message: a restarted node serves the
    /// bindings it had. A database that cannot be read is logged and the table starts empty.
    pub fn load_once(&self) {
        if self.loaded.swap(true, Ordering::AcqRel) {
            return;
        }
        for d in self.domains() {
            self.load_domain(&d);
        }
    }

    fn load_domain(&self, d: &Domain) {
        let Some(store) = self
            .store
            .as_ref()
            .filter(|s| matches!(s.mode, DbMode::WriteBack | DbMode::WriteThrough))
        else {
            return;
        };
        match d.sql().and_then(|sql| store.load_all(sql, now())) {
            Ok(records) => {
                let n: usize = records.iter().map(|r| r.contacts().len()).sum();
                log::emit(
                    level::INFO,
                    "usrloc",
                    &format!(
                        "table {}: {n} contact(s) of {} AOR(s) loaded from {}",
                        d.name(),
                        records.len(),
                        store.db.url()
                    ),
                );
                d.load(records);
            }
            Err(e) => log::emit(
                level::ERR,
                "usrloc",
                &format!(
                    "table {}: cannot load the registrations from the database,                      starting with none: {e}",
                    d.name()
                ),
            ),
        }
    }

    /// Writes the AORs changed since the last flush of every table (write-back); returns
    /// how many were written.
    pub fn flush_all(&self) -> usize {
        self.domains().iter().map(|d| d.flush()).sum()
    }

    /// The table `name` if it exists.
    pub fn find_domain(&self, name: &str) -> Option<Arc<Domain>> {
        self.domains.read().get(name).cloned()
    }

    /// Every table (for the timer and the management interface).
    pub fn domains(&self) -> Vec<Arc<Domain>> {
        self.domains.read().values().cloned().collect()
    }

    /// `use_domain`: whether registrar keys AORs as `user@domain` (1) or by the user part
    /// alone (0, OpenSIPS' default), read by registrar as OpenSIPS' registrar reads usrloc's.
    pub fn use_domain(&self) -> bool {
        self.use_domain
    }

    /// The branch flag that marks a contact as behind a NAT (`nat_bflag`), if configured.
    pub fn nat_bflag(&self) -> Option<u32> {
        self.nat_bflag
    }

    /// How Contacts are matched to stored bindings (`matching_mode`).
    pub fn matching_mode(&self) -> MatchingMode {
        self.matching
    }

    /// Removes expired bindings from every table; returns how many went.
    pub fn expire_all(&self, now: i64) -> usize {
        self.domains().iter().map(|d| d.expire(now)).sum()
    }
}
