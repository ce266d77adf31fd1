//! Queries to the name server, through `hickory-resolver` on a small runtime of its own
//! (one thread), with every answer kept in the bounded cache. Workers block on a query for
//! at most the time left of their resolution's deadline.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use parking_lot::Mutex;

use super::cache::TtlCache;
use super::srv::Srv;
use super::DnsSettings;

/// One NAPTR record (RFC 3403), as RFC 3263 uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Naptr {
    /// Lower is used first.
    pub order: u16,
    /// Tie-break within one order.
    pub preference: u16,
    /// `s` for records pointing at SRV names.
    pub flags: String,
    /// `SIP+D2U`, `SIP+D2T`, `SIPS+D2T`, ...
    pub service: String,
    /// The SRV name to look up next.
    pub replacement: String,
}

/// The record types the resolution asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QType {
    /// NAPTR.
    Naptr,
    /// SRV.
    Srv,
    /// A.
    A,
    /// AAAA.
    Aaaa,
}

/// The usable records of one answer (empty when the name has none, or the query failed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Records {
    /// NAPTR answers.
    pub naptr: Vec<Naptr>,
    /// SRV answers.
    pub srv: Vec<Srv>,
    /// A and AAAA answers.
    pub ips: Vec<IpAddr>,
}

/// The resolver with its cache.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
    cache: Mutex<TtlCache<(String, QType), Records>>,
    settings: DnsSettings,
}

impl Client {
    /// Builds the resolver for `settings`: the name server given by `dns_server`, else the
    /// system's (`/etc/resolv.conf`).
    pub fn new(settings: DnsSettings) -> Result<Client, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("dns")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the DNS runtime: {e}"))?;
        let mut builder = match settings.server {
            Some(addr) => TokioResolver::builder_with_config(
                ResolverConfig::from_parts(
                    None,
                    Vec::new(),
                    NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true),
                ),
                TokioConnectionProvider::default(),
            ),
            None => TokioResolver::builder_tokio()
                .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?,
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = settings.retr_time;
        opts.attempts = settings.retr_no as usize;
        // Our own cache holds the answers: the resolver's would hide what we count.
        opts.cache_size = 0;
        let resolver = {
            let _guard = runtime.enter();
            builder.build()
        };
        Ok(Client {
            runtime,
            resolver,
            cache: Mutex::new(TtlCache::new(settings.cache_size)),
            settings,
        })
    }

    /// The settings the client was built with.
    pub fn settings(&self) -> &DnsSettings {
        &self.settings
    }

    /// The records of type `q` for `name`, from the cache or the name server; a query that
    /// fails or is not answered before `deadline` gives no records.
    pub fn query(&self, name: &str, q: QType, deadline: Instant) -> Records {
        let key = (name.to_ascii_lowercase(), q);
        let now = Instant::now();
        if let Some(r) = self.cache.lock().get(&key, now) {
            return r;
        }
        let left = deadline.saturating_duration_since(now);
        if left.is_zero() {
            return Records::default();
        }
        let rtype = match q {
            QType::Naptr => RecordType::NAPTR,
            QType::Srv => RecordType::SRV,
            QType::A => RecordType::A,
            QType::Aaaa => RecordType::AAAA,
        };
        let answer = self.runtime.block_on(async {
            tokio::time::timeout(left, self.resolver.lookup(name, rtype)).await
        });
        let (records, ttl) = match answer {
            Ok(Ok(lookup)) => {
                let mut records = Records::default();
                let mut ttl = u32::MAX;
                for r in lookup.records() {
                    ttl = ttl.min(r.ttl());
                    add(&mut records, r.data());
                }
                let ttl = Duration::from_secs(u64::from(ttl.max(1)));
                (records, ttl.min(self.settings.cache_max_ttl))
            }
            // No such name, no records of the type, a failing server or a timeout: remembered
            // for the negative TTL so that a dead name costs one wait, not one per request.
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timeout".into(),
                };
                crate::log::emit(
                    crate::log::level::DBG,
                    "core",
                    &format!("dns: no {q:?} records for {name}: {why}"),
                );
                (Records::default(), self.settings.negative_ttl)
            }
        };
        self.cache
            .lock()
            .insert(key, records.clone(), ttl, Instant::now());
        records
    }
}

/// Adds one answer record to `records` when it is of a kind the resolution uses.
fn add(records: &mut Records, data: &RData) {
    let name = |n: &hickory_resolver::Name| n.to_utf8().trim_end_matches('.').to_owned();
    match data {
        RData::A(a) => records.ips.push(IpAddr::V4(a.0)),
        RData::AAAA(a) => records.ips.push(IpAddr::V6(a.0)),
        RData::SRV(s) => records.srv.push(Srv {
            priority: s.priority(),
            weight: s.weight(),
            port: s.port(),
            target: {
                let t = name(s.target());
                if t.is_empty() {
                    ".".into()
                } else {
                    t
                }
            },
        }),
        RData::NAPTR(n) => records.naptr.push(Naptr {
            order: n.order(),
            preference: n.preference(),
            flags: String::from_utf8_lossy(n.flags()).to_ascii_lowercase(),
            service: String::from_utf8_lossy(n.services()).to_ascii_uppercase(),
            replacement: name(n.replacement()),
        }),
        _ => {}
    }
}
