//! `t_replicate(uri[, flags])`: a copy of the request to another destination, inside the
//! request's transaction (created if needed) but apart from its answer: the copy's replies
//! are absorbed (see [`super::tx::Branch::replica`]) and the script goes on with the
//! original request — typically replicating a REGISTER to a second registrar and then
//! `save()`-ing it here.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_sip::Method;

use super::relay::{lookup_or_create, Lookup};
use super::shared::TmShared;
use super::uac::{self, BranchSpec};
use super::uas;

fn log_err(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "tm", text);
}

/// Sends the copy to `uri` (a SIP URI or `[proto:]host[:port]`): the Request-URI and the
/// script's changes are those of the request. 1 when sent; 0 (stop the script) for a
/// retransmission, whose last reply is sent again; -1 for an ACK or CANCEL (they have no
/// transaction of their own to carry a copy), a bad destination or a failed send.
pub fn t_replicate(shared: &Arc<TmShared>, ctx: &mut Context, uri: &str) -> i32 {
    let Some(method) = ctx.msg.as_ref().and_then(|m| m.method()) else {
        return -1;
    };
    if matches!(method, Method::Ack | Method::Cancel) {
        log_err("t_replicate: an ACK or CANCEL cannot be replicated");
        return -1;
    }
    let Some(transports) = ctx.worker.transports.clone() else {
        return -1;
    };
    let tx = match lookup_or_create(shared, ctx) {
        Some(Lookup::New(tx)) | Some(Lookup::Current(tx)) => tx,
        Some(Lookup::Retransmission(tx)) => {
            uas::resend_last(&transports, &tx);
            return 0;
        }
        None => return -1,
    };
    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let spec = BranchSpec {
        uri: ruri,
        dst_uri: None,
        dest: Some(uri.to_owned()),
        flags: ctx.branch_flags,
        edits: ctx.edits.clone(),
        socket: ctx.send_socket,
        advertised: ctx.advertised.clone(),
        replica: true,
    };
    match uac::start_branch(shared, &transports, &tx, spec) {
        Ok(()) => 1,
        Err(e) => {
            log_err(&format!("t_replicate to {uri}: {e}"));
            -1
        }
    }
}
