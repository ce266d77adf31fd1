//! What the script functions and MI commands share: the open tables, the settings and the
//! loaded gateways, carriers and rules, swapped whole by `dr_reload`.

use std::sync::Arc;

use super::gateways::{self, Carrier, Gateway};
use super::params::Settings;
use super::rules::{self, Rule};
use crate::auth_db::store::Store;
use crate::snapshot::Snapshot;

/// Everything read from the tables.
#[derive(Debug, Default)]
pub struct Tables {
    /// `dr_gateways`, in table order.
    pub gws: Vec<Gateway>,
    /// `dr_carriers`, in table order.
    pub carriers: Vec<Carrier>,
    /// `dr_rules`, in table order.
    pub rules: Vec<Rule>,
}

impl Tables {
    /// Reads the three tables (the groups table is read per call).
    fn load(store: &dyn Store, st: &Settings) -> Result<Tables, String> {
        let gws = gateways::load_gateways(store, &st.gw_table, st.persistent_state)?;
        let carriers =
            gateways::load_carriers(store, &st.carrier_table, &gws, st.persistent_state)?;
        let rules = rules::load(store, &st.rule_table, &gws, &carriers)?;
        Ok(Tables {
            gws,
            carriers,
            rules,
        })
    }

    /// The gateway with this id.
    pub fn gw(&self, id: &str) -> Option<usize> {
        self.gws.iter().position(|g| g.id == id)
    }

    /// The carrier with this id.
    pub fn carrier(&self, id: &str) -> Option<usize> {
        self.carriers.iter().position(|c| c.id == id)
    }
}

/// The module's shared state.
pub struct Shared {
    store: Box<dyn Store>,
    /// The parameters.
    pub settings: Settings,
    tables: Snapshot<Tables>,
}

impl Shared {
    /// The state before the tables are read (see [`Shared::load_once`]).
    pub fn new(store: Box<dyn Store>, settings: Settings) -> Shared {
        Shared {
            store,
            settings,
            tables: Snapshot::default(),
        }
    }

    /// Reads the tables the first time it is called (at start-up, so that an unreadable
    /// table stops start-up while `siplua -c` does not need the database).
    pub fn load_once(&self) -> Result<(), String> {
        self.tables
            .load_once(|| Tables::load(self.store.as_ref(), &self.settings))
            .map_err(|e| format!("cannot load the drouting tables: {e}"))
    }

    /// The tables in use now.
    pub fn tables(&self) -> Arc<Tables> {
        self.tables.get()
    }

    /// Reads the tables again; the old ones stay when that fails.
    pub fn reload(&self) -> Result<(), String> {
        self.tables
            .reload(|| Tables::load(self.store.as_ref(), &self.settings))
    }

    /// The routing group of the caller `user@domain` from the groups table (the domain
    /// only counts with `use_domain`); `default_group` when absent.
    pub fn group_of(&self, user: &str, domain: &str) -> Option<i64> {
        let st = &self.settings;
        let [u, d, g] = &st.drg_cols;
        let mut filter = vec![(u.as_str(), user)];
        if st.use_domain {
            filter.push((d.as_str(), domain));
        }
        let found = match self.store.select(&st.group_table, &[g.as_str()], &filter) {
            Ok(rows) => rows
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .and_then(|v| v.trim().parse().ok()),
            Err(e) => {
                super::log_err(&format!("reading {}: {e}", st.group_table));
                None
            }
        };
        found.or(Some(st.default_group).filter(|g| *g >= 0))
    }
}
