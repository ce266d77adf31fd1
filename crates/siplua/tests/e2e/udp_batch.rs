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
