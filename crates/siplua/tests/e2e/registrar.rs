//! registrar + usrloc end to end: REGISTER processing (RFC 3261 §10.3) answered by `save()`,
//! and `lookup()`, `registered()`, `remove()` seen through replies and forwarded requests.
//!
//! The script saves every REGISTER (flags from an `X-Flags` header when present), answers
//! `isreg@` and `remove@` requests itself, and for anything else runs `lookup()` and either
//! forwards the request (`X-Forward`) or reports `$rc`, `$ru`, `$du`, `$br` in the reply.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;

const ROUTES: &str = r#"route {
    if (is_method("REGISTER")) {
        if (is_present_hf("X-Flags")) {
            save("location", "$hdr(X-Flags)");
        } else {
            save("location");
        }
        exit;
    }
    if ($rU == "isreg") {
        if (registered("location", "$hdr(X-AOR)")) {
            sl_send_reply(200, "Registered");
        } else {
            sl_send_reply(404, "Not Registered");
        }
        exit;
    }
    if ($rU == "sockhdr") {
        add_sock_hdr("Sock-Info");
        forward("udp:127.0.0.1:$hdr(X-Hop)");
        exit;
    }
    if ($rU == "isct") {
        is_contact_registered("location", "$hdr(X-AOR)", "$hdr(X-Contact)");
        $var(c) = $rc;
        is_contact_registered("location", "$hdr(X-AOR)", "$hdr(X-Contact)", "$hdr(X-Callid)");
        $var(cc) = $rc;
        is_ip_registered("location", "$hdr(X-AOR)", "$hdr(X-IP)");
        append_to_reply("X-RC: $var(c) $var(cc) $rc\r\n");
        sl_send_reply(200, "Checked");
        exit;
    }
    if ($rU == "remove") {
        if (is_present_hf("X-Contact")) {
            remove("location", "$hdr(X-AOR)", "$hdr(X-Contact)");
        } else {
            remove("location", "$hdr(X-AOR)");
        }
        $var(rc) = $rc;
        append_to_reply("X-RC: $var(rc)\r\n");
        sl_send_reply(200, "Removed");
        exit;
    }
    if (is_present_hf("X-Lookup-Flags")) {
        lookup("location", "$hdr(X-Lookup-Flags)");
    } else {
        lookup("location");
    }
    $var(rc) = $rc;
    if (is_present_hf("X-Forward") && $var(rc) > 0) {
        forward();
        exit;
    }
    append_to_reply("X-RC: $var(rc)\r\nX-RU: $ru\r\nX-DU: $du\r\nX-BR: $br\r\n");
    sl_send_reply(200, "Looked Up");
}"#;

/// Module lines and parameters every configuration here uses; `extra` adds `modparam`s.
fn registrar_cfg(extra: &str) -> String {
    cfg(
        &format!(
            "loadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n\
             modparam(\"usrloc\", \"timer_interval\", 1)\n{extra}"
        ),
        ROUTES,
    )
}

/// A REGISTER for `user@example.com` from a UDP client on `port`.
fn register(port: u16, user: &str, call_id: &str, cseq: u32, extra: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-reg-{n};rport\r\n\
         From: <sip:{user}@example.com>;tag=r{n}\r\n\
         To: <sip:{user}@example.com>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Max-Forwards: 70\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}

/// Asks the script to look `user@example.com` up; the reply carries X-RC, X-RU, X-DU, X-BR.
fn lookup(client: &UdpClient, server: &Server, user: &str, extra: &str) -> String {
    client.ask(
        server,
        &request(
            "OPTIONS",
            &format!("sip:{user}@example.com"),
            client.port(),
            extra,
        ),
    )
}

/// The Contact headers of a reply.
fn contacts(reply: &str) -> Vec<&str> {
    headers(reply, "Contact")
}

/// The `expires` parameter of a Contact header value.
fn expires_of(contact: &str) -> u32 {
    contact
        .split(';')
        .find_map(|p| p.trim().strip_prefix("expires="))
        .and_then(|e| e.parse().ok())
        .unwrap_or_else(|| panic!("no expires in {contact}"))
}

#[test]
fn register_refresh_out_of_order_and_single_contact_removal() {
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let p = c.port();

    // New binding: the 200 lists it with its lifetime.
    let r = c.ask(
        &server,
        &register(
            p,
            "alice",
            "reg-a",
            1,
            &format!("Contact: <sip:alice@127.0.0.1:{p}>\r\nExpires: 600\r\n"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    let cts = contacts(&r);
    assert_eq!(cts.len(), 1, "{r}");
    assert!(
        cts[0].starts_with(&format!("<sip:alice@127.0.0.1:{p}>")),
        "{r}"
    );
    assert!((595..=600).contains(&expires_of(cts[0])), "{r}");

    // A second device: the 200 lists both bindings with their own lifetimes.
    let r = c.ask(
        &server,
        &register(
            p,
            "alice",
            "reg-b",
            1,
            "Contact: <sip:alice@192.0.2.10:5060>;expires=300\r\n",
        ),
    );
    let cts = contacts(&r);
    assert_eq!(cts.len(), 2, "{r}");
    let mut lifetimes: Vec<u32> = cts.iter().map(|c| expires_of(c)).collect();
    lifetimes.sort_unstable();
    assert!(
        (295..=300).contains(&lifetimes[0]) && (595..=600).contains(&lifetimes[1]),
        "{r}"
    );

    // Refresh: same Call-ID, higher CSeq, new lifetime.
    let r = c.ask(
        &server,
        &register(
            p,
            "alice",
            "reg-a",
            2,
            &format!("Contact: <sip:alice@127.0.0.1:{p}>;expires=900\r\n"),
        ),
    );
    let mine = contacts(&r)
        .into_iter()
        .find(|c| c.contains(&format!(":{p}>")))
        .expect("binding listed");
    assert!((895..=900).contains(&expires_of(mine)), "{r}");

    // Out of order: same Call-ID, lower CSeq, asking for removal: ignored.
    let r = c.ask(
        &server,
        &register(
            p,
            "alice",
            "reg-a",
            1,
            &format!("Contact: <sip:alice@127.0.0.1:{p}>;expires=0\r\n"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        contacts(&r).len(),
        2,
        "out-of-order removal must be ignored: {r}"
    );

    // expires=0 on one contact removes only that binding.
    let r = c.ask(
        &server,
        &register(
            p,
            "alice",
            "reg-b",
            2,
            "Contact: <sip:alice@192.0.2.10:5060>;expires=0\r\n",
        ),
    );
    let cts = contacts(&r);
    assert_eq!(cts.len(), 1, "{r}");
    assert!(cts[0].contains(&format!("127.0.0.1:{p}")), "{r}");

    // A REGISTER without Contact is a query: the current bindings.
    let r = c.ask(&server, &register(p, "alice", "reg-c", 1, ""));
    assert_eq!((status(&r), contacts(&r).len()), (200, 1), "{r}");
}

#[test]
fn star_removal_and_misuse() {
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let p = c.port();
    for (i, host) in ["192.0.2.1", "192.0.2.2"].iter().enumerate() {
        let r = c.ask(
            &server,
            &register(
                p,
                "bob",
                &format!("bob-{i}"),
                1,
                &format!("Contact: <sip:bob@{host}>\r\n"),
            ),
        );
        assert_eq!(status(&r), 200, "{r}");
    }
    // `*` needs Expires: 0 and no other Contact (RFC 3261 §10.3 step 6).
    let r = c.ask(
        &server,
        &register(p, "bob", "bob-x", 1, "Contact: *\r\nExpires: 100\r\n"),
    );
    assert_eq!(status(&r), 400, "{r}");
    let r = c.ask(
        &server,
        &register(
            p,
            "bob",
            "bob-x",
            2,
            "Contact: *, <sip:bob@192.0.2.3>\r\nExpires: 0\r\n",
        ),
    );
    assert_eq!(status(&r), 400, "{r}");
    assert_eq!(header(&lookup(&c, &server, "bob", ""), "X-RC"), Some("1"));

    let r = c.ask(
        &server,
        &register(p, "bob", "bob-x", 3, "Contact: *\r\nExpires: 0\r\n"),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(contacts(&r).is_empty(), "{r}");
    let r = lookup(&c, &server, "bob", "");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
}

#[test]
fn min_expires_max_contacts_and_expiry() {
    let server = Server::start(&registrar_cfg(
        "modparam(\"registrar\", \"min_expires\", 60)\nmodparam(\"registrar\", \"max_expires\", 3000)\n",
    ));
    let c = UdpClient::new();
    let p = c.port();

    let r = c.ask(
        &server,
        &register(
            p,
            "carol",
            "c1",
            1,
            "Contact: <sip:carol@192.0.2.5>\r\nExpires: 10\r\n",
        ),
    );
    assert_eq!(status(&r), 423, "{r}");
    assert_eq!(header(&r, "Min-Expires"), Some("60"), "{r}");

    // Longer than max_expires is cut down.
    let r = c.ask(
        &server,
        &register(
            p,
            "carol",
            "c1",
            2,
            "Contact: <sip:carol@192.0.2.5>\r\nExpires: 7200\r\n",
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(expires_of(contacts(&r)[0]) <= 3000, "{r}");

    // max_contacts through the flags: a second binding is refused, nothing changes.
    let r = c.ask(
        &server,
        &register(
            p,
            "carol",
            "c2",
            1,
            "X-Flags: max-contacts=1\r\nContact: <sip:carol@192.0.2.6>\r\n",
        ),
    );
    assert_eq!(status(&r), 503, "{r}");
    assert_eq!(reason(&r), "Too Many Registered Contacts", "{r}");
    let r = lookup(&c, &server, "carol", "");
    assert_eq!(header(&r, "X-RU"), Some("sip:carol@192.0.2.5"), "{r}");
    assert_eq!(header(&r, "X-BR"), Some("<null>"), "{r}");

    // A 1 s binding (min-expires lowered per call, letter form) is gone after it expires,
    // and the timer sweeps it (the expired counter shows in the totals at shutdown).
    let r = c.ask(
        &server,
        &register(
            p,
            "dave",
            "d1",
            1,
            "X-Flags: e1\r\nContact: <sip:dave@192.0.2.7>;expires=1\r\n",
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&lookup(&c, &server, "dave", ""), "X-RC"), Some("1"));
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(header(&lookup(&c, &server, "dave", ""), "X-RC"), Some("-1"));
    let log_dir = server.log.clone();
    assert!(server.stop().success());
    let log = std::fs::read_to_string(log_dir).unwrap();
    assert!(log.contains("usrloc:location-expires=1"), "{log}");
    assert!(log.contains("registrar:rejected_regs=2"), "{log}");
}

#[test]
fn lookup_orders_by_q_into_ruri_and_branches() {
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let p = c.port();
    let r = c.ask(
        &server,
        &register(
            p,
            "erin",
            "e1",
            1,
            "Contact: <sip:erin@192.0.2.21>;q=0.5, <sip:erin@192.0.2.22>;q=1.0\r\nContact: <sip:erin@192.0.2.23>;q=0.1\r\n",
        ),
    );
    assert_eq!(contacts(&r).len(), 3, "{r}");
    assert!(
        r.contains("<sip:erin@192.0.2.21>;expires=3600;q=0.5"),
        "{r}"
    );
    let r = lookup(&c, &server, "erin", "");
    assert_eq!(header(&r, "X-RC"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-RU"), Some("sip:erin@192.0.2.22"), "{r}");
    // Branches are appended by q: the last one is the lowest.
    assert_eq!(header(&r, "X-BR"), Some("sip:erin@192.0.2.23"), "{r}");
    // Public contacts of other hosts (a third-party registration): reached directly.
    assert_eq!(header(&r, "X-DU"), Some("<null>"), "{r}");

    // No branches with 'b'.
    let r = lookup(&c, &server, "erin", "X-Lookup-Flags: b\r\n");
    assert_eq!(
        (header(&r, "X-RU"), header(&r, "X-BR")),
        (Some("sip:erin@192.0.2.22"), Some("<null>")),
        "{r}"
    );

    // Unknown user.
    let r = lookup(&c, &server, "nobody", "");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
}

/// Looks `sip:{user}@{host}` up; the reply carries X-RC and X-RU.
fn lookup_at(client: &UdpClient, server: &Server, user: &str, host: &str) -> String {
    let ruri = format!("sip:{user}@{host}");
    client.ask(server, &request("OPTIONS", &ruri, client.port(), ""))
}

#[test]
fn use_domain_decides_whether_the_domain_is_part_of_the_aor() {
    // Default (use_domain = 0, as in OpenSIPS): the user part alone is the AOR, so a binding
    // registered at example.com answers for the same user at any host.
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let contact = "Contact: <sip:gus@192.0.2.31>\r\n";
    let r = c.ask(&server, &register(c.port(), "gus", "g1", 1, contact));
    assert_eq!(status(&r), 200, "{r}");
    let r = lookup_at(&c, &server, "gus", "10.0.0.1");
    assert_eq!(header(&r, "X-RC"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-RU"), Some("sip:gus@192.0.2.31"), "{r}");

    // use_domain = 1: user@domain, so another host is another AOR.
    let server = Server::start(&registrar_cfg("modparam(\"usrloc\", \"use_domain\", 1)\n"));
    let r = c.ask(&server, &register(c.port(), "gus", "g2", 1, contact));
    assert_eq!(status(&r), 200, "{r}");
    let r = lookup_at(&c, &server, "gus", "10.0.0.1");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
    let r = lookup_at(&c, &server, "gus", "Example.COM");
    assert_eq!(header(&r, "X-RU"), Some("sip:gus@192.0.2.31"), "{r}");
}

#[test]
fn method_filtering() {
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let p = c.port();
    c.ask(
        &server,
        &register(
            p,
            "frank",
            "f1",
            1,
            "Contact: <sip:frank@192.0.2.31>;methods=\"MESSAGE,OPTIONS\"\r\n",
        ),
    );
    c.ask(
        &server,
        &register(
            p,
            "frank",
            "f2",
            1,
            "Allow: INVITE, ACK, BYE\r\nContact: <sip:frank@192.0.2.32>\r\n",
        ),
    );
    let r = lookup(&c, &server, "frank", "X-Lookup-Flags: method-filtering\r\n");
    assert_eq!(
        (header(&r, "X-RC"), header(&r, "X-RU")),
        (Some("1"), Some("sip:frank@192.0.2.31")),
        "{r}"
    );
    assert_eq!(header(&r, "X-BR"), Some("<null>"), "{r}");
    let sub = c.ask(
        &server,
        &request(
            "SUBSCRIBE",
            "sip:frank@example.com",
            p,
            "X-Lookup-Flags: m\r\nEvent: presence\r\n",
        ),
    );
    assert_eq!(header(&sub, "X-RC"), Some("-2"), "{sub}");
    // Without filtering both are found.
    let r = lookup(&c, &server, "frank", "");
    assert_ne!(header(&r, "X-BR"), Some("<null>"), "{r}");
}

#[test]
fn registered_and_remove() {
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let p = c.port();
    c.ask(
        &server,
        &register(
            p,
            "gina",
            "g1",
            1,
            "Contact: <sip:gina@192.0.2.41>, <sip:gina@192.0.2.42>\r\n",
        ),
    );
    let isreg = |aor: &str| {
        status(&c.ask(
            &server,
            &request(
                "OPTIONS",
                "sip:isreg@127.0.0.1",
                p,
                &format!("X-AOR: {aor}\r\n"),
            ),
        ))
    };
    assert_eq!(isreg("sip:gina@example.com"), 200);
    assert_eq!(isreg("sip:nobody@example.com"), 404);

    let remove = |extra: &str| {
        c.ask(
            &server,
            &request("OPTIONS", "sip:remove@127.0.0.1", p, extra),
        )
    };
    let r = remove("X-AOR: sip:gina@example.com\r\nX-Contact: sip:gina@192.0.2.41\r\n");
    assert_eq!(header(&r, "X-RC"), Some("1"), "{r}");
    let r = lookup(&c, &server, "gina", "");
    assert_eq!(
        (header(&r, "X-RU"), header(&r, "X-BR")),
        (Some("sip:gina@192.0.2.42"), Some("<null>")),
        "{r}"
    );
    let r = remove("X-AOR: sip:gina@example.com\r\n");
    assert_eq!(header(&r, "X-RC"), Some("1"), "{r}");
    assert_eq!(isreg("sip:gina@example.com"), 404);
    let r = remove("X-AOR: sip:gina@example.com\r\n");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
}

#[test]
fn path_is_stored_and_used_as_next_hop() {
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let p = c.port();
    let path = "Path: <sip:edge.example.net:5070;lr>, <sip:core.example.net;lr>\r\n";
    // Strict mode without Supported: path is refused (RFC 3327).
    let r = c.ask(
        &server,
        &register(
            p,
            "hank",
            "h1",
            1,
            &format!("X-Flags: path\r\n{path}Contact: <sip:hank@10.1.1.1>\r\n"),
        ),
    );
    assert_eq!(status(&r), 420, "{r}");
    assert_eq!(header(&r, "Unsupported"), Some("path"), "{r}");

    let r = c.ask(
        &server,
        &register(
            p,
            "hank",
            "h1",
            2,
            &format!("X-Flags: path\r\nSupported: path\r\n{path}Contact: <sip:hank@10.1.1.1>\r\n"),
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        header(&r, "Path"),
        Some("<sip:edge.example.net:5070;lr>,<sip:core.example.net;lr>"),
        "{r}"
    );
    let r = lookup(&c, &server, "hank", "");
    assert_eq!(header(&r, "X-RU"), Some("sip:hank@10.1.1.1"), "{r}");
    assert_eq!(
        header(&r, "X-DU"),
        Some("sip:edge.example.net:5070;lr"),
        "{r}"
    );
}

#[test]
fn lookup_rewrites_the_ruri_of_what_is_forwarded_and_routes_to_the_nat_source() {
    let server = Server::start(&registrar_cfg(""));
    let phone = UdpClient::new();
    let p = phone.port();
    // The Contact names a private address: the phone is behind a NAT, requests go to where
    // the REGISTER came from.
    let r = phone.ask(
        &server,
        &register(
            p,
            "ivan",
            "i1",
            1,
            "Contact: <sip:ivan@10.9.9.9:5060;ob>\r\n",
        ),
    );
    assert_eq!(status(&r), 200, "{r}");
    let caller = UdpClient::new();
    let r = lookup(&caller, &server, "ivan", "");
    assert_eq!(
        header(&r, "X-DU"),
        Some(format!("sip:127.0.0.1:{p}").as_str()),
        "{r}"
    );

    caller.send(
        &server,
        request(
            "MESSAGE",
            "sip:ivan@example.com",
            caller.port(),
            "X-Forward: yes\r\n",
        )
        .as_bytes(),
    );
    let got = phone
        .recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()));
    assert!(
        got.starts_with("MESSAGE sip:ivan@10.9.9.9:5060;ob SIP/2.0\r\n"),
        "{got}"
    );
}

#[test]
fn tcp_registration_is_reached_over_its_connection() {
    let server = Server::start(&registrar_cfg(
        "modparam(\"registrar\", \"tcp_persistent_flag\", \"TCP_PERSIST\")\n",
    ));
    let mut tcp = TcpStream::connect(server.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let local = tcp.local_addr().unwrap().port();
    let reg = register(
        local,
        "judy",
        "j1",
        1,
        "Contact: <sip:judy@127.0.0.1:5999;transport=tcp>\r\n",
    )
    .replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    tcp.write_all(reg.as_bytes()).unwrap();
    let reply = read_message(&mut tcp);
    assert_eq!(status(&reply), 200, "{reply}");

    let caller = UdpClient::new();
    let r = lookup(&caller, &server, "judy", "");
    assert_eq!(
        header(&r, "X-DU"),
        Some(format!("sip:127.0.0.1:{local};transport=tcp").as_str()),
        "{r}"
    );
    caller.send(
        &server,
        request(
            "MESSAGE",
            "sip:judy@example.com",
            caller.port(),
            "X-Forward: yes\r\n",
        )
        .as_bytes(),
    );
    let got = read_message(&mut tcp);
    assert!(
        got.starts_with("MESSAGE sip:judy@127.0.0.1:5999;transport=tcp SIP/2.0\r\n"),
        "{got}"
    );
}

/// Reads one message (headers only: these carry no body) from a TCP stream.
fn read_message(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[test]
fn registrar_without_usrloc_is_a_load_error() {
    let (out, _) = check_config(
        "noul.cfg",
        "loadmodule \"proto_udp.so\"\nloadmodule \"registrar.so\"\nroute { exit; }\n",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs module usrloc"), "{err}");

    let (out, _) = check_config(
        "badmode.cfg",
        "loadmodule \"proto_udp.so\"\nloadmodule \"usrloc.so\"\nmodparam(\"usrloc\", \"working_mode_preset\", \"full-sharing-cachedb-cluster\")\nroute { exit; }\n",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not supported"), "{err}");

    let (out, _) = check_config(
        "badflags.cfg",
        "loadmodule \"proto_udp.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\nroute { save(\"location\", \"max-contacts=many\"); }\n",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("max-contacts"), "{err}");
}

#[test]
fn sipp_registers_a_thousand_users_over_udp_and_tcp() {
    let server = Server::start(&registrar_cfg(""));
    let dir = scratch("users");
    let udp = users_csv(&dir, "udp.csv", "u", 1000);
    let tcp = users_csv(&dir, "tcp.csv", "t", 1000);
    sipp_register_users(&server, &udp, "u1", 1000);
    sipp_register_users(&server, &tcp, "t1", 1000);

    let c = UdpClient::new();
    for user in ["uuser0", "uuser517", "uuser999", "tuser0", "tuser999"] {
        let r = lookup(&c, &server, user, "");
        assert_eq!(header(&r, "X-RC"), Some("1"), "{user}: {r}");
        assert!(
            header(&r, "X-RU")
                .unwrap()
                .starts_with(&format!("sip:{user}@127.0.0.1:")),
            "{r}"
        );
    }
    let r = lookup(&c, &server, "uuser1000", "");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "{r}");
    let log = server.log.clone();
    assert!(server.stop().success());
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("usrloc:registered_users=2000"), "{log}");
    assert!(log.contains("registrar:accepted_regs=2000"), "{log}");
}

/// With tm: `save()` after `t_newtran()` answers through the transaction (a retransmitted
/// REGISTER gets the same 200 again), and `lookup()` + `t_relay()` forks to every contact.
#[test]
fn with_tm_save_replies_statefully_and_lookup_forks_in_parallel() {
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n",
        r#"route {
            if (is_method("REGISTER")) {
                t_newtran();
                save("location");
                exit;
            }
            if (!lookup("location")) {
                sl_send_reply(404, "Not Found");
                exit;
            }
            t_relay();
        }"#,
    ));
    let (phone1, phone2) = (UdpClient::new(), UdpClient::new());
    let reg = register(
        phone1.port(),
        "kim",
        "k1",
        1,
        &format!(
            "Contact: <sip:kim@127.0.0.1:{}>;q=0.9, <sip:kim@127.0.0.1:{}>;q=0.8\r\n",
            phone1.port(),
            phone2.port()
        ),
    );
    let first = phone1.ask(&server, &reg);
    assert_eq!(
        (status(&first), contacts(&first).len()),
        (200, 2),
        "{first}"
    );
    let again = phone1.ask(&server, &reg);
    assert_eq!(status(&again), 200, "{again}");
    assert_eq!(
        header(&again, "To"),
        header(&first, "To"),
        "same transaction, same To-tag"
    );

    let caller = UdpClient::new();
    caller.send(
        &server,
        request("INVITE", "sip:kim@example.com", caller.port(), "").as_bytes(),
    );
    let got1 = phone1
        .recv()
        .unwrap_or_else(|| panic!("phone1: nothing; log:\n{}", server.log_text()));
    let got2 = phone2
        .recv()
        .unwrap_or_else(|| panic!("phone2: nothing; log:\n{}", server.log_text()));
    assert!(
        got1.starts_with(&format!(
            "INVITE sip:kim@127.0.0.1:{} SIP/2.0",
            phone1.port()
        )),
        "{got1}"
    );
    assert!(
        got2.starts_with(&format!(
            "INVITE sip:kim@127.0.0.1:{} SIP/2.0",
            phone2.port()
        )),
        "{got2}"
    );
}

#[test]
fn each_forked_branch_carries_its_own_path() {
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"",
        r#"route {
    if (is_method("REGISTER")) {
        save("location", "path");
        exit;
    }
    if (lookup("location")) {
        t_relay();
        exit;
    }
    sl_send_reply(404, "Not Here");
}"#,
    ));
    // Two edge proxies, each with one registered phone behind it.
    let (edge1, edge2) = (UdpClient::new(), UdpClient::new());
    let c = UdpClient::new();
    for (i, edge) in [&edge1, &edge2].into_iter().enumerate() {
        let path = format!(
            "Path: <sip:127.0.0.1:{};lr>\r\nSupported: path\r\n",
            edge.port()
        );
        let contact = format!("Contact: <sip:jo@10.0.0.{}>;q=0.{}\r\n", i + 1, 9 - i);
        let r = c.ask(
            &server,
            &register(
                c.port(),
                "jo",
                &format!("jo-{i}"),
                1,
                &format!("{path}{contact}"),
            ),
        );
        assert_eq!(status(&r), 200, "{r}");
    }
    c.send(
        &server,
        request("MESSAGE", "sip:jo@example.com", c.port(), "").as_bytes(),
    );
    for (edge, own, other) in [(&edge1, &edge1, &edge2), (&edge2, &edge2, &edge1)] {
        let got = edge
            .recv()
            .unwrap_or_else(|| panic!("edge got nothing; log:\n{}", server.log_text()));
        let routes: Vec<&str> = got.lines().filter(|l| l.starts_with("Route:")).collect();
        assert_eq!(
            routes,
            [format!("Route: <sip:127.0.0.1:{};lr>", own.port()).as_str()],
            "one Route, the branch's own Path (not port {}): {got}",
            other.port()
        );
    }
}

#[test]
fn is_contact_registered_and_is_ip_registered() {
    let server = Server::start(&registrar_cfg(""));
    let c = UdpClient::new();
    let p = c.port();
    c.ask(
        &server,
        &register(
            p,
            "hugo",
            "h1",
            1,
            "Contact: <sip:hugo@192.0.2.51:5070>\r\n",
        ),
    );
    let check = |contact: &str, callid: &str, ip: &str| {
        let r = c.ask(
            &server,
            &request(
                "OPTIONS",
                "sip:isct@127.0.0.1",
                p,
                &format!(
                    "X-AOR: sip:hugo@example.com\r\nX-Contact: {contact}\r\n\
                     X-Callid: {callid}\r\nX-IP: {ip}\r\n"
                ),
            ),
        );
        header(&r, "X-RC").unwrap_or_default().to_owned()
    };
    assert_eq!(
        check("sip:hugo@192.0.2.51:5070", "h1", "192.0.2.51"),
        "1 1 1"
    );
    assert_eq!(
        check("sip:hugo@192.0.2.51:5070", "other", "192.0.2.52"),
        "1 -1 -1"
    );
    assert_eq!(check("sip:hugo@192.0.2.99", "h1", "127.0.0.1"), "-1 -1 -1");
}

#[test]
fn add_sock_hdr_names_the_socket_the_request_came_in_on() {
    let server = Server::start(&registrar_cfg(""));
    let hop = NextHop::new();
    let c = UdpClient::new();
    c.send(
        &server,
        request(
            "OPTIONS",
            "sip:sockhdr@127.0.0.1",
            c.port(),
            &format!("X-Hop: {}\r\n", hop.port()),
        )
        .as_bytes(),
    );
    let (fwd, _) = hop.recv(&server);
    assert_eq!(
        header(&fwd, "Sock-Info"),
        Some(format!("udp:127.0.0.1:{}", server.port).as_str()),
        "{fwd}"
    );
}

#[test]
fn sock_hdr_name_picks_the_socket_the_contacts_are_reached_through() {
    let second = free_port();
    let server = Server::start(&registrar_cfg(&format!(
        "socket = udp:127.0.0.1:{second}\nmodparam(\"registrar\", \"sock_hdr_name\", \"Sock-Info\")\n"
    )));
    let c = UdpClient::new();
    // The contacts are NextHops: forwarded requests for them show which socket they left from.
    let via_second = NextHop::new();
    let via_header_unknown = NextHop::new();
    let plain = NextHop::new();
    for (user, hop, sock) in [
        (
            "two",
            &via_second,
            format!("Sock-Info: udp:127.0.0.1:{second}\r\n"),
        ),
        (
            "odd",
            &via_header_unknown,
            "Sock-Info: udp:192.0.2.1:5060\r\n".into(),
        ),
        ("one", &plain, String::new()),
    ] {
        let contact = format!("Contact: <sip:{user}@127.0.0.1:{}>\r\n", hop.port());
        let r = c.ask(
            &server,
            &register(
                c.port(),
                user,
                &format!("sock-{user}"),
                1,
                &format!("{contact}{sock}"),
            ),
        );
        assert_eq!(status(&r), 200, "{r}");
    }
    assert!(server.wait_log("udp:192.0.2.1:5060 is not a socket siplua listens on"));
    for (user, hop, port) in [
        ("two", &via_second, second),
        ("odd", &via_header_unknown, server.port),
        ("one", &plain, server.port),
    ] {
        c.send(
            &server,
            request(
                "OPTIONS",
                &format!("sip:{user}@example.com"),
                c.port(),
                "X-Forward: 1\r\n",
            )
            .as_bytes(),
        );
        let (fwd, from) = hop.recv(&server);
        assert_eq!(from.port(), port, "{user}: {fwd}");
    }
}
