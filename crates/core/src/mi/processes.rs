//! The threads siplua runs, as `ps` and `log_level` list them: OpenSIPS lists processes
//! (`attendant`, `SIP receiver udp:...`, `MI FIFO`, `HTTPD ...`); siplua runs threads in one
//! process, so each entry has the process's PID and the thread's role as its type.
//!
//! The binary registers the threads it starts (workers, timer); modules register theirs in
//! `Module::start`.

use parking_lot::Mutex;

/// The list of running threads, by role.
#[derive(Debug, Default)]
pub struct Processes {
    types: Mutex<Vec<String>>,
}

impl Processes {
    /// Records a running thread of this type (`"MI FIFO"`).
    pub fn register(&self, kind: impl Into<String>) {
        self.types.lock().push(kind.into());
    }

    /// Every registered thread's type, in start order.
    pub fn list(&self) -> Vec<String> {
        self.types.lock().clone()
    }
}
