//! `get_static_lock(key)` / `release_static_lock(key)` and the dynamic pair: named locks
//! shared by every worker, so that scripts can serialise work on one key (a user, a call).
//! A worker taking a held lock waits for its release, as in OpenSIPS; a script must release
//! what it takes.

use std::collections::HashSet;

use parking_lot::{Condvar, Mutex};

/// The keys held now.
#[derive(Default)]
pub struct Locks {
    held: Mutex<HashSet<String>>,
    released: Condvar,
}

impl Locks {
    /// Takes the lock of `key`, waiting while another worker holds it.
    pub fn get(&self, key: &str) {
        let mut held = self.held.lock();
        while held.contains(key) {
            self.released.wait(&mut held);
        }
        held.insert(key.to_owned());
    }

    /// Releases `key`; false when it was not held.
    pub fn release(&self, key: &str) -> bool {
        let was = self.held.lock().remove(key);
        if was {
            self.released.notify_all();
        }
        was
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_second_taker_waits_for_the_release() {
        let locks = Arc::new(Locks::default());
        locks.get("alice");
        let other = locks.clone();
        let waiter = std::thread::spawn(move || {
            other.get("alice");
            other.release("alice")
        });
        std::thread::sleep(Duration::from_millis(50));
        assert!(!waiter.is_finished(), "took a held lock");
        locks.get("bob");
        assert!(locks.release("alice"));
        assert!(waiter.join().unwrap());
        assert!(locks.release("bob"));
        assert!(!locks.release("bob"));
    }
}
