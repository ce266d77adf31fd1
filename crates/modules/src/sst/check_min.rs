//! `sstCheckMin([send_reply_flag])` and the 422 answer it shares with the negotiation: is the
//! interval an INVITE asks for below this proxy's `min_se`?

use siplua_core::context::Context;

use super::headers;
use crate::sl;
use crate::tm::api::TmApi;

/// The Min-SE an INVITE without one is taken to have (RFC 4028 §4, the smallest allowed).
pub const RFC_MIN_SE: u64 = 90;

fn warn(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::WARN, "sst", text);
}

/// Answers the request in `ctx` with "422 Session Timer Too Small" carrying `Min-SE:
/// min_se`: through its transaction when it has one or `stateful` asks for one (a dialog's
/// INVITE, whose transaction then refuses to be relayed), else statelessly; the reply's
/// return code.
pub fn reject(ctx: &mut Context, min_se: u64, stateful: bool) -> i32 {
    ctx.reply_headers.push_str(&format!("Min-SE: {min_se}\r\n"));
    let reason = "Session Timer Too Small";
    match ctx.core.apis.get::<TmApi>() {
        Some(tm) if stateful || tm.has_transaction(ctx) => tm.reply(ctx, 422, reason),
        _ => sl::reply(ctx, 422, reason, None),
    }
}

/// `sstCheckMin`: 1 when the INVITE's Session-Expires (or its Min-SE, 90 when absent) is
/// below `min_se` — after answering 422 when `send` — else -1 (no Session-Expires, not an
/// INVITE, or headers that are not numbers, which are logged).
pub fn check_min(ctx: &mut Context, min_se: u64, send: bool) -> i32 {
    let Some(msg) = ctx.msg else { return -1 };
    if msg.method_str() != Some("INVITE") {
        return -1;
    }
    let found = match headers::read(msg) {
        Ok(found) => found,
        Err(e) => {
            warn(&format!("sstCheckMin: {e}"));
            return -1;
        }
    };
    let Some(se) = found.session_expires else {
        return -1;
    };
    let asked = se.min(found.min_se.unwrap_or(RFC_MIN_SE));
    if min_se <= asked {
        return -1;
    }
    if send && reject(ctx, min_se, false) < 0 {
        warn("sstCheckMin: the 422 reply could not be sent");
    }
    1
}
