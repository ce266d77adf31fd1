//! `topology_hiding_match()`: a sequential request sent to one of our Contacts (`;did=` in
//! its Request-URI) is routed to the other side of its hidden dialog — that side's Contact
//! as Request-URI, its route set as Route headers (the first as `$du`), our Contact, that
//! side's Call-ID, and none of the sender's Via, Record-Route or Route.

use siplua_core::context::Context;
use siplua_sip::edit::Position;
use siplua_sip::{HeaderKind, Message};

use super::contact::{self, TOKEN_PARAM};
use super::initial::{set_callid, strip_path};
use super::settings::Settings;
use super::store::{Hidden, Store};
use super::ThCurrent;
use crate::dialog::{Current, Direction};

/// 1 when the request in `ctx` belonged to a hidden dialog and was rewritten, -1 when not.
pub fn topology_hiding_match(ctx: &mut Context, store: &Store, settings: &Settings) -> i32 {
    match route(ctx, store, settings) {
        Ok(true) => 1,
        Ok(false) => -1,
        Err(e) => {
            super::log_err(&format!("topology_hiding_match: {e}"));
            -1
        }
    }
}

/// The token in the Request-URI.
fn token_of(msg: &Message) -> Option<String> {
    let uri = msg.ruri()?;
    uri.params().value(TOKEN_PARAM).map(str::to_owned)
}

fn route(ctx: &mut Context, store: &Store, settings: &Settings) -> Result<bool, String> {
    let Some(msg) = ctx.msg else {
        return Ok(false);
    };
    if !msg.is_request() {
        return Ok(false);
    }
    let Some(token) = token_of(msg) else {
        return Ok(false);
    };
    let Some(hidden) = store.get(&token) else {
        return Ok(false);
    };
    let from_tag = msg.from().ok().and_then(|f| f.tag()).unwrap_or("");
    let callid = msg.call_id().unwrap_or("");
    let dir = if from_tag == hidden.caller_tag && callid == hidden.caller_callid {
        Direction::Downstream
    } else if hidden.callee_tag.as_deref() == Some(from_tag) && callid == hidden.callee_callid {
        Direction::Upstream
    } else {
        return Ok(false);
    };
    let (target, routes, user, passed, out_callid) = match dir {
        Direction::Downstream => (
            hidden
                .callee_contact
                .clone()
                .ok_or("the callee's Contact is not known yet")?,
            hidden.callee_routes.clone(),
            hidden.caller_user.clone(),
            hidden.caller_passed.clone(),
            hidden.callee_callid.clone(),
        ),
        Direction::Upstream => (
            hidden.caller_contact.clone(),
            hidden.caller_routes.clone(),
            hidden.callee_user.clone(),
            hidden.callee_passed.clone(),
            hidden.caller_callid.clone(),
        ),
    };
    strip_path(ctx, msg);
    add_routes(ctx, msg, &routes)?;
    ctx.new_ruri = Some(target);
    ctx.dst_uri = routes.first().cloned();
    if msg.find(HeaderKind::Contact).is_some() {
        refresh_target(store, settings, &token, msg, dir);
        let ours = contact::ours(
            &hidden.proxy,
            &token,
            user.as_deref().filter(|_| hidden.keep_user),
            &passed,
        );
        contact::replace(ctx, msg, &ours)?;
    }
    if out_callid != callid {
        set_callid(ctx, msg, &out_callid)?;
    }
    follow_dialog(ctx, store, &hidden, msg, dir);
    ctx.set_ext(ThCurrent {
        token,
        caller_callid: hidden.caller_callid.clone(),
        callee_callid: hidden.callee_callid.clone(),
    });
    Ok(true)
}

/// Puts the route set towards the target side as Route lines.
fn add_routes(ctx: &mut Context, msg: &Message, routes: &[String]) -> Result<(), String> {
    let at = msg
        .find(HeaderKind::CallId)
        .map_or(Position::End, |(i, _)| Position::Before(i));
    for r in routes {
        ctx.edits
            .add_header(msg, "Route", &format!("<{r}>"), at)
            .map_err(|e| format!("cannot add Route: {e}"))?;
    }
    Ok(())
}

/// A request with a Contact (re-INVITE, UPDATE) refreshes its sender's target.
fn refresh_target(store: &Store, settings: &Settings, token: &str, msg: &Message, dir: Direction) {
    let Some(seen) = contact::read(msg, &settings.passed_uri_params, &settings.passed_params)
    else {
        return;
    };
    store.update(token, |h| match dir {
        Direction::Downstream => {
            h.caller_contact = seen.uri;
            h.caller_user = seen.user;
            h.caller_passed = (seen.uri_params, seen.params);
        }
        Direction::Upstream => {
            h.callee_contact = Some(seen.uri);
            h.callee_user = seen.user;
            h.callee_passed = (seen.uri_params, seen.params);
        }
    });
}

/// With a hidden Call-ID the dialog module cannot find the callee's requests by themselves:
/// the dialog is set for the message here, and a BYE ends it.
fn follow_dialog(ctx: &mut Context, store: &Store, hidden: &Hidden, msg: &Message, dir: Direction) {
    if ctx.ext::<Current>().is_some() {
        return;
    }
    ctx.set_ext(Current {
        key: hidden.dialog.clone(),
        dir,
    });
    if msg.method_str() == Some("BYE") {
        store.dialogs().table.end(&hidden.dialog);
    }
}
