//! uac_redirect end to end: a callee answers 302 with several Contacts; the failure route's
//! `get_redirects()` makes them the new targets (highest q first as the Request-URI, limits
//! and filters applied) and `t_relay()` forks to them; a second 302 round reads only its own
//! replies, and a round without one ends the call.

use crate::common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::*;

fn hop() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    s
}

fn port(s: &UdpSocket) -> u16 {
    s.local_addr().unwrap().port()
}

/// The next INVITE at `sock` within two seconds.
fn invite_at(sock: &UdpSocket) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut buf = vec![0u8; 65536];
    while Instant::now() < deadline {
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            let m = String::from_utf8_lossy(&buf[..n]).into_owned();
            if m.starts_with("INVITE ") {
                return Some(m);
            }
        }
    }
    None
}

/// A 302 to `req` listing `contacts` (one Contact header each).
fn moved(req: &str, contacts: &[String]) -> String {
    let lines: String = contacts
        .iter()
        .map(|c| format!("Contact: {c}\r\n"))
        .collect();
    reply_to(req, 302, "Moved Temporarily").replace(
        "Content-Length: 0\r\n",
        &format!("{lines}Content-Length: 0\r\n"),
    )
}

#[test]
fn redirect_contacts_become_targets_by_q_with_limits_and_filters() {
    let first = hop();
    let [a, b, c, denied] = [hop(), hop(), hop(), hop()];
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"\nloadmodule \"uac_redirect.so\"\n\
         modparam(\"uac_redirect\", \"deny_filter\", \"^sip:blocked\")\n",
        &format!(
            r#"route {{
                if (is_method("ACK")) {{ t_check_trans(); exit; }}
                $ru = "sip:bob@127.0.0.1:{}";
                t_on_failure("redirect");
                t_relay();
            }}
            failure_route[redirect] {{
                if (t_check_status("3[0-9][0-9]")) {{
                    set_accept_filter("^sip:blocked-but-vip", "");
                    if (get_redirects(3, 0)) {{
                        xlog("L_INFO", "redirects: $rc first $ru\n");
                        t_on_failure("redirect");
                        t_relay();
                    }} else {{
                        xlog("L_INFO", "redirects: none\n");
                    }}
                }}
            }}"#,
            port(&first)
        ),
    ));
    let caller = UdpClient::new();
    caller.send(
        &server,
        request(
            "INVITE",
            &format!("sip:bob@127.0.0.1:{}", server.port),
            caller.port(),
            "",
        )
        .as_bytes(),
    );
    let inv = invite_at(&first).expect("INVITE at the first callee");
    let contacts = [
        format!("<sip:a@127.0.0.1:{}>;q=0.2", port(&a)),
        format!("<sip:blocked@127.0.0.1:{}>;q=1.0", port(&denied)),
        format!("<sip:b@127.0.0.1:{}>;q=0.9", port(&b)),
        format!("<sip:c@127.0.0.1:{}>;q=0.5", port(&c)),
    ];
    first
        .send_to(moved(&inv, &contacts).as_bytes(), server.addr())
        .unwrap();
    // b (q=0.9) becomes the Request-URI; c and a follow as branches; blocked is denied.
    assert!(
        server.wait_log(&format!("redirects: 3 first sip:b@127.0.0.1:{}", port(&b))),
        "{}",
        server.log_text()
    );
    let mut sent = Vec::new();
    for (name, sock) in [("a", &a), ("b", &b), ("c", &c)] {
        let m = invite_at(sock).unwrap_or_else(|| panic!("INVITE at {name}"));
        assert!(m.starts_with(&format!("INVITE sip:{name}@")), "{m}");
        sent.push((sock, m));
    }
    assert!(invite_at(&denied).is_none(), "a denied contact was tried");
    assert!(
        invite_at(&first).is_none(),
        "the first callee was tried again"
    );

    // Second round: all three redirect again; only their contacts count, not the first 302's.
    let d = hop();
    for (sock, m) in &sent {
        let again = [format!("<sip:d@127.0.0.1:{}>", port(&d))];
        sock.send_to(moved(m, &again).as_bytes(), server.addr())
            .unwrap();
    }
    assert!(
        server.wait_log(&format!("redirects: 1 first sip:d@127.0.0.1:{}", port(&d))),
        "{}",
        server.log_text()
    );
    let last = invite_at(&d).expect("INVITE at d");
    d.send_to(reply_to(&last, 486, "Busy Here").as_bytes(), server.addr())
        .unwrap();
    // No redirect in d's round: nothing is relayed, and the caller gets the best final
    // reply of the transaction, a 3xx before a 4xx (RFC 3261 §16.7).
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut final_status = 0;
    while Instant::now() < deadline && final_status < 200 {
        if let Some(m) = caller.recv() {
            final_status = status(&m);
        }
    }
    assert_eq!(final_status, 302);
    assert!(server.wait_log("redirects: none"), "{}", server.log_text());
}

#[test]
fn bad_filter_flags_and_default_filter_values_fail_the_load() {
    for (globals, route, needle) in [
        (
            "modparam(\"uac_redirect\", \"default_filter\", \"maybe\")\n",
            "exit;",
            "default_filter must be accept or deny",
        ),
        (
            "",
            "set_deny_filter(\".*\", \"reset_some\");",
            "unknown filter flag 'reset_some'",
        ),
    ] {
        let (out, _) = check_config(
            "uac_redirect_bad.cfg",
            &cfg(
                &format!("loadmodule \"tm.so\"\nloadmodule \"uac_redirect.so\"\n{globals}"),
                &format!("route {{ {route} }}"),
            )
            .replace("{PORT}", "5999"),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(needle), "{err}");
    }
}
