//! Statistics counters with OpenSIPS' names (`core:rcv_requests`, `sl:sent_replies`, ...).
//!
//! A counter is registered once (at load time) and then bumped with one atomic add, from any
//! worker. The management interface and the metrics exporter read them all by name.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

/// One counter (or gauge), shared by every worker.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicI64>);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n` (negative to decrease a gauge).
    pub fn add(&self, n: i64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets the value (gauges).
    pub fn set(&self, n: i64) {
        self.0.store(n, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Every registered counter, by `group:name`.
#[derive(Default)]
pub struct Stats {
    counters: RwLock<BTreeMap<String, Counter>>,
}

impl Stats {
    /// The counter `group:name`, created at 0 on first use.
    pub fn counter(&self, group: &str, name: &str) -> Counter {
        let key = format!("{group}:{name}");
        if let Some(c) = self.counters.read().get(&key) {
            return c.clone();
        }
        self.counters.write().entry(key).or_default().clone()
    }

    /// Every counter's name and value, sorted by name.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        self.counters
            .read()
            .iter()
            .map(|(k, c)| (k.clone(), c.get()))
            .collect()
    }
}

/// The core's own counters, resolved once so that the hot path does no lookup.
#[derive(Clone, Debug)]
pub struct CoreStats {
    /// Requests received.
    pub rcv_requests: Counter,
    /// Replies received.
    pub rcv_replies: Counter,
    /// Requests forwarded statelessly.
    pub fwd_requests: Counter,
    /// Replies forwarded statelessly.
    pub fwd_replies: Counter,
    /// Requests dropped by the script.
    pub drop_requests: Counter,
    /// Replies dropped.
    pub drop_replies: Counter,
    /// Requests that failed to parse or validate.
    pub err_requests: Counter,
    /// Replies that failed to parse.
    pub err_replies: Counter,
    /// Messages whose headers could not be parsed.
    pub bad_msg_hdr: Counter,
}

impl CoreStats {
    /// Registers the core counters in `stats`.
    pub fn register(stats: &Stats) -> CoreStats {
        let c = |n| stats.counter("core", n);
        CoreStats {
            rcv_requests: c("rcv_requests"),
            rcv_replies: c("rcv_replies"),
            fwd_requests: c("fwd_requests"),
            fwd_replies: c("fwd_replies"),
            drop_requests: c("drop_requests"),
            drop_replies: c("drop_replies"),
            err_requests: c("err_requests"),
            err_replies: c("err_replies"),
            bad_msg_hdr: c("bad_msg_hdr"),
        }
    }
}
