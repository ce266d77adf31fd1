//! What every worker and the expiry sweep share: settings, event packages, the store, tm.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::events::Events;
use super::params::Settings;
use super::store::Store;
use crate::tm::api::TmApi;

/// The presence server's shared state.
pub struct Presence {
    /// The module parameters.
    pub settings: Settings,
    /// Registered event packages.
    pub events: Arc<Events>,
    /// Publications and subscriptions.
    pub store: Mutex<Store>,
    /// The transaction layer (replies, NOTIFY client transactions).
    pub tm: Arc<TmApi>,
    /// A counter for entity-tags, dialog tags and publication order.
    seq: AtomicU64,
    /// Start time, part of entity-tags and tags so a restart does not reuse them.
    started: u64,
}

impl Presence {
    /// The shared state before any traffic.
    pub fn new(settings: Settings, events: Arc<Events>, tm: Arc<TmApi>) -> Presence {
        Presence {
            settings,
            events,
            store: Mutex::new(Store::default()),
            tm,
            seq: AtomicU64::new(1),
            started: now(),
        }
    }

    /// A fresh number (publication order).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh entity-tag or dialog tag (a token).
    pub fn new_tag(&self, prefix: &str) -> String {
        format!("{prefix}{:x}.{}", self.started, self.next_seq())
    }
}

/// Unix time in seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Logs an error of the module.
pub fn log_err(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "presence", text);
}
