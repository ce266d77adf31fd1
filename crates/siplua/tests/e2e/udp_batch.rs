//! A UDP worker takes every queued datagram at once and sends the answers of the batch
//! together at its end (docs/architecture.md, "UDP batches"), unless handling is slow: then
//! each answer goes out as soon as it is made.

use crate::common;

use std::time::{Duration, Instant};

use common::*;

const ROUTES: &str = r#"route {
    if ($rU == "slow")
        usleep(300000);
    sl_send_reply(200, "OK");
}"#;

fn server() -> Server {
    Server::start(&cfg("loadmodule \"cfgutils.so\"\n", ROUTES))
}

fn call_id(msg: &str) -> String {
    header(msg, "Call-ID").expect("a Call-ID").to_string()
}

#[test]
fn a_burst_from_two_peers_is_answered_whole_and_in_order() {
    let server = server();
    let clients = [UdpClient::new(), UdpClient::new()];
    let mut sent: [Vec<String>; 2] = Default::default();
    // Interleaved, without waiting: most of the burst is queued when the worker reads it.
    for _ in 0..40 {
        for (client, sent) in clients.iter().zip(sent.iter_mut()) {
            let req = request("OPTIONS", "sip:fast@127.0.0.1", client.port(), "");
            sent.push(call_id(&req));
            client.send(&server, req.as_bytes());
        }
    }
    for (client, sent) in clients.iter().zip(sent.iter()) {
        let answered: Vec<String> = (0..sent.len())
            .map(|_| client.recv().expect("every request answered"))
            .inspect(|reply| assert_eq!(status(reply), 200, "{reply}"))
            .map(|reply| call_id(&reply))
            .collect();
        assert_eq!(&answered, sent, "answers in the order of the requests");
    }
}

#[test]
fn answers_are_not_held_back_behind_slow_handling() {
    let server = server();
    let busy = UdpClient::new();
    let client = UdpClient::new();
    // The worker sleeps in this one while the next two queue up: they make one batch.
    let slow = request("OPTIONS", "sip:slow@127.0.0.1", busy.port(), "");
    busy.send(&server, slow.as_bytes());
    std::thread::sleep(Duration::from_millis(100));
    let fast = request("OPTIONS", "sip:fast@127.0.0.1", client.port(), "");
    let slow_too = request("OPTIONS", "sip:slow@127.0.0.1", client.port(), "");
    client.send(&server, fast.as_bytes());
    client.send(&server, slow_too.as_bytes());

    let first = client.recv().expect("the fast request answered");
    let first_at = Instant::now();
    assert_eq!(call_id(&first), call_id(&fast), "{first}");
    let second = client.recv().expect("the slow request answered");
    let gap = first_at.elapsed();
    assert_eq!(call_id(&second), call_id(&slow_too), "{second}");
    // Held back to the end of the batch, the first answer would come with the second.
    assert!(
        gap >= Duration::from_millis(200),
        "the fast answer waited for the slow request: {gap:?} between them"
    );
    assert!(busy.recv().is_some(), "the first slow request answered");
}

/// A proxy with two UDP workers relaying every INVITE to port `{NEXT}` of its `X-Next`
/// header, then busy for 20 ms: the caller's and the callee's messages are often handled by
/// different workers, and the other worker relays the callee's answer meanwhile.
fn two_worker_proxy() -> Server {
    let routes = r#"route {
    $du = "sip:127.0.0.1:" + $hdr(X-Next);
    t_relay();
    usleep(20000);
}"#;
    let globals = "loadmodule \"tm.so\"\nloadmodule \"cfgutils.so\"\n";
    Server::start(&cfg(globals, routes).replace("udp_workers = 1", "udp_workers = 2"))
}

#[test]
fn sends_of_a_worker_leave_in_the_order_it_made_them() {
    // tm sends the 100 Trying to the caller (a source of the batch: held back) before it
    // relays the INVITE to the callee (not a source: sent at once). The held 100 must go out
    // first, or the callee's 180, relayed by the other worker while this one is busy, would
    // overtake it (SIPp fails a call whose 100 comes after its 200). Several callees, so
    // that some hash to the other worker.
    let server = two_worker_proxy();
    for _ in 0..8 {
        let caller = UdpClient::new();
        let callee = NextHop::new();
        let invite = request(
            "INVITE",
            "sip:bob@127.0.0.1",
            caller.port(),
            &format!("X-Next: {}\r\n", callee.port()),
        );
        caller.send(&server, invite.as_bytes());
        let relayed = recv_invite(&callee.sock).expect("the INVITE relayed");
        callee
            .sock
            .send_to(reply_to(&relayed, 180, "Ringing").as_bytes(), server.addr())
            .unwrap();
        let first = caller.recv().expect("an answer");
        assert_eq!(status(&first), 100, "the 100 first:\n{first}");
        let second = caller.recv().expect("the 180 relayed");
        assert_eq!(status(&second), 180, "{second}");
    }
}
