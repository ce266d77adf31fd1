//! DNS resolution of request destinations (RFC 3263: NAPTR, SRV, A/AAAA) with a bounded
//! cache, configured by the core parameters `dns_*`. One resolver per process, built on
//! first use from the settings of the last loaded configuration.

mod cache;
mod client;
mod rfc3263;
mod srv;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::forward::Target;
use client::{Client, QType};
pub use rfc3263::Wanted;

/// What the `dns_*` core parameters set.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsSettings {
    /// Name server to ask (`dns_server`); none: the system's (`/etc/resolv.conf`).
    pub server: Option<SocketAddr>,
    /// Look up NAPTR before SRV (`dns_try_naptr`, default yes as OpenSIPS).
    pub try_naptr: bool,
    /// Look up AAAA after A (`dns_try_ipv6`, default no as OpenSIPS).
    pub try_ipv6: bool,
    /// tm tries the next DNS target of a branch that got 503 or timed out
    /// (`disable_dns_failover = no`, the default).
    pub failover: bool,
    /// Time to wait for one answer (`dns_retr_time`, seconds; default 2).
    pub retr_time: Duration,
    /// Attempts per query (`dns_retr_no`; default 2). A whole resolution never blocks
    /// longer than `retr_time * retr_no`.
    pub retr_no: u32,
    /// Answers kept at most (`dns_cache_size`, entries; default 1024, 0 = no cache).
    pub cache_size: usize,
    /// Upper bound on how long an answer is kept, whatever its TTL (`dns_cache_max_ttl`).
    pub cache_max_ttl: Duration,
    /// How long a name without records (or a failed query) is remembered
    /// (`dns_cache_negative_ttl`).
    pub negative_ttl: Duration,
}

/// The defaults, OpenSIPS' where it has the parameter.
const DEFAULTS: DnsSettings = DnsSettings {
    server: None,
    try_naptr: true,
    try_ipv6: false,
    failover: true,
    retr_time: Duration::from_secs(2),
    retr_no: 2,
    cache_size: 1024,
    cache_max_ttl: Duration::from_secs(3600),
    negative_ttl: Duration::from_secs(60),
};

impl Default for DnsSettings {
    fn default() -> Self {
        DEFAULTS
    }
}

/// The settings in force and the resolver built from them (lazily: `siplua -c` and
/// configurations that only use IP addresses never start it).
struct Global {
    settings: DnsSettings,
    client: Option<Arc<Client>>,
}

static GLOBAL: Mutex<Global> = Mutex::new(Global {
    settings: DEFAULTS,
    client: None,
});

/// Installs the settings of a loaded configuration (the resolver is rebuilt on next use
/// when they changed).
pub fn configure(settings: DnsSettings) {
    let mut g = GLOBAL.lock();
    if g.settings != settings {
        g.settings = settings;
        g.client = None;
    }
}

/// True when tm should fail over to the next DNS target (`disable_dns_failover = no`).
pub fn failover_enabled() -> bool {
    GLOBAL.lock().settings.failover
}

fn client() -> Result<Arc<Client>, String> {
    let mut g = GLOBAL.lock();
    if let Some(c) = &g.client {
        return Ok(c.clone());
    }
    let c = Arc::new(Client::new(g.settings.clone())?);
    g.client = Some(c.clone());
    Ok(c)
}

/// The ordered targets for a destination (RFC 3263); an error when none resolves.
pub fn resolve(w: Wanted<'_>) -> Result<Vec<Target>, String> {
    let proto = w.default_proto();
    if let Ok(ip) = w.host.parse() {
        let port = w.port.unwrap_or(crate::forward::default_port(proto));
        return Ok(vec![Target {
            proto,
            addr: SocketAddr::new(ip, port),
        }]);
    }
    let client = client()?;
    let s = client.settings();
    let deadline = Instant::now() + s.retr_time * s.retr_no.max(1);
    let steps = rfc3263::Steps {
        naptr: s.try_naptr,
        ipv6: s.try_ipv6,
    };
    let mut lookup = |name: &str, q| client.query(name, q, deadline);
    let mut draw = srv::random_draw();
    let list = rfc3263::targets(w, steps, &mut lookup, &mut draw);
    if list.is_empty() {
        return Err(format!("cannot resolve '{}'", w.host));
    }
    Ok(list)
}

/// The first address of a host name (`{ip.resolve}`): its A records, then AAAA when
/// `dns_try_ipv6` is on; `None` when it has none or the resolver fails (logged).
pub fn resolve_host(name: &str) -> Option<IpAddr> {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot resolve {name}: {e}");
            return None;
        }
    };
    let s = client.settings();
    let deadline = Instant::now() + s.retr_time * s.retr_no.max(1);
    let mut types = vec![QType::A];
    if s.try_ipv6 {
        types.push(QType::Aaaa);
    }
    types
        .into_iter()
        .find_map(|q| client.query(name, q, deadline).ips.first().copied())
}
