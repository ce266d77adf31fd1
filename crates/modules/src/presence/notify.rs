//! NOTIFY requests (RFC 6665 §4.2.2): built from a subscription dialog (its route set,
//! remote target, next CSeq), sent as tm client transactions. A 481 to a NOTIFY (or a 408
//! with `end_sub_on_timeout`) ends the subscription.

use std::fmt::Write;
use std::sync::Arc;

use siplua_sip::uri::Uri;
use siplua_transport::Transports;

use super::shared::{log_err, now, Presence};
use super::store::{Status, Store, Subscription};
use crate::tm::local::LocalRequest;

/// The body notified to `sub`: none while pending; the aggregated publications (or the
/// offline body, or none) while active.
pub fn body_for(p: &Presence, store: &Store, sub: &Subscription, now: u64) -> Option<String> {
    if sub.status == Status::Pending {
        return None;
    }
    let publications = store.bodies(&sub.pres_uri, sub.event.name, now);
    if publications.is_empty() {
        return p
            .settings
            .notify_offline_body
            .then(|| (sub.event.offline)(&sub.pres_uri));
    }
    let bodies: Vec<&str> = publications.iter().map(|p| p.body.as_str()).collect();
    (sub.event.aggregate)(&sub.pres_uri, &bodies)
}

/// Builds the next NOTIFY of `sub` (its CSeq goes up): the current state, or `terminated`
/// with `reason`.
pub fn build(
    sub: &mut Subscription,
    body: Option<&str>,
    terminated: Option<&str>,
    now: u64,
) -> LocalRequest {
    sub.local_cseq += 1;
    let (ruri, routes, next_hop) = routing(sub);
    let mut t = String::with_capacity(512 + body.map_or(0, str::len));
    let _ = write!(t, "NOTIFY {ruri} SIP/2.0\r\n");
    for r in &routes {
        let _ = write!(t, "Route: {r}\r\n");
    }
    let _ = write!(
        t,
        "Max-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {} NOTIFY\r\n\
         Contact: <{}>\r\nEvent: {}",
        sub.local_hdr, sub.remote_hdr, sub.call_id, sub.local_cseq, sub.contact, sub.event.name
    );
    if let Some(id) = &sub.event_id {
        let _ = write!(t, ";id={id}");
    }
    let remaining = sub.expires_at.saturating_sub(now);
    match (terminated, sub.status) {
        (Some(reason), _) => {
            let _ = write!(t, "\r\nSubscription-State: terminated;reason={reason}\r\n");
        }
        (None, Status::Active) => {
            let _ = write!(t, "\r\nSubscription-State: active;expires={remaining}\r\n");
        }
        (None, Status::Pending) => {
            let _ = write!(t, "\r\nSubscription-State: pending;expires={remaining}\r\n");
        }
    }
    match body {
        Some(b) => {
            let _ = write!(
                t,
                "Content-Type: {}\r\nContent-Length: {}\r\n\r\n{b}",
                sub.event.content_type,
                b.len()
            );
        }
        None => t.push_str("Content-Length: 0\r\n\r\n"),
    }
    LocalRequest {
        text: t,
        next_hop,
        socket: sub.socket,
    }
}

/// Request-URI, Route values and the next hop (RFC 3261 §12.2.1.1): with a loose-routing
/// first route, the remote target and the whole route set; with a strict router, the first
/// route as Request-URI and the remote target as the last Route.
fn routing(sub: &Subscription) -> (String, Vec<String>, String) {
    let Some(first) = sub.route_set.first() else {
        return (
            sub.remote_target.clone(),
            Vec::new(),
            sub.remote_target.clone(),
        );
    };
    let first_uri = first
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    if Uri::parse(&first_uri).map_or(true, |u| u.lr()) {
        (sub.remote_target.clone(), sub.route_set.clone(), first_uri)
    } else {
        let mut routes: Vec<String> = sub.route_set[1..].to_vec();
        routes.push(format!("<{}>", sub.remote_target));
        (first_uri.clone(), routes, first_uri)
    }
}

/// Sends NOTIFYs (dialog key, request) through tm; a 481 (or 408 with `end_sub_on_timeout`)
/// removes the subscription.
pub fn send_all(
    p: &Arc<Presence>,
    transports: &Arc<Transports>,
    list: Vec<(String, LocalRequest)>,
) {
    for (key, req) in list {
        let me = p.clone();
        let k = key.clone();
        let callback = Box::new(move |code: u16, _: Option<&siplua_sip::Message>| {
            let ends = code == 481 || (code == 408 && me.settings.end_sub_on_timeout);
            if ends && me.store.lock().subscriptions.remove(&k).is_some() {
                siplua_core::log::emit(
                    siplua_core::log::level::INFO,
                    "presence",
                    &format!("subscription {k} ended by a {code} to its NOTIFY"),
                );
            }
        });
        if let Err(e) = p.tm.send_request(transports, req, callback) {
            log_err(&format!("cannot send NOTIFY for {key}: {e}"));
        }
    }
}

/// Notifies every watcher of a presentity's event of its current state, except the watcher
/// `exclude` (`handle_publish`'s sender URI).
pub fn notify_watchers(
    p: &Arc<Presence>,
    transports: &Arc<Transports>,
    pres_uri: &str,
    event: &str,
    exclude: Option<&str>,
) {
    let now = now();
    let list = {
        let mut store = p.store.lock();
        let keys = store.watchers_of(pres_uri, event);
        let mut active_body: Option<Option<String>> = None;
        let mut list = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(sub) = store.subscriptions.get(&key) else {
                continue;
            };
            if sub.expires_at <= now || exclude.is_some_and(|x| same_uri(x, &sub.watcher_uri)) {
                continue;
            }
            let body = match sub.status {
                Status::Pending => None,
                Status::Active => active_body
                    .get_or_insert_with(|| body_for(p, &store, sub, now))
                    .clone(),
            };
            if let Some(sub) = store.subscriptions.get_mut(&key) {
                list.push((key, build(sub, body.as_deref(), None, now)));
            }
        }
        list
    };
    send_all(p, transports, list);
}

/// Two URIs name the same watcher (`<...>` and case of scheme and host aside).
fn same_uri(a: &str, b: &str) -> bool {
    let clean = |s: &str| {
        s.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_ascii_lowercase()
    };
    clean(a) == clean(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presence::events::EventPackage;

    fn sub(routes: &[&str]) -> Subscription {
        Subscription {
            pres_uri: "sip:bob@example.com".into(),
            event: Arc::new(EventPackage {
                name: "presence",
                content_type: "application/pidf+xml",
                default_expires: 3600,
                auto_active: true,
                validate: |_| Ok(()),
                aggregate: |_, b| b.last().map(|s| s.to_string()),
                offline: |_| String::new(),
            }),
            event_id: Some("7".into()),
            watcher_uri: "sip:alice@example.com".into(),
            call_id: "c1".into(),
            local_tag: "lt".into(),
            remote_tag: "rt".into(),
            local_hdr: "<sip:bob@example.com>;tag=lt".into(),
            remote_hdr: "<sip:alice@example.com>;tag=rt".into(),
            remote_target: "sip:alice@10.0.0.1:5070".into(),
            route_set: routes.iter().map(|s| s.to_string()).collect(),
            local_cseq: 0,
            remote_cseq: 1,
            expires_at: 1060,
            status: Status::Active,
            socket: None,
            contact: "sip:presence@10.0.0.2".into(),
        }
    }

    #[test]
    fn notify_request_follows_the_dialog() {
        let mut s = sub(&["<sip:p1.example.com;lr>"]);
        let r = build(&mut s, Some("<presence/>"), None, 1000);
        assert!(
            r.text.starts_with(
                "NOTIFY sip:alice@10.0.0.1:5070 SIP/2.0\r\nRoute: <sip:p1.example.com;lr>\r\n"
            ),
            "{}",
            r.text
        );
        assert!(r.text.contains("CSeq: 1 NOTIFY\r\n"));
        assert!(r.text.contains("Event: presence;id=7\r\n"));
        assert!(r.text.contains("Subscription-State: active;expires=60\r\n"));
        assert!(r.text.ends_with(
            "Content-Type: application/pidf+xml\r\nContent-Length: 11\r\n\r\n<presence/>"
        ));
        assert_eq!(r.next_hop, "sip:p1.example.com;lr");
        let r = build(&mut s, None, Some("timeout"), 2000);
        assert!(r.text.contains("CSeq: 2 NOTIFY\r\n"));
        assert!(r.text.contains(
            "Subscription-State: terminated;reason=timeout\r\nContent-Length: 0\r\n\r\n"
        ));
        let parsed = siplua_sip::Message::parse_slice(r.text.as_bytes()).unwrap();
        assert_eq!(parsed.method_str(), Some("NOTIFY"));
    }

    #[test]
    fn strict_router_becomes_the_request_uri() {
        let mut s = sub(&["<sip:strict.example.com>", "<sip:p2;lr>"]);
        let r = build(&mut s, None, None, 1000);
        assert!(r.text.starts_with("NOTIFY sip:strict.example.com SIP/2.0\r\nRoute: <sip:p2;lr>\r\nRoute: <sip:alice@10.0.0.1:5070>\r\n"), "{}", r.text);
        let mut plain = sub(&[]);
        assert_eq!(
            build(&mut plain, None, None, 0).next_hop,
            "sip:alice@10.0.0.1:5070"
        );
        assert!(same_uri("<SIP:Alice@Example.com>", "sip:alice@example.com"));
    }
}
