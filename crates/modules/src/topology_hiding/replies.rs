//! Replies within a hidden dialog, seen before tm relays them: the replying side's Contact
//! and route set are kept (the callee's, from the replies to the INVITE), and the reply
//! goes on with our Contact and no Record-Route. tm gives it back the request's Vias and
//! Call-ID.

use siplua_core::context::Context;
use siplua_sip::Message;

use super::contact;
use super::settings::Settings;
use super::store::{Hidden, Store};

/// The reply hook (every received reply goes through it).
pub fn on_reply(ctx: &mut Context, store: &Store, settings: &Settings) {
    let Some(msg) = ctx.msg else {
        return;
    };
    let Ok(callid) = msg.call_id() else {
        return;
    };
    let Some((token, hidden)) = store.by_callid(callid) else {
        return;
    };
    let from_tag = msg.from().ok().and_then(|f| f.tag()).unwrap_or("");
    // From the callee (answering the caller's request) or from the caller.
    let from_callee = if from_tag == hidden.caller_tag {
        true
    } else if hidden.callee_tag.as_deref() == Some(from_tag) {
        false
    } else {
        return;
    };
    let code = msg.status_code().unwrap_or(0);
    let invite = msg.cseq().is_ok_and(|c| c.method == "INVITE");
    if invite && (101..300).contains(&code) {
        learn(store, settings, &token, &hidden, msg, from_callee, code);
    }
    let hidden = store.get(&token).unwrap_or(hidden);
    let (user, passed) = if from_callee {
        (hidden.callee_user.as_deref(), &hidden.callee_passed)
    } else {
        (hidden.caller_user.as_deref(), &hidden.caller_passed)
    };
    ctx.edits.remove_headers_named(msg, "Record-Route");
    if msg.find(siplua_sip::HeaderKind::Contact).is_some() {
        let ours = contact::ours(
            &hidden.proxy,
            &token,
            user.filter(|_| hidden.keep_user),
            passed,
        );
        if let Err(e) = contact::replace(ctx, msg, &ours) {
            super::log_err(&e);
        }
    }
}

/// A provisional or 2xx reply to an INVITE: the callee's tag, Contact and (until a 2xx
/// fixed it) route set; a re-INVITE's 2xx from either side refreshes that side's Contact.
fn learn(
    store: &Store,
    settings: &Settings,
    token: &str,
    hidden: &Hidden,
    msg: &Message,
    from_callee: bool,
    code: u16,
) {
    let seen = contact::read(msg, &settings.passed_uri_params, &settings.passed_params);
    let to_tag = msg.to().ok().and_then(|t| t.tag()).map(str::to_owned);
    let mut routes: Vec<String> = msg
        .record_routes()
        .filter_map(Result::ok)
        .map(|na| na.uri().as_str().to_owned())
        .collect();
    routes.reverse();
    let initial = !hidden.confirmed;
    store.update(token, |h| {
        if from_callee && initial && to_tag.is_some() {
            h.callee_tag = to_tag;
            h.callee_routes = routes;
            if code >= 200 {
                h.confirmed = true;
            }
        }
        let Some(seen) = seen else { return };
        if from_callee {
            h.callee_contact = Some(seen.uri);
            h.callee_user = seen.user;
            h.callee_passed = (seen.uri_params, seen.params);
        } else {
            h.caller_contact = seen.uri;
            h.caller_user = seen.user;
            h.caller_passed = (seen.uri_params, seen.params);
        }
    });
}
