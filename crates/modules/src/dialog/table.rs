//! The dialogs siplua tracks, shared by every worker: created by `create_dialog()`, found
//! again by Call-ID and tags, moved through OpenSIPS' states by the requests and replies seen.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use siplua_sip::Message;

/// OpenSIPS' dialog states (`$DLG_status`).
pub mod state {
    /// Created, no reply yet.
    pub const UNCONFIRMED: i64 = 1;
    /// A provisional reply with a To-tag was seen.
    pub const EARLY: i64 = 2;
    /// A 2xx was seen, not yet its ACK.
    pub const CONFIRMED_NA: i64 = 3;
    /// The ACK of the 2xx was seen.
    pub const CONFIRMED: i64 = 4;
    /// Ended: BYE, a negative final reply, or the lifetime ran out.
    pub const DELETED: i64 = 5;
}

/// How long an ended dialog stays visible (a BYE's retransmissions and its reply still
/// find it, as in OpenSIPS).
const LINGER: Duration = Duration::from_secs(10);

/// The table key: Call-ID and the caller's From tag.
pub type Key = (String, String);

/// One dialog.
pub struct Dialog {
    /// A number unique in this run (`$DLG_did`).
    pub id: u64,
    /// The callee's tag, once a reply carried one.
    pub callee_tag: Option<String>,
    /// One of [`state`].
    pub state: i64,
    /// When `create_dialog()` ran.
    pub start: Instant,
    /// Its lifetime: it ends (state 5) when it runs out.
    pub timeout: Duration,
    /// When it ended, for the linger time.
    pub ended: Option<Instant>,
    /// `set_dlg_profile` memberships: profile and value ("" without a value).
    pub profiles: Vec<(String, String)>,
    /// `store_dlg_value` values (`$dlg_val`).
    pub values: HashMap<String, String>,
}

impl Dialog {
    fn end(&mut self, now: Instant) {
        if self.state != state::DELETED {
            self.state = state::DELETED;
            self.ended = Some(now);
        }
    }

    fn expire(&mut self, now: Instant) {
        if self.state != state::DELETED && now >= self.start + self.timeout {
            self.end(now);
        }
    }

    /// True while it counts in profiles and `$DLG_count`.
    pub fn active(&self) -> bool {
        self.state != state::DELETED
    }
}

/// Which side sent a request, relative to the dialog's INVITE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the caller.
    Downstream,
    /// From the callee.
    Upstream,
}

/// The dialog of the current message (a per-message extension of the context).
#[derive(Clone, Debug)]
pub struct Current {
    /// Its key.
    pub key: Key,
    /// Who sent the message.
    pub dir: Direction,
}

/// Every dialog.
#[derive(Default)]
pub struct Table {
    dialogs: Mutex<HashMap<Key, Dialog>>,
    next_id: AtomicU64,
}

fn tags(msg: &Message) -> (Option<String>, Option<String>) {
    let from = msg.from().ok().and_then(|f| f.tag().map(str::to_owned));
    let to = msg.to().ok().and_then(|t| t.tag().map(str::to_owned));
    (from, to)
}

impl Table {
    /// Creates the dialog of an initial INVITE (or finds the one a retransmission made).
    pub fn create(&self, msg: &Message, timeout: Duration) -> Option<Key> {
        let call_id = msg.call_id().ok()?.to_owned();
        let (Some(from_tag), None) = tags(msg) else {
            return None;
        };
        let key = (call_id, from_tag);
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        map.retain(|_, d| {
            d.expire(now);
            d.ended.is_none_or(|t| now < t + LINGER)
        });
        map.entry(key.clone()).or_insert_with(|| Dialog {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            callee_tag: None,
            state: state::UNCONFIRMED,
            start: now,
            timeout,
            ended: None,
            profiles: Vec::new(),
            values: HashMap::new(),
        });
        Some(key)
    }

    /// Finds the dialog of an in-dialog request, and who sent it.
    pub fn match_request(&self, msg: &Message) -> Option<Current> {
        let call_id = msg.call_id().ok()?.to_owned();
        let (Some(from_tag), Some(to_tag)) = tags(msg) else {
            return None;
        };
        let map = self.dialogs.lock();
        let down = (call_id.clone(), from_tag.clone());
        if map.contains_key(&down) {
            return Some(Current {
                key: down,
                dir: Direction::Downstream,
            });
        }
        let up = (call_id, to_tag);
        map.get(&up)
            .filter(|d| d.callee_tag.as_deref().is_none_or(|t| t == from_tag))
            .map(|_| Current {
                key: up,
                dir: Direction::Upstream,
            })
    }

    /// Follows a received message: ACK confirms, BYE ends, INVITE replies move the state.
    pub fn observe(&self, msg: &Message, current: Option<&Current>) {
        let now = Instant::now();
        if msg.is_request() {
            let Some(cur) = current else { return };
            let mut map = self.dialogs.lock();
            let Some(d) = map.get_mut(&cur.key) else {
                return;
            };
            d.expire(now);
            match msg.method_str() {
                Some("ACK") if d.state == state::CONFIRMED_NA => d.state = state::CONFIRMED,
                Some("BYE") => d.end(now),
                _ => {}
            }
            return;
        }
        let Ok(cseq) = msg.cseq() else { return };
        if cseq.method != "INVITE" {
            return;
        }
        let (Ok(call_id), (Some(from_tag), to_tag)) = (msg.call_id(), tags(msg)) else {
            return;
        };
        let code = msg.status_code().unwrap_or(0);
        self.reply(&(call_id.to_owned(), from_tag), code, to_tag.as_deref());
    }

    /// An INVITE reply (received, or the final one tm sent upstream).
    pub fn reply(&self, key: &Key, code: u16, to_tag: Option<&str>) {
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        let Some(d) = map.get_mut(key) else { return };
        d.expire(now);
        if d.state >= state::CONFIRMED_NA {
            return;
        }
        match code {
            101..=199 if to_tag.is_some() => {
                d.state = state::EARLY;
                d.callee_tag = to_tag.map(str::to_owned);
            }
            200..=299 => {
                d.state = state::CONFIRMED_NA;
                d.callee_tag = to_tag.filter(|t| !t.is_empty()).map(str::to_owned);
            }
            300.. => d.end(now),
            _ => {}
        }
    }

    /// Runs `f` on a dialog (after expiring it when its lifetime ran out).
    pub fn with<T>(&self, key: &Key, f: impl FnOnce(&mut Dialog) -> T) -> Option<T> {
        let mut map = self.dialogs.lock();
        let d = map.get_mut(key)?;
        d.expire(Instant::now());
        Some(f(d))
    }

    /// Ends a dialog now (its INVITE was answered without a transaction, for instance).
    pub fn end(&self, key: &Key) {
        let _ = self.with(key, |d| d.end(Instant::now()));
    }

    /// The key of a reply's dialog, when it has one.
    pub fn key_of_reply(&self, msg: &Message) -> Option<Key> {
        let key = (msg.call_id().ok()?.to_owned(), tags(msg).0?);
        self.dialogs.lock().contains_key(&key).then_some(key)
    }

    /// Active dialogs in `profile` (with `value`, when given).
    pub fn profile_size(&self, profile: &str, value: Option<&str>) -> usize {
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        map.values_mut().for_each(|d| d.expire(now));
        map.values()
            .filter(|d| d.active())
            .filter(|d| {
                d.profiles
                    .iter()
                    .any(|(p, v)| p == profile && value.is_none_or(|w| w == v))
            })
            .count()
    }

    /// Active dialogs.
    pub fn active(&self) -> usize {
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        map.values_mut().for_each(|d| d.expire(now));
        map.values().filter(|d| d.active()).count()
    }
}
