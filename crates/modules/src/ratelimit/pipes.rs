//! The pipes of `ratelimit`: named counters shared by all workers, kept in `hash_size`
//! independently locked shards so that checks of different pipes rarely meet on a lock.
//!
//! Intervals are computed from the clock rather than reset by a timer: every pipe counts in
//! interval `elapsed / timer_interval`, and a pipe touched in a new interval first closes
//! the old one (its count becomes `last_counter`, RED's load is derived from it). Idle
//! pipes are dropped after `expire_time` by the shard's next check.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::algorithm::Algorithm;

/// The module settings the pipes obey.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `timer_interval`.
    pub interval: Duration,
    /// `limit_per_interval`: limits count per interval rather than per second.
    pub limit_per_interval: bool,
    /// `expire_time`.
    pub expire: Duration,
    /// `window_size` (SBT).
    pub window: Duration,
    /// `slot_period` (SBT).
    pub slot: Duration,
}

/// Values measured once per interval for the dynamic algorithms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measures {
    /// FEEDBACK: percentage (0..=100) of requests to refuse.
    pub drop_rate: u32,
    /// NETWORK: bytes waiting in siplua's sockets.
    pub network_bytes: u64,
}

/// One pipe.
#[derive(Debug)]
struct Pipe {
    algorithm: Algorithm,
    limit: i64,
    counter: i64,
    last_counter: i64,
    /// RED: let one request in `load` through (0: no limiting).
    load: i64,
    interval: u64,
    last_used: Instant,
    /// SBT: (slot number, requests) ring.
    slots: Vec<(u64, i64)>,
}

/// What `rl_list` shows of a pipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipeInfo {
    /// Pipe name.
    pub name: String,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// Its current limit.
    pub limit: i64,
    /// Requests counted in the last complete interval.
    pub counter: i64,
}

#[derive(Default)]
struct Shard {
    pipes: HashMap<String, Pipe>,
    swept: Option<Instant>,
}

/// All pipes.
pub struct Pipes {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    settings: Settings,
    epoch: Instant,
}

impl Pipes {
    /// No pipes yet, `shards` locks (at least one).
    pub fn new(shards: usize, settings: Settings) -> Pipes {
        Pipes {
            shards: (0..shards.max(1)).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            settings,
            epoch: Instant::now(),
        }
    }

    /// The interval `now` falls in.
    pub fn interval_at(&self, now: Instant) -> u64 {
        let ms = self.settings.interval.as_millis().max(1);
        u64::try_from(now.saturating_duration_since(self.epoch).as_millis() / ms).unwrap_or(0)
    }

    /// `rl_check`: counts one request in pipe `name` (created with `algorithm` if new; an
    /// existing pipe keeps its algorithm and takes the new limit) and returns 1 to let it
    /// through, -1 to refuse it.
    pub fn check(
        &self,
        name: &str,
        limit: i64,
        algorithm: Algorithm,
        measures: Measures,
        now: Instant,
    ) -> i32 {
        let interval = self.interval_at(now);
        let mut shard = self.shard(name).lock();
        self.sweep(&mut shard, now);
        let pipe = match shard.pipes.get_mut(name) {
            Some(p) => p,
            None => shard.pipes.entry(name.to_owned()).or_insert(Pipe {
                algorithm,
                limit,
                counter: 0,
                last_counter: 0,
                load: 0,
                interval,
                last_used: now,
                slots: Vec::new(),
            }),
        };
        self.roll(pipe, interval);
        pipe.limit = limit;
        pipe.last_used = now;
        pipe.counter += 1;
        let allowed = match pipe.algorithm {
            Algorithm::Taildrop => pipe.counter <= pipe.limit * self.per_interval_factor(),
            Algorithm::Red => pipe.load == 0 || pipe.counter % pipe.load == 0,
            Algorithm::Sbt => self.slot_count(pipe, now) <= pipe.limit,
            Algorithm::Network => measures.network_bytes <= pipe.limit.max(0) as u64,
            // Spreads refusals evenly: 37 is coprime with 100, so every 100 consecutive
            // requests hit every percentile once.
            Algorithm::Feedback => ((pipe.counter * 37) % 100) as u32 >= measures.drop_rate,
        };
        if allowed {
            1
        } else {
            -1
        }
    }

    /// `rl_dec_count` (`delta` -1) and `rl_reset_count` (`delta` 0): false if no such pipe.
    pub fn change(&self, name: &str, delta: i64, now: Instant) -> bool {
        let interval = self.interval_at(now);
        let mut shard = self.shard(name).lock();
        let Some(pipe) = shard.pipes.get_mut(name) else {
            return false;
        };
        self.roll(pipe, interval);
        if delta == 0 || pipe.counter + delta < 0 {
            pipe.counter = 0;
            pipe.slots.clear();
        } else {
            pipe.counter += delta;
            if let Some(slot) = pipe.slots.iter_mut().max_by_key(|s| s.0) {
                slot.1 = (slot.1 + delta).max(0);
            }
        }
        true
    }

    /// Every pipe, sorted by name, for `rl_list`.
    pub fn list(&self, now: Instant) -> Vec<PipeInfo> {
        let interval = self.interval_at(now);
        let mut out = Vec::new();
        for shard in &self.shards {
            let mut shard = shard.lock();
            for (name, pipe) in shard.pipes.iter_mut() {
                self.roll(pipe, interval);
                out.push(PipeInfo {
                    name: name.clone(),
                    algorithm: pipe.algorithm,
                    limit: pipe.limit,
                    counter: pipe.last_counter,
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Requests counted so far in the current interval, for `$rl_count(name)`.
    pub fn count(&self, name: &str, now: Instant) -> Option<i64> {
        let interval = self.interval_at(now);
        let mut shard = self.shard(name).lock();
        let pipe = shard.pipes.get_mut(name)?;
        self.roll(pipe, interval);
        Some(pipe.counter)
    }

    fn per_interval_factor(&self) -> i64 {
        if self.settings.limit_per_interval {
            1
        } else {
            self.settings.interval.as_secs().max(1) as i64
        }
    }

    /// Closes the intervals a pipe missed: the last complete one's count is kept.
    fn roll(&self, pipe: &mut Pipe, interval: u64) {
        if pipe.interval == interval {
            return;
        }
        pipe.last_counter = if interval == pipe.interval + 1 {
            pipe.counter
        } else {
            0
        };
        let per_interval = pipe.limit * self.per_interval_factor();
        pipe.load = if per_interval > 0 {
            pipe.last_counter / per_interval
        } else {
            0
        };
        pipe.counter = 0;
        pipe.interval = interval;
    }

    /// SBT: counts the request in its slot and returns the requests in the window.
    fn slot_count(&self, pipe: &mut Pipe, now: Instant) -> i64 {
        let slot_ms = self.settings.slot.as_millis().max(1);
        let n = (self.settings.window.as_millis() / slot_ms).max(1) as usize;
        let slot = (now.saturating_duration_since(self.epoch).as_millis() / slot_ms) as u64;
        if pipe.slots.len() != n {
            pipe.slots = vec![(u64::MAX, 0); n];
        }
        let cell = &mut pipe.slots[(slot % n as u64) as usize];
        if cell.0 != slot {
            *cell = (slot, 0);
        }
        cell.1 += 1;
        let oldest = slot.saturating_sub(n as u64 - 1);
        pipe.slots
            .iter()
            .filter(|(s, _)| *s != u64::MAX && *s >= oldest && *s <= slot)
            .map(|(_, c)| c)
            .sum()
    }

    fn shard(&self, name: &str) -> &Mutex<Shard> {
        &self.shards[(self.hasher.hash_one(name) as usize) % self.shards.len()]
    }

    fn sweep(&self, shard: &mut Shard, now: Instant) {
        let due = shard
            .swept
            .is_none_or(|t| now.saturating_duration_since(t) >= self.settings.interval);
        if !due {
            return;
        }
        shard.swept = Some(now);
        let expire = self.settings.expire;
        shard
            .pipes
            .retain(|_, p| now.saturating_duration_since(p.last_used) < expire);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipes(per_interval: bool) -> Pipes {
        Pipes::new(
            4,
            Settings {
                interval: Duration::from_secs(2),
                limit_per_interval: per_interval,
                expire: Duration::from_secs(10),
                window: Duration::from_secs(1),
                slot: Duration::from_millis(200),
            },
        )
    }

    fn run(p: &Pipes, name: &str, n: usize, limit: i64, a: Algorithm, at: Instant) -> Vec<i32> {
        (0..n)
            .map(|_| p.check(name, limit, a, Measures::default(), at))
            .collect()
    }

    #[test]
    fn taildrop_counts_per_second_times_interval() {
        let p = pipes(false);
        let t0 = p.epoch;
        // limit 3/s over a 2 s interval: 6 pass, the rest is refused.
        let got = run(&p, "a", 8, 3, Algorithm::Taildrop, t0);
        assert_eq!(got, [1, 1, 1, 1, 1, 1, -1, -1]);
        // A new interval starts from zero and reports the last one.
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(
            p.check("a", 3, Algorithm::Taildrop, Measures::default(), t1),
            1
        );
        assert_eq!(p.list(t1)[0].counter, 8);
        assert_eq!(p.count("a", t1), Some(1));
    }

    #[test]
    fn taildrop_per_interval_and_decrement() {
        let p = pipes(true);
        let t0 = p.epoch;
        assert_eq!(run(&p, "a", 3, 2, Algorithm::Taildrop, t0), [1, 1, -1]);
        assert!(p.change("a", -1, t0));
        assert_eq!(run(&p, "a", 1, 2, Algorithm::Taildrop, t0), [-1]);
        assert!(p.change("a", 0, t0));
        assert_eq!(run(&p, "a", 1, 2, Algorithm::Taildrop, t0), [1]);
        assert!(!p.change("missing", -1, t0));
    }

    #[test]
    fn red_lets_one_in_load_through_after_an_overloaded_interval() {
        let p = pipes(true);
        let t0 = p.epoch;
        // First interval: no load known yet, all pass.
        assert!(run(&p, "r", 40, 10, Algorithm::Red, t0)
            .iter()
            .all(|&r| r == 1));
        // 40 requests against 10: load 4, one in four passes.
        let t1 = t0 + Duration::from_secs(2);
        let got = run(&p, "r", 8, 10, Algorithm::Red, t1);
        assert_eq!(got, [-1, -1, -1, 1, -1, -1, -1, 1]);
    }

    #[test]
    fn sbt_is_a_sliding_window() {
        let p = pipes(false);
        let t0 = p.epoch;
        assert_eq!(run(&p, "s", 3, 2, Algorithm::Sbt, t0), [1, 1, -1]);
        // 1 s window: a second later the old slots no longer count.
        let t1 = t0 + Duration::from_millis(1000);
        assert_eq!(run(&p, "s", 2, 2, Algorithm::Sbt, t1), [1, 1]);
    }

    #[test]
    fn feedback_and_network_follow_the_measures() {
        let p = pipes(false);
        let t0 = p.epoch;
        let half = Measures {
            drop_rate: 50,
            network_bytes: 0,
        };
        let refused = (0..100)
            .filter(|_| p.check("f", 80, Algorithm::Feedback, half, t0) == -1)
            .count();
        assert_eq!(refused, 50);
        let busy = Measures {
            drop_rate: 0,
            network_bytes: 5000,
        };
        assert_eq!(p.check("n", 1000, Algorithm::Network, busy, t0), -1);
        assert_eq!(p.check("n", 10000, Algorithm::Network, busy, t0), 1);
    }

    #[test]
    fn idle_pipes_expire() {
        let p = pipes(false);
        let t0 = p.epoch;
        run(&p, "old", 1, 1, Algorithm::Taildrop, t0);
        let later = t0 + Duration::from_secs(30);
        for shard in &p.shards {
            p.sweep(&mut shard.lock(), later);
        }
        assert!(p.list(later).is_empty());
    }
}
