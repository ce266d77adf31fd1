//! The destinations in memory: read from the table at start-up and on `ds_reload`, grouped
//! by set id, each set ordered by priority (highest first, then table order). The state of a
//! destination changes at run time (`ds_mark_dst`, MI `ds_set_state`) without a reload.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use siplua_sip::Uri;

use super::params::Settings;
use crate::auth_db::store::Store;

/// A destination's state, with the table's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsState {
    /// Selected by the algorithms.
    Active = 0,
    /// Skipped.
    Inactive = 1,
    /// Skipped; probed back to active when probing is on.
    Probing = 2,
}

impl DsState {
    /// From the table's column (anything unknown is active, as a missing value).
    pub fn from_column(n: i64) -> DsState {
        match n {
            1 => DsState::Inactive,
            2 => DsState::Probing,
            _ => DsState::Active,
        }
    }

    /// From the letters the script and MI use: `a`/`1` active, `i`/`0` inactive,
    /// `p`/`2` probing.
    pub fn from_letter(s: &str) -> Option<DsState> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a" | "1" => Some(DsState::Active),
            "i" | "0" => Some(DsState::Inactive),
            "p" | "2" => Some(DsState::Probing),
            _ => None,
        }
    }

    /// The name `ds_list` prints.
    pub fn name(self) -> &'static str {
        match self {
            DsState::Active => "Active",
            DsState::Inactive => "Inactive",
            DsState::Probing => "Probing",
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Destination {
    /// The SIP URI, as written.
    pub uri: String,
    /// The addresses the host resolved to at load (for `ds_is_in_list`).
    pub ips: Vec<IpAddr>,
    /// The URI's port, 5060 (5061 for sips) when absent.
    pub port: u16,
    /// The local socket to send from, as written (`udp:10.0.0.1:5060`).
    pub socket: Option<String>,
    /// Relative share in the weighted algorithms.
    pub weight: u32,
    /// Order inside the set.
    pub priority: i64,
    /// Opaque attributes.
    pub attrs: String,
    /// Free text.
    pub description: String,
    /// The probe_mode column (listed only).
    pub probe_mode: i64,
    state: AtomicU8,
    failures: AtomicU32,
    /// How many times it was the first choice of a selection.
    pub hits: AtomicU64,
}

impl Destination {
    /// The current state.
    pub fn state(&self) -> DsState {
        DsState::from_column(i64::from(self.state.load(Ordering::Relaxed)))
    }

    /// True when the algorithms may choose it.
    pub fn is_active(&self) -> bool {
        self.state() == DsState::Active
    }

    /// Sets the state (and forgets counted failures).
    pub fn set_state(&self, s: DsState) {
        self.failures.store(0, Ordering::Relaxed);
        self.state.store(s as u8, Ordering::Relaxed);
    }

    /// Counts one failure towards probing; the state changes at `threshold` failures.
    pub fn fail_towards_probing(&self, threshold: u32) {
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= threshold {
            self.set_state(DsState::Probing);
        }
    }

    /// True when `ip` (and `port` unless 0) is this destination's address.
    pub fn matches(&self, ip: IpAddr, port: u16) -> bool {
        (port == 0 || port == self.port) && self.ips.contains(&ip)
    }
}

/// One set of destinations.
#[derive(Debug)]
pub struct DsSet {
    /// Its id.
    pub id: i64,
    /// Its destinations, in selection order.
    pub dests: Vec<Destination>,
    /// Destination indexes, each repeated by its weight (every index once when all weights
    /// are 0): what the hashing, round-robin and random algorithms index into.
    pub slots: Vec<usize>,
    /// The round-robin position.
    pub next: AtomicUsize,
}

/// Every set, by ascending id.
#[derive(Debug, Default)]
pub struct Sets {
    /// The sets.
    pub sets: Vec<DsSet>,
}

impl Sets {
    /// The set `id`.
    pub fn get(&self, id: i64) -> Option<&DsSet> {
        self.sets.iter().find(|s| s.id == id)
    }

    /// Reads the table.
    pub fn load(store: &dyn Store, settings: &Settings) -> Result<Sets, String> {
        let c = &settings.columns;
        let all = [
            &c.setid,
            &c.destination,
            &c.state,
            &c.weight,
            &c.priority,
            &c.attrs,
            &c.socket,
            &c.description,
            &c.probe_mode,
        ]
        .map(String::as_str);
        // Tables made for OpenSIPS 3.0/3.1 have no probe_mode column.
        let rows = match store.select(&settings.table, &all, &[]) {
            Ok(rows) => rows,
            Err(_) => store.select(&settings.table, &all[..8], &[])?,
        };
        let mut sets: Vec<DsSet> = Vec::new();
        for row in rows {
            let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
            let int = |i: usize| text(i).trim().parse::<i64>().ok();
            let Some(setid) = int(0) else {
                return Err(format!("a row of {} has no set id", settings.table));
            };
            let state = if settings.persistent_state {
                DsState::from_column(int(2).unwrap_or(0))
            } else {
                DsState::Active
            };
            let dest = destination(
                &text(1),
                state,
                int(3).map_or(1, |w| w.clamp(0, 10_000) as u32),
                int(4).unwrap_or(0),
                Some(text(6)).filter(|s| !s.trim().is_empty()),
                text(5),
                text(7),
                int(8).unwrap_or(0),
            )?;
            match sets.iter_mut().find(|s| s.id == setid) {
                Some(s) => s.dests.push(dest),
                None => sets.push(DsSet {
                    id: setid,
                    dests: vec![dest],
                    slots: Vec::new(),
                    next: AtomicUsize::new(0),
                }),
            }
        }
        sets.sort_by_key(|s| s.id);
        for set in &mut sets {
            // Stable: equal priorities keep the table's order.
            set.dests.sort_by_key(|d| std::cmp::Reverse(d.priority));
            set.slots = slots(&set.dests);
        }
        Ok(Sets { sets })
    }
}

fn slots(dests: &[Destination]) -> Vec<usize> {
    if dests.iter().all(|d| d.weight == 0) {
        return (0..dests.len()).collect();
    }
    dests
        .iter()
        .enumerate()
        .flat_map(|(i, d)| std::iter::repeat_n(i, d.weight as usize))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn destination(
    uri: &str,
    state: DsState,
    weight: u32,
    priority: i64,
    socket: Option<String>,
    attrs: String,
    description: String,
    probe_mode: i64,
) -> Result<Destination, String> {
    let uri = uri.trim();
    let u = Uri::parse(uri).map_err(|e| format!("bad destination {uri:?}: {e}"))?;
    let host = u.host().trim_start_matches('[').trim_end_matches(']');
    let port = u
        .port()
        .unwrap_or(if u.scheme_str().eq_ignore_ascii_case("sips") {
            5061
        } else {
            5060
        });
    let ips = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map(|a| a.map(|s| s.ip()).collect())
            .unwrap_or_default(),
    };
    Ok(Destination {
        uri: uri.to_owned(),
        ips,
        port,
        socket,
        weight,
        priority,
        attrs,
        description,
        probe_mode,
        state: AtomicU8::new(state as u8),
        failures: AtomicU32::new(0),
        hits: AtomicU64::new(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(uri: &str, weight: u32, priority: i64) -> Destination {
        destination(
            uri,
            DsState::Active,
            weight,
            priority,
            None,
            String::new(),
            String::new(),
            0,
        )
        .unwrap()
    }

    #[test]
    fn weights_make_slots_and_ports_default() {
        let d = [dest("sip:10.0.0.1", 1, 0), dest("sip:10.0.0.2:5070", 3, 0)];
        assert_eq!(slots(&d), vec![0, 1, 1, 1]);
        assert_eq!(d[0].port, 5060);
        assert!(d[1].matches("10.0.0.2".parse().unwrap(), 5070));
        assert!(d[1].matches("10.0.0.2".parse().unwrap(), 0));
        assert!(!d[1].matches("10.0.0.2".parse().unwrap(), 5060));
        let zero = [dest("sip:a.invalid", 0, 0), dest("sip:b.invalid", 0, 0)];
        assert_eq!(slots(&zero), vec![0, 1]);
    }

    #[test]
    fn probing_after_threshold_failures() {
        let d = dest("sip:10.0.0.1", 1, 0);
        d.fail_towards_probing(2);
        assert!(d.is_active());
        d.fail_towards_probing(2);
        assert_eq!(d.state(), DsState::Probing);
        assert_eq!(DsState::from_letter("I"), Some(DsState::Inactive));
        assert_eq!(DsState::from_letter("x"), None);
    }
}
