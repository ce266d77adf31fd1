//! The in-memory copy of a database table that dispatcher, drouting, dialplan and
//! load_balancer route from: read the first time it is asked for — at start-up, on the main
//! thread before any socket opens, so an unreadable table stops start-up as in OpenSIPS
//! while `siplua -c` needs no database — then swapped whole by the module's MI reload, the
//! copy in use staying when a reload fails.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

/// One table's current copy.
#[derive(Default)]
pub struct Snapshot<T> {
    current: RwLock<Arc<T>>,
    loaded: AtomicBool,
}

impl<T> Snapshot<T> {
    /// The copy in use (cheap: the calls of one message share it while a reload swaps in
    /// the next).
    pub fn get(&self) -> Arc<T> {
        self.current.read().clone()
    }

    /// Runs `load` the first time it is called only.
    pub fn load_once(&self, load: impl FnOnce() -> Result<T, String>) -> Result<(), String> {
        if self.loaded.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.reload(load)
    }

    /// Reads again; the copy in use stays when `load` fails.
    pub fn reload(&self, load: impl FnOnce() -> Result<T, String>) -> Result<(), String> {
        let fresh = load()?;
        *self.current.write() = Arc::new(fresh);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_once_and_keeps_the_old_copy_on_failure() {
        let s: Snapshot<Vec<i32>> = Snapshot::default();
        assert!(s.get().is_empty());
        s.load_once(|| Ok(vec![1])).unwrap();
        s.load_once(|| Ok(vec![2])).unwrap();
        assert_eq!(*s.get(), [1]);
        assert!(s.reload(|| Err("down".into())).is_err());
        assert_eq!(*s.get(), [1]);
        s.reload(|| Ok(vec![3])).unwrap();
        assert_eq!(*s.get(), [3]);
    }
}
