//! The server side of a transaction: replies sent upstream (local ones and relayed ones),
//! retransmission of the last reply, Timer G for negative finals to INVITE over UDP, and the
//! cleanup that removes a finished transaction from the table.

use std::sync::Arc;
use std::time::Duration;

use siplua_core::engine::Core;
use siplua_core::reply::{reply_builder, reply_destination};
use siplua_core::timer::TimerCtx;
use siplua_sip::edit::Edits;
use siplua_sip::Message;
use siplua_transport::{Proto, Transports};

use super::shared::{FinalInfo, TmShared};
use super::tx::{TxRef, TxState};

/// Sends bytes to where replies of this transaction go.
pub fn send_upstream(transports: &Transports, tx: &TxRef, bytes: &[u8]) -> Result<(), String> {
    let dst = reply_destination(&tx.request, &tx.origin, tx.force_rport);
    transports
        .send(&dst, bytes)
        .map_err(|e| format!("cannot send reply to {}: {e}", dst.addr))
}

/// Builds a reply generated here (t_reply, 100 Trying, 408 on timeout, 500 for a 503).
pub fn build_local(
    core: &Core,
    tx: &TxRef,
    code: u16,
    reason: &str,
    extra_headers: &str,
) -> Result<Vec<u8>, String> {
    let mut b = reply_builder(core, &tx.request, &tx.origin, tx.force_rport, code, reason);
    if !extra_headers.is_empty() {
        b = b.extra_headers(extra_headers);
    }
    b.build()
        .map_err(|e| format!("cannot build {code} reply: {e}"))
}

/// Sends a locally generated reply upstream and records it.
pub fn reply_local(
    shared: &Arc<TmShared>,
    core: &Core,
    transports: &Transports,
    tx: &TxRef,
    code: u16,
    reason: &str,
    extra_headers: &str,
) -> Result<(), String> {
    let bytes = build_local(core, tx, code, reason, extra_headers)?;
    send_built(shared, transports, tx, code, bytes)
}

/// Sends a reply built here (by [`build_local`] or, with a To-tag of the caller's choice, by
/// tm's API) upstream and records it.
pub fn send_built(
    shared: &Arc<TmShared>,
    transports: &Transports,
    tx: &TxRef,
    code: u16,
    bytes: Vec<u8>,
) -> Result<(), String> {
    send_upstream(transports, tx, &bytes)?;
    shared.stats.local_replies.inc();
    let report = record(shared, tx, &mut tx.state.lock(), code, Arc::new(bytes));
    if let Some(report) = report {
        report.run(tx);
    }
    Ok(())
}

/// Relays a reply received on a branch upstream (our Via removed) and records it, with
/// `edits` — what its onreply route changed (`fix_nated_contact`, `rtpproxy_answer`) —
/// applied.
pub fn relay(
    shared: &Arc<TmShared>,
    transports: &Transports,
    tx: &TxRef,
    reply: &Message,
    code: u16,
    mut edits: Edits,
) -> Result<(), String> {
    edits
        .remove_top_via(reply)
        .map_err(|e| format!("cannot remove our Via: {e}"))?;
    restore_request_fields(&tx.request, reply, &mut edits);
    let bytes = edits.apply(reply);
    send_upstream(transports, tx, &bytes)?;
    shared.stats.relayed_replies.inc();
    let report = record(shared, tx, &mut tx.state.lock(), code, Arc::new(bytes));
    if let Some(report) = report {
        report.run(tx);
    }
    Ok(())
}

/// A branch may have been sent with another From, To or CSeq number than the request
/// received (`uac_replace_from`/`uac_replace_to`, `uac_auth`'s CSeq increment), or with
/// only our Via and another Call-ID (`topology_hiding`): the reply going upstream gets the
/// request's values back (the To keeps the reply's tag).
fn restore_request_fields(request: &Message, reply: &Message, edits: &mut Edits) {
    use siplua_sip::HeaderKind;
    restore_vias(request, reply, edits);
    if let (Ok(ours), Ok(theirs)) = (request.call_id(), reply.call_id()) {
        if ours != theirs {
            if let Some((i, _)) = reply.find(HeaderKind::CallId) {
                let _ = edits.replace_value(reply, i, ours);
            }
        }
    }
    let put = |edits: &mut Edits, kind: HeaderKind, value: &str| {
        if let Some((i, _)) = reply.find(kind) {
            let _ = edits.replace_value(reply, i, value);
        }
    };
    if let (Some(ours), Some(theirs)) = (request.get(HeaderKind::From), reply.get(HeaderKind::From))
    {
        if ours != theirs {
            put(edits, HeaderKind::From, ours);
        }
    }
    if let (Ok(ours), Ok(theirs)) = (request.to(), reply.to()) {
        if ours.uri().as_str() != theirs.uri().as_str()
            || ours.display_raw() != theirs.display_raw()
        {
            let mut to = request.get(HeaderKind::To).unwrap_or("").to_owned();
            if let (None, Some(tag)) = (ours.tag(), theirs.tag()) {
                to.push_str(";tag=");
                to.push_str(tag);
            }
            put(edits, HeaderKind::To, &to);
        }
    }
    if let (Ok(ours), Ok(theirs)) = (request.cseq(), reply.cseq()) {
        if ours.number != theirs.number {
            put(
                edits,
                HeaderKind::CSeq,
                &format!("{} {}", ours.number, theirs.method),
            );
        }
    }
}

/// Remembers the last reply (to answer retransmissions); a final one also counts in the
/// statistics, starts Timer G when it is a negative reply to an INVITE over UDP, and arms the
/// cleanup. The first final reply also hands back the callbacks waiting for it, for the
/// caller to run once it has released the transaction's lock.
pub fn record(
    shared: &Arc<TmShared>,
    tx: &TxRef,
    state: &mut TxState,
    code: u16,
    bytes: Arc<Vec<u8>>,
) -> Option<FinalReport> {
    let first_final = code >= 200 && !state.uas.is_final();
    if code >= state.uas.status || (200..300).contains(&code) {
        state.uas.status = code;
        state.uas.last_reply = Some(bytes);
    }
    if !first_final {
        return None;
    }
    shared.stats.final_sent(code);
    if tx.is_invite && code >= 300 && tx.origin.proto == Proto::Udp {
        arm_timer_g(shared, tx, state, shared.params.t1, Duration::ZERO);
    }
    arm_cleanup(shared, tx, state);
    if state.on_final.is_empty() {
        return None;
    }
    Some(FinalReport {
        callbacks: std::mem::take(&mut state.on_final),
        code,
        reply: state.uas.last_reply.clone(),
        cancelled: state.cancelled,
    })
}

/// The callbacks (`acc`) waiting for a transaction's final reply, taken out of its state so
/// that they run without its lock: `acc`'s database INSERT would otherwise hold up every
/// retransmission and timer of the transaction while it waits for the server.
pub struct FinalReport {
    callbacks: Vec<super::shared::FinalCallback>,
    code: u16,
    reply: Option<Arc<Vec<u8>>>,
    cancelled: bool,
}

impl FinalReport {
    /// Tells each callback about the final reply.
    pub fn run(self, tx: &TxRef) {
        let parsed = self
            .reply
            .as_ref()
            .and_then(|b| Message::parse(bytes::Bytes::from(b.as_ref().clone())).ok());
        let reason = parsed
            .as_ref()
            .and_then(|m| m.reason().map(str::to_owned))
            .unwrap_or_default();
        let to_tag = parsed
            .as_ref()
            .and_then(|m| m.to().ok().and_then(|t| t.tag().map(str::to_owned)))
            .unwrap_or_default();
        let info = FinalInfo {
            request: &tx.request,
            code: self.code,
            reason: &reason,
            to_tag: &to_tag,
            elapsed: tx.created.elapsed(),
            cancelled: self.cancelled,
        };
        for cb in self.callbacks {
            cb(&info);
        }
    }
}

/// Resends the last reply (a retransmitted request arrived); false when there is none yet.
pub fn resend_last(transports: &Transports, tx: &TxRef) -> bool {
    let last = tx.state.lock().uas.last_reply.clone();
    match last {
        Some(bytes) => send_upstream(transports, tx, &bytes).is_ok(),
        None => false,
    }
}

/// Timer G: retransmit a negative final reply to an INVITE until its ACK arrives, doubling
/// the interval up to T2, for at most 64*T1 in all (Timer H).
fn arm_timer_g(
    shared: &Arc<TmShared>,
    tx: &TxRef,
    state: &mut TxState,
    interval: Duration,
    elapsed: Duration,
) {
    let (s, weak) = (shared.clone(), Arc::downgrade(tx));
    let handle = shared.timers.schedule(
        interval,
        Box::new(move |ctx: &mut TimerCtx| {
            let (Some(transports), Some(t)) = (ctx.worker.transports.clone(), weak.upgrade())
            else {
                return;
            };
            let elapsed = elapsed + interval;
            let mut state = t.state.lock();
            if state.uas.acked || elapsed >= s.params.t1 * 64 {
                return;
            }
            if let Some(bytes) = state.uas.last_reply.clone() {
                let _ = send_upstream(&transports, &t, &bytes);
            }
            arm_timer_g(&s, &t, &mut state, (interval * 2).min(s.params.t2), elapsed);
        }),
    );
    state.uas.retransmit = Some(handle);
}

/// Removes the transaction from the table `wt_timer` after its final reply, as OpenSIPS does
/// (a Timer G still running then stops with it).
pub fn arm_cleanup(shared: &Arc<TmShared>, tx: &TxRef, state: &mut TxState) {
    if state.cleanup_armed {
        return;
    }
    state.cleanup_armed = true;
    let delay = shared.params.wait;
    let (s, t) = (shared.clone(), tx.clone());
    shared.timers.schedule(
        delay,
        Box::new(move |_: &mut TimerCtx| {
            let ids: Vec<String> = {
                let mut state = t.state.lock();
                for b in &mut state.branches {
                    b.stop_timers();
                }
                if let Some(g) = state.uas.retransmit.take() {
                    g.cancel();
                }
                state.branches.iter().map(|b| b.id.clone()).collect()
            };
            s.table.remove(&t, &ids);
            s.stats.inuse.add(-1);
        }),
    );
}

/// A reply whose only Via is ours answers a branch sent without the request's Vias
/// (`topology_hiding`): the request's Via lines go back in, where ours was.
fn restore_vias(request: &Message, reply: &Message, edits: &mut Edits) {
    use siplua_sip::edit::Position;
    use siplua_sip::HeaderKind;
    if reply.values(HeaderKind::Via).nth(1).is_some() {
        return;
    }
    let Some((top, _)) = reply.find(HeaderKind::Via) else {
        return;
    };
    for (_, h) in request.find_all(HeaderKind::Via) {
        let _ = edits.add_header(reply, "Via", request.value_of(h), Position::Before(top));
    }
}
