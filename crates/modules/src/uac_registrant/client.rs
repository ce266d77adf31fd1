//! Sending REGISTERs. Each goes out as one of tm's local client transactions (as OpenSIPS'
//! uac_registrant sends through tm's `t_request_within`): tm adds the Via, retransmits over
//! UDP, answers itself with a 408 after `fr_timeout`, and hands the final status and reply to
//! [`Engine::answered`]. The request is built under the registration's lock;
//! it is sent after the lock is released, since reaching a TCP/TLS registrar may mean
//! connecting (and `reg_list`, or the answer to this very request, would wait for it).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use siplua_core::timer::TimerCtx;
use siplua_sip::Message;
use siplua_transport::Transports;

use super::engine::Engine;
use super::message::{self, Dialog};
use super::registration::{Live, Registration, Tx};
use super::state::RegState;
use crate::tm::local::LocalRequest;

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Logs `text` at `level` under the module's name.
pub fn log(level: i32, text: &str) {
    siplua_core::log::emit(level, "uac_registrant", text);
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

    /// Sends a REGISTER now (with `auth` as `(header, value)` answering a challenge). A
    /// request still waiting for its answer is forgotten (its answer will be ignored).
    pub fn send(
        self: &Arc<Self>,
        transports: &Arc<Transports>,
        reg: &Arc<Registration>,
        auth: Option<(&str, String)>,
        unregister: bool,
    ) {
        let Some((id, request)) = self.prepare(transports, reg, auth, unregister) else {
            return;
        };
        let (me, weak, tr) = (self.clone(), Arc::downgrade(reg), transports.clone());
        let callback = Box::new(move |code: u16, reply: Option<&Message>| {
            if let Some(reg) = weak.upgrade() {
                me.answered(&tr, &reg, id, code, reply);
            }
        });
        let sent = self.tm.send_request(transports, request, callback);
        let mut live = reg.live.lock();
        match sent {
            Ok(addr) if live.sent == id => live.dst = Some(addr),
            Ok(_) => {}
            Err(e) => {
                if live.tx.as_ref().is_some_and(|t| t.id == id) {
                    live.tx = None;
                    log(
                        siplua_core::log::level::ERR,
                        &format!("cannot send REGISTER for {}: {e}", reg.row.aor),
                    );
                    self.failed(reg, &mut live, RegState::InternalError);
                }
            }
        }
    }

    /// Under the registration's lock: the next CSeq (a new Call-ID after a failure), the
    /// request, and the registration marked as waiting for its answer. `None` when nothing
    /// is to be sent (retired or disabled) or it could not be built.
    fn prepare(
        self: &Arc<Self>,
        transports: &Transports,
        reg: &Arc<Registration>,
        auth: Option<(&str, String)>,
        unregister: bool,
    ) -> Option<(u64, LocalRequest)> {
        let mut live = reg.live.lock();
        if !unregister && (live.retired || !live.enabled) {
            return None;
        }
        live.tx = None;
        live.cancel_next();
        if live.state.is_failure() {
            live.new_dialog();
        }
        live.cseq = live.cseq.wrapping_add(1);
        let request = match build(transports, reg, &live, auth.as_ref(), unregister) {
            Ok(r) => r,
            Err(e) => {
                log(
                    siplua_core::log::level::ERR,
                    &format!("cannot send REGISTER for {}: {e}", reg.row.aor),
                );
                self.failed(reg, &mut live, RegState::InternalError);
                return None;
            }
        };
        let id = self.seq.fetch_add(1, Ordering::Relaxed);
        live.sent = id;
        live.last_register_sent = now();
        live.state = RegState::waiting(unregister, auth.is_some());
        live.tx = Some(Tx {
            id,
            unregister,
            authenticated: auth.is_some(),
        });
        Some((id, request))
    }

    /// The registration failed: `state`, and a new try after `failure_retry_interval` (or
    /// the expiry).
    pub fn failed(self: &Arc<Self>, reg: &Arc<Registration>, live: &mut Live, state: RegState) {
        live.state = state;
        let delay = self.settings.retry_after(live.expires);
        self.schedule(reg, live, Duration::from_secs(u64::from(delay)), false);
    }
}

/// The request of `reg` for tm: sent to the proxy when the row has one, else to the
/// registrar, from the forced socket when the row names one.
fn build(
    transports: &Transports,
    reg: &Registration,
    live: &Live,
    auth: Option<&(&str, String)>,
    unregister: bool,
) -> Result<LocalRequest, String> {
    let row = &reg.row;
    let socket = match &row.forced_socket {
        Some(text) => Some(
            crate::dispatcher::socket::find(transports, text)
                .ok_or_else(|| format!("forced socket {text:?} is not a listening socket"))?,
        ),
        None => None,
    };
    let text = message::register(
        row,
        &Dialog {
            call_id: &live.call_id,
            from_tag: &live.from_tag,
            cseq: live.cseq,
            expires: if unregister { 0 } else { live.expires },
            auth: auth.map(|(n, v)| (*n, v.as_str())),
        },
    );
    Ok(LocalRequest {
        text,
        next_hop: row.proxy.clone().unwrap_or_else(|| row.registrar.clone()),
        socket,
    })
}
