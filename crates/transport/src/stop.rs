//! The shutdown signal shared by every thread of the transport layer.

use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

/// A one-shot stop signal: a flag for polling loops and a channel that disconnects for blocking selects.
///
/// Threads blocked on a queue select on [`Stop::wait_channel`], which becomes ready the moment
/// the signal fires, so they wake without polling.
pub(crate) struct Stop {
    flag: AtomicBool,
    tx: Mutex<Option<Sender<()>>>,
    rx: Receiver<()>,
}

impl Stop {
    pub(crate) fn new() -> Self {
        let (tx, rx) = crossbeam_channel::bounded(0);
        Stop {
            flag: AtomicBool::new(false),
            tx: Mutex::new(Some(tx)),
            rx,
        }
    }

    /// Fires the signal; idempotent.
    pub(crate) fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.tx.lock().take();
    }

    /// Whether the signal has fired.
    pub(crate) fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// A channel that never carries a value and disconnects when the signal fires.
    pub(crate) fn wait_channel(&self) -> &Receiver<()> {
        &self.rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_sets_flag_and_disconnects() {
        let stop = Stop::new();
        assert!(!stop.is_set());
        assert!(stop.wait_channel().try_recv().is_err());
        stop.trigger();
        stop.trigger();
        assert!(stop.is_set());
        assert!(matches!(
            stop.wait_channel().recv(),
            Err(crossbeam_channel::RecvError)
        ));
    }
}
