//! What the script functions and MI commands share: the open table, the settings and the
//! loaded sets, swapped whole by `ds_reload`.

use std::sync::{Arc, OnceLock};

use siplua_core::context::Context;
use siplua_core::format::CompiledFormat;

use super::params::Settings;
use super::sets::{Destination, Sets};
use crate::auth_db::store::Store;
use crate::snapshot::Snapshot;

/// The module's shared state.
pub struct Shared {
    store: Box<dyn Store>,
    /// The parameters.
    pub settings: Settings,
    sets: Snapshot<Sets>,
    hash_pvar: OnceLock<Option<CompiledFormat>>,
}

impl Shared {
    /// The state before the table is read (see [`Shared::load_once`]).
    pub fn new(store: Box<dyn Store>, settings: Settings) -> Shared {
        Shared {
            store,
            settings,
            sets: Snapshot::default(),
            hash_pvar: OnceLock::new(),
        }
    }

    /// Reads the table the first time it is called: at start-up, on the main thread before
    /// any socket opens, so that an unreadable table stops start-up as in OpenSIPS while
    /// `siplua -c` does not need the database.
    pub fn load_once(&self) -> Result<(), String> {
        self.sets
            .load_once(|| Sets::load(self.store.as_ref(), &self.settings))
            .map_err(|e| format!("cannot load table {}: {e}", self.settings.table))
    }

    /// The sets in use now.
    pub fn sets(&self) -> Arc<Sets> {
        self.sets.get()
    }

    /// Reads the table again; the old sets stay when it fails.
    pub fn reload(&self) -> Result<(), String> {
        self.sets
            .reload(|| Sets::load(self.store.as_ref(), &self.settings))
    }

    /// `hash_pvar` expanded for this message (compiled on first use, when the modules'
    /// variables are known); `None` when unset or invalid (logged once).
    pub fn hash_pvar(&self, ctx: &Context) -> Option<String> {
        let f = self.hash_pvar.get_or_init(|| {
            let text = self.settings.hash_pvar.as_deref()?;
            CompiledFormat::parse(text, ctx.core)
                .map_err(|e| super::log_err(&format!("hash_pvar {text:?}: {e}")))
                .ok()
        });
        f.as_ref().map(|f| f.expand(ctx))
    }

    /// Runs `f` on the destination `uri` of set `setid` (of any set when the set has no such
    /// destination); false when there is none.
    pub fn with_dest(&self, setid: Option<i64>, uri: &str, f: impl Fn(&Destination)) -> bool {
        let sets = self.sets();
        let same = |d: &&Destination| d.uri == uri || d.uri.strip_prefix("sip:") == Some(uri);
        let in_set = setid
            .and_then(|id| sets.get(id))
            .and_then(|s| s.dests.iter().find(same));
        let found = in_set.or_else(|| sets.sets.iter().flat_map(|s| &s.dests).find(same));
        found.map(f).is_some()
    }
}
