//! The per-source-IP request counters of `pike`, shared by all workers and sharded so that
//! two workers only meet on a lock when their sources hash to the same shard.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Number of independently locked shards.
const SHARDS: usize = 64;

/// What one check of a source found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Under the limit.
    Allowed,
    /// Over the limit, and it was already over at the previous check (OpenSIPS' -1).
    Blocked,
    /// Over the limit for the first time (OpenSIPS' -2): the caller logs it.
    NewlyBlocked,
    /// Under the limit again after having been blocked: the caller logs the unblock.
    Unblocked,
}

/// The counters of one source address.
#[derive(Debug)]
struct Node {
    /// Index of the sampling unit `hits` counts in.
    unit: u64,
    /// Requests in unit `unit`.
    hits: u32,
    /// Requests in the unit before `unit` (0 when that unit saw none).
    previous: u32,
    /// Whether the source is blocked now.
    red: bool,
    /// Last request, for `remove_latency`.
    last_seen: Instant,
}

/// The settings `pike` is loaded with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Length of one sampling unit (`sampling_time_unit`).
    pub unit: Duration,
    /// Requests allowed per unit before the source is blocked (`reqs_density_per_unit`).
    pub density: u32,
    /// How long an idle source is remembered (`remove_latency`).
    pub remove_latency: Duration,
}

/// All tracked sources.
pub struct PikeTable {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    limits: Limits,
    epoch: Instant,
}

#[derive(Default)]
struct Shard {
    nodes: HashMap<IpAddr, Node>,
    /// When this shard was last swept of idle sources.
    swept: Option<Instant>,
}

impl PikeTable {
    /// An empty table.
    pub fn new(limits: Limits) -> PikeTable {
        PikeTable {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            limits,
            epoch: Instant::now(),
        }
    }

    /// Counts one request from `ip` at `now` and says whether `ip` is over the limit.
    ///
    /// A source is over the limit while it sent more than `density` requests in the current
    /// sampling unit or in the one before, so a block lasts at least until one whole unit
    /// passes below the limit. Idle sources of the shard are forgotten here, once per unit:
    /// no timer thread is needed.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Verdict {
        let unit = self.unit_index(now);
        let mut shard = self.shards[self.shard_of(&ip)].lock();
        self.sweep(&mut shard, now);
        let node = shard.nodes.entry(ip).or_insert(Node {
            unit,
            hits: 0,
            previous: 0,
            red: false,
            last_seen: now,
        });
        roll(node, unit);
        node.hits = node.hits.saturating_add(1);
        node.last_seen = now;
        let over = node.hits > self.limits.density || node.previous > self.limits.density;
        match (over, node.red) {
            (true, true) => Verdict::Blocked,
            (true, false) => {
                node.red = true;
                Verdict::NewlyBlocked
            }
            (false, true) => {
                node.red = false;
                Verdict::Unblocked
            }
            (false, false) => Verdict::Allowed,
        }
    }

    /// The sources blocked at `now`, for `pike_list`.
    pub fn blocked(&self, now: Instant) -> Vec<IpAddr> {
        let unit = self.unit_index(now);
        let mut out = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock();
            for (ip, node) in shard.nodes.iter_mut() {
                roll(node, unit);
                if node.hits > self.limits.density || node.previous > self.limits.density {
                    out.push(*ip);
                }
            }
        }
        out.sort();
        out
    }

    /// Forgets `ip` (unblocking it), for `pike_rm`; false if it was not tracked.
    pub fn remove(&self, ip: IpAddr) -> bool {
        self.shards[self.shard_of(&ip)]
            .lock()
            .nodes
            .remove(&ip)
            .is_some()
    }

    /// Number of tracked sources.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().nodes.len()).sum()
    }

    fn unit_index(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.epoch).as_millis();
        let unit = self.limits.unit.as_millis().max(1);
        u64::try_from(elapsed / unit).unwrap_or(u64::MAX)
    }

    fn shard_of(&self, ip: &IpAddr) -> usize {
        (self.hasher.hash_one(ip) as usize) % SHARDS
    }

    fn sweep(&self, shard: &mut Shard, now: Instant) {
        let due = shard
            .swept
            .is_none_or(|t| now.saturating_duration_since(t) >= self.limits.unit);
        if !due {
            return;
        }
        shard.swept = Some(now);
        let keep = self.limits.remove_latency;
        shard
            .nodes
            .retain(|_, n| now.saturating_duration_since(n.last_seen) < keep);
    }
}

/// Moves a node's counters forward to sampling unit `unit`.
fn roll(node: &mut Node, unit: u64) {
    if unit == node.unit {
        return;
    }
    node.previous = if unit == node.unit + 1 { node.hits } else { 0 };
    node.hits = 0;
    node.unit = unit;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(density: u32) -> PikeTable {
        PikeTable::new(Limits {
            unit: Duration::from_secs(2),
            density,
            remove_latency: Duration::from_secs(4),
        })
    }

    #[test]
    fn blocks_above_density_then_unblocks_after_a_quiet_unit() {
        let t = table(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let start = t.epoch;
        for _ in 0..3 {
            assert_eq!(t.check(ip, start), Verdict::Allowed);
        }
        assert_eq!(t.check(ip, start), Verdict::NewlyBlocked);
        assert_eq!(t.check(ip, start), Verdict::Blocked);
        assert_eq!(t.blocked(start), vec![ip]);
        // Next unit: the previous one was over the limit, still blocked.
        assert_eq!(
            t.check(ip, start + Duration::from_secs(2)),
            Verdict::Blocked
        );
        // Two units later the unit before was quiet (1 hit): unblocked.
        assert_eq!(
            t.check(ip, start + Duration::from_secs(4)),
            Verdict::Unblocked
        );
        assert_eq!(
            t.check(ip, start + Duration::from_secs(4)),
            Verdict::Allowed
        );
    }

    #[test]
    fn sources_are_independent_and_idle_ones_are_forgotten() {
        let t = table(1);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let start = t.epoch;
        t.check(a, start);
        assert_eq!(t.check(a, start), Verdict::NewlyBlocked);
        assert_eq!(t.check(b, start), Verdict::Allowed);
        assert_eq!(t.len(), 2);
        assert!(t.remove(a));
        assert!(!t.remove(a));
        assert_eq!(t.check(a, start), Verdict::Allowed);
        // Long after: every shard that is touched drops its idle sources.
        let later = start + Duration::from_secs(60);
        for shard in &t.shards {
            t.sweep(&mut shard.lock(), later);
        }
        assert_eq!(t.len(), 0);
    }
}
