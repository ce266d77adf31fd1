//! Which calls are being traced, by Call-ID: `trace()` files an entry with its scope, and
//! every later message received or sent with that Call-ID is checked against it — a
//! transaction by its CSeq number (the request, its ACK and CANCEL, every reply), a dialog by
//! the Call-ID alone until its BYE (or a negative final reply to its INVITE) is answered.
//! An entry outlives its end by [`LINGER`], for retransmissions and the ACK; idle dialogs
//! are forgotten after [`DIALOG_IDLE`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::dest::TraceDest;

/// How long an entry lasts once its transaction or dialog is over.
pub const LINGER: Duration = Duration::from_secs(32);
/// A traced transaction that never completes is forgotten after this.
const TX_MAX: Duration = Duration::from_secs(300);
/// A traced dialog with no message for this long is forgotten (OpenSIPS' default dialog
/// lifetime).
const DIALOG_IDLE: Duration = Duration::from_secs(43_200);
/// How often expired entries are swept (on insert).
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// What an entry traces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Scope "m": the replies siplua sends to this request while its script runs.
    Message { cseq: u32 },
    /// Scope "t": every message of the transaction of this CSeq.
    Transaction { cseq: u32, method: String },
    /// Scope "d": every message of the call, from the INVITE of this CSeq.
    Dialog { cseq: u32 },
}

impl Kind {
    fn rank(&self) -> u8 {
        match self {
            Kind::Message { .. } => 0,
            Kind::Transaction { .. } => 1,
            Kind::Dialog { .. } => 2,
        }
    }
}

/// Where a matching message goes, and how it is correlated.
#[derive(Clone, Debug)]
pub struct Targets {
    /// The trace id's destinations.
    pub dests: Arc<[TraceDest]>,
    /// The correlation id (`trace()`'s last argument; the Call-ID otherwise).
    pub correlation: Option<Arc<str>>,
}

struct Entry {
    kind: Kind,
    targets: Targets,
    expires: Instant,
    /// The transaction or dialog is over: the entry only lingers.
    closing: bool,
    generation: u64,
}

/// A message as the table looks at it.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'a> {
    /// Its Call-ID.
    pub call_id: &'a str,
    /// Its CSeq number.
    pub cseq: u32,
    /// Its CSeq method.
    pub method: &'a str,
    /// The status of a reply; `None` for a request.
    pub status: Option<u16>,
    /// Sent by siplua (else received).
    pub outgoing: bool,
}

/// The traced calls.
#[derive(Default)]
pub struct Table {
    map: Mutex<HashMap<String, Entry>>,
    len: AtomicUsize,
    generation: AtomicU64,
    last_sweep: Mutex<Option<Instant>>,
}

impl Table {
    /// True when nothing is traced (checked before any parsing on the hot paths).
    pub fn is_empty(&self) -> bool {
        self.len.load(Ordering::Relaxed) == 0
    }

    /// Files `kind` for `call_id`; a wider scope already filed (a dialog over a transaction)
    /// is kept. Returns the entry's generation, which [`Table::remove`] needs.
    pub fn insert(&self, call_id: &str, kind: Kind, targets: Targets) -> u64 {
        let now = Instant::now();
        self.sweep(now);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let mut map = self.map.lock();
        if let Some(e) = map.get(call_id) {
            if e.expires > now && e.kind.rank() > kind.rank() {
                return e.generation;
            }
        }
        let life = match kind {
            Kind::Dialog { .. } => DIALOG_IDLE,
            _ => TX_MAX,
        };
        map.insert(
            call_id.to_string(),
            Entry {
                kind,
                targets,
                expires: now + life,
                closing: false,
                generation,
            },
        );
        self.len.store(map.len(), Ordering::Relaxed);
        generation
    }

    /// True when `call_id` has an entry (live or not yet swept).
    pub fn contains(&self, call_id: &str) -> bool {
        self.map.lock().contains_key(call_id)
    }

    /// Drops the entry of `call_id` if it is still the one of `generation`.
    pub fn remove(&self, call_id: &str, generation: u64) {
        let mut map = self.map.lock();
        if map.get(call_id).is_some_and(|e| e.generation == generation) {
            map.remove(call_id);
            self.len.store(map.len(), Ordering::Relaxed);
        }
    }

    /// Where `m` is to be traced, if its call is traced and the scope covers it; follows the
    /// transaction's or dialog's end.
    pub fn matches(&self, m: &Seen) -> Option<Targets> {
        let now = Instant::now();
        let mut map = self.map.lock();
        let e = map.get_mut(m.call_id)?;
        if e.expires <= now {
            return None;
        }
        let final_status = m.status.filter(|&s| s >= 200);
        let (covered, ends) = match &e.kind {
            Kind::Message { cseq } => (m.outgoing && m.status.is_some() && *cseq == m.cseq, false),
            Kind::Transaction { cseq, method } => (
                *cseq == m.cseq,
                final_status.is_some() && m.method.eq_ignore_ascii_case(method),
            ),
            Kind::Dialog { cseq } => (
                true,
                match final_status {
                    Some(_) if m.method.eq_ignore_ascii_case("BYE") => true,
                    Some(s) => {
                        s >= 300 && m.cseq == *cseq && m.method.eq_ignore_ascii_case("INVITE")
                    }
                    None => false,
                },
            ),
        };
        if !covered {
            return None;
        }
        if ends && !e.closing {
            e.closing = true;
            e.expires = now + LINGER;
        } else if !e.closing && matches!(e.kind, Kind::Dialog { .. }) {
            e.expires = now + DIALOG_IDLE;
        }
        Some(e.targets.clone())
    }

    fn sweep(&self, now: Instant) {
        {
            let mut last = self.last_sweep.lock();
            if last.is_some_and(|t| now.duration_since(t) < SWEEP_EVERY) {
                return;
            }
            *last = Some(now);
        }
        let mut map = self.map.lock();
        map.retain(|_, e| e.expires > now);
        self.len.store(map.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Targets {
        Targets {
            dests: Arc::from(Vec::new()),
            correlation: None,
        }
    }

    fn seen<'a>(cseq: u32, method: &'a str, status: Option<u16>, outgoing: bool) -> Seen<'a> {
        Seen {
            call_id: "c1",
            cseq,
            method,
            status,
            outgoing,
        }
    }

    #[test]
    fn transaction_scope_follows_one_cseq() {
        let t = Table::default();
        t.insert(
            "c1",
            Kind::Transaction {
                cseq: 1,
                method: "INVITE".into(),
            },
            targets(),
        );
        assert!(t.matches(&seen(1, "INVITE", None, true)).is_some());
        assert!(t.matches(&seen(1, "INVITE", Some(180), false)).is_some());
        assert!(t.matches(&seen(2, "BYE", None, false)).is_none());
        assert!(t.matches(&seen(1, "ACK", None, false)).is_some());
        assert!(t
            .matches(&Seen {
                call_id: "other",
                ..seen(1, "INVITE", None, true)
            })
            .is_none());
    }

    #[test]
    fn dialog_scope_and_wider_scope_kept() {
        let t = Table::default();
        t.insert("c1", Kind::Dialog { cseq: 1 }, targets());
        let g = t.insert("c1", Kind::Message { cseq: 5 }, targets());
        assert!(t.matches(&seen(2, "BYE", None, false)).is_some());
        t.remove("c1", g + 100);
        assert!(!t.is_empty());
        assert!(t.matches(&seen(2, "BYE", Some(200), true)).is_some());
    }

    #[test]
    fn message_scope_only_sent_replies_until_removed() {
        let t = Table::default();
        let g = t.insert("c1", Kind::Message { cseq: 3 }, targets());
        assert!(t.matches(&seen(3, "OPTIONS", None, true)).is_none());
        assert!(t.matches(&seen(3, "OPTIONS", Some(200), false)).is_none());
        assert!(t.matches(&seen(3, "OPTIONS", Some(200), true)).is_some());
        t.remove("c1", g);
        assert!(t.is_empty());
        assert!(t.matches(&seen(3, "OPTIONS", Some(200), true)).is_none());
    }
}
