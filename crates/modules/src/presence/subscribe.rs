//! `handle_subscribe([force_active])`: RFC 6665 subscriptions. A SUBSCRIBE without a
//! To-tag creates a subscription dialog (our To-tag, route set from Record-Route, remote
//! target from Contact); one with a To-tag refreshes it (481 when unknown) or, with
//! `Expires: 0`, ends it. The reply (200 when active, 202 when pending, as OpenSIPS) carries
//! `Expires` and our `Contact`; a NOTIFY with the current state follows at once.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_sip::Message;
use siplua_transport::Proto;

use super::notify::{body_for, build, send_all};
use super::reply;
use super::request;
use super::shared::{log_err, now, Presence};
use super::store::{dialog_key, Status, Subscription};
use crate::tm::local::LocalRequest;

/// `handle_subscribe([force_active])`: 1 when the subscription was accepted (reply and
/// NOTIFY sent), -1 otherwise (the error reply sent).
pub fn handle_subscribe(p: &Arc<Presence>, ctx: &mut Context, force_active: bool) -> i32 {
    let Some(msg) = ctx.msg else {
        return -1;
    };
    if !msg
        .method_str()
        .is_some_and(|m| m.eq_ignore_ascii_case("SUBSCRIBE"))
    {
        log_err("handle_subscribe: the request is not a SUBSCRIBE");
        return -1;
    }
    match accept(p, ctx, msg, force_active) {
        Ok((code, expires, contact, tag, notify)) => {
            let headers = format!("Expires: {expires}\r\nContact: <{contact}>\r\n");
            let reason = if code == 202 { "Accepted" } else { "OK" };
            reply::send(p, ctx, code, reason, &headers, tag.as_deref());
            if let Some(transports) = ctx.worker.transports.clone() {
                send_all(p, &transports, vec![notify]);
            }
            1
        }
        Err((code, reason, headers)) => {
            reply::send(p, ctx, code, reason, &headers, None);
            -1
        }
    }
}

/// The reply code, granted expiry, our Contact, the To-tag to add (initial requests) and
/// the NOTIFY to send; or the error reply.
type Accepted = (u16, u32, String, Option<String>, (String, LocalRequest));
type Refused = (u16, &'static str, String);

fn accept(
    p: &Presence,
    ctx: &Context,
    msg: &Message,
    force_active: bool,
) -> Result<Accepted, Refused> {
    let bad_event = || (489, "Bad Event", p.events.allow_header());
    let ev = request::event(msg).ok_or_else(bad_event)?;
    let package = p.events.find(&ev.name).ok_or_else(bad_event)?;
    let bad = |reason: &'static str| (400, reason, String::new());
    let expires = request::expires(
        msg,
        package.default_expires,
        p.settings.max_expires_subscribe,
    )
    .map_err(|_| bad("Bad Expires"))?;
    let from = msg.from().map_err(|_| bad("Bad From"))?;
    let remote_tag = from
        .tag()
        .ok_or_else(|| bad("Missing From tag"))?
        .to_owned();
    let to = msg.to().map_err(|_| bad("Bad To"))?;
    let call_id = msg.call_id().map_err(|_| bad("Bad Call-ID"))?.to_owned();
    let cseq = msg.cseq().map_err(|_| bad("Bad CSeq"))?.number;
    let contact = msg
        .contacts()
        .next()
        .and_then(Result::ok)
        .and_then(|c| c.addr().map(|a| a.uri().as_str().to_owned()));
    let now = now();
    let expires_at = now + u64::from(expires);
    let mut store = p.store.lock();

    if let Some(local_tag) = to.tag() {
        let key = dialog_key(&call_id, local_tag, &remote_tag);
        let Some(sub) = store.subscriptions.get_mut(&key) else {
            return Err((481, "Subscription does not exist", String::new()));
        };
        if cseq <= sub.remote_cseq {
            return Err((500, "Server Internal Error", String::new()));
        }
        sub.remote_cseq = cseq;
        if let Some(c) = contact {
            sub.remote_target = c;
        }
        sub.expires_at = expires_at;
        let code = reply_code(sub.status);
        let local_contact = sub.contact.clone();
        let mut sub = sub.clone();
        let body = body_for(p, &store, &sub, now);
        let terminated = (expires == 0).then_some("timeout");
        let request = build(&mut sub, body.as_deref(), terminated, now);
        if expires == 0 {
            store.subscriptions.remove(&key);
        } else {
            store.subscriptions.insert(key.clone(), sub);
        }
        return Ok((code, expires, local_contact, None, (key, request)));
    }

    let remote_target = contact.ok_or_else(|| bad("Missing Contact"))?;
    let pres_uri = request::presentity(ctx).ok_or_else(|| bad("Bad Request-URI"))?;
    let status = if force_active || package.auto_active {
        Status::Active
    } else {
        Status::Pending
    };
    let local_tag = p.new_tag("p");
    let local_contact = local_contact(p, ctx);
    let mut sub = Subscription {
        pres_uri,
        event: package,
        event_id: ev.id,
        watcher_uri: from.uri().as_str().to_owned(),
        call_id,
        local_hdr: format!(
            "{};tag={local_tag}",
            msg.get(siplua_sip::HeaderKind::To).unwrap_or("").trim()
        ),
        remote_hdr: msg
            .get(siplua_sip::HeaderKind::From)
            .unwrap_or("")
            .trim()
            .to_owned(),
        local_tag: local_tag.clone(),
        remote_tag,
        remote_target,
        route_set: msg
            .record_routes()
            .filter_map(Result::ok)
            .map(|r| format!("<{}>", r.uri().as_str()))
            .collect(),
        local_cseq: 0,
        remote_cseq: cseq,
        expires_at,
        status,
        socket: ctx.origin.map(|o| o.socket),
        contact: local_contact.clone(),
    };
    let key = sub.key();
    let body = body_for(p, &store, &sub, now);
    let terminated = (expires == 0).then_some("timeout");
    let request = build(&mut sub, body.as_deref(), terminated, now);
    if expires > 0 {
        store.subscriptions.insert(key.clone(), sub);
    }
    Ok((
        reply_code(status),
        expires,
        local_contact,
        Some(local_tag),
        (key, request),
    ))
}

/// 200 for an active subscription, 202 for a pending one (OpenSIPS' choice).
fn reply_code(status: Status) -> u16 {
    match status {
        Status::Active => 200,
        Status::Pending => 202,
    }
}

/// Our Contact URI: `server_address`, else `contact_user` at the socket the request came on.
fn local_contact(p: &Presence, ctx: &Context) -> String {
    if let Some(fixed) = &p.settings.server_address {
        return fixed.clone();
    }
    let Some(socket) = ctx.received_on() else {
        return "sip:127.0.0.1".into();
    };
    let host = &socket.advertised_host;
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let user = match p.settings.contact_user.as_str() {
        "" => String::new(),
        u => format!("{u}@"),
    };
    let transport = match socket.proto {
        Proto::Udp => "",
        Proto::Tcp => ";transport=tcp",
        Proto::Tls => ";transport=tls",
        Proto::Ws => ";transport=ws",
        Proto::Wss => ";transport=wss",
    };
    format!("sip:{user}{host}:{}{transport}", socket.advertised_port)
}
