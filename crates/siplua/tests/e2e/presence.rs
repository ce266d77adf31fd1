//! presence + presence_xml end to end over UDP, through the route of OpenSIPS' default
//! configuration with USE_PRESENCE (`t_newtran()`, then `handle_publish()` /
//! `handle_subscribe()`): a publisher and a watcher played by test sockets; PUBLISH and its
//! entity-tags, SUBSCRIBE and the NOTIFYs reaching the watcher's Contact, refresh,
//! unsubscribe, expiry, errors, pending subscriptions and a 481 ending a subscription.

use std::time::Duration;

use crate::common;

use common::*;

const ROUTES: &str = r#"
route {
    if (is_method("PUBLISH|SUBSCRIBE")) route(handle_presence);
    sl_send_reply(404, "Not here");
}

route[handle_presence] {
    if (!t_newtran()) { sl_reply_error(); exit; }
    if (is_method("PUBLISH")) { handle_publish(); }
    else if (is_method("SUBSCRIBE")) { handle_subscribe(); }
    exit;
}
"#;

fn config(force_active: u8) -> String {
    format!(
        r#"
log_level = 3
stderror_enabled = yes
udp_workers = 2
socket = udp:127.0.0.1:{{PORT}}
loadmodule "proto_udp.so"
loadmodule "sl.so"
loadmodule "signaling.so"
loadmodule "sipmsgops.so"
loadmodule "tm.so"
loadmodule "presence.so"
loadmodule "presence_xml.so"
modparam("presence|presence_xml", "db_url", "mysql://opensips:opensipsrw@localhost/opensips")
modparam("presence_xml", "force_active", {force_active})
modparam("presence", "fallback2db", 0)
modparam("presence", "clean_period", 1)
{ROUTES}"#
    )
}

fn pidf(tuple: &str, basic: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:bob@example.com\">\r\n<tuple id=\"{tuple}\"><status><basic>{basic}</basic></status></tuple>\r\n</presence>\r\n"
    )
}

/// A PUBLISH for bob from `c`, with `extra` header lines and `body` (PIDF when not empty).
fn publish(c: &UdpClient, n: u32, extra: &str, body: &str) -> String {
    let ctype = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/pidf+xml\r\n".to_owned()
    };
    format!(
        "PUBLISH sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bK-pub-{n}-{p};rport\r\n\
         From: <sip:bob@example.com>;tag=pub{p}\r\nTo: <sip:bob@example.com>\r\n\
         Call-ID: pub-{p}@test\r\nCSeq: {n} PUBLISH\r\nMax-Forwards: 70\r\n\
         {extra}{ctype}Content-Length: {len}\r\n\r\n{body}",
        p = c.port(),
        len = body.len()
    )
}

/// A SUBSCRIBE from alice (the watcher `c`); `to_tag` for an in-dialog one.
fn subscribe(c: &UdpClient, n: u32, to_tag: Option<&str>, extra: &str) -> String {
    let tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "SUBSCRIBE sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bK-sub-{n}-{p};rport\r\n\
         From: <sip:alice@example.com>;tag=w{p}\r\nTo: <sip:bob@example.com>{tag}\r\n\
         Call-ID: sub-{p}@test\r\nCSeq: {n} SUBSCRIBE\r\nMax-Forwards: 70\r\n\
         Contact: <sip:alice@127.0.0.1:{p}>\r\n{extra}Content-Length: 0\r\n\r\n",
        p = c.port()
    )
}

/// The next request `method` the client receives (replies and other requests skipped).
fn recv_request(c: &UdpClient, method: &str, wait: Duration, server: &Server) -> String {
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        if let Some(m) = c.recv_timeout(Duration::from_millis(200)) {
            if m.starts_with(&format!("{method} ")) {
                return m;
            }
        }
    }
    panic!("no {method} arrived; server log:\n{}", server.log_text())
}

/// The next NOTIFY for which `wanted` holds; the NOTIFYs before it (a publication
/// notified to a subscription made while its PUBLISH was handled) are answered 200.
fn notify_where(c: &UdpClient, server: &Server, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let n = recv_request(c, "NOTIFY", Duration::from_secs(5), server);
        if wanted(&n) {
            return n;
        }
        answer(c, server, &n, 200);
    }
    panic!("no such NOTIFY; server log:\n{}", server.log_text())
}

/// Answers a request with `code`, its Via, From, To, Call-ID and CSeq copied.
fn answer(c: &UdpClient, server: &Server, req: &str, code: u16) {
    let mut out = format!("SIP/2.0 {code} Whatever\r\n");
    for line in req.split("\r\n").skip(1) {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if ["via", "from", "to", "call-id", "cseq"].contains(&name.as_str()) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    c.send(server, out.as_bytes());
}

fn body(msg: &str) -> &str {
    msg.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

fn to_tag(reply: &str) -> String {
    header(reply, "To")
        .and_then(|t| t.split(";tag=").nth(1))
        .expect("To-tag")
        .to_owned()
}

#[test]
fn publish_subscribe_refresh_and_unsubscribe() {
    let server = Server::start(&config(1));
    let (publisher, watcher) = (UdpClient::new(), UdpClient::new());

    let r = publisher.ask(
        &server,
        &publish(
            &publisher,
            1,
            "Event: presence\r\nExpires: 60\r\n",
            &pidf("t1", "open"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    let etag = header(&r, "SIP-ETag").expect("SIP-ETag").to_owned();
    assert_eq!(header(&r, "Expires"), Some("60"));

    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 1, None, "Event: presence\r\nExpires: 120\r\n"),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "Expires"), Some("120"));
    let contact = header(&r, "Contact").expect("Contact");
    assert!(contact.starts_with("<sip:presence@127.0.0.1:"), "{contact}");
    let tag = to_tag(&r);

    let n = recv_request(&watcher, "NOTIFY", Duration::from_secs(3), &server);
    assert!(
        n.starts_with(&format!(
            "NOTIFY sip:alice@127.0.0.1:{} SIP/2.0",
            watcher.port()
        )),
        "{n}"
    );
    let state = header(&n, "Subscription-State").unwrap();
    assert!(state.starts_with("active;expires="), "{n}");
    assert_eq!(header(&n, "Event"), Some("presence"));
    assert_eq!(header(&n, "Content-Type"), Some("application/pidf+xml"));
    assert!(
        header(&n, "From").unwrap().contains(&format!("tag={tag}")),
        "{n}"
    );
    assert!(
        header(&n, "To")
            .unwrap()
            .contains(&format!("tag=w{}", watcher.port())),
        "{n}"
    );
    assert!(body(&n).contains("<basic>open</basic>"), "{n}");
    let cseq1: u32 = header(&n, "CSeq")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    answer(&watcher, &server, &n, 200);

    // A refresh that modifies the state: new entity-tag, new NOTIFY with the new body.
    let r = publisher.ask(
        &server,
        &publish(
            &publisher,
            2,
            &format!("Event: presence\r\nExpires: 60\r\nSIP-If-Match: {etag}\r\n"),
            &pidf("t1", "closed"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    let etag2 = header(&r, "SIP-ETag").unwrap().to_owned();
    assert_ne!(etag2, etag);
    let n = notify_where(&watcher, &server, |n| body(n).contains("closed"));
    assert!(
        body(&n).contains("<basic>closed</basic>") && !body(&n).contains("open"),
        "{n}"
    );
    let cseq2: u32 = header(&n, "CSeq")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(cseq2 > cseq1);
    answer(&watcher, &server, &n, 200);

    // A second publication (another device) is merged into the same document.
    let second = UdpClient::new();
    let r = second.ask(
        &server,
        &publish(&second, 1, "Event: presence\r\n", &pidf("t2", "open")),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "Expires"), Some("3600"));
    let n = notify_where(&watcher, &server, |n| body(n).contains("t2"));
    assert!(
        body(&n).contains("id=\"t1\"") && body(&n).contains("id=\"t2\""),
        "{n}"
    );
    answer(&watcher, &server, &n, 200);

    // The old entity-tag is gone.
    let r = publisher.ask(
        &server,
        &publish(
            &publisher,
            3,
            &format!("Event: presence\r\nSIP-If-Match: {etag}\r\n"),
            "",
        ),
    );
    assert_eq!(status(&r), 412, "{r}");

    // Unsubscribe: 200 with Expires 0 and a terminated NOTIFY.
    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 2, Some(&tag), "Event: presence\r\nExpires: 0\r\n"),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "Expires"), Some("0"));
    let n = recv_request(&watcher, "NOTIFY", Duration::from_secs(3), &server);
    assert_eq!(
        header(&n, "Subscription-State"),
        Some("terminated;reason=timeout"),
        "{n}"
    );
    answer(&watcher, &server, &n, 200);

    // The subscription is gone: a refresh is refused, a new publication notifies nobody.
    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 3, Some(&tag), "Event: presence\r\n"),
    );
    assert_eq!(status(&r), 481, "{r}");
    let r = publisher.ask(
        &server,
        &publish(
            &publisher,
            4,
            &format!("Event: presence\r\nSIP-If-Match: {etag2}\r\n"),
            &pidf("t1", "open"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(watcher.silent_for(700));
}

#[test]
fn short_subscription_expires_with_a_timeout_notify() {
    let server = Server::start(&config(1));
    let watcher = UdpClient::new();
    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 1, None, "Event: presence\r\nExpires: 1\r\n"),
    );
    assert_eq!(status(&r), 200, "{r}");
    let n = recv_request(&watcher, "NOTIFY", Duration::from_secs(3), &server);
    assert!(
        header(&n, "Subscription-State")
            .unwrap()
            .starts_with("active"),
        "{n}"
    );
    // No publication: as OpenSIPS without notify_offline_body, no body.
    assert_eq!(header(&n, "Content-Length"), Some("0"), "{n}");
    answer(&watcher, &server, &n, 200);
    let n = recv_request(&watcher, "NOTIFY", Duration::from_secs(5), &server);
    assert_eq!(
        header(&n, "Subscription-State"),
        Some("terminated;reason=timeout"),
        "{n}"
    );
}

#[test]
fn bad_requests_get_the_rfc_answers() {
    let server = Server::start(&config(1));
    let c = UdpClient::new();
    let r = c.ask(
        &server,
        &publish(&c, 1, "Event: dialog\r\n", &pidf("t", "open")),
    );
    assert_eq!(status(&r), 489, "{r}");
    assert_eq!(header(&r, "Allow-Events"), Some("presence"));
    let r = c.ask(
        &server,
        &subscribe(&c, 1, None, "Event: message-summary\r\n"),
    );
    assert_eq!(status(&r), 489, "{r}");
    let r = c.ask(
        &server,
        &publish(&c, 2, "Event: presence\r\n", "<presence><tuple></presence>"),
    );
    assert_eq!(status(&r), 400, "{r}");
    let r = c.ask(&server, &publish(&c, 3, "Event: presence\r\n", ""));
    assert_eq!(status(&r), 400, "{r}");
    let r = c.ask(
        &server,
        &publish(&c, 4, "Event: presence\r\nSIP-If-Match: nope\r\n", ""),
    );
    assert_eq!(status(&r), 412, "{r}");
    let r = c.ask(
        &server,
        &subscribe(&c, 2, Some("unknown"), "Event: presence\r\n"),
    );
    assert_eq!(status(&r), 481, "{r}");
    let r = c.ask(
        &server,
        &publish(
            &c,
            5,
            "Event: presence\r\nExpires: 999999\r\n",
            &pidf("t", "open"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "Expires"), Some("3600"), "max_expires_publish");
}

#[test]
fn without_force_active_subscriptions_stay_pending() {
    let server = Server::start(&config(0));
    let (publisher, watcher) = (UdpClient::new(), UdpClient::new());
    let r = publisher.ask(
        &server,
        &publish(&publisher, 1, "Event: presence\r\n", &pidf("t1", "open")),
    );
    assert_eq!(status(&r), 200, "{r}");
    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 1, None, "Event: presence\r\n"),
    );
    assert_eq!(status(&r), 202, "{r}");
    let n = recv_request(&watcher, "NOTIFY", Duration::from_secs(3), &server);
    assert!(
        header(&n, "Subscription-State")
            .unwrap()
            .starts_with("pending;expires="),
        "{n}"
    );
    assert_eq!(header(&n, "Content-Length"), Some("0"), "{n}");
}

#[test]
fn a_481_to_a_notify_drops_the_watcher() {
    let server = Server::start(&config(1));
    let (publisher, watcher) = (UdpClient::new(), UdpClient::new());
    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 1, None, "Event: presence\r\n"),
    );
    assert_eq!(status(&r), 200, "{r}");
    let tag = to_tag(&r);
    let n = recv_request(&watcher, "NOTIFY", Duration::from_secs(3), &server);
    answer(&watcher, &server, &n, 481);
    std::thread::sleep(Duration::from_millis(200));
    let r = publisher.ask(
        &server,
        &publish(&publisher, 1, "Event: presence\r\n", &pidf("t1", "open")),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(
        watcher.silent_for(700),
        "a NOTIFY reached a dropped watcher"
    );
    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 2, Some(&tag), "Event: presence\r\n"),
    );
    assert_eq!(status(&r), 481, "{r}");
}

#[test]
fn default_config_with_presence_loads_and_unknown_parameters_do_not() {
    let ok = config(1).replace("{PORT}", "5060");
    let (out, _) = check_config("presence_ok.cfg", &ok);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("accepted without effect: db_url, fallback2db"),
        "{stderr}"
    );
    let bad = ok.replace(
        "modparam(\"presence\", \"fallback2db\", 0)",
        "modparam(\"presence\", \"no_such_param\", 0)",
    );
    let (out, path) = check_config("presence_bad.cfg", &bad);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:", path.display())) && stderr.contains("no_such_param"),
        "{stderr}"
    );
}

#[test]
fn removed_and_expired_publications_are_notified() {
    let server = Server::start(&config(1));
    let (publisher, watcher) = (UdpClient::new(), UdpClient::new());
    let r = publisher.ask(
        &server,
        &publish(&publisher, 1, "Event: presence\r\n", &pidf("t1", "open")),
    );
    let etag = header(&r, "SIP-ETag").expect("SIP-ETag").to_owned();
    let r = publisher.ask(
        &server,
        &publish(
            &publisher,
            2,
            "Event: presence\r\nExpires: 1\r\n",
            &pidf("t2", "open"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    let r = watcher.ask(
        &server,
        &subscribe(&watcher, 1, None, "Event: presence\r\n"),
    );
    assert_eq!(status(&r), 200, "{r}");
    let n = notify_where(&watcher, &server, |n| {
        body(n).contains("t1") && body(n).contains("t2")
    });
    answer(&watcher, &server, &n, 200);

    // The short publication expires: the state left is notified.
    let n = notify_where(&watcher, &server, |n| !body(n).contains("t2"));
    assert!(body(&n).contains("id=\"t1\""), "{n}");
    answer(&watcher, &server, &n, 200);

    // The last one is removed: a NOTIFY without body, the subscription still active.
    let r = publisher.ask(
        &server,
        &publish(
            &publisher,
            3,
            &format!("Event: presence\r\nExpires: 0\r\nSIP-If-Match: {etag}\r\n"),
            "",
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "Expires"), Some("0"));
    let n = notify_where(&watcher, &server, |n| !body(n).contains("t1"));
    assert_eq!(header(&n, "Content-Length"), Some("0"), "{n}");
    assert!(
        header(&n, "Subscription-State")
            .unwrap()
            .starts_with("active;"),
        "{n}"
    );
}
