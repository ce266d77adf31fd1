//! `t_newtran` and `t_relay`: creating the transaction of a request, absorbing
//! retransmissions, handling CANCEL and ACK, and forking to every branch (the Request-URI
//! and the branches added by `append_branch` / `lookup`), each through the armed
//! `branch_route`.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::forward;
use siplua_core::interp::{self, Outcome};
use siplua_core::route_type::RouteType;
use siplua_sip::Method;

use super::shared::{msg_state, TmShared};
use super::table::server_key;
use super::tx::{Tx, TxRef, TxState};
use super::uac::{self, BranchSpec};
use super::uas;

/// What looking for the request's transaction found.
pub enum Lookup {
    /// A new transaction was created for it.
    New(TxRef),
    /// It already had one (in this script run, or in a failure route).
    Current(TxRef),
    /// It is a retransmission of a request whose transaction exists.
    Retransmission(TxRef),
}

fn log_err(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "tm", text);
}

/// Finds or creates the transaction of the request in `ctx` (`t_newtran`).
pub fn lookup_or_create(shared: &Arc<TmShared>, ctx: &mut Context) -> Option<Lookup> {
    if let Some(tx) = super::shared::current_tx(ctx) {
        return Some(Lookup::Current(tx));
    }
    let msg = ctx.msg?;
    let origin = ctx.origin?;
    let key = server_key(msg, None, shared.params.matching)?;
    if let Some(tx) = shared.table.find(&key) {
        return Some(Lookup::Retransmission(tx));
    }
    let state = TxState {
        fr: shared.params.fr_timeout,
        fr_inv: shared.params.fr_inv_timeout,
        ruri: ctx.ruri().unwrap_or("").to_owned(),
        ..TxState::default()
    };
    let tx = Arc::new(Tx {
        id: shared.table.next_id(),
        key,
        request: msg.clone(),
        origin,
        is_invite: msg.method() == Some(Method::Invite),
        force_rport: ctx.force_rport,
        created: std::time::Instant::now(),
        state: parking_lot::Mutex::new(state),
    });
    let (tx, fresh) = shared.table.insert(tx);
    if !fresh {
        return Some(Lookup::Retransmission(tx));
    }
    shared.stats.uas_transactions.inc();
    shared.stats.inuse.inc();
    msg_state(ctx).tx = Some(tx.clone());
    Some(Lookup::New(tx))
}

/// `t_newtran()`: 1 for a new transaction, 0 (stop the script) for a retransmission, whose
/// last reply is sent again.
pub fn t_newtran(shared: &Arc<TmShared>, ctx: &mut Context) -> i32 {
    match lookup_or_create(shared, ctx) {
        Some(Lookup::New(_)) | Some(Lookup::Current(_)) => 1,
        Some(Lookup::Retransmission(tx)) => {
            if let Some(t) = ctx.worker.transports.clone() {
                uas::resend_last(&t, &tx);
            }
            0
        }
        None => -1,
    }
}

/// `t_relay([dest[, flags]])`. Flags: 0x01 no automatic 100 Trying for INVITE. -1 without
/// sending anything when the transaction already sent its final reply.
pub fn t_relay(shared: &Arc<TmShared>, ctx: &mut Context, dest: Option<String>, flags: i64) -> i32 {
    let Some(method) = ctx.msg.as_ref().and_then(|m| m.method()) else {
        return -1;
    };
    let Some(transports) = ctx.worker.transports.clone() else {
        return -1;
    };
    if ctx.route_type == RouteType::Request {
        match method {
            Method::Ack => return relay_ack(shared, ctx, dest),
            Method::Cancel => return relay_cancel(shared, ctx, dest),
            _ => {}
        }
    }
    let tx = match lookup_or_create(shared, ctx) {
        Some(Lookup::New(tx)) | Some(Lookup::Current(tx)) => tx,
        Some(Lookup::Retransmission(tx)) => {
            uas::resend_last(&transports, &tx);
            return 0;
        }
        None => return -1,
    };
    // What went upstream so far (nothing below sends until the 100 Trying).
    let answered = tx.state.lock().uas.status;
    if answered >= 200 {
        // A final reply already went upstream (sst's 422 from `create_dialog()`, a
        // `t_reply()` earlier in the script): the caller is done with this request.
        log_err(&format!(
            "t_relay: the request was already answered {answered}; not relayed"
        ));
        return -1;
    }
    take_script_settings(ctx, &tx);
    if ctx.route_type == RouteType::Request
        && tx.is_invite
        && flags & 1 == 0
        && shared.params.auto_100trying
        && answered == 0
    {
        if let Err(e) = uas::reply_local(shared, ctx.core, &transports, &tx, 100, "Trying", "") {
            log_err(&e);
        }
    }
    let specs = branch_specs(ctx, dest);
    let on_branch = tx.state.lock().on_branch;
    let mut started = 0;
    for spec in specs {
        let spec = match on_branch {
            Some(route) => match run_branch_route(ctx, &tx, route, spec) {
                Some(s) => s,
                None => continue,
            },
            None => spec,
        };
        match uac::start_branch(shared, &transports, &tx, spec) {
            Ok(()) => started += 1,
            Err(e) => log_err(&format!("t_relay: {e}")),
        }
    }
    if started > 0 {
        1
    } else {
        -1
    }
}

/// Copies what the script prepared into the transaction: edits, R-URI, `$du`, AVPs, flags,
/// armed routes and timeouts.
fn take_script_settings(ctx: &mut Context, tx: &TxRef) {
    let tm = msg_state(ctx);
    let (on_failure, on_reply, on_branch, fr) = (
        tm.on_failure.take(),
        tm.on_reply.take(),
        tm.on_branch.take(),
        tm.fr.take(),
    );
    let callbacks = std::mem::take(&mut tm.on_final);
    let mut state = tx.state.lock();
    state.on_final.extend(callbacks);
    if let Some(r) = on_failure {
        state.on_failure = Some(r);
    }
    if let Some(r) = on_reply {
        state.on_reply = Some(r);
    }
    if let Some(r) = on_branch {
        state.on_branch = Some(r);
    }
    if let Some((inv, non_inv)) = fr {
        if let Some(d) = inv {
            state.fr_inv = d;
        }
        if let Some(d) = non_inv {
            state.fr = d;
        }
    }
    if ctx.route_type == RouteType::Request {
        state.edits = ctx.edits.clone();
        state.avps = ctx.avps.clone();
        state.flags = ctx.flags;
    }
    state.ruri = ctx.ruri().unwrap_or("").to_owned();
    state.dst_uri = ctx.dst_uri.clone();
}

/// The main branch (Request-URI and `$du`) and every branch the script added.
/// Each branch carries its own Path (from `lookup`) as Route headers.
fn branch_specs(ctx: &mut Context, dest: Option<String>) -> Vec<BranchSpec> {
    let mut specs = Vec::with_capacity(1 + ctx.branches.len());
    let edits_with = |ctx: &Context, path: Option<&str>| {
        let mut edits = ctx.edits.clone();
        if let (Some(path), Some(msg)) = (path, ctx.msg.as_ref()) {
            if let Err(e) = forward::add_path_route(msg, &mut edits, path) {
                tracing::warn!("t_relay: {e}");
            }
        }
        edits
    };
    if let Some(uri) = ctx.ruri() {
        specs.push(BranchSpec {
            uri: uri.to_owned(),
            dst_uri: ctx.dst_uri.clone(),
            dest: dest.clone(),
            flags: ctx.branch_flags,
            edits: edits_with(ctx, ctx.path.as_deref()),
            socket: ctx.send_socket,
            advertised: ctx.advertised.clone(),
            replica: false,
        });
    }
    for b in std::mem::take(&mut ctx.branches) {
        let dst_uri = b
            .dst_uri
            .or_else(|| b.path.as_deref().and_then(first_path_hop));
        specs.push(BranchSpec {
            uri: b.uri,
            dst_uri,
            dest: dest.clone(),
            flags: b.flags,
            edits: edits_with(ctx, b.path.as_deref()),
            socket: b.socket.or(ctx.send_socket),
            advertised: ctx.advertised.clone(),
            replica: false,
        });
    }
    specs
}

/// The first hop of a Path vector (`<sip:p1;lr>,<sip:p2;lr>` gives `sip:p1;lr`).
fn first_path_hop(path: &str) -> Option<String> {
    let first = path.split(',').next()?.trim();
    Some(first.trim_start_matches('<').split('>').next()?.to_owned())
}

/// Runs the branch route for one branch on a copy of the request; `None` when it drops the
/// branch.
fn run_branch_route(
    ctx: &mut Context,
    tx: &TxRef,
    route: usize,
    spec: BranchSpec,
) -> Option<BranchSpec> {
    let program = ctx.core.program();
    let (avps, flags) = {
        let state = tx.state.lock();
        (state.avps.clone(), state.flags)
    };
    let mut bctx = Context::new(
        ctx.core,
        ctx.worker,
        RouteType::Branch,
        Some(&tx.request),
        Some(tx.origin),
    );
    bctx.new_ruri = Some(spec.uri.clone());
    bctx.dst_uri = spec.dst_uri.clone();
    bctx.edits = spec.edits;
    bctx.avps = avps;
    bctx.flags = flags;
    bctx.branch_flags = spec.flags;
    bctx.send_socket = spec.socket;
    bctx.advertised = spec.advertised;
    let index = tx.state.lock().branches.len();
    bctx.set_ext(super::shared::TmMsg {
        tx: Some(tx.clone()),
        branch: Some(index),
        ..Default::default()
    });
    if interp::run(&program, route, &mut bctx) == Outcome::Dropped {
        return None;
    }
    Some(BranchSpec {
        uri: bctx.new_ruri.take().unwrap_or(spec.uri),
        dst_uri: bctx.dst_uri.take(),
        dest: spec.dest,
        flags: bctx.branch_flags,
        edits: std::mem::take(&mut bctx.edits),
        socket: bctx.send_socket,
        advertised: std::mem::take(&mut bctx.advertised),
        replica: spec.replica,
    })
}

/// An ACK: the one for our negative final reply is absorbed (it is hop by hop); any other
/// (a 2xx ACK, end to end) is forwarded statelessly.
fn relay_ack(shared: &Arc<TmShared>, ctx: &mut Context, dest: Option<String>) -> i32 {
    if absorb_ack(shared, ctx) {
        return 1;
    }
    match siplua_core::forward::forward_request(ctx, dest.as_deref()) {
        Ok(()) => 1,
        Err(e) => {
            log_err(&format!("t_relay of ACK: {e}"));
            -1
        }
    }
}

/// True when the ACK in `ctx` acknowledges a negative final reply of ours.
pub fn absorb_ack(shared: &Arc<TmShared>, ctx: &Context) -> bool {
    let Some(key) = ctx
        .msg
        .as_ref()
        .and_then(|m| server_key(m, None, shared.params.matching))
    else {
        return false;
    };
    let Some(tx) = shared.table.find(&key) else {
        return false;
    };
    let mut state = tx.state.lock();
    if state.uas.status >= 300 {
        state.uas.acked = true;
        if let Some(g) = state.uas.retransmit.take() {
            g.cancel();
        }
        return true;
    }
    false
}

/// The INVITE transaction a CANCEL in `ctx` cancels.
pub fn invite_of_cancel(shared: &Arc<TmShared>, ctx: &Context) -> Option<TxRef> {
    let key = server_key(ctx.msg.as_ref()?, Some("INVITE"), shared.params.matching)?;
    shared.table.find(&key)
}

/// A CANCEL: 200 to it, then CANCEL on every branch of its INVITE that has a provisional
/// reply (the others are cancelled as soon as one arrives). Without an INVITE transaction the
/// CANCEL is forwarded statelessly.
fn relay_cancel(shared: &Arc<TmShared>, ctx: &mut Context, dest: Option<String>) -> i32 {
    let Some(tx) = invite_of_cancel(shared, ctx) else {
        return match siplua_core::forward::forward_request(ctx, dest.as_deref()) {
            Ok(()) => 1,
            Err(e) => {
                log_err(&format!("t_relay of CANCEL: {e}"));
                -1
            }
        };
    };
    if let Err(e) = siplua_core::reply::send_reply(ctx, 200, "canceling") {
        log_err(&e);
    }
    let Some(transports) = ctx.worker.transports.clone() else {
        return -1;
    };
    let mut state = tx.state.lock();
    if state.uas.is_final() {
        return 1;
    }
    state.cancelled = true;
    for b in state.branches.iter_mut().filter(|b| !b.is_final()) {
        if b.status >= 100 && !b.cancel_sent {
            b.cancel_sent = true;
            uac::send_cancel(&transports, b);
        } else if b.status < 100 {
            b.cancel_pending = true;
        }
    }
    1
}
