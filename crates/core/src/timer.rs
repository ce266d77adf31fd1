//! The timer service: one thread that runs delayed jobs (retransmissions, transaction
//! timeouts, contact expiry) with a worker context of its own.
//!
//! Modules get the service at `init` and schedule jobs on it at any time; the jobs run once
//! the binary has started the thread (after the transports are up), in deadline order. A job
//! gets the engine and its own [`WorkerState`], so it can run script routes (a
//! `failure_route` on a timeout) and send, exactly like a worker.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tracing::error;

use crate::engine::Core;
use crate::worker::WorkerState;

/// What a job sees when it runs.
pub struct TimerCtx<'a> {
    /// The engine.
    pub core: &'a Core,
    /// The timer thread's worker state (its `$var`s, transports).
    pub worker: &'a mut WorkerState,
}

/// A delayed job.
pub type Job = Box<dyn FnOnce(&mut TimerCtx) + Send>;

/// Cancels a scheduled job (a no-op once it has run).
#[derive(Clone, Debug, Default)]
pub struct TimerHandle(Arc<AtomicBool>);

impl TimerHandle {
    /// Prevents the job from running.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// True when cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

struct Entry {
    at: Instant,
    seq: u64,
    cancelled: Arc<AtomicBool>,
    job: Job,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed, so that the heap's top is the earliest deadline (first scheduled first).
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other
            .at
            .cmp(&self.at)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// The queue of delayed jobs, shared by every module.
#[derive(Default)]
pub struct TimerService {
    queue: Mutex<BinaryHeap<Entry>>,
    wake: Condvar,
    seq: AtomicU64,
    stop: AtomicBool,
}

impl TimerService {
    /// Runs `job` after `delay`.
    pub fn schedule(&self, delay: Duration, job: Job) -> TimerHandle {
        let cancelled = Arc::new(AtomicBool::new(false));
        let entry = Entry {
            at: Instant::now() + delay,
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            cancelled: cancelled.clone(),
            job,
        };
        let mut q = self.queue.lock();
        let earliest = q.peek().is_none_or(|top| entry.at < top.at);
        q.push(entry);
        drop(q);
        if earliest {
            self.wake.notify_one();
        }
        TimerHandle(cancelled)
    }

    /// Number of jobs waiting (for statistics and tests).
    pub fn pending(&self) -> usize {
        self.queue.lock().len()
    }

    fn next_due(&self) -> Option<Entry> {
        let mut q = self.queue.lock();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let now = Instant::now();
            match q.peek() {
                Some(top) if top.at <= now => return q.pop(),
                Some(top) => {
                    let wait = top.at - now;
                    self.wake.wait_for(&mut q, wait);
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
                while let Some(entry) = timers.next_due() {
                    if entry.cancelled.load(Ordering::Relaxed) {
                        continue;
                    }
                    let mut ctx = TimerCtx {
                        core: &core,
                        worker: &mut state,
                    };
                    let job = entry.job;
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut ctx)))
                        .is_err()
                    {
                        error!("a timer job panicked; the timer thread goes on");
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

    #[test]
    fn entries_pop_in_deadline_order() {
        let s = TimerService::default();
        let order = Arc::new(Mutex::new(Vec::new()));
        for (i, ms) in [(1, 30u64), (2, 10), (3, 20)] {
            let o = order.clone();
            s.schedule(
                Duration::from_millis(ms),
                Box::new(move |_| o.lock().push(i)),
            );
        }
        let cancelled = s.schedule(
            Duration::from_millis(5),
            Box::new(|_| panic!("cancelled job ran")),
        );
        cancelled.cancel();
        assert_eq!(s.pending(), 4);
        let mut seen = Vec::new();
        while s.pending() > 0 {
            let e = s.next_due().unwrap();
            if !e.cancelled.load(Ordering::Relaxed) {
                seen.push(e.seq);
            }
        }
        assert_eq!(seen, vec![1, 2, 0]);
    }
}
