//! The API usrloc publishes for other modules (`registrar` now, the management interface
//! later): the location tables by name and the settings callers must honour.
//!
//! Other modules get it with `env.apis.get::<Usrloc>()` in their `init` and never touch the
//! module itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::RwLock;
use siplua_core::stats::{Counter, Stats};

use super::domain::Domain;
use super::record::MatchingMode;

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
}

impl Usrloc {
    /// A service with no table yet; `registered_users` is the module-wide gauge.
    pub fn new(nat_bflag: Option<u32>, matching: MatchingMode, registered_users: Counter) -> Self {
        Usrloc {
            domains: RwLock::default(),
            registered_users,
            nat_bflag,
            matching,
        }
    }

    /// The table `name`, created (with its statistics registered in `stats`) on first use,
    /// as OpenSIPS registers a table the first time a script function names it.
    pub fn domain(&self, name: &str, stats: &Stats) -> Arc<Domain> {
        if let Some(d) = self.domains.read().get(name) {
            return d.clone();
        }
        self.domains
            .write()
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Domain::new(name, stats, self.registered_users.clone())))
            .clone()
    }

    /// The table `name` if it exists.
    pub fn find_domain(&self, name: &str) -> Option<Arc<Domain>> {
        self.domains.read().get(name).cloned()
    }

    /// Every table (for the timer and the management interface).
    pub fn domains(&self) -> Vec<Arc<Domain>> {
        self.domains.read().values().cloned().collect()
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
