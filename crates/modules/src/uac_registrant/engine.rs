//! The registrants of the table and what the MI commands do to them: read at start-up (an
//! unreadable table stops start-up, as in OpenSIPS), registered once the transports are up,
//! read again by `reg_reload`, enabled, disabled and forced by `reg_enable`, `reg_disable`
//! and `reg_force_register`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use siplua_core::timer::TimerService;

use super::client::now;
use super::params::Settings;
use super::record::{self, Key};
use super::registration::Registration;
use super::state::RegState;
use crate::auth_db::store::Store;
use crate::tm::api::TmApi;

/// The module's shared state.
pub struct Engine {
    /// The parameters.
    pub settings: Settings,
    store: Box<dyn Store>,
    /// Where registrants schedule their requests.
    pub timers: Arc<TimerService>,
    regs: RwLock<Vec<Arc<Registration>>>,
    /// tm, which sends the REGISTERs as client transactions.
    pub tm: Arc<TmApi>,
    /// Numbers the requests sent (see [`super::registration::Tx`]).
    pub seq: AtomicU64,
    loaded: AtomicBool,
    started: AtomicBool,
}

/// Why an MI command could not act on a registrant.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No registrant has this key.
    NotFound,
    /// `reg_force_register` on a disabled registrant.
    Disabled,
}

impl Engine {
    /// The state before the table is read.
    pub fn new(
        store: Box<dyn Store>,
        settings: Settings,
        timers: Arc<TimerService>,
        tm: Arc<TmApi>,
    ) -> Engine {
        Engine {
            settings,
            store,
            timers,
            regs: RwLock::new(Vec::new()),
            tm,
            seq: AtomicU64::new(1),
            loaded: AtomicBool::new(false),
            started: AtomicBool::new(false),
        }
    }

    /// Reads the table the first time it is called (on the main thread, before any socket
    /// opens).
    pub fn load_once(&self) -> Result<(), String> {
        if self.loaded.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let rows = record::load(self.store.as_ref(), &self.settings)
            .map_err(|e| format!("cannot load table {}: {e}", self.settings.table))?;
        *self.regs.write() = rows
            .into_iter()
            .map(|r| Arc::new(Registration::new(r)))
            .collect();
        Ok(())
    }

    /// Sends the first REGISTER of every enabled registrant (once the transports are up).
    pub fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        for reg in self.regs.read().iter() {
            let mut live = reg.live.lock();
            if live.enabled {
                self.schedule(reg, &mut live, Duration::ZERO, false);
            }
        }
    }

    /// The registrants (those `key` names, when given).
    pub fn list(&self, key: Option<&Key>) -> Vec<Arc<Registration>> {
        self.regs
            .read()
            .iter()
            .filter(|r| key.is_none_or(|k| k.matches(&r.row)))
            .cloned()
            .collect()
    }

    fn found(&self, key: &Key) -> Result<Vec<Arc<Registration>>, Refused> {
        let list = self.list(Some(key));
        if list.is_empty() {
            Err(Refused::NotFound)
        } else {
            Ok(list)
        }
    }

    /// `reg_enable`: a disabled registrant registers at once.
    pub fn enable(self: &Arc<Self>, key: &Key) -> Result<(), Refused> {
        for reg in self.found(key)? {
            let mut live = reg.live.lock();
            if !live.enabled {
                live.enabled = true;
                live.state = RegState::NotRegistered;
                self.schedule(&reg, &mut live, Duration::ZERO, false);
            }
        }
        Ok(())
    }

    /// `reg_disable`: an enabled registrant stops; a registered one unregisters at once.
    pub fn disable(self: &Arc<Self>, key: &Key) -> Result<(), Refused> {
        for reg in self.found(key)? {
            let mut live = reg.live.lock();
            if !live.enabled {
                continue;
            }
            live.enabled = false;
            let registered = live.state == RegState::Registered;
            live.tx = None;
            live.cancel_next();
            if registered {
                self.schedule(&reg, &mut live, Duration::ZERO, true);
            } else {
                live.state = RegState::NotRegistered;
            }
        }
        Ok(())
    }

    /// `reg_force_register`: registers (again) at once.
    pub fn force_register(self: &Arc<Self>, key: &Key) -> Result<(), Refused> {
        let list = self.found(key)?;
        if list.iter().all(|r| !r.live.lock().enabled) {
            return Err(Refused::Disabled);
        }
        for reg in list {
            let mut live = reg.live.lock();
            if live.enabled {
                self.schedule(&reg, &mut live, Duration::ZERO, false);
            }
        }
        Ok(())
    }

    /// `reg_reload`: reads the table again (only the row `key` names, when given). An
    /// unchanged row keeps its registrant; a changed one that was registered keeps its
    /// Call-ID, CSeq and refresh time (as OpenSIPS); a registered row now disabled
    /// unregisters; new rows register at once; removed rows stop.
    pub fn reload(self: &Arc<Self>, key: Option<&Key>) -> Result<(), String> {
        let rows = record::load(self.store.as_ref(), &self.settings)?;
        let old = self.regs.read().clone();
        let in_scope = |r: &record::Row| key.is_none_or(|k| k.matches(r));
        if let Some(k) = key {
            if !rows.iter().any(|r| k.matches(r)) && !old.iter().any(|o| k.matches(&o.row)) {
                return Err("Record not found".into());
            }
        }
        let mut next: Vec<Arc<Registration>> =
            old.iter().filter(|o| !in_scope(&o.row)).cloned().collect();
        let mut fresh = Vec::new();
        for row in rows.into_iter().filter(|r| in_scope(r)) {
            if let Some(same) = old.iter().find(|o| o.row == row) {
                next.push(same.clone());
                continue;
            }
            let reg = Arc::new(Registration::new(row));
            if let Some(prev) = old.iter().find(|o| o.row.key() == reg.row.key()) {
                self.take_over(prev, &reg);
            }
            fresh.push(reg.clone());
            next.push(reg);
        }
        for o in old
            .iter()
            .filter(|o| in_scope(&o.row) && !next.iter().any(|n| Arc::ptr_eq(n, o)))
        {
            self.retire(o);
        }
        *self.regs.write() = next;
        if self.started.load(Ordering::Acquire) {
            for reg in fresh {
                let mut live = reg.live.lock();
                if live.enabled && live.next.is_none() && live.tx.is_none() {
                    self.schedule(&reg, &mut live, Duration::ZERO, false);
                }
            }
        }
        Ok(())
    }

    /// A changed row replaces `prev`: a registered and still enabled one carries on with the
    /// same Call-ID, CSeq and refresh time; one now disabled unregisters.
    fn take_over(self: &Arc<Self>, prev: &Arc<Registration>, reg: &Arc<Registration>) {
        let mut old = prev.live.lock();
        if old.state != RegState::Registered || !old.enabled {
            return;
        }
        let mut live = reg.live.lock();
        if !live.enabled {
            drop(live);
            old.enabled = false;
            self.schedule(prev, &mut old, Duration::ZERO, true);
            return;
        }
        live.call_id = old.call_id.clone();
        live.from_tag = old.from_tag.clone();
        live.cseq = old.cseq;
        live.state = RegState::Registered;
        live.last_register_sent = old.last_register_sent;
        live.dst = old.dst;
        let left = (old.registration_timeout - now()).max(0) as u64;
        if self.started.load(Ordering::Acquire) {
            self.schedule(reg, &mut live, Duration::from_secs(left), false);
        }
    }

    /// A registrant the table no longer has (or has changed) sends nothing more, except an
    /// unREGISTER already on its way.
    fn retire(&self, reg: &Arc<Registration>) {
        let mut live = reg.live.lock();
        live.retired = true;
        if live.tx.as_ref().is_some_and(|t| t.unregister) || (live.next.is_some() && !live.enabled)
        {
            return;
        }
        live.tx = None;
        live.cancel_next();
    }
}
