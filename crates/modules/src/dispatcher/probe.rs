//! Probing (`ds_ping_interval` > 0): every interval, an OPTIONS (`ds_ping_method`) from
//! `ds_ping_from` goes to each destination in probing state (with `ds_probing_mode` 1, to
//! the active ones too). A 2xx or a code of `options_reply_codes` makes a probing
//! destination active; no reply within the interval, or another code, counts as a failure
//! of an active one (probing after `ds_probing_threshold` failures). Inactive destinations
//! (set so by the script or MI) are left alone, as in OpenSIPS.
//!
//! The pings are sent statelessly from the timer thread; their replies come back like any
//! reply and are taken by [`Prober::on_reply`] by their Via branch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use siplua_core::context::Context;
use siplua_core::forward::{self, Advertised};
use siplua_core::module::ReplyVerdict;
use siplua_core::timer::{TimerCtx, TimerService};
use siplua_sip::HeaderKind;
use siplua_transport::{Destination as SendTo, Transports};

use super::sets::{Destination, DsState};
use super::shared::Shared;

/// The branch prefix of our pings (the sequence number follows).
const BRANCH: &str = "z9hG4bKdsping.";

/// How probing is set up (from the parameters).
#[derive(Clone, Debug)]
pub struct ProbeSettings {
    /// Seconds between rounds.
    pub interval: u64,
    /// The request method.
    pub method: String,
    /// The From URI.
    pub from: String,
    /// True: active destinations are probed too (`ds_probing_mode` 1).
    pub all: bool,
    /// Codes that count as an answer besides 2xx.
    pub codes: Vec<u16>,
}

/// The probing state: pings waiting for a reply, by sequence number.
pub struct Prober {
    shared: Arc<Shared>,
    settings: ProbeSettings,
    timers: Arc<TimerService>,
    pending: Mutex<HashMap<u64, (i64, String)>>,
    seq: AtomicU64,
    started: AtomicBool,
}

impl Prober {
    /// A prober that has not started.
    pub fn new(shared: Arc<Shared>, settings: ProbeSettings, timers: Arc<TimerService>) -> Prober {
        Prober {
            shared,
            settings,
            timers,
            pending: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(1),
            started: AtomicBool::new(false),
        }
    }

    /// Schedules the first round (once, whoever calls first).
    pub fn start_once(self: &Arc<Self>) {
        if !self.started.swap(true, Ordering::AcqRel) {
            self.schedule();
        }
    }

    fn schedule(self: &Arc<Self>) {
        let me = self.clone();
        self.timers.schedule(
            Duration::from_secs(self.settings.interval),
            Box::new(move |t: &mut TimerCtx| me.round(t)),
        );
    }

    /// One round: the pings of the last round that got no reply failed; new pings go out.
    fn round(self: &Arc<Self>, t: &mut TimerCtx) {
        let unanswered = std::mem::take(&mut *self.pending.lock());
        for (setid, uri) in unanswered.into_values() {
            self.answered(setid, &uri, false);
        }
        if let Some(transports) = t.worker.transports.clone() {
            let sets = self.shared.sets();
            for set in &sets.sets {
                for d in &set.dests {
                    let wanted = match d.state() {
                        DsState::Probing => true,
                        DsState::Active => self.settings.all,
                        DsState::Inactive => false,
                    };
                    if wanted {
                        if let Err(e) = self.ping(&transports, set.id, d) {
                            super::log_err(&format!("cannot probe {}: {e}", d.uri));
                        }
                    }
                }
            }
        }
        self.schedule();
    }

    fn ping(&self, transports: &Transports, setid: i64, d: &Destination) -> Result<(), String> {
        let target = forward::resolve(&d.uri)?;
        let forced = d
            .socket
            .as_deref()
            .and_then(|s| super::socket::find(transports, s));
        let socket =
            forward::pick_socket(transports, &target, forced).ok_or("no socket of its protocol")?;
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let via = forward::via_value(socket, &Advertised::default(), &format!("{BRANCH}{n}"));
        let s = &self.settings;
        let text = format!(
            "{m} {uri} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
             From: <{from}>;tag=ds{n}\r\nTo: <{uri}>\r\nCall-ID: dsping-{n}@{host}\r\n\
             CSeq: 1 {m}\r\nContent-Length: 0\r\n\r\n",
            m = s.method,
            uri = d.uri,
            from = s.from,
            host = socket.addr.ip(),
        );
        self.pending.lock().insert(n, (setid, d.uri.clone()));
        let to = SendTo {
            proto: target.proto,
            addr: target.addr,
            socket: Some(socket.id),
            conn: None,
        };
        transports
            .send(&to, text.as_bytes())
            .map_err(|e| e.to_string())
    }

    /// Takes the replies to our pings.
    pub fn on_reply(&self, ctx: &mut Context) -> ReplyVerdict {
        let Some(msg) = ctx.msg.as_ref() else {
            return ReplyVerdict::Continue;
        };
        let Some(n) = msg
            .get(HeaderKind::Via)
            .and_then(|v| v.split(";branch=").nth(1))
            .and_then(|b| b.strip_prefix(BRANCH))
            .and_then(|rest| {
                let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
                digits.parse::<u64>().ok()
            })
        else {
            return ReplyVerdict::Continue;
        };
        let code = msg.status_code().unwrap_or(0);
        if code < 200 {
            return ReplyVerdict::Consumed;
        }
        if let Some((setid, uri)) = self.pending.lock().remove(&n) {
            let ok = (200..300).contains(&code) || self.settings.codes.contains(&code);
            self.answered(setid, &uri, ok);
        }
        ReplyVerdict::Consumed
    }

    fn answered(&self, setid: i64, uri: &str, ok: bool) {
        let threshold = self.shared.settings.probing_threshold;
        self.shared
            .with_dest(Some(setid), uri, |d| match (d.state(), ok) {
                (DsState::Probing, true) => d.set_state(DsState::Active),
                (DsState::Active, false) => d.fail_towards_probing(threshold),
                _ => {}
            });
    }
}

/// The codes of `options_reply_codes` (`"501,403"`).
pub fn parse_codes(text: &str) -> Result<Vec<u16>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<u16>()
                .map_err(|_| format!("options_reply_codes: bad code {c:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_codes() {
        assert_eq!(parse_codes("501, 403").unwrap(), vec![501, 403]);
        assert!(parse_codes("5x1").is_err());
        assert!(parse_codes("").unwrap().is_empty());
    }
}
