//! `$T_reply_reason` and `$T_ruri`, as OpenSIPS' tm exports them: the reason phrase of the
//! reply the transaction got (the reply itself in an onreply route, the failed branch's
//! reply in a failure route, or the phrase of a reply tm made itself, a 408 timeout), and
//! the Request-URI of the transaction's request (the latest one its branches were built
//! from). Null without a transaction.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::pv::PvDecl;
use siplua_core::value::Value;

use super::api::TmApi;
use super::shared::current_tx;

fn reply_reason(ctx: &Context) -> Value {
    if let Some(reason) = ctx.message().and_then(|m| m.reason()) {
        return Value::from(reason);
    }
    let Some(tm) = ctx.core.apis.get::<TmApi>() else {
        return Value::Null;
    };
    if let Some((reply, _)) = tm.failed_reply(ctx) {
        return reply.reason().map_or(Value::Null, Value::from);
    }
    match ctx.replied {
        Some(408) => Value::from("Request Timeout"),
        Some(code) => Value::from(siplua_sip::reply::default_reason(code)),
        None => Value::Null,
    }
}

fn ruri(ctx: &Context) -> Value {
    current_tx(ctx).map_or(Value::Null, |tx| Value::from(tx.state.lock().ruri.as_str()))
}

/// The two variables (read-only).
pub fn declarations() -> Vec<PvDecl> {
    vec![
        PvDecl {
            name: "T_reply_reason",
            takes_inner: false,
            get: Arc::new(|ctx: &Context, _| reply_reason(ctx)),
            set: None,
        },
        PvDecl {
            name: "T_ruri",
            takes_inner: false,
            get: Arc::new(|ctx: &Context, _| ruri(ctx)),
            set: None,
        },
    ]
}
