//! The RTP proxies a module talks to: its `*_sock` parameter read into sets, the choice of a
//! proxy for a call, and which proxies are disabled for not answering.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest a proxy is disabled for: "until enabled again" in practice (ten years).
pub const FOREVER: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// One RTP proxy's control socket.
#[derive(Debug)]
pub struct Proxy {
    /// As written in the parameter (without the weight): `udp:127.0.0.1:12221`.
    pub url: String,
    /// Where commands go.
    pub addr: SocketAddr,
    /// Relative share of new calls.
    pub weight: u32,
    /// Until when it is skipped after failing to answer (`*_disable_tout`).
    disabled_until: Mutex<Option<Instant>>,
}

impl Proxy {
    /// Whether calls may be sent to it now.
    pub fn is_enabled(&self) -> bool {
        let mut until = self
            .disabled_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match *until {
            Some(t) if Instant::now() < t => false,
            Some(_) => {
                *until = None;
                true
            }
            None => true,
        }
    }

    /// Skips it for `period` (a proxy that did not answer; MI takes one out of use with
    /// [`FOREVER`], capped so the deadline stays representable).
    pub fn disable_for(&self, period: Duration) {
        let now = Instant::now();
        let until = now.checked_add(period.min(FOREVER)).unwrap_or(now);
        *self
            .disabled_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(until);
    }

    /// Takes it back into use (MI `rtpproxy_enable`); a disabled proxy also comes back by
    /// itself when its period runs out.
    pub fn enable(&self) {
        *self
            .disabled_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The proxies of one set (`N == ...` in the parameter, or set 0).
#[derive(Debug)]
pub struct ProxySet {
    /// The set's number, as the script's `set_id` argument names it.
    pub id: i64,
    /// Its proxies, in the order given.
    pub proxies: Vec<Proxy>,
}

impl ProxySet {
    /// The proxy for a call: chosen by a hash of the Call-ID over the enabled proxies,
    /// weighted, so that the offer and the answer of one call reach the same one.
    pub fn pick(&self, call_id: &str) -> Option<&Proxy> {
        let enabled: Vec<&Proxy> = self.proxies.iter().filter(|p| p.is_enabled()).collect();
        let total: u64 = enabled.iter().map(|p| u64::from(p.weight)).sum();
        if total == 0 {
            return None;
        }
        let mut point = fnv1a(call_id.as_bytes()) % total;
        for p in enabled {
            let w = u64::from(p.weight);
            if point < w {
                return Some(p);
            }
            point -= w;
        }
        None
    }
}

/// FNV-1a, 64 bits: a stable hash (the same proxy for a call across workers and restarts).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Reads one value of the parameter `param` into `sets`: `[N ==] url[=weight] url[=weight]...`.
pub fn add_sockets(sets: &mut Vec<ProxySet>, param: &str, value: &str) -> Result<(), String> {
    let (id, list) = match value.split_once("==") {
        Some((n, rest)) => (
            n.trim()
                .parse::<i64>()
                .map_err(|_| format!("{param}: bad set number '{}'", n.trim()))?,
            rest,
        ),
        None => (0, value),
    };
    let mut proxies = Vec::new();
    for item in list.split_whitespace() {
        let (url, weight) = match item.rsplit_once('=') {
            Some((u, w)) => (
                u,
                w.parse::<u32>()
                    .map_err(|_| format!("{param}: bad weight in '{item}'"))?,
            ),
            None => (item, 1),
        };
        proxies.push(Proxy {
            url: url.to_owned(),
            addr: resolve(param, url)?,
            weight,
            disabled_until: Mutex::new(None),
        });
    }
    if proxies.is_empty() {
        return Err(format!("{param}: no socket in '{value}'"));
    }
    match sets.iter_mut().find(|s| s.id == id) {
        Some(set) => set.proxies.extend(proxies),
        None => sets.push(ProxySet { id, proxies }),
    }
    Ok(())
}

/// The address of `udp:host:port` / `udp6:host:port` (a bare `host:port` is UDP too).
fn resolve(param: &str, url: &str) -> Result<SocketAddr, String> {
    let (scheme, rest) = match url.split_once(':') {
        Some((s @ ("udp" | "udp6" | "unix" | "tcp" | "tcp6"), r)) => (s, r),
        _ => ("udp", url),
    };
    if !scheme.starts_with("udp") {
        return Err(format!(
            "{param} '{url}': only udp: control sockets are supported"
        ));
    }
    let rest = rest.trim_start_matches("//");
    let mut addrs: Vec<SocketAddr> = rest
        .to_socket_addrs()
        .map_err(|e| format!("{param} '{url}': {e}"))?
        .collect();
    // `localhost` may name ::1 first; an rtpproxy usually listens on IPv4.
    addrs.sort_by_key(|a| a.is_ipv6() != (scheme == "udp6"));
    addrs
        .into_iter()
        .next()
        .ok_or_else(|| format!("{param} '{url}': no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_weights_and_picking() {
        let mut sets = Vec::new();
        add_sockets(&mut sets, "p", "udp:localhost:12221").unwrap();
        add_sockets(
            &mut sets,
            "p",
            "1 == udp:127.0.0.1:7000=2 udp:127.0.0.2:7000=0",
        )
        .unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].id, 0);
        assert_eq!(sets[0].proxies[0].addr, "127.0.0.1:12221".parse().unwrap());
        let set1 = &sets[1];
        assert_eq!(set1.proxies.len(), 2);
        // Weight 0 is never chosen; the same Call-ID picks the same proxy.
        for id in ["a", "b", "c", "d"] {
            assert_eq!(set1.pick(id).unwrap().url, "udp:127.0.0.1:7000");
        }
        set1.proxies[0].disable_for(Duration::from_secs(60));
        assert!(set1.pick("a").is_none());
        set1.proxies[0].enable();
        assert!(set1.pick("a").is_some());
        // A huge period (MI "out of use") does not overflow the clock.
        set1.proxies[0].disable_for(Duration::MAX);
        assert!(set1.pick("a").is_none());
        assert!(add_sockets(&mut sets, "p", "unix:/var/run/rtpproxy.sock").is_err());
        assert!(add_sockets(&mut sets, "p", "x == udp:127.0.0.1:1").is_err());
    }
}
