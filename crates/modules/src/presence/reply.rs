//! The replies presence sends itself (as OpenSIPS does, through the signaling layer):
//! through the transaction when the script created one (`t_newtran()`), else statelessly.
//! A 2xx creating a subscription carries the dialog's To-tag.

use siplua_core::context::Context;
use siplua_core::reply::{reply_builder, reply_destination};

use super::shared::{log_err, Presence};

/// Sends `code reason` with `headers` (lines ending in CRLF) and, when given, `to_tag`;
/// false (logged) when it could not be sent.
pub fn send(
    p: &Presence,
    ctx: &mut Context,
    code: u16,
    reason: &str,
    headers: &str,
    to_tag: Option<&str>,
) -> bool {
    let result = if p.tm.has_transaction(ctx) {
        match to_tag {
            Some(tag) => p.tm.reply_tagged(ctx, code, reason, tag, headers),
            None => {
                let queued = ctx.reply_headers.len();
                ctx.reply_headers.push_str(headers);
                let r = if p.tm.reply(ctx, i64::from(code), reason) > 0 {
                    Ok(())
                } else {
                    Err("the transaction did not take the reply".to_owned())
                };
                ctx.reply_headers.truncate(queued);
                r
            }
        }
    } else {
        stateless(ctx, code, reason, headers, to_tag)
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            log_err(&format!("cannot send {code} {reason}: {e}"));
            false
        }
    }
}

/// A reply without a transaction, with the script's queued headers and ours.
fn stateless(
    ctx: &mut Context,
    code: u16,
    reason: &str,
    headers: &str,
    to_tag: Option<&str>,
) -> Result<(), String> {
    let msg = ctx.msg.ok_or("no request")?;
    let origin = ctx.origin.ok_or("no origin")?;
    let transports = ctx.worker.transports.clone().ok_or("no transports")?;
    let extra = format!("{}{headers}", ctx.reply_headers);
    let mut b = reply_builder(ctx.core, msg, &origin, ctx.force_rport, code, reason);
    if let Some(tag) = to_tag {
        b = b.to_tag(tag);
    }
    if !extra.is_empty() {
        b = b.extra_headers(&extra);
    }
    let bytes = b.build().map_err(|e| e.to_string())?;
    let dst = reply_destination(msg, &origin, ctx.force_rport);
    transports
        .send(&dst, &bytes)
        .map_err(|e| format!("cannot send to {}: {e}", dst.addr))?;
    ctx.replied = Some(code);
    Ok(())
}
