//! tm's script functions, with OpenSIPS' names, parameters and return codes.

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_script::RouteKind;
use siplua_sip::edit::{Edits, Position};
use siplua_sip::Method;

use super::relay::{self, Lookup};
use super::replies::cancel_others;
use super::shared::{current_tx, msg_state, TmShared};
use super::uas;

const REQ: RouteType = RouteType::Request;
const FAIL: RouteType = RouteType::Failure;
const BRANCH: RouteType = RouteType::Branch;
const REPLY: RouteType = RouteType::OnReply;

/// Every tm function.
pub fn functions(shared: &Arc<TmShared>) -> Vec<FunctionDecl> {
    let s = shared.clone();
    let mut v = vec![FunctionDecl::new(
        "t_relay",
        vec![
            ParamSpec::opt("destination", ParamKind::Str),
            ParamSpec::opt("flags", ParamKind::Int),
        ],
        RouteMask::of(&[REQ, FAIL]),
        move |ctx: &mut Context, args: &Args| {
            let dest = args
                .str(ctx, 0)
                .map(|d| d.into_owned())
                .filter(|d| !d.is_empty());
            let flags = args.int(ctx, 1).unwrap_or(0);
            relay::t_relay(&s, ctx, dest, flags)
        },
    )];
    let s = shared.clone();
    v.push(FunctionDecl::new(
        "t_newtran",
        vec![],
        RouteMask::of(&[REQ]),
        move |ctx: &mut Context, _: &Args| relay::t_newtran(&s, ctx),
    ));
    let s = shared.clone();
    v.push(FunctionDecl::new(
        "t_reply",
        vec![
            ParamSpec::req("code", ParamKind::Int),
            ParamSpec::req("reason", ParamKind::Str),
        ],
        RouteMask::of(&[REQ, FAIL]),
        move |ctx: &mut Context, args: &Args| {
            let code = args.int(ctx, 0).unwrap_or(500);
            let reason = args.str(ctx, 1).unwrap_or_default().into_owned();
            t_reply(&s, ctx, code, &reason)
        },
    ));
    v.push(FunctionDecl::new(
        "t_flush_flags",
        vec![],
        RouteMask::of(&[REQ, BRANCH]),
        |ctx: &mut Context, _: &Args| t_flush_flags(ctx),
    ));
    let s = shared.clone();
    v.push(FunctionDecl::new(
        "t_check_trans",
        vec![],
        RouteMask::of(&[REQ, BRANCH]),
        move |ctx: &mut Context, _: &Args| t_check_trans(&s, ctx),
    ));
    for (name, kind) in [
        ("t_on_failure", RouteKind::Failure),
        ("t_on_reply", RouteKind::OnReply),
        ("t_on_branch", RouteKind::Branch),
    ] {
        v.push(FunctionDecl::new(
            name,
            vec![ParamSpec::req("route", ParamKind::Route(kind))],
            RouteMask::of(&[REQ, FAIL, BRANCH]),
            move |ctx: &mut Context, args: &Args| {
                let Some(route) = args.route(0) else {
                    return -1;
                };
                let tm = msg_state(ctx);
                match kind {
                    RouteKind::Failure => tm.on_failure = Some(route),
                    RouteKind::OnReply => tm.on_reply = Some(route),
                    _ => tm.on_branch = Some(route),
                }
                1
            },
        ));
    }
    v.push(FunctionDecl::new(
        "t_was_cancelled",
        vec![],
        RouteMask::of(&[FAIL, REPLY, BRANCH]),
        |ctx: &mut Context, _: &Args| match current_tx(ctx) {
            Some(tx) if tx.state.lock().cancelled => 1,
            _ => -1,
        },
    ));
    v.push(FunctionDecl::new(
        "t_check_status",
        vec![ParamSpec::req("regex", ParamKind::Regex)],
        RouteMask::of(&[REQ, FAIL, REPLY, BRANCH]),
        |ctx: &mut Context, args: &Args| {
            let code = ctx
                .msg
                .as_ref()
                .and_then(|m| m.status_code())
                .or(ctx.replied);
            match (code, args.regex(ctx, 0)) {
                (Some(c), Some(re)) if re.is_match(&c.to_string()) => 1,
                _ => -1,
            }
        },
    ));
    v.push(FunctionDecl::new(
        "t_local_replied",
        vec![ParamSpec::req("which", ParamKind::StaticStr)],
        RouteMask::of(&[FAIL, REPLY]),
        |ctx: &mut Context, args: &Args| {
            let Some(tx) = current_tx(ctx) else { return -1 };
            let which = args.str(ctx, 0).unwrap_or_default().into_owned();
            let state = tx.state.lock();
            let finals: Vec<bool> = state
                .relayed()
                .filter(|(_, b)| b.is_final())
                .map(|(_, b)| b.local)
                .collect();
            let hit = match which.as_str() {
                "all" => !finals.is_empty() && finals.iter().all(|l| *l),
                _ => finals.last().copied().unwrap_or(false),
            };
            if hit {
                1
            } else {
                -1
            }
        },
    ));
    v.push(FunctionDecl::new(
        "t_cancel_branch",
        vec![ParamSpec::opt("flags", ParamKind::StaticStr)],
        RouteMask::of(&[REPLY]),
        |ctx: &mut Context, args: &Args| {
            let Some(tx) = current_tx(ctx) else { return -1 };
            let Some(transports) = ctx.worker.transports.clone() else {
                return -1;
            };
            let current = ctx.ext::<super::shared::TmMsg>().and_then(|m| m.branch);
            match args.str(ctx, 0).as_deref() {
                Some("a") => cancel_others(&transports, &tx, None),
                Some("o") => cancel_others(&transports, &tx, current),
                _ => {
                    let mut state = tx.state.lock();
                    if let Some(b) = current.and_then(|i| state.branches.get_mut(i)) {
                        if !b.is_final() && !b.cancel_sent {
                            b.cancel_sent = true;
                            super::uac::send_cancel(&transports, b);
                        }
                    }
                }
            }
            1
        },
    ));
    let s = shared.clone();
    v.push(FunctionDecl::new(
        "t_replicate",
        vec![
            ParamSpec::req("uri", ParamKind::Str),
            ParamSpec::opt("flags", ParamKind::Str),
        ],
        RouteMask::of(&[REQ]),
        move |ctx: &mut Context, args: &Args| {
            let uri = args.str(ctx, 0).unwrap_or_default().trim().to_owned();
            super::replicate::t_replicate(&s, ctx, &uri)
        },
    ));
    v.push(FunctionDecl::new(
        "t_add_hdrs",
        vec![ParamSpec::req("sip_hdrs", ParamKind::Str)],
        RouteMask::of(&[REQ]),
        |ctx: &mut Context, args: &Args| {
            let text = args.str(ctx, 0).unwrap_or_default().into_owned();
            t_add_hdrs(ctx, &text)
        },
    ));
    let s = shared.clone();
    v.push(
        FunctionDecl::new(
            "t_new_request",
            vec![
                ParamSpec::req("method", ParamKind::Str),
                ParamSpec::req("ruri", ParamKind::Str),
                ParamSpec::req("from", ParamKind::Str),
                ParamSpec::req("to", ParamKind::Str),
                ParamSpec::opt("body", ParamKind::Str),
                ParamSpec::opt("ctx", ParamKind::Str),
            ],
            RouteMask::of(&[REQ, FAIL, REPLY, BRANCH, RouteType::Local]),
            move |ctx: &mut Context, args: &Args| super::new_request::t_new_request(&s, ctx, args),
        )
        .with_fixup(super::new_request::fixup),
    );
    v.push(FunctionDecl::new(
        "t_set_fr",
        vec![
            ParamSpec::req("fr_inv_timeout", ParamKind::Int),
            ParamSpec::opt("fr_timeout", ParamKind::Int),
        ],
        RouteMask::of(&[REQ, FAIL, BRANCH]),
        |ctx: &mut Context, args: &Args| {
            let secs = |v: Option<i64>| v.filter(|s| *s > 0).map(|s| Duration::from_secs(s as u64));
            let inv = secs(args.int(ctx, 0));
            let fr = secs(args.int(ctx, 1));
            msg_state(ctx).fr = Some((inv, fr));
            1
        },
    ));
    v
}

/// `t_add_hdrs("Name: value\r\n...")`: header lines added to every branch the transaction
/// sends from now on (and to their CANCELs and ACKs), replacing those of an earlier call.
/// 1; -1 without a transaction (`t_newtran` first) or for text that is not header lines.
fn t_add_hdrs(ctx: &mut Context, text: &str) -> i32 {
    let Some(tx) = current_tx(ctx) else {
        siplua_core::log::emit(
            siplua_core::log::level::ERR,
            "tm",
            "t_add_hdrs: no transaction (call t_newtran() first)",
        );
        return -1;
    };
    let lines = match crate::sipmsgops::headers::header_lines(text) {
        Ok(lines) => lines,
        Err(e) => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "tm",
                &format!("t_add_hdrs: {e}"),
            );
            return -1;
        }
    };
    // Checked now (names, values) rather than when each branch is built.
    let mut probe = Edits::new();
    for (name, value) in &lines {
        if let Err(e) = probe.add_header(&tx.request, name, value, Position::End) {
            let text = format!("t_add_hdrs: cannot add header {name}: {e}");
            siplua_core::log::emit(siplua_core::log::level::ERR, "tm", &text);
            return -1;
        }
    }
    tx.state.lock().extra_hdrs = lines
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    1
}

/// `t_reply(code, reason)`: a reply through the transaction (created when there is none),
/// with the headers queued by `append_to_reply` / `add_lump_rpl`.
pub fn t_reply(shared: &Arc<TmShared>, ctx: &mut Context, code: i64, reason: &str) -> i32 {
    let Ok(code) = u16::try_from(code) else {
        return -1;
    };
    let tx = match relay::lookup_or_create(shared, ctx) {
        Some(Lookup::New(tx)) | Some(Lookup::Current(tx)) => tx,
        Some(Lookup::Retransmission(tx)) => tx,
        None => return -1,
    };
    let Some(transports) = ctx.worker.transports.clone() else {
        return -1;
    };
    match uas::reply_local(
        shared,
        ctx.core,
        &transports,
        &tx,
        code,
        reason,
        &ctx.reply_headers,
    ) {
        Ok(()) => {
            ctx.replied = Some(code);
            1
        }
        Err(e) => {
            siplua_core::log::emit(siplua_core::log::level::ERR, "tm", &format!("t_reply: {e}"));
            -1
        }
    }
}

/// `t_flush_flags()`: the message flags as they are now become the transaction's (seen by its
/// failure and reply routes), for flags changed after `t_newtran()`; -1 without a transaction.
/// (`t_relay` copies them too.)
fn t_flush_flags(ctx: &mut Context) -> i32 {
    match current_tx(ctx) {
        Some(tx) => {
            tx.state.lock().flags = ctx.flags;
            1
        }
        None => -1,
    }
}

/// `t_check_trans()`: for a CANCEL, true when its INVITE transaction exists; for an ACK, true
/// when it acknowledges our negative reply (it is absorbed); for another request, a
/// retransmission gets the last reply again and stops the script (0); else false.
fn t_check_trans(shared: &Arc<TmShared>, ctx: &mut Context) -> i32 {
    if current_tx(ctx).is_some() {
        return 1;
    }
    let Some(method) = ctx.msg.as_ref().and_then(|m| m.method()) else {
        return -1;
    };
    match method {
        Method::Cancel => {
            if relay::invite_of_cancel(shared, ctx).is_some() {
                1
            } else {
                -1
            }
        }
        Method::Ack => {
            if relay::absorb_ack(shared, ctx) {
                1
            } else {
                -1
            }
        }
        _ => {
            let Some(key) = ctx
                .msg
                .as_ref()
                .and_then(|m| super::table::server_key(m, None, shared.params.matching))
            else {
                return -1;
            };
            match shared.table.find(&key) {
                Some(tx) => {
                    if let Some(t) = ctx.worker.transports.clone() {
                        uas::resend_last(&t, &tx);
                    }
                    0
                }
                None => -1,
            }
        }
    }
}
