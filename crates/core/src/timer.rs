//! The timer service: one thread that runs delayed jobs (retransmissions, transaction
//! timeouts, contact expiry) with a worker context of its own.
//!
//! Modules get the service at `init` and schedule jobs on it at any time; the jobs run once
//! the binary has started the thread (after the transports are up), in deadline order. A job
//! gets the engine and its own [`WorkerState`], so it can run script routes (a
//! `failure_route` on a timeout) and send, exactly like a worker.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use slab::Slab;
use tracing::error;

use crate::engine::Core;
use crate::worker::WorkerState;

/// The timer's resolution: deadlines are rounded up to the next tick, so the jobs due within
/// one tick run on one wake-up of the thread (tm's retransmission timers are in hundreds of
/// milliseconds; OpenSIPS' own tm timer ticks every 100 ms).
pub const TICK: Duration = Duration::from_millis(10);

/// What a job sees when it runs.
pub struct TimerCtx<'a> {
    /// The engine.
    pub core: &'a Core,
    /// The timer thread's worker state (its `$var`s, transports).
    pub worker: &'a mut WorkerState,
}

/// A delayed job.
pub type Job = Box<dyn FnOnce(&mut TimerCtx) + Send>;

/// Cancels a scheduled job: the job (and whatever it holds, such as a transaction) is dropped
/// at once. A no-op once the job has run.
#[derive(Clone, Debug)]
pub struct TimerHandle {
    queue: Weak<Mutex<Queue>>,
    key: usize,
    id: u64,
}

impl TimerHandle {
    /// Prevents the job from running and drops it.
    pub fn cancel(&self) {
        let Some(queue) = self.queue.upgrade() else {
            return;
        };
        let job = queue.lock().remove(self.key, self.id);
        drop(job); // outside the lock: dropping a job may drop a transaction
    }
}

/// A job waiting for its deadline.
struct Scheduled {
    at: Instant,
    id: u64,
    job: Job,
}

/// The jobs not yet run or cancelled, and their keys by tick. A cancelled job leaves only its
/// key (16 bytes) in its tick's list: a busy proxy cancels nearly every final-response
/// timer, and with `fr_inv_timeout` at 120 s those would otherwise hold their transactions'
/// memory for two minutes. The thread wakes once per tick, not once per job.
#[derive(Default)]
struct Queue {
    jobs: Slab<Scheduled>,
    by_tick: BTreeMap<u64, Vec<(usize, u64)>>,
    next_id: u64,
}

impl Queue {
    fn remove(&mut self, key: usize, id: u64) -> Option<Scheduled> {
        match self.jobs.get(key) {
            Some(s) if s.id == id => Some(self.jobs.remove(key)),
            _ => None,
        }
    }
}

/// The queue of delayed jobs, shared by every module.
pub struct TimerService {
    queue: Arc<Mutex<Queue>>,
    wake: Condvar,
    epoch: Instant,
    stop: AtomicBool,
}

impl Default for TimerService {
    fn default() -> Self {
        TimerService {
            queue: Arc::default(),
            wake: Condvar::new(),
            epoch: Instant::now(),
            stop: AtomicBool::new(false),
        }
    }
}

impl TimerService {
    /// Runs `job` after `delay` (or up to one [`TICK`] later).
    pub fn schedule(&self, delay: Duration, job: Job) -> TimerHandle {
        let at = Instant::now() + delay;
        let tick = self.tick_at_or_after(at);
        let mut q = self.queue.lock();
        let id = q.next_id;
        q.next_id += 1;
        let key = q.jobs.insert(Scheduled { at, id, job });
        let earliest = q.by_tick.first_key_value().is_none_or(|(&t, _)| tick < t);
        q.by_tick.entry(tick).or_default().push((key, id));
        drop(q);
        if earliest {
            self.wake.notify_one();
        }
        TimerHandle {
            queue: Arc::downgrade(&self.queue),
            key,
            id,
        }
    }

    /// Number of jobs waiting, cancelled ones not counted (for statistics and tests).
    pub fn pending(&self) -> usize {
        self.queue.lock().jobs.len()
    }

    /// The first tick that starts at or after `at`.
    fn tick_at_or_after(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch).as_nanos();
        since.div_ceil(TICK.as_nanos()) as u64
    }

    fn tick_start(&self, tick: u64) -> Instant {
        self.epoch + TICK * tick as u32
    }

    /// Waits for the earliest tick that is due and takes its jobs that were not cancelled, in
    /// deadline order; `None` once stopped.
    fn next_due(&self) -> Option<Vec<Scheduled>> {
        let mut q = self.queue.lock();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let now = Instant::now();
            let first = q.by_tick.first_key_value().map(|(&t, _)| t);
            match first.map(|t| self.tick_start(t)) {
                Some(start) if start <= now => {
                    let (_, keys) = q.by_tick.pop_first()?;
                    let mut due: Vec<Scheduled> = keys
                        .into_iter()
                        .filter_map(|(k, id)| q.remove(k, id))
                        .collect();
                    due.sort_by_key(|s| (s.at, s.id));
                    return Some(due);
                }
                Some(start) => {
                    self.wake.wait_for(&mut q, start - now);
                }
                None => {
                    self.wake.wait_for(&mut q, Duration::from_millis(500));
                }
            }
        }
    }
}

/// The running timer thread; stopped at shutdown.
pub struct TimerThread {
    service: Arc<TimerService>,
    thread: Option<JoinHandle<()>>,
}

impl TimerThread {
    /// Starts the thread for `core.timers`, running every module's per-worker
    /// initialisation on it first (so a job can call into Lua).
    pub fn start(core: Arc<Core>, worker_id: usize) -> TimerThread {
        let service = core.timers.clone();
        let thread = std::thread::Builder::new()
            .name("timer".into())
            .spawn(move || {
                for m in &core.modules {
                    if let Err(e) = m.worker_init(worker_id) {
                        error!("timer thread: module {}: {e}", m.name());
                    }
                }
                let mut state = WorkerState::new(worker_id, core.transports().cloned());
                let timers = core.timers.clone();
                while let Some(due) = timers.next_due() {
                    for entry in due {
                        let mut ctx = TimerCtx {
                            core: &core,
                            worker: &mut state,
                        };
                        let job = entry.job;
                        let run = std::panic::AssertUnwindSafe(|| job(&mut ctx));
                        if std::panic::catch_unwind(run).is_err() {
                            error!("a timer job panicked; the timer thread goes on");
                        }
                    }
                }
            })
            .map_err(|e| error!("cannot start the timer thread: {e}"))
            .ok();
        TimerThread { service, thread }
    }

    /// Stops the thread (pending jobs are dropped) and waits for it.
    pub fn stop(mut self) {
        self.service.stop.store(true, Ordering::Relaxed);
        self.service.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop() -> Job {
        Box::new(|_| {})
    }

    #[test]
    fn entries_come_due_in_deadline_order_never_early() {
        let s = TimerService::default();
        for ms in [30u64, 10, 20, 12] {
            s.schedule(Duration::from_millis(ms), noop());
        }
        let dropped = Arc::new(());
        let held = dropped.clone();
        let cancelled = s.schedule(Duration::from_millis(5), Box::new(move |_| drop(held)));
        assert_eq!(s.pending(), 5);
        cancelled.cancel();
        assert_eq!(s.pending(), 4);
        assert_eq!(
            Arc::strong_count(&dropped),
            1,
            "a cancelled job is dropped at once"
        );
        cancelled.cancel();
        let mut seen = Vec::new();
        while s.pending() > 0 {
            let due = s.next_due().unwrap();
            let now = Instant::now();
            for e in due {
                assert!(e.at <= now, "a job came due before its deadline");
                seen.push(e.at);
            }
        }
        assert_eq!(seen.len(), 4, "the cancelled job does not come due");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "out of order");
    }

    #[test]
    fn jobs_due_in_one_tick_come_in_one_batch() {
        let s = TimerService::default();
        for _ in 0..100 {
            s.schedule(Duration::from_millis(20), noop());
        }
        let mut batches = 0;
        while s.pending() > 0 {
            s.next_due().unwrap();
            batches += 1;
        }
        // Scheduled within microseconds: one tick, or two if they straddle a tick's start.
        assert!(batches <= 2, "{batches} wake-ups for 100 jobs due together");
    }
}
