//! The once-per-interval measurements of the dynamic algorithms, shared by all workers.
//!
//! The first check of a new interval refreshes them (the others go on with the previous
//! values rather than wait); only what a used algorithm needs is measured.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use parking_lot::Mutex;

use super::load::{network_bytes_waiting, CpuTimes};
use super::pipes::Measures;

/// Proportional gain of the FEEDBACK controller: drop-rate points per point of CPU load
/// above (or below) the limit, per interval.
const FEEDBACK_GAIN: f64 = 0.5;

/// Shared measurements.
#[derive(Default)]
pub struct Sampler {
    interval: AtomicU64,
    drop_rate: AtomicU32,
    network_bytes: AtomicU64,
    /// FEEDBACK's set point, percent CPU (the first FEEDBACK pipe's limit, as OpenSIPS).
    feedback_limit: AtomicU32,
    wants_network: AtomicBool,
    cpu: Mutex<Option<CpuTimes>>,
}

impl Sampler {
    /// Notes that a FEEDBACK pipe asks for `limit` percent; returns the limit in force.
    pub fn feedback_limit(&self, limit: i64) -> u32 {
        let wanted = limit.clamp(1, 99) as u32;
        match self
            .feedback_limit
            .compare_exchange(0, wanted, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => wanted,
            Err(current) => current,
        }
    }

    /// Notes that a NETWORK pipe is in use.
    pub fn want_network(&self) {
        self.wants_network.store(true, Ordering::Relaxed);
    }

    /// The measures for `interval`, refreshing them if this is the first look at it.
    pub fn measures(&self, interval: u64, ports: impl FnOnce() -> HashSet<u16>) -> Measures {
        let seen = self.interval.load(Ordering::Relaxed);
        if seen != interval
            && self
                .interval
                .compare_exchange(seen, interval, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.refresh(ports);
        }
        Measures {
            drop_rate: self.drop_rate.load(Ordering::Relaxed),
            network_bytes: self.network_bytes.load(Ordering::Relaxed),
        }
    }

    fn refresh(&self, ports: impl FnOnce() -> HashSet<u16>) {
        if self.wants_network.load(Ordering::Relaxed) {
            self.network_bytes
                .store(network_bytes_waiting(&ports()), Ordering::Relaxed);
        }
        let limit = self.feedback_limit.load(Ordering::Relaxed);
        if limit == 0 {
            return;
        }
        let Some(now) = CpuTimes::read() else {
            return;
        };
        let mut last = self.cpu.lock();
        if let Some(before) = *last {
            let load = now.load_since(before);
            let rate = next_drop_rate(self.drop_rate.load(Ordering::Relaxed), load, limit);
            self.drop_rate.store(rate, Ordering::Relaxed);
        }
        *last = Some(now);
    }
}

/// One step of the controller: the drop rate moves with the distance of the CPU load from
/// the set point, within 0..=100.
pub fn next_drop_rate(rate: u32, load: u32, limit: u32) -> u32 {
    let step = (f64::from(load) - f64::from(limit)) * FEEDBACK_GAIN;
    (f64::from(rate) + step).round().clamp(0.0, 100.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_moves_towards_the_set_point() {
        assert_eq!(next_drop_rate(0, 100, 60), 20);
        assert_eq!(next_drop_rate(20, 40, 60), 10);
        assert_eq!(next_drop_rate(5, 0, 60), 0);
        assert_eq!(next_drop_rate(99, 100, 10), 100);
    }

    #[test]
    fn first_feedback_limit_wins_and_measures_refresh_once_per_interval() {
        let s = Sampler::default();
        assert_eq!(s.feedback_limit(70), 70);
        assert_eq!(s.feedback_limit(20), 70);
        let mut asked = 0;
        s.want_network();
        s.measures(1, || {
            asked += 1;
            HashSet::new()
        });
        s.measures(1, || {
            asked += 1;
            HashSet::new()
        });
        assert_eq!(asked, 1);
    }
}
