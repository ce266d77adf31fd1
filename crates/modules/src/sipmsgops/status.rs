//! `change_reply_status(code, reason)` in an onreply route: the relayed reply gets another
//! status line. As in OpenSIPS the code is 100-699, and a provisional or 2xx reply keeps its
//! class (a 180 may become a 183, not a 200); a negative final reply may become any other
//! negative one. tm relays (or, for a negative reply, stores for the end of the transaction)
//! the changed reply and takes its new code for the choice of the best reply.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::log;
use siplua_core::route_type::{RouteMask, RouteType};

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "change_reply_status",
        vec![
            ParamSpec::req("code", ParamKind::Int),
            ParamSpec::req("reason", ParamKind::Str),
        ],
        RouteMask::of(&[RouteType::OnReply]),
        change_reply_status,
    )]
}

/// The `Edits` mark of this reply's status line replacement, once there is one.
struct StatusMark(usize);

fn change_reply_status(ctx: &mut Context, args: &Args) -> i32 {
    let Some(msg) = ctx.msg else {
        return -1;
    };
    let (Some(code), Some(reason)) = (args.int(ctx, 0), args.str(ctx, 1)) else {
        return -1;
    };
    let Some(old) = msg.status_code() else {
        return -1;
    };
    let err = |text: String| {
        log::emit(log::level::ERR, "sipmsgops", &text);
        -1
    };
    if !(100..=699).contains(&code) {
        return err(format!("change_reply_status: wrong status code {code}"));
    }
    let code = code as u16;
    if (code < 300 || old < 300) && code / 100 != old / 100 {
        return err(format!(
            "change_reply_status: the class of a provisional or positive final reply cannot \
             be changed ({old} to {code})"
        ));
    }
    let reason = reason.trim();
    if reason.contains(['\r', '\n']) {
        return err("change_reply_status: the reason phrase has a line break".into());
    }
    // The status code and reason phrase: after "SIP/2.0 " to the end of the first line.
    let bytes = msg.as_bytes();
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    let Some(start) = bytes[..line_end]
        .iter()
        .position(|&b| b == b' ')
        .map(|p| p + 1)
    else {
        return -1;
    };
    let text = format!("{code} {reason}");
    let done = match ctx.ext::<StatusMark>() {
        Some(StatusMark(mark)) => {
            let mark = *mark;
            ctx.edits.amend_replaced(mark, &text).is_ok()
        }
        None => {
            let mark = ctx.edits.mark();
            let ok = ctx.edits.replace_range(msg, start, line_end, &text).is_ok();
            if ok {
                ctx.set_ext(StatusMark(mark));
            }
            ok
        }
    };
    if done {
        1
    } else {
        -1
    }
}
