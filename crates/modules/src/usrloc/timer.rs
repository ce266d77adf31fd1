//! The expiry sweep: a thread that removes expired bindings every `timer_interval` seconds
//! (lookups already ignore them; the sweep frees memory, deletes expired rows and keeps the
//! gauges true), and in write-back mode writes the AORs changed since the last run.
//!
//! It is started from the first `worker_init`, not from `init`, so that `siplua -c` (which
//! only loads and checks the script) starts no thread; it stops at shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::api::{now, Usrloc};

/// The sweep thread, started at most once.
#[derive(Default)]
pub struct ExpiryTimer {
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl ExpiryTimer {
    /// Starts the sweep over `api` every `interval` unless it already runs.
    pub fn start_once(&self, api: Arc<Usrloc>, interval: Duration) -> Result<(), String> {
        let mut slot = self.thread.lock();
        if slot.is_some() {
            return Ok(());
        }
        let stop = self.stop.clone();
        let handle = std::thread::Builder::new()
            .name("usrloc-timer".into())
            .spawn(move || sweep_loop(&api, interval, &stop))
            .map_err(|e| format!("cannot start the usrloc timer: {e}"))?;
        *slot = Some(handle);
        Ok(())
    }

    /// Stops the sweep and waits for the thread.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.thread.lock().take() {
            let _ = handle.join();
        }
    }
}

fn sweep_loop(api: &Usrloc, interval: Duration, stop: &AtomicBool) {
    let tick = Duration::from_millis(100).min(interval);
    let mut next = Instant::now() + interval;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(tick);
        if Instant::now() >= next {
            let removed = api.expire_all(now());
            if removed > 0 {
                tracing::debug!("usrloc: {removed} expired contact(s) removed");
            }
            let written = api.flush_all();
            if written > 0 {
                tracing::debug!("usrloc: {written} AOR(s) written back");
            }
            next = Instant::now() + interval;
        }
    }
}
