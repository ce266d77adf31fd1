//! Replies from downstream: matched to their branch by our Via branch, run through the armed
//! `onreply_route`, then relayed (provisional and 2xx at once), or kept until every branch is
//! final (negative ones), with the hop-by-hop ACK and the CANCELs the RFC asks for.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::interp::{self, Outcome};
use siplua_core::module::ReplyVerdict;
use siplua_core::route_type::RouteType;

use super::completion;
use super::shared::{TmMsg, TmShared};
use super::tx::TxRef;
use super::uac;
use super::uas;

/// What to do after the branch state was updated under the lock.
enum Next {
    /// Relay a provisional reply upstream.
    Provisional,
    /// Relay a 2xx upstream and cancel the other branches.
    Success,
    /// A negative final: maybe complete the transaction.
    Negative,
    /// A retransmitted final: already handled.
    Done,
}

/// tm's reply hook: consumes the replies of its transactions.
pub fn on_reply(shared: &Arc<TmShared>, ctx: &mut Context) -> ReplyVerdict {
    let Some(reply) = ctx.msg else {
        return ReplyVerdict::Continue;
    };
    let Some(code) = reply.status_code() else {
        return ReplyVerdict::Continue;
    };
    let Some(branch_id) = reply
        .top_via()
        .ok()
        .and_then(|v| v.branch().map(str::to_owned))
    else {
        return ReplyVerdict::Continue;
    };
    if super::local::on_reply(shared, &branch_id, reply) {
        shared.stats.received_replies.inc();
        return ReplyVerdict::Consumed;
    }
    let Some((tx, index)) = shared.table.find_branch(&branch_id) else {
        return ReplyVerdict::Continue;
    };
    if reply
        .cseq()
        .is_ok_and(|c| c.method.eq_ignore_ascii_case("CANCEL"))
    {
        // The answer to a CANCEL we sent on this branch: nothing more to do.
        return ReplyVerdict::Consumed;
    }
    let Some(transports) = ctx.worker.transports.clone() else {
        return ReplyVerdict::Consumed;
    };
    shared.stats.received_replies.inc();

    let (next, on_reply, replica) = {
        let mut state = tx.state.lock();
        let restart = shared.params.restart_fr_on_each_reply;
        let fr_inv = state.fr_inv;
        let on_reply = state.on_reply;
        let Some(b) = state.branches.get_mut(index) else {
            return ReplyVerdict::Consumed;
        };
        let replica = b.replica;
        let next = if b.is_final() {
            // A retransmitted final: 2xx go upstream again, negative ones get our ACK again.
            if (200..300).contains(&code) {
                Next::Success
            } else {
                if code >= 300 && tx.is_invite {
                    uac::send_ack(&transports, b, reply);
                }
                Next::Done
            }
        } else if code < 200 {
            let first = b.status < 100;
            b.status = b.status.max(code);
            if let Some(t) = b.retransmit.take().filter(|_| tx.is_invite) {
                t.cancel();
            }
            if b.cancel_pending && !b.cancel_sent {
                b.cancel_sent = true;
                uac::send_cancel(&transports, b);
            }
            if tx.is_invite && (first || restart) {
                uac::arm_fr(shared, &tx, &mut state, index, fr_inv);
            }
            Next::Provisional
        } else {
            b.status = code;
            b.final_reply = Some(reply.clone());
            b.stop_timers();
            if code >= 300 && tx.is_invite {
                uac::send_ack(&transports, b, reply);
            }
            if (200..300).contains(&code) {
                Next::Success
            } else {
                Next::Negative
            }
        };
        (next, on_reply, replica)
    };
    // A `t_replicate` copy's replies end here: its timers and ACK were handled above.
    if replica || matches!(next, Next::Done) {
        return ReplyVerdict::Consumed;
    }

    if let Some(route) = on_reply {
        if run_reply_route(shared, ctx, &tx, index, route, code) == Outcome::Dropped && code < 200 {
            return ReplyVerdict::Consumed;
        }
    }
    let Some(reply) = ctx.msg.as_ref() else {
        return ReplyVerdict::Consumed;
    };
    // What the onreply route changed goes upstream with the reply. A negative reply was
    // stored before the route ran and is relayed (or not) after the failure route: it is
    // stored again with the changes, its status (`change_reply_status`) included.
    let edits = std::mem::take(&mut ctx.edits);
    let code = if edits.is_empty() {
        code
    } else {
        let edited = edits.apply(reply);
        let new_code = status_of(&edited).unwrap_or(code);
        if matches!(next, Next::Negative) {
            match siplua_sip::Message::parse_slice(&edited) {
                Ok(m) => {
                    let mut state = tx.state.lock();
                    if let Some(b) = state.branches.get_mut(index) {
                        b.status = new_code;
                        b.final_reply = Some(m);
                    }
                }
                Err(e) => log_err(&format!(
                    "the reply changed by the onreply route does not parse ({e}): kept as received"
                )),
            }
            return finish_negative(shared, ctx, &transports, &tx, index, new_code);
        }
        new_code
    };
    match next {
        Next::Provisional => {
            let upstream_final = tx.state.lock().uas.is_final();
            if code > 100 && !upstream_final {
                if let Err(e) = uas::relay(shared, &transports, &tx, reply, code, edits) {
                    log_err(&e);
                }
            }
        }
        Next::Success => {
            if let Err(e) = uas::relay(shared, &transports, &tx, reply, code, edits) {
                log_err(&e);
            }
            if tx.is_invite {
                cancel_others(&transports, &tx, Some(index));
            }
        }
        Next::Negative => return finish_negative(shared, ctx, &transports, &tx, index, code),
        Next::Done => {}
    }
    ReplyVerdict::Consumed
}

/// A negative final reply on a branch: cancels the others on a 6xx (`cancel_on_6xx`), then
/// fails over (`use_next_gw` style) or completes the transaction when it was the last one.
fn finish_negative(
    shared: &Arc<TmShared>,
    ctx: &mut Context,
    transports: &Arc<siplua_transport::Transports>,
    tx: &TxRef,
    index: usize,
    code: u16,
) -> ReplyVerdict {
    if code >= 600 && tx.is_invite && shared.params.cancel_on_6xx {
        cancel_others(transports, tx, Some(index));
    }
    if !uac::failover(shared, transports, tx, index) {
        completion::check(shared, ctx.core, ctx.worker, tx);
    }
    ReplyVerdict::Consumed
}

/// The status code of a reply's bytes (`SIP/2.0 404 ...`).
fn status_of(bytes: &[u8]) -> Option<u16> {
    let line = bytes.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?;
    let code = text.split_whitespace().nth(1)?.parse::<u16>().ok()?;
    (100..700).contains(&code).then_some(code)
}

fn log_err(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "tm", text);
}

/// Sends CANCEL on every pending branch but `except` (or marks it to be sent on its first
/// provisional reply).
pub fn cancel_others(transports: &siplua_transport::Transports, tx: &TxRef, except: Option<usize>) {
    let mut state = tx.state.lock();
    for (i, b) in state.branches.iter_mut().enumerate() {
        if Some(i) == except || b.is_final() || b.cancel_sent {
            continue;
        }
        if b.status >= 100 {
            b.cancel_sent = true;
            uac::send_cancel(transports, b);
        } else {
            b.cancel_pending = true;
        }
    }
}

/// Runs the transaction's onreply route on the reply, with the transaction's AVPs when
/// `onreply_avp_mode` is 1.
fn run_reply_route(
    shared: &Arc<TmShared>,
    ctx: &mut Context,
    tx: &TxRef,
    index: usize,
    route: usize,
    code: u16,
) -> Outcome {
    let with_avps = shared.params.onreply_avp_mode == 1;
    if with_avps {
        ctx.avps = tx.state.lock().avps.clone();
    }
    ctx.flags = tx.state.lock().flags;
    ctx.route_type = RouteType::OnReply;
    ctx.replied = Some(code);
    ctx.set_ext(TmMsg {
        tx: Some(tx.clone()),
        branch: Some(index),
        ..TmMsg::default()
    });
    let program = ctx.core.program();
    let outcome = interp::run(&program, route, ctx);
    if with_avps {
        tx.state.lock().avps = ctx.avps.clone();
    }
    outcome
}
