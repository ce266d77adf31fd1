//! The gateways and carriers in memory, read from `dr_gateways` and `dr_carriers`. Their
//! state changes at run time (MI `dr_gw_status`, `dr_carrier_status`) without a reload.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU8, Ordering};

use crate::auth_db::store::Store;

/// A gateway's or carrier's state, with the tables' numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Used for routing.
    Active = 0,
    /// Skipped.
    Inactive = 1,
    /// Skipped (set by probing in OpenSIPS; here only from the table).
    Probing = 2,
}

impl State {
    /// From a state column (anything unknown is active).
    pub fn from_column(n: i64) -> State {
        match n {
            1 => State::Inactive,
            2 => State::Probing,
            _ => State::Active,
        }
    }

    /// The name the MI commands print.
    pub fn name(self) -> &'static str {
        match self {
            State::Active => "Active",
            State::Inactive => "Inactive",
            State::Probing => "Probing",
        }
    }
}

/// A state that MI changes while requests read it.
#[derive(Debug)]
pub struct LiveState(AtomicU8);

impl LiveState {
    /// Starts at `s`.
    pub fn new(s: State) -> LiveState {
        LiveState(AtomicU8::new(s as u8))
    }

    /// The state now.
    pub fn get(&self) -> State {
        State::from_column(i64::from(self.0.load(Ordering::Relaxed)))
    }

    /// Changes it.
    pub fn set(&self, s: State) {
        self.0.store(s as u8, Ordering::Relaxed)
    }
}

/// One row of `dr_gateways`.
#[derive(Debug)]
pub struct Gateway {
    /// The gwid (text).
    pub id: String,
    /// The user-defined type `is_from_gw`/`goes_to_gw` filter on.
    pub gw_type: i64,
    /// `host[:port]`, without scheme.
    pub address: String,
    /// The addresses the host resolved to at load.
    pub ips: Vec<IpAddr>,
    /// The port when the address has one.
    pub port: Option<u16>,
    /// How many leading characters of the number to remove.
    pub strip: usize,
    /// What to put in front of the number (after stripping).
    pub pri_prefix: String,
    /// Opaque attributes for the script.
    pub attrs: String,
    /// The local socket to send from, as written.
    pub socket: Option<String>,
    /// Active, inactive or probing.
    pub state: LiveState,
}

impl Gateway {
    /// True when `ip` (and `port`, when both this gateway and the caller have one) match.
    pub fn matches(&self, ip: IpAddr, port: Option<u16>) -> bool {
        self.ips.contains(&ip)
            && match (self.port, port) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }

    /// Parses an address column: `[sip:]host[:port]`, host an IP, `[IPv6]` or a name.
    fn parse_address(text: &str) -> (String, String, Option<u16>) {
        let t = text.trim();
        let t = t
            .strip_prefix("sip:")
            .or_else(|| t.strip_prefix("sips:"))
            .unwrap_or(t);
        let t = t.split(';').next().unwrap_or_default();
        let (host, port) = if let Some(rest) = t.strip_prefix('[') {
            let (h, after) = rest.split_once(']').unwrap_or((rest, ""));
            (
                h.to_owned(),
                after.strip_prefix(':').and_then(|p| p.parse().ok()),
            )
        } else {
            match t.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h.to_owned(), p.parse().ok()),
                _ => (t.to_owned(), None),
            }
        };
        (t.to_owned(), host, port)
    }
}

/// One row of `dr_carriers`: an ordered list of gateways.
#[derive(Debug)]
pub struct Carrier {
    /// The carrierid.
    pub id: String,
    /// Gateway indexes with their weights, in list order.
    pub gws: Vec<(usize, u32)>,
    /// `N` (list order), `W` (weights) or `Q` (taken as `N`).
    pub sort_alg: char,
    /// Opaque attributes for the script.
    pub attrs: String,
    /// Active or inactive.
    pub state: LiveState,
}

/// Resolves a host to its addresses (once, at load).
fn resolve(host: &str, port: Option<u16>) -> Vec<IpAddr> {
    match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => (host, port.unwrap_or(5060))
            .to_socket_addrs()
            .map(|a| a.map(|s| s.ip()).collect())
            .unwrap_or_default(),
    }
}

/// Reads `dr_gateways`.
pub fn load_gateways(
    store: &dyn Store,
    table: &str,
    persistent: bool,
) -> Result<Vec<Gateway>, String> {
    let cols = [
        "gwid",
        "type",
        "address",
        "strip",
        "pri_prefix",
        "attrs",
        "state",
        "socket",
    ];
    let rows = store.select(table, &cols, &[])?;
    let mut out = Vec::new();
    for row in rows {
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let int = |i: usize| text(i).trim().parse::<i64>().ok();
        let id = text(0).trim().to_owned();
        if id.is_empty() {
            return Err(format!("a row of {table} has no gwid"));
        }
        let (address, host, port) = Gateway::parse_address(&text(2));
        if host.is_empty() {
            return Err(format!("gateway {id} has no address"));
        }
        let state = match persistent {
            true => State::from_column(int(6).unwrap_or(0)),
            false => State::Active,
        };
        out.push(Gateway {
            ips: resolve(&host, port),
            id,
            gw_type: int(1).unwrap_or(0),
            address,
            port,
            strip: int(3).unwrap_or(0).max(0) as usize,
            pri_prefix: text(4).trim().to_owned(),
            attrs: text(5),
            socket: Some(text(7)).filter(|s| !s.trim().is_empty()),
            state: LiveState::new(state),
        });
    }
    Ok(out)
}

/// Splits a gwlist into `(id, weight)`: ids separated by `,` or `;` (or blanks), each with
/// an optional `=weight` (1 when absent).
pub fn split_list(list: &str) -> Vec<(String, u32)> {
    list.split([',', ';', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| match item.split_once('=') {
            Some((id, w)) => (id.trim().to_owned(), w.trim().parse().unwrap_or(1)),
            None => (item.to_owned(), 1),
        })
        .collect()
}

/// The first letter of a sort_alg column, upper case (`N` when empty).
pub fn sort_alg(text: &str) -> char {
    text.trim()
        .chars()
        .next()
        .map_or('N', |c| c.to_ascii_uppercase())
}

/// Reads `dr_carriers`; a gateway id not in `gws` is left out (logged).
pub fn load_carriers(
    store: &dyn Store,
    table: &str,
    gws: &[Gateway],
    persistent: bool,
) -> Result<Vec<Carrier>, String> {
    let cols = ["carrierid", "gwlist", "sort_alg", "state", "attrs"];
    let rows = store.select(table, &cols, &[])?;
    let mut out = Vec::new();
    for row in rows {
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let id = text(0).trim().to_owned();
        let mut list = Vec::new();
        for (gw, w) in split_list(&text(1)) {
            match gws.iter().position(|g| g.id == gw) {
                Some(i) => list.push((i, w)),
                None => super::log_warn(&format!("carrier {id}: unknown gateway {gw} left out")),
            }
        }
        let state = match persistent {
            true => State::from_column(text(3).trim().parse().unwrap_or(0)),
            false => State::Active,
        };
        out.push(Carrier {
            id,
            gws: list,
            sort_alg: sort_alg(&text(2)),
            attrs: text(4),
            state: LiveState::new(state),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_lists_parse() {
        let (a, h, p) = Gateway::parse_address("sip:10.0.0.1:5070");
        assert_eq!(
            (a.as_str(), h.as_str(), p),
            ("10.0.0.1:5070", "10.0.0.1", Some(5070))
        );
        let (_, h, p) = Gateway::parse_address("[::1]:5080");
        assert_eq!((h.as_str(), p), ("::1", Some(5080)));
        let (_, h, p) = Gateway::parse_address("gw.example.com");
        assert_eq!((h.as_str(), p), ("gw.example.com", None));
        assert_eq!(
            split_list("1=10, 2;#c1"),
            vec![("1".into(), 10), ("2".into(), 1), ("#c1".into(), 1)]
        );
        assert_eq!(sort_alg(" w"), 'W');
        assert_eq!(sort_alg(""), 'N');
    }
}
