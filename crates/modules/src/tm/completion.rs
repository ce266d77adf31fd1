//! What happens when every branch has a final reply and none was a 2xx: the armed
//! `failure_route` runs (it may fork again or reply), then the best reply goes upstream
//! (RFC 3261 §16.7 steps 6 and 7).

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::engine::Core;
use siplua_core::interp;
use siplua_core::route_type::RouteType;
use siplua_core::worker::WorkerState;
use siplua_sip::Message;

use super::select::{best_response, upstream_code};
use super::shared::{TmMsg, TmShared};
use super::tx::TxRef;
use super::uas;

/// The best final reply: its branch, code, the reply itself (absent when generated here).
struct Best {
    code: u16,
    reply: Option<Message>,
}

/// Called after a branch got a negative final reply (received or by timeout): when it was
/// the last one pending, decides what goes upstream. Runs at most once at a time per
/// transaction; a failure route that forks again re-opens the transaction.
pub fn check(shared: &Arc<TmShared>, core: &Core, worker: &mut WorkerState, tx: &TxRef) {
    let (best, failure_route) = {
        let mut state = tx.state.lock();
        if state.uas.is_final() || state.completing || !state.all_final() {
            return;
        }
        let (indexes, codes): (Vec<usize>, Vec<u16>) =
            state.relayed().map(|(i, b)| (i, b.status)).unzip();
        let Some(i) = best_response(&codes).map(|best| indexes[best]) else {
            return;
        };
        state.completing = true;
        let b = &state.branches[i];
        let best = Best {
            code: b.status,
            reply: if b.local { None } else { b.final_reply.clone() },
        };
        (best, state.on_failure.take())
    };
    if let Some(route) = failure_route {
        run_failure_route(shared, core, worker, tx, route, best.code);
    }
    {
        let mut state = tx.state.lock();
        state.completing = false;
        if state.uas.is_final() || !state.all_final() {
            return;
        }
    }
    let Some(transports) = worker.transports.clone() else {
        return;
    };
    let code = upstream_code(best.code);
    let sent = match (&best.reply, code == best.code) {
        (Some(reply), true) => uas::relay(shared, &transports, tx, reply, code, Default::default()),
        _ => uas::reply_local(shared, core, &transports, tx, code, reason(code), ""),
    };
    if let Err(e) = sent {
        siplua_core::log::emit(
            siplua_core::log::level::ERR,
            "tm",
            &format!("cannot send the final reply upstream: {e}"),
        );
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        408 => "Request Timeout",
        500 => "Server Internal Error",
        _ => "",
    }
}

/// Runs the failure route on the transaction's request, with its AVPs and flags; `t_relay`
/// there adds branches to the same transaction (serial forking).
fn run_failure_route(
    shared: &Arc<TmShared>,
    core: &Core,
    worker: &mut WorkerState,
    tx: &TxRef,
    route: usize,
    code: u16,
) {
    let _ = shared;
    let (avps, flags, ruri, dst_uri, edits, branches_before) = {
        let mut state = tx.state.lock();
        (
            std::mem::take(&mut state.avps),
            state.flags,
            state.ruri.clone(),
            state.dst_uri.clone(),
            state.edits.clone(),
            state.branches.len(),
        )
    };
    let program = core.program();
    let mut ctx = Context::new(
        core,
        worker,
        RouteType::Failure,
        Some(&tx.request),
        Some(tx.origin),
    );
    ctx.avps = avps;
    ctx.flags = flags;
    if tx.request.ruri_str() != Some(ruri.as_str()) {
        ctx.new_ruri = Some(ruri);
    }
    ctx.dst_uri = dst_uri;
    ctx.edits = edits;
    ctx.replied = Some(code);
    ctx.force_rport = tx.force_rport;
    ctx.set_ext(TmMsg {
        tx: Some(tx.clone()),
        ..TmMsg::default()
    });
    interp::run(&program, route, &mut ctx);
    let mut state = tx.state.lock();
    state.avps = std::mem::take(&mut ctx.avps);
    state.flags = ctx.flags;
    if state.branches.len() > branches_before {
        state.first_branch = branches_before;
    }
}
