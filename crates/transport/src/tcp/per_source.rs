//! The per-source cap on accepted TCP connections (`tcp_max_connections_per_source`), so
//! that one address cannot take the whole `tcp_max_connections` table (and its threads).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::Mutex;

/// Accepted connections per source address.
pub(crate) struct PerSource {
    max: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

/// One accepted connection's place in its source's count, given back when dropped.
pub(crate) struct SourceSlot {
    owner: Arc<PerSource>,
    ip: IpAddr,
}

impl PerSource {
    /// A cap of `max` connections per address; 0 means no cap.
    pub(crate) fn new(max: usize) -> Arc<PerSource> {
        Arc::new(PerSource {
            max,
            counts: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a place for a connection from `ip`; None when `ip` already has `max`.
    pub(crate) fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<SourceSlot> {
        if self.max > 0 {
            let mut counts = self.counts.lock();
            let n = counts.entry(ip).or_insert(0);
            if *n >= self.max {
                return None;
            }
            *n += 1;
        }
        Some(SourceSlot {
            owner: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        if self.owner.max == 0 {
            return;
        }
        let mut counts = self.owner.counts.lock();
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_per_address_released_on_drop() {
        let p = PerSource::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let one = p.acquire(a).unwrap();
        let _two = p.acquire(a).unwrap();
        assert!(p.acquire(a).is_none());
        assert!(p.acquire(b).is_some());
        drop(one);
        assert!(p.acquire(a).is_some());
        let unlimited = PerSource::new(0);
        let all: Vec<_> = (0..100).filter_map(|_| unlimited.acquire(a)).collect();
        assert_eq!(all.len(), 100);
        assert!(unlimited.counts.lock().is_empty());
    }
}
