//! Sending REGISTERs and taking their answers. siplua's tm has no API for requests the
//! server makes itself, so a registrant keeps its own client transaction, as dispatcher's
//! probing does: the request goes out statelessly from the timer thread (or the worker that
//! took the challenge), is retransmitted over UDP (500 ms doubling up to 4 s) until a final
//! answer or 30 s (tm's `fr_timeout` default) have passed, and the answer is taken by
//! [`Engine::on_reply`] by its Via branch.
//!
//! A 200 registers for the expiry the registrar granted our binding, refreshed
//! `timer_interval` seconds before it runs out (at half of it when it is not longer than
//! `timer_interval`); a 401/407 is answered once with the row's credentials (the digest of
//! `uac_auth`); a 423 is retried with its Min-Expires; anything else, or no answer, is
//! retried after `failure_retry_interval` (or the expiry) with a new Call-ID.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use siplua_core::context::Context;
use siplua_core::forward::{self, Advertised};
use siplua_core::module::ReplyVerdict;
use siplua_core::timer::TimerCtx;
use siplua_sip::Message;
use siplua_transport::{Destination, Proto, Transports};

use super::engine::Engine;
use super::message::{self, Dialog};
use super::registration::{Live, Registration, Tx};
use super::state::RegState;
use crate::uac::credentials::{Credential, Secret};
use crate::uac::digest::{answer, cnonce, pick_challenge, Request};

/// The branch prefix of our requests (a sequence number follows).
pub const BRANCH: &str = "z9hG4bKuacreg.";
const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
const FINAL_WAIT: Duration = Duration::from_secs(30);

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn log(level: i32, text: &str) {
    siplua_core::log::emit(level, "uac_registrant", text);
}

/// A request ready to go out again.
struct Sent {
    bytes: Arc<Vec<u8>>,
    to: Destination,
}

impl Engine {
    /// Sends `reg`'s next REGISTER (unREGISTER when `unregister`) after `delay`, replacing
    /// what was scheduled.
    pub fn schedule(
        self: &Arc<Self>,
        reg: &Arc<Registration>,
        live: &mut Live,
        delay: Duration,
        unregister: bool,
    ) {
        live.cancel_next();
        live.registration_timeout = now() + delay.as_secs() as i64;
        let (me, weak) = (self.clone(), Arc::downgrade(reg));
        live.next = Some(self.timers.schedule(
            delay,
            Box::new(move |t: &mut TimerCtx| {
                if let (Some(reg), Some(tr)) = (weak.upgrade(), t.worker.transports.clone()) {
                    me.send(&tr, &reg, None, unregister);
                }
            }),
        ));
    }

    /// Drops the request waiting for an answer, if any (its answer will be ignored).
    pub fn abandon(&self, live: &mut Live) {
        if let Some(mut tx) = live.tx.take() {
            tx.stop();
            self.waiting.lock().remove(&tx.branch);
        }
    }

    /// Sends a REGISTER now (with `auth` as `(header, value)` answering a challenge).
    pub fn send(
        self: &Arc<Self>,
        transports: &Arc<Transports>,
        reg: &Arc<Registration>,
        auth: Option<(&str, String)>,
        unregister: bool,
    ) {
        let mut live = reg.live.lock();
        if !unregister && (live.retired || !live.enabled) {
            return;
        }
        self.abandon(&mut live);
        live.cancel_next();
        if live.state.is_failure() {
            live.new_dialog();
        }
        live.cseq = live.cseq.wrapping_add(1);
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let branch = format!("{BRANCH}{n}");
        // Known before it is sent: an answer may arrive before `transmit` returns, and waits
        // for `live` (held here until `live.tx` is set) in `answered`.
        self.waiting.lock().insert(branch.clone(), reg.clone());
        let sent = match transmit(transports, reg, &live, &branch, auth.as_ref(), unregister) {
            Ok(s) => s,
            Err(e) => {
                self.waiting.lock().remove(&branch);
                log(
                    siplua_core::log::level::ERR,
                    &format!("cannot send REGISTER for {}: {e}", reg.row.aor),
                );
                self.failed(reg, &mut live, RegState::InternalError);
                return;
            }
        };
        live.dst = Some(sent.to.addr);
        live.last_register_sent = now();
        live.state = RegState::waiting(unregister, auth.is_some());
        let weak = Arc::downgrade(reg);
        let retransmit = (sent.to.proto == Proto::Udp)
            .then(|| self.arm_retransmit(weak.clone(), branch.clone(), Arc::new(sent), T1));
        let me = self.clone();
        let b = branch.clone();
        let timeout = self.timers.schedule(
            FINAL_WAIT,
            Box::new(move |_: &mut TimerCtx| me.timed_out(&weak, &b)),
        );
        live.tx = Some(Tx {
            branch,
            unregister,
            authenticated: auth.is_some(),
            retransmit,
            timeout: Some(timeout),
        });
    }

    fn arm_retransmit(
        self: &Arc<Self>,
        weak: Weak<Registration>,
        branch: String,
        sent: Arc<Sent>,
        after: Duration,
    ) -> siplua_core::timer::TimerHandle {
        let me = self.clone();
        self.timers.schedule(
            after,
            Box::new(move |t: &mut TimerCtx| {
                let (Some(reg), Some(tr)) = (weak.upgrade(), t.worker.transports.clone()) else {
                    return;
                };
                let mut live = reg.live.lock();
                let Some(tx) = live.tx.as_mut().filter(|tx| tx.branch == branch) else {
                    return;
                };
                let _ = tr.send(&sent.to, &sent.bytes);
                let next = (after * 2).min(T2);
                tx.retransmit =
                    Some(me.arm_retransmit(weak.clone(), branch.clone(), sent.clone(), next));
            }),
        )
    }

    fn timed_out(self: &Arc<Self>, weak: &Weak<Registration>, branch: &str) {
        let Some(reg) = weak.upgrade() else { return };
        let mut live = reg.live.lock();
        if live.tx.as_ref().is_none_or(|tx| tx.branch != branch) {
            return;
        }
        self.abandon(&mut live);
        log(
            siplua_core::log::level::WARN,
            &format!("no answer from {} for {}", reg.row.registrar, reg.row.aor),
        );
        self.failed(&reg, &mut live, RegState::RegisterTimeout);
    }

    /// The registration failed: `state`, and a new try after `failure_retry_interval` (or
    /// the expiry).
    pub fn failed(self: &Arc<Self>, reg: &Arc<Registration>, live: &mut Live, state: RegState) {
        live.state = state;
        let delay = self.settings.retry_after(live.expires);
        self.schedule(reg, live, Duration::from_secs(u64::from(delay)), false);
    }

    /// Takes the answers to our requests.
    pub fn on_reply(self: &Arc<Self>, ctx: &mut Context) -> ReplyVerdict {
        let Some(msg) = ctx.msg else {
            return ReplyVerdict::Continue;
        };
        let Some(branch) = msg
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned))
            .filter(|b| b.starts_with(BRANCH))
        else {
            return ReplyVerdict::Continue;
        };
        let code = msg.status_code().unwrap_or(0);
        if code < 200 {
            return ReplyVerdict::Consumed;
        }
        let Some(reg) = self.waiting.lock().remove(&branch) else {
            return ReplyVerdict::Consumed;
        };
        if let Some(tr) = ctx.worker.transports.clone() {
            self.answered(&tr, &reg, msg, code, &branch);
        }
        ReplyVerdict::Consumed
    }

    fn answered(
        self: &Arc<Self>,
        transports: &Arc<Transports>,
        reg: &Arc<Registration>,
        msg: &Message,
        code: u16,
        branch: &str,
    ) {
        let mut live = reg.live.lock();
        if live.tx.as_ref().is_none_or(|tx| tx.branch != branch) {
            return;
        }
        let Some(mut tx) = live.tx.take() else {
            return;
        };
        tx.stop();
        if live.retired && !tx.unregister {
            return;
        }
        let row = &reg.row;
        match code {
            200..=299 if tx.unregister => {
                live.state = RegState::NotRegistered;
            }
            200..=299 => {
                let exp = message::granted_expiry(msg, &row.binding_uri)
                    .filter(|e| *e > 0)
                    .unwrap_or(live.expires);
                live.expires = exp;
                live.state = RegState::Registered;
                let ti = self.settings.timer_interval;
                let delay = if exp > ti {
                    Duration::from_secs(u64::from(exp - ti))
                } else {
                    log(
                        siplua_core::log::level::ERR,
                        &format!(
                            "please decrease timer_interval={ti}: the registrar granted {} only {exp} s; refreshing at half of it",
                            row.aor
                        ),
                    );
                    Duration::from_millis(u64::from(exp) * 500).max(T1)
                };
                self.schedule(reg, &mut live, delay, false);
            }
            401 | 407 => {
                if row.username.is_empty() || row.password.is_empty() {
                    log(
                        siplua_core::log::level::ERR,
                        &format!("credentials not provisioned for {}", row.aor),
                    );
                    self.failed(reg, &mut live, RegState::WrongCredentials);
                    return;
                }
                if tx.authenticated {
                    log(
                        siplua_core::log::level::WARN,
                        &format!("wrong credentials for {}", row.aor),
                    );
                    self.failed(reg, &mut live, RegState::WrongCredentials);
                    return;
                }
                match self.authorization(reg, msg) {
                    Some(auth) => {
                        drop(live);
                        self.send(transports, reg, Some((auth.0, auth.1)), tx.unregister);
                    }
                    None => self.failed(reg, &mut live, RegState::InternalError),
                }
            }
            423 => match message::min_expires(msg) {
                Some(m) if m > 0 => {
                    live.expires = m;
                    drop(live);
                    self.send(transports, reg, None, tx.unregister);
                }
                _ => self.failed(reg, &mut live, RegState::RegistrarError),
            },
            408 => self.failed(reg, &mut live, RegState::RegisterTimeout),
            300..=399 => {
                log(
                    siplua_core::log::level::ERR,
                    &format!(
                        "redirection of the REGISTER for {} is not supported",
                        row.aor
                    ),
                );
                self.failed(reg, &mut live, RegState::InternalError);
            }
            _ => self.failed(reg, &mut live, RegState::RegistrarError),
        }
    }

    /// The header answering the challenge of `reply` with the row's credentials.
    fn authorization(&self, reg: &Registration, reply: &Message) -> Option<(&'static str, String)> {
        let Some((ch, name)) = pick_challenge(reply, &[]) else {
            log(
                siplua_core::log::level::ERR,
                &format!("no usable Digest challenge for {}", reg.row.aor),
            );
            return None;
        };
        let cred = Credential {
            user: reg.row.username.clone(),
            realm: ch.realm.clone(),
            secret: Secret::Password(reg.row.password.clone()),
        };
        let cnonce = cnonce()?;
        let value = answer(
            &ch,
            &cred,
            &Request {
                method: "REGISTER",
                uri: &reg.row.registrar,
                body: b"",
                cnonce: &cnonce,
            },
        )?;
        Some((name, value))
    }
}

/// Builds and sends one request of `reg`.
fn transmit(
    transports: &Transports,
    reg: &Registration,
    live: &Live,
    branch: &str,
    auth: Option<&(&str, String)>,
    unregister: bool,
) -> Result<Sent, String> {
    let row = &reg.row;
    let dest = row.proxy.as_deref().unwrap_or(&row.registrar);
    let target = forward::resolve(dest)?;
    let forced = match &row.forced_socket {
        Some(text) => Some(
            crate::dispatcher::socket::find(transports, text)
                .ok_or_else(|| format!("forced socket {text:?} is not a listening socket"))?,
        ),
        None => None,
    };
    let socket = forward::pick_socket(transports, &target, forced)
        .ok_or_else(|| format!("no {} socket to reach {}", target.proto, target.addr))?;
    let via = forward::via_value(socket, &Advertised::default(), branch);
    let text = message::register(
        row,
        &Dialog {
            call_id: &live.call_id,
            from_tag: &live.from_tag,
            cseq: live.cseq,
            expires: if unregister { 0 } else { live.expires },
            via: &via,
            auth: auth.map(|(n, v)| (*n, v.as_str())),
        },
    );
    let to = Destination {
        proto: target.proto,
        addr: target.addr,
        socket: Some(socket.id),
        conn: None,
    };
    let bytes = Arc::new(text.into_bytes());
    transports
        .send(&to, &bytes)
        .map_err(|e| format!("cannot send to {}: {e}", target.addr))?;
    Ok(Sent { bytes, to })
}
