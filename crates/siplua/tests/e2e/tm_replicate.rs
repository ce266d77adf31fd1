//! tm's `t_replicate` and `t_add_hdrs` end to end over UDP: a REGISTER replicated to a second
//! registrar (played by the test) while the script answers it here, the replica's replies
//! absorbed; and headers added to a transaction's branch, its CANCEL and its ACK.

use crate::common;

use std::time::Duration;

use common::*;

fn proxy_cfg(replica: u16, callee: u16) -> String {
    udp_proxy_cfg(
        2,
        &["sl", "tm", "signaling", "sipmsgops", "cfgutils"],
        &format!(
            r#"

route {{
    if (is_method("REGISTER")) {{
        $var(rc) = 0;
        t_replicate("sip:127.0.0.1:{replica}");
        $var(rc) = $rc;
        if ($hdr(X-Slow) == "yes") usleep(400000);
        append_to_reply("X-Replicated: $var(rc)\r\n");
        send_reply(200, "Saved Here");
        exit;
    }}
    if (is_method("MESSAGE")) {{
        if ($hdr(X-Op) == "bad-dest") {{
            t_replicate("sip:127.0.0.1;transport=sctp");
            append_to_reply("X-Rc: $rc\r\n");
        }} else {{
            t_add_hdrs("X-Early: 1\r\n");
            append_to_reply("X-Rc: $rc\r\n");
        }}
        send_reply(202, "Checked");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) t_relay();
        exit;
    }}
    if (is_method("INVITE")) {{
        t_newtran();
        t_add_hdrs("X-Origin: 10.0.0.1\r\nX-Leg: first\r\n");
        t_add_hdrs("X-Origin: 10.0.0.9\r\n");
        t_relay("udp:127.0.0.1:{callee}");
        exit;
    }}
}}
"#
        ),
    )
}

#[test]
fn a_replicated_register_is_answered_here_and_the_replicas_replies_are_absorbed() {
    let replica = NextHop::new();
    let server = Server::start(&proxy_cfg(replica.port(), 1));
    let c = UdpClient::new();
    let register = request(
        "REGISTER",
        "sip:example.com",
        c.port(),
        "Contact: <sip:alice@127.0.0.1:5099>\r\nExpires: 60\r\n",
    );
    c.send(&server, register.as_bytes());
    let answer = c.recv().expect("the script's answer");
    assert_eq!(status(&answer), 200, "{answer}");
    assert_eq!(reason(&answer), "Saved Here", "{answer}");
    assert_eq!(header(&answer, "X-Replicated"), Some("1"), "{answer}");

    // The copy: same Request-URI and Contact, our Via on top of the registering UA's.
    let (copy, from) = replica.recv(&server);
    assert!(
        copy.starts_with("REGISTER sip:example.com SIP/2.0\r\n"),
        "{copy}"
    );
    assert_eq!(header(&copy, "Contact"), Some("<sip:alice@127.0.0.1:5099>"));
    let vias = headers(&copy, "Via");
    assert_eq!(vias.len(), 2, "{copy}");
    assert!(
        vias[1].contains(&format!("127.0.0.1:{}", c.port())),
        "{copy}"
    );

    // Its answers stay in the proxy: the UA hears nothing more.
    let reply = reply_to(&copy, 401, "Unauthorized");
    replica.sock.send_to(reply.as_bytes(), from).unwrap();
    assert!(c.silent_for(600), "a replica's reply reached the UA");

    // A retransmission of the REGISTER gets the script's answer again; no second copy.
    c.send(&server, register.as_bytes());
    let again = c.recv().expect("answer resent");
    assert_eq!((status(&again), reason(&again)), (200, "Saved Here"));
    replica
        .sock
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut buf = [0u8; 4096];
    assert!(
        replica.sock.recv_from(&mut buf).is_err(),
        "the replica got the REGISTER again"
    );
}

#[test]
fn a_replicas_answer_before_the_scripts_own_is_not_relayed() {
    let replica = NextHop::new();
    let server = Server::start(&proxy_cfg(replica.port(), 1));
    let c = UdpClient::new();
    let register = request("REGISTER", "sip:example.com", c.port(), "X-Slow: yes\r\n");
    c.send(&server, register.as_bytes());
    // The replica answers at once, while the script still waits (the other worker gets it).
    let (copy, from) = replica.recv(&server);
    replica
        .sock
        .send_to(reply_to(&copy, 200, "Replica OK").as_bytes(), from)
        .unwrap();
    let first = c.recv().expect("an answer");
    assert_eq!(reason(&first), "Saved Here", "{first}");
    assert!(c.silent_for(500), "a second answer reached the UA");
}

#[test]
fn a_replica_that_does_not_answer_is_retransmitted_and_never_answers_the_ua() {
    let replica = NextHop::new();
    let server = Server::start(&proxy_cfg(replica.port(), 1));
    let c = UdpClient::new();
    let register = request("REGISTER", "sip:example.com", c.port(), "");
    c.send(&server, register.as_bytes());
    assert_eq!(status(&c.recv().expect("answer")), 200);
    let (first, _) = replica.recv(&server);
    // Timer E: the unanswered copy is sent again (500 ms) — then a 200 from it stays here.
    let (second, from) = replica.recv(&server);
    assert_eq!(first, second);
    replica
        .sock
        .send_to(reply_to(&second, 200, "Replica OK").as_bytes(), from)
        .unwrap();
    assert!(c.silent_for(600), "the replica's 200 reached the UA");
}

#[test]
fn t_replicate_to_a_bad_destination_fails_and_t_add_hdrs_needs_a_transaction() {
    let server = Server::start(&proxy_cfg(1, 1));
    let c = UdpClient::new();
    let msg = request(
        "MESSAGE",
        "sip:bob@example.com",
        c.port(),
        "X-Op: bad-dest\r\n",
    );
    let reply = c.request(&server, &msg).expect("answer");
    assert_eq!(header(&reply, "X-Rc"), Some("-1"), "{reply}");
    let msg = request("MESSAGE", "sip:bob@example.com", c.port(), "");
    let reply = c.request(&server, &msg).expect("answer");
    assert_eq!(header(&reply, "X-Rc"), Some("-1"), "{reply}");
}

#[test]
fn t_add_hdrs_goes_into_the_branch_its_cancel_and_its_ack() {
    let callee = NextHop::new();
    let server = Server::start(&proxy_cfg(1, callee.port()));
    let c = UdpClient::new();
    let invite = request("INVITE", "sip:bob@example.com", c.port(), "");
    c.send(&server, invite.as_bytes());
    let (sent, from) = callee.recv(&server);
    assert!(sent.starts_with("INVITE "), "{sent}");
    // The second call replaced the first one's headers.
    assert_eq!(headers(&sent, "X-Origin"), ["10.0.0.9"], "{sent}");
    assert!(header(&sent, "X-Leg").is_none(), "{sent}");
    callee
        .sock
        .send_to(reply_to(&sent, 180, "Ringing").as_bytes(), from)
        .unwrap();

    // The caller gives up: the CANCEL sent downstream carries the header.
    let cancel = invite
        .replacen("INVITE sip:", "CANCEL sip:", 1)
        .replace(" INVITE\r\n", " CANCEL\r\n");
    c.send(&server, cancel.as_bytes());
    let (down, from) = loop {
        let (m, from) = callee.recv(&server);
        if m.starts_with("CANCEL ") {
            break (m, from);
        }
    };
    assert_eq!(header(&down, "X-Origin"), Some("10.0.0.9"), "{down}");
    callee
        .sock
        .send_to(reply_to(&down, 200, "OK").as_bytes(), from)
        .unwrap();
    callee
        .sock
        .send_to(reply_to(&sent, 487, "Request Terminated").as_bytes(), from)
        .unwrap();
    let ack = loop {
        let (m, _) = callee.recv(&server);
        if m.starts_with("ACK ") {
            break m;
        }
    };
    assert_eq!(header(&ack, "X-Origin"), Some("10.0.0.9"), "{ack}");
    let last = recv_final(&c).expect("final reply at the caller");
    let last = if status(&last) == 200 {
        recv_final(&c).expect("487 after the CANCEL's 200")
    } else {
        last
    };
    assert_eq!(status(&last), 487, "{last}");
}
