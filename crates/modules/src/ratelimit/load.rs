//! What the dynamic algorithms measure, sampled at most once per `timer_interval`: the CPU
//! load of the machine (FEEDBACK) and the bytes waiting in siplua's sockets (NETWORK).

use std::collections::HashSet;

/// CPU time counters from the first line of `/proc/stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// Ticks spent working.
    pub busy: u64,
    /// All ticks.
    pub total: u64,
}

impl CpuTimes {
    /// Parses the `cpu  user nice system idle iowait irq softirq steal ...` line.
    pub fn parse(stat: &str) -> Option<CpuTimes> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let fields: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        if fields.len() < 4 {
            return None;
        }
        let total: u64 = fields.iter().take(8).sum();
        // idle and iowait are not work.
        let idle = fields[3] + fields.get(4).copied().unwrap_or(0);
        Some(CpuTimes {
            busy: total.saturating_sub(idle),
            total,
        })
    }

    /// Reads the counters now (None where `/proc` is not available).
    pub fn read() -> Option<CpuTimes> {
        CpuTimes::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// Percentage of CPU busy between `earlier` and `self`.
    pub fn load_since(self, earlier: CpuTimes) -> u32 {
        let total = self.total.saturating_sub(earlier.total);
        if total == 0 {
            return 0;
        }
        let busy = self.busy.saturating_sub(earlier.busy);
        u32::try_from(busy * 100 / total).unwrap_or(100)
    }
}

/// Sums the receive queues of the sockets bound to `ports` in a `/proc/net/{udp,tcp}[6]`
/// table (`local_address` is `HEXIP:HEXPORT`, `tx_queue:rx_queue` is the fifth column).
pub fn rx_queue_bytes(table: &str, ports: &HashSet<u16>) -> u64 {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            let local = cols.nth(1)?;
            let queues = cols.nth(2)?;
            let port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            if !ports.contains(&port) {
                return None;
            }
            u64::from_str_radix(queues.split(':').nth(1)?, 16).ok()
        })
        .sum()
}

/// Bytes waiting now in every socket of the machine bound to one of `ports`.
pub fn network_bytes_waiting(ports: &HashSet<u16>) -> u64 {
    ["udp", "udp6", "tcp", "tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(format!("/proc/net/{t}")).ok())
        .map(|table| rx_queue_bytes(&table, ports))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_load_between_two_samples() {
        let a = CpuTimes::parse("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n").unwrap();
        let b = CpuTimes::parse("cpu  250 0 250 900 0 0 0 0 0 0\n").unwrap();
        assert_eq!(b.load_since(a), 75);
        assert_eq!(a.load_since(a), 0);
        assert!(CpuTimes::parse("intr 1 2 3").is_none());
    }

    #[test]
    fn rx_queue_of_our_ports_only() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:13C4 00000000:0000 07 00000000:00000300 00:00000000 00000000  1000        0 1 2\n\
           1: 0100007F:0035 00000000:0000 07 00000000:00000100 00:00000000 00000000     0        0 3 2\n";
        let ports: HashSet<u16> = [5060].into();
        assert_eq!(rx_queue_bytes(table, &ports), 0x300);
        assert_eq!(rx_queue_bytes(table, &HashSet::new()), 0);
    }
}
