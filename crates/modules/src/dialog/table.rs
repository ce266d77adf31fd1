//! The dialogs siplua tracks, shared by every worker: created by `create_dialog()`, found
//! again by Call-ID and tags, moved through OpenSIPS' states by the requests and replies seen.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};
use siplua_core::context::Context;
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

/// A module's look at every later message of a dialog (in-dialog requests both ways and
/// the replies siplua matches to it), run before the script (`rtpproxy_engage`).
pub type MessageWatcher = Arc<dyn Fn(&mut Context, Direction) + Send + Sync>;

/// A module's job for when a dialog ends (BYE, failed call, lifetime), run once on the
/// dialog module's end-job thread (`jobs.rs`): it may wait on the network, and the dialog's
/// lock is not held.
pub type EndWatcher = Box<dyn FnOnce() + Send>;

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
    /// `set_dlg_flag` flags, bit `n` for flag `n` (0..31).
    pub flags: u32,
    /// `dlg_on_timeout`: the route run when the lifetime runs out; the dialog then ends
    /// only after it (see `timeout.rs`).
    pub on_timeout: Option<usize>,
    /// Bumped each time the timeout timer is armed: an older timer finds it changed and
    /// does nothing.
    pub timer_generation: u64,
    /// Why it ended, in OpenSIPS' words (`$DLG_end_reason`): a BYE or its lifetime; none
    /// when it failed (a negative final reply) or has not ended.
    pub end_reason: Option<&'static str>,
    /// Modules following its messages ([`MessageWatcher`]), by module name.
    pub watchers: Vec<(&'static str, MessageWatcher)>,
    /// Modules to tell when it ends ([`EndWatcher`]).
    pub on_end: Vec<EndWatcher>,
}

/// `$DLG_end_reason` values, as OpenSIPS names them.
pub mod reason {
    /// The callee sent a BYE.
    pub const UPSTREAM_BYE: &str = "Upstream BYE";
    /// The caller sent a BYE.
    pub const DOWNSTREAM_BYE: &str = "Downstream BYE";
    /// The lifetime ran out.
    pub const LIFETIME: &str = "Lifetime Timeout";
}

impl Dialog {
    /// Ends it (state 5) now.
    pub(super) fn end(&mut self, now: Instant) {
        if self.state != state::DELETED {
            self.state = state::DELETED;
            self.ended = Some(now);
            self.watchers.clear();
            let jobs = std::mem::take(&mut self.on_end);
            if !jobs.is_empty() {
                super::jobs::run_later(jobs);
            }
        }
    }

    /// Ends it now for `why` ([`reason`]), unless it has already ended.
    pub(super) fn end_because(&mut self, now: Instant, why: &'static str) {
        if self.state != state::DELETED {
            self.end_reason = Some(why);
            self.end(now);
        }
    }

    /// Ends it when its lifetime ran out — unless a timeout route is to run first.
    fn expire(&mut self, now: Instant) {
        if self.state != state::DELETED && self.on_timeout.is_none() && self.left(now).is_zero() {
            self.end_because(now, reason::LIFETIME);
        }
    }

    /// The lifetime left at `now`.
    pub fn left(&self, now: Instant) -> Duration {
        (self.start + self.timeout).saturating_duration_since(now)
    }

    /// Moves the state on a reply to its INVITE.
    fn reply(&mut self, code: u16, to_tag: Option<&str>, now: Instant) {
        self.expire(now);
        if self.state >= state::CONFIRMED_NA {
            return;
        }
        match code {
            101..=199 if to_tag.is_some() => {
                self.state = state::EARLY;
                self.callee_tag = to_tag.map(str::to_owned);
            }
            200..=299 => {
                self.state = state::CONFIRMED_NA;
                self.callee_tag = to_tag.filter(|t| !t.is_empty()).map(str::to_owned);
            }
            300.. => self.end(now),
            _ => {}
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

/// A module's hook run when `create_dialog()` (or another module) creates a dialog, with
/// the INVITE's context: OpenSIPS' `DLGCB_CREATED` callback, which `sst` uses to negotiate
/// the session interval.
pub type CreatedHook = Box<dyn Fn(&mut Context, &Key) + Send + Sync>;

/// Every dialog.
#[derive(Default)]
pub struct Table {
    dialogs: Mutex<HashMap<Key, Dialog>>,
    next_id: AtomicU64,
    /// Run on each new dialog (registered at start-up, read for every dialog).
    created: RwLock<Vec<CreatedHook>>,
}

/// The From and To tags, borrowed from the message.
fn tags(msg: &Message) -> (Option<&str>, Option<&str>) {
    let from = msg.from().ok().and_then(|f| f.tag());
    let to = msg.to().ok().and_then(|t| t.tag());
    (from, to)
}

impl Table {
    /// Creates the dialog of an initial INVITE (or finds the one a retransmission made).
    pub fn create(&self, msg: &Message, timeout: Duration) -> Option<Key> {
        let call_id = msg.call_id().ok()?.to_owned();
        let (Some(from_tag), None) = tags(msg) else {
            return None;
        };
        let key = (call_id, from_tag.to_owned());
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        map.retain(|_, d| {
            d.expire(now);
            d.ended.is_none_or(|t| now < t + LINGER)
        });
        // An ended dialog still lingering is replaced: the UA re-sent its INVITE with the
        // same Call-ID and From tag (after a 401/407, 422 or 491), a new attempt of the call.
        let fresh = || Dialog {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            callee_tag: None,
            state: state::UNCONFIRMED,
            start: now,
            timeout,
            ended: None,
            profiles: Vec::new(),
            values: HashMap::new(),
            flags: 0,
            on_timeout: None,
            timer_generation: 0,
            end_reason: None,
            watchers: Vec::new(),
            on_end: Vec::new(),
        };
        match map.get_mut(&key) {
            Some(d) if !d.active() => *d = fresh(),
            Some(_) => {}
            None => {
                map.insert(key.clone(), fresh());
            }
        }
        Some(key)
    }

    /// Follows a received message (the module's per-message hook): finds its dialog — an
    /// in-dialog request by its tags, a reply by its From tag — and moves the state: ACK
    /// confirms, BYE ends, provisional and 2xx INVITE replies as [`Table::reply`]. One lock,
    /// and none (nor an allocation) for an initial request.
    pub fn follow(&self, msg: &Message) -> Option<Current> {
        let call_id = msg.call_id().ok()?;
        let (Some(from_tag), to_tag) = tags(msg) else {
            return None;
        };
        let now = Instant::now();
        if !msg.is_request() {
            let mut key = (call_id.to_owned(), from_tag.to_owned());
            let invite = msg.cseq().is_ok_and(|c| c.method == "INVITE");
            let code = msg.status_code().unwrap_or(0);
            let mut map = self.dialogs.lock();
            if !map.contains_key(&key) {
                // The reply to a request the callee sent: the caller's tag is its To tag.
                key.1 = to_tag?.to_owned();
                let d = map.get(&key)?;
                if d.callee_tag.as_deref() != Some(from_tag) {
                    return None;
                }
                return Some(Current {
                    key,
                    dir: Direction::Upstream,
                });
            }
            let d = map.get_mut(&key)?;
            // A negative reply ends only one branch: a failure route may try another
            // (lb_next, use_next_gw, ds_next_dst). The transaction's final reply upstream
            // (create_dialog's callback) ends the dialog when the call failed.
            if invite && code < 300 {
                d.reply(code, to_tag, now);
            }
            return Some(Current {
                key,
                dir: Direction::Downstream,
            });
        }
        let to_tag = to_tag?;
        let mut map = self.dialogs.lock();
        let mut key = (call_id.to_owned(), from_tag.to_owned());
        let dir = if map.contains_key(&key) {
            Direction::Downstream
        } else {
            key.1 = to_tag.to_owned();
            Direction::Upstream
        };
        let d = map.get_mut(&key)?;
        if dir == Direction::Upstream && d.callee_tag.as_deref().is_some_and(|t| t != from_tag) {
            return None;
        }
        d.expire(now);
        match msg.method_str() {
            Some("ACK") if d.state == state::CONFIRMED_NA => d.state = state::CONFIRMED,
            Some("BYE") => d.end_because(
                now,
                match dir {
                    Direction::Downstream => reason::DOWNSTREAM_BYE,
                    Direction::Upstream => reason::UPSTREAM_BYE,
                },
            ),
            _ => {}
        }
        Some(Current { key, dir })
    }

    /// Registers a hook run on each dialog created from now on.
    pub fn on_created(&self, hook: CreatedHook) {
        self.created.write().push(hook);
    }

    /// Runs the created hooks on a dialog just made for the INVITE in `ctx`.
    pub(super) fn run_created(&self, ctx: &mut Context, key: &Key) {
        for hook in self.created.read().iter() {
            hook(ctx, key);
        }
    }

    /// An INVITE reply (received, or the final one tm sent upstream).
    pub fn reply(&self, key: &Key, code: u16, to_tag: Option<&str>) {
        if let Some(d) = self.dialogs.lock().get_mut(key) {
            d.reply(code, to_tag, Instant::now());
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

    /// How many active dialogs hold each value of `profile`, in one pass (load_balancer
    /// reads every destination's load at once).
    pub fn profile_counts(&self, profile: &str) -> HashMap<String, usize> {
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        let mut counts = HashMap::new();
        for d in map.values_mut() {
            d.expire(now);
            if !d.active() {
                continue;
            }
            for (p, v) in &d.profiles {
                if p == profile {
                    *counts.entry(v.clone()).or_insert(0) += 1;
                }
            }
        }
        counts
    }

    /// `get_dialog_info`: the value `attr` of every dialog not ended whose value `key` is
    /// `key_val`; `Err(n)` when the n-th such dialog has no `attr` (OpenSIPS fails then).
    pub fn values_where(&self, key: &str, key_val: &str, attr: &str) -> Result<Vec<String>, usize> {
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        let mut found = Vec::new();
        for d in map.values_mut() {
            d.expire(now);
            if !d.active() || d.values.get(key).map(String::as_str) != Some(key_val) {
                continue;
            }
            match d.values.get(attr) {
                Some(v) => found.push(v.clone()),
                None => return Err(found.len() + 1),
            }
        }
        Ok(found)
    }

    /// The dialog with this Call-ID: one not ended first, else (unless `active_only`) one
    /// ended but still lingering.
    pub fn by_call_id(&self, call_id: &str, active_only: bool) -> Option<Key> {
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        let mut ended = None;
        for (k, d) in map.iter_mut().filter(|(k, _)| k.0 == call_id) {
            d.expire(now);
            if d.active() {
                return Some(k.clone());
            }
            ended = Some(k.clone());
        }
        ended.filter(|_| !active_only)
    }

    /// The dialog whose `$DLG_did` is `did`.
    pub fn by_did(&self, did: &str) -> Option<Key> {
        let id: u64 = did.trim().parse().ok()?;
        let map = self.dialogs.lock();
        map.iter().find(|(_, d)| d.id == id).map(|(k, _)| k.clone())
    }

    /// Active dialogs.
    pub fn active(&self) -> usize {
        let now = Instant::now();
        let mut map = self.dialogs.lock();
        map.values_mut().for_each(|d| d.expire(now));
        map.values().filter(|d| d.active()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(start: &str, from_tag: &str, to_tag: Option<&str>, cseq: &str) -> Message {
        let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        let text = format!(
            "{start}\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
             From: <sip:a@x>;tag={from_tag}\r\nTo: <sip:b@y>{to_tag}\r\n\
             Call-ID: c1\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
        );
        Message::parse_slice(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_negative_branch_reply_does_not_end_it_and_a_retried_invite_starts_afresh() {
        let t = Table::default();
        let invite = msg("INVITE sip:b@y SIP/2.0", "ft", None, "1 INVITE");
        let key = t.create(&invite, Duration::from_secs(60)).unwrap();
        // A 407 on one branch: a failure route may still try another destination.
        t.follow(&msg("SIP/2.0 407 Auth", "ft", Some("x"), "1 INVITE"));
        assert!(t.with(&key, |d| d.active()).unwrap());
        // The transaction's final answer upstream ends it.
        t.reply(&key, 407, Some("x"));
        assert!(!t.with(&key, |d| d.active()).unwrap());
        // The UA answers the challenge: same Call-ID and From tag, a new dialog.
        let again = msg("INVITE sip:b@y SIP/2.0", "ft", None, "2 INVITE");
        assert_eq!(t.create(&again, Duration::from_secs(60)), Some(key.clone()));
        assert_eq!(t.with(&key, |d| d.state), Some(state::UNCONFIRMED));
    }

    #[test]
    fn finds_dialogs_by_value_call_id_and_did() {
        let t = Table::default();
        let invite = msg("INVITE sip:b@y SIP/2.0", "ft", None, "1 INVITE");
        let key = t.create(&invite, Duration::from_secs(60)).unwrap();
        t.with(&key, |d| {
            d.values.insert("caller".into(), "alice".into());
            d.values.insert("callee".into(), "bob".into());
        });
        assert_eq!(
            t.values_where("caller", "alice", "callee"),
            Ok(vec!["bob".into()])
        );
        assert_eq!(t.values_where("caller", "carol", "callee"), Ok(vec![]));
        // A match without the asked value is an error, as in OpenSIPS.
        assert_eq!(t.values_where("caller", "alice", "nothing"), Err(1));
        assert_eq!(t.by_call_id("c1", true), Some(key.clone()));
        assert_eq!(t.by_call_id("other", false), None);
        let did = t.with(&key, |d| d.id.to_string()).unwrap();
        assert_eq!(t.by_did(&did), Some(key.clone()));
        assert_eq!(t.by_did("x"), None);
        // Ended: no longer found by value or as an active dialog, still loadable.
        t.end(&key);
        assert_eq!(t.values_where("caller", "alice", "callee"), Ok(vec![]));
        assert_eq!(t.by_call_id("c1", true), None);
        assert_eq!(t.by_call_id("c1", false), Some(key));
    }

    #[test]
    fn an_end_watcher_runs_once_when_the_dialog_ends() {
        let t = Table::default();
        let invite = msg("INVITE sip:b@y SIP/2.0", "ft", None, "1 INVITE");
        let key = t.create(&invite, Duration::from_secs(60)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        t.with(&key, |d| {
            d.on_end.push(Box::new(move || tx.send(()).unwrap()));
        });
        t.reply(&key, 486, Some("x"));
        t.end(&key);
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    }

    #[test]
    fn the_end_jobs_of_many_dialogs_all_run_in_order_past_a_panicking_one() {
        let t = Table::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let calls = 500;
        for n in 0..calls {
            let invite = msg(
                "INVITE sip:b@y SIP/2.0",
                &format!("many{n}"),
                None,
                "1 INVITE",
            );
            let key = t.create(&invite, Duration::from_secs(60)).unwrap();
            let tx = tx.clone();
            t.with(&key, |d| {
                if n == calls / 2 {
                    d.on_end.push(Box::new(|| panic!("an end job that fails")));
                }
                d.on_end.push(Box::new(move || tx.send(n).unwrap()));
            });
            t.end(&key);
        }
        let ran: Vec<usize> = (0..calls)
            .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
            .collect();
        assert_eq!(ran, (0..calls).collect::<Vec<_>>());
    }

    #[test]
    fn follows_a_dialog_both_ways() {
        let t = Table::default();
        let invite = msg("INVITE sip:b@y SIP/2.0", "ft", None, "1 INVITE");
        let key = t.create(&invite, Duration::from_secs(60)).unwrap();
        // An initial request belongs to no dialog yet.
        assert!(t.follow(&invite).is_none());
        let ok = msg("SIP/2.0 200 OK", "ft", Some("tt"), "1 INVITE");
        let cur = t.follow(&ok).unwrap();
        assert_eq!(
            (cur.key.clone(), cur.dir),
            (key.clone(), Direction::Downstream)
        );
        assert_eq!(t.with(&key, |d| d.state), Some(state::CONFIRMED_NA));
        let ack = msg("ACK sip:b@y SIP/2.0", "ft", Some("tt"), "1 ACK");
        assert_eq!(t.follow(&ack).unwrap().dir, Direction::Downstream);
        assert_eq!(t.with(&key, |d| d.state), Some(state::CONFIRMED));
        assert_eq!(t.with(&key, |d| d.end_reason), Some(None));
        // The reply to the callee's own request is matched by its To tag.
        let reply_up = msg("SIP/2.0 200 OK", "tt", Some("ft"), "5 INVITE");
        let cur = t.follow(&reply_up).unwrap();
        assert_eq!(
            (cur.key.clone(), cur.dir),
            (key.clone(), Direction::Upstream)
        );
        assert!(t
            .follow(&msg("SIP/2.0 200 OK", "zz", Some("ft"), "5 INVITE"))
            .is_none());
        // From the callee, with a tag other than the one it answered with: not this dialog.
        let stray = msg("BYE sip:a@x SIP/2.0", "other", Some("ft"), "1 BYE");
        assert!(t.follow(&stray).is_none());
        assert_eq!(t.with(&key, |d| d.state), Some(state::CONFIRMED));
        let bye = msg("BYE sip:a@x SIP/2.0", "tt", Some("ft"), "1 BYE");
        let cur = t.follow(&bye).unwrap();
        assert_eq!((cur.key, cur.dir), (key.clone(), Direction::Upstream));
        assert_eq!(t.with(&key, |d| d.state), Some(state::DELETED));
        assert_eq!(
            t.with(&key, |d| d.end_reason),
            Some(Some(reason::UPSTREAM_BYE))
        );
        assert_eq!(t.active(), 0);
    }
}
