//! Statistics counters with OpenSIPS' names (`core:rcv_requests`, `sl:sent_replies`, ...).
//!
//! A counter is registered once (at load time) and then bumped with one atomic add, from any
//! worker. The management interface and the metrics exporter read them all by name.
//!
//! Each statistic is of one [`StatKind`], as in OpenSIPS: a counter only grows and can be reset
//! (`reset_statistics`); a gauge tells a current amount (`usrloc:location-contacts`,
//! `tm:inuse_transactions`), is never reset, and is exported as a Prometheus gauge.

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

/// What a statistic measures, which decides whether it can be reset and how it is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatKind {
    /// Counts events since start-up (or the last reset): OpenSIPS' "incremental".
    Counter,
    /// A current amount that goes up and down: OpenSIPS' "non-incremental" (no reset).
    Gauge,
}

/// One statistic as read by the management interface and the exporter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatSample {
    /// The group (`core`, `tm`, ...): the part before the colon.
    pub group: String,
    /// The name within the group.
    pub name: String,
    /// Counter or gauge.
    pub kind: StatKind,
    /// The value now.
    pub value: i64,
}

impl StatSample {
    /// `group:name`, the name OpenSIPS' MI commands use.
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.group, self.name)
    }

    /// Whether a selector as OpenSIPS' MI and prometheus module take them chooses this
    /// statistic: `all`, a group with a colon (`tm:`), a full name (`core:rcv_requests`) or
    /// a bare name looked up in every group (`rcv_requests`).
    pub fn matches(&self, selector: &str) -> bool {
        if selector == "all" {
            return true;
        }
        match selector.split_once(':') {
            Some((group, "")) => self.group == group,
            Some((group, name)) => self.group == group && self.name == name,
            None => self.name == selector,
        }
    }
}

/// Every registered statistic, by `group:name`.
#[derive(Default)]
pub struct Stats {
    counters: RwLock<BTreeMap<String, (Counter, StatKind)>>,
}

impl Stats {
    /// The counter `group:name`, created at 0 on first use.
    pub fn counter(&self, group: &str, name: &str) -> Counter {
        self.register(group, name, StatKind::Counter)
    }

    /// The gauge `group:name`, created at 0 on first use (a statistic first registered as a
    /// counter becomes a gauge).
    pub fn gauge(&self, group: &str, name: &str) -> Counter {
        self.register(group, name, StatKind::Gauge)
    }

    fn register(&self, group: &str, name: &str, kind: StatKind) -> Counter {
        let key = format!("{group}:{name}");
        if let Some((c, k)) = self.counters.read().get(&key) {
            if *k == kind || kind == StatKind::Counter {
                return c.clone();
            }
        }
        let mut map = self.counters.write();
        let entry = map.entry(key).or_insert_with(|| (Counter::default(), kind));
        if kind == StatKind::Gauge {
            entry.1 = kind;
        }
        entry.0.clone()
    }

    /// Every counter's name and value, sorted by name.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        self.counters
            .read()
            .iter()
            .map(|(k, (c, _))| (k.clone(), c.get()))
            .collect()
    }

    /// Every statistic with its group, kind and value, sorted by `group:name`.
    pub fn samples(&self) -> Vec<StatSample> {
        self.counters
            .read()
            .iter()
            .map(|(key, (c, kind))| {
                let (group, name) = key.split_once(':').unwrap_or(("", key));
                StatSample {
                    group: group.to_owned(),
                    name: name.to_owned(),
                    kind: *kind,
                    value: c.get(),
                }
            })
            .collect()
    }

    /// Sets the counter `group:name` back to 0; gauges are left alone (they tell a current
    /// amount). Returns false when no such statistic exists.
    pub fn reset(&self, full_name: &str) -> bool {
        match self.counters.read().get(full_name) {
            Some((c, StatKind::Counter)) => {
                c.set(0);
                true
            }
            Some((_, StatKind::Gauge)) => true,
            None => false,
        }
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
    /// Messages taken while the worker's queue was overloaded: requests answered 503, ACKs
    /// and replies over UDP dropped.
    pub overload_shed: Counter,
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
            overload_shed: c("overload_shed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_reset_and_samples() {
        let stats = Stats::default();
        let c = stats.counter("core", "rcv_requests");
        let g = stats.gauge("tm", "inuse_transactions");
        c.add(5);
        g.add(2);
        assert!(stats.reset("core:rcv_requests"));
        assert!(stats.reset("tm:inuse_transactions"));
        assert!(!stats.reset("core:nope"));
        assert_eq!((c.get(), g.get()), (0, 2), "a gauge is never reset");
        // Registering the gauge again as a counter keeps it a gauge.
        stats.counter("tm", "inuse_transactions");
        let s = stats.samples();
        assert_eq!(s[1].full_name(), "tm:inuse_transactions");
        assert_eq!((s[1].kind, s[1].value), (StatKind::Gauge, 2));
        assert_eq!(s[0].kind, StatKind::Counter);
        assert!(s[0].matches("all") && s[0].matches("core:") && s[0].matches("rcv_requests"));
        assert!(s[0].matches("core:rcv_requests") && !s[0].matches("tm:"));
        assert!(!s[0].matches("core:rcv_replies"));
    }
}
