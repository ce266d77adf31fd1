//! One registrant in memory: its row and what changes as it registers (state, Call-ID,
//! CSeq, timers), and its `reg_list` entry.

use std::net::SocketAddr;

use parking_lot::Mutex;
use serde_json::{json, Value};
use siplua_core::mi::commands::ctime;
use siplua_core::timer::TimerHandle;

use super::record::Row;
use super::state::RegState;

/// A registrant.
pub struct Registration {
    /// The table row it was made from.
    pub row: Row,
    /// What changes.
    pub live: Mutex<Live>,
}

/// A request of ours waiting for its final answer (tm's client transaction carries it; an
/// answer whose number is not the one waiting is ignored).
pub struct Tx {
    /// The number of the request (see [`Live::sent`]).
    pub id: u64,
    /// An unREGISTER (Expires 0).
    pub unregister: bool,
    /// It carries credentials.
    pub authenticated: bool,
}

/// The changing part of a registrant.
pub struct Live {
    /// Where it stands.
    pub state: RegState,
    /// False once disabled (state column 1, `reg_disable`).
    pub enabled: bool,
    /// Replaced by a reload: it sends nothing more.
    pub retired: bool,
    /// The Call-ID of its REGISTERs.
    pub call_id: String,
    /// The From tag of its REGISTERs.
    pub from_tag: String,
    /// The CSeq number of the last request sent.
    pub cseq: u32,
    /// The expiry asked for, then the one granted.
    pub expires: u32,
    /// Unix time of the last REGISTER sent.
    pub last_register_sent: i64,
    /// Unix time of the next REGISTER (refresh or retry).
    pub registration_timeout: i64,
    /// The address the last request went to.
    pub dst: Option<SocketAddr>,
    /// The number of the last request built (numbers grow over all registrants).
    pub sent: u64,
    /// The request waiting for its answer.
    pub tx: Option<Tx>,
    /// The next REGISTER (or unREGISTER) to send.
    pub next: Option<TimerHandle>,
}

/// Random hex digits (`bytes` random bytes); a counter-based fallback keeps them unique when
/// the system has no randomness to give.
fn random_hex(bytes: usize) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static FALLBACK: AtomicU64 = AtomicU64::new(1);
    let mut raw = vec![0u8; bytes];
    if getrandom::fill(&mut raw).is_err() {
        let n = FALLBACK.fetch_add(1, Ordering::Relaxed).to_be_bytes();
        for (i, b) in raw.iter_mut().enumerate() {
            *b = n[i % 8] ^ (std::process::id() as u8);
        }
    }
    crate::auth::digest::hex(&raw)
}

impl Live {
    /// A new Call-ID and From tag, CSeq from 0 (at creation and after a failure, as
    /// OpenSIPS starts over).
    pub fn new_dialog(&mut self) {
        self.call_id = random_hex(12);
        self.from_tag = random_hex(4);
        self.cseq = 0;
    }

    /// Cancels the scheduled REGISTER.
    pub fn cancel_next(&mut self) {
        if let Some(t) = self.next.take() {
            t.cancel();
        }
    }
}

impl Registration {
    /// A registrant not registered yet.
    pub fn new(row: Row) -> Registration {
        let mut live = Live {
            state: RegState::NotRegistered,
            enabled: row.enabled,
            retired: false,
            call_id: String::new(),
            from_tag: String::new(),
            cseq: 0,
            expires: row.expiry,
            last_register_sent: 0,
            registration_timeout: 0,
            dst: None,
            sent: 0,
            tx: None,
            next: None,
        };
        live.new_dialog();
        Registration {
            row,
            live: Mutex::new(live),
        }
    }

    /// Its `reg_list` record, with OpenSIPS' field names (`enabled` is siplua's).
    pub fn listing(&self) -> Value {
        let r = &self.row;
        let l = self.live.lock();
        let mut o = json!({
            "AOR": r.aor,
            "expires": l.expires,
            "state": l.state.name(),
            "last_register_sent": ctime(l.last_register_sent),
            "registration_t_out": ctime(l.registration_timeout),
            "registrar": r.registrar,
            "binding": r.binding_uri,
        });
        if !r.binding_params.is_empty() {
            o["binding_params"] = json!(r.binding_params);
        }
        if let Some(t) = &r.third_party_registrant {
            o["third_party_registrant"] = json!(t);
        }
        if let Some(p) = &r.proxy {
            o["proxy"] = json!(p);
        }
        if let Some(d) = l.dst {
            o["dst_IP"] = json!(if d.is_ipv4() { "IPv4" } else { "IPv6" });
            o["ip"] = json!(d.ip().to_string());
        }
        if let Some((tag, id)) = r.cluster_shtag.as_deref().and_then(|t| t.split_once('/')) {
            o["shtag"] = json!(tag.trim());
            o["cluster_id"] = json!(id.trim().parse::<i64>().unwrap_or(0));
        }
        o["enabled"] = json!(if l.enabled { "yes" } else { "no" });
        o
    }
}
