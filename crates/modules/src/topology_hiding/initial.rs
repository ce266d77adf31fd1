//! `topology_hiding([flags])` on a dialog-creating request: files what both sides will need
//! with the dialog and rewrites the request so the callee sees only the proxy — no Via but
//! ours (tm adds it), no Record-Route or Route, our Contact, and with flag `C` another
//! Call-ID. The replies are rewritten by [`super::replies`].

use siplua_core::context::Context;
use siplua_sip::HeaderKind;

use super::contact;
use super::settings::{Flags, Settings};
use super::store::{Hidden, Store};
use super::ThCurrent;
use crate::dialog::Current;

/// Hides the request in `ctx`; the error says why it could not.
pub fn hide(
    ctx: &mut Context,
    store: &Store,
    settings: &Settings,
    flags: Flags,
) -> Result<(), String> {
    if flags.no_dialog {
        return Err("the D flag (hiding without a dialog) is not supported by siplua".into());
    }
    let msg = ctx.msg.ok_or("no message")?;
    if !msg.is_request() || msg.to().ok().and_then(|t| t.tag()).is_some() {
        return Err("only an initial request can be hidden".into());
    }
    let key = match ctx.ext::<Current>() {
        Some(cur) => cur.key.clone(),
        None if settings.force_dialog => store.dialogs().create(ctx)?,
        None => {
            return Err(
                "no dialog for this request: call create_dialog() first or set force_dialog \
                 (siplua has no topology hiding without a dialog)"
                    .into(),
            )
        }
    };
    let token = store.token_for(&key).ok_or("the dialog has ended")?;
    let proxy = contact::proxy_address(ctx).ok_or("no socket for the request")?;
    let seen = contact::read(msg, &settings.passed_uri_params, &settings.passed_params)
        .ok_or("the request has no usable Contact")?;
    let caller_callid = msg.call_id().map_err(|e| e.to_string())?.to_owned();
    let callee_callid = if flags.hide_callid {
        super::callid::encode(
            &settings.callid_prefix,
            &settings.callid_passwd,
            &caller_callid,
        )
    } else {
        caller_callid.clone()
    };
    let caller_routes = msg
        .record_routes()
        .filter_map(Result::ok)
        .map(|na| na.uri().as_str().to_owned())
        .collect();
    let hidden = Hidden {
        dialog: key,
        caller_tag: msg
            .from()
            .ok()
            .and_then(|f| f.tag())
            .ok_or("the request has no From tag")?
            .to_owned(),
        callee_tag: None,
        caller_callid,
        callee_callid: callee_callid.clone(),
        caller_contact: seen.uri,
        caller_user: seen.user,
        caller_routes,
        callee_contact: None,
        callee_user: None,
        callee_routes: Vec::new(),
        confirmed: false,
        proxy,
        keep_user: flags.keep_user,
        caller_passed: (seen.uri_params, seen.params),
        callee_passed: (String::new(), String::new()),
    };
    let hidden = match store.get(&token) {
        // A retransmitted INVITE: what the replies taught is kept.
        Some(known) => known,
        None => {
            store.insert(token.clone(), hidden.clone());
            hidden
        }
    };
    let ours = contact::ours(
        &hidden.proxy,
        &token,
        hidden.caller_user.as_deref().filter(|_| hidden.keep_user),
        &hidden.caller_passed,
    );
    strip_path(ctx, msg);
    contact::replace(ctx, msg, &ours)?;
    if hidden.callee_callid != hidden.caller_callid {
        set_callid(ctx, msg, &hidden.callee_callid)?;
    }
    let caller_callid = hidden.caller_callid.clone();
    ctx.set_ext(ThCurrent {
        token,
        caller_callid,
        callee_callid: hidden.callee_callid.clone(),
    });
    Ok(())
}

/// Removes the Via, Record-Route and Route lines (tm puts our Via on top when it relays).
pub fn strip_path(ctx: &mut Context, msg: &siplua_sip::Message) {
    for name in ["Via", "Record-Route", "Route"] {
        ctx.edits.remove_headers_named(msg, name);
    }
}

/// Rewrites the Call-ID.
pub fn set_callid(ctx: &mut Context, msg: &siplua_sip::Message, value: &str) -> Result<(), String> {
    let (i, _) = msg.find(HeaderKind::CallId).ok_or("no Call-ID")?;
    ctx.edits
        .replace_value(msg, i, value)
        .map_err(|e| format!("cannot set the Call-ID: {e}"))
}
