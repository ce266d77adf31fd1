//! `pike` and `ratelimit` end to end: the real binary, real UDP sockets, OpenSIPS' return
//! codes seen by the script.

use crate::common;

use std::net::UdpSocket;
use std::time::Duration;

use common::*;

const PIKE_ROUTE: &str = r#"route {
    pike_check_req();
    $var(rc) = $rc;
    if ($var(rc) < 0) {
        sl_send_reply(403, "Pike $var(rc)");
        exit;
    }
    sl_send_reply(200, "OK");
}"#;

#[test]
fn pike_blocks_a_flooding_source_only_and_unblocks_it_when_it_calms_down() {
    let server = Server::start(&cfg(
        "loadmodule \"pike.so\"\n\
         modparam(\"pike\", \"sampling_time_unit\", 1)\n\
         modparam(\"pike\", \"reqs_density_per_unit\", 5)\n\
         modparam(\"pike\", \"pike_log_level\", 1)",
        PIKE_ROUTE,
    ));
    let c = UdpClient::new();
    let mut reasons = Vec::new();
    // 16 in a burst: even if a sampling unit ends during it, the source gets blocked.
    for _ in 0..16 {
        let reply = c.ask(
            &server,
            &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
        );
        reasons.push(reason(&reply).to_string());
    }
    // The unit may roll over during the burst; what matters: a few pass, then the first
    // detection (-2) is reported once and later requests see -1.
    let first_block = reasons
        .iter()
        .position(|r| r != "OK")
        .expect("never blocked");
    assert!(first_block >= 5, "blocked too early: {reasons:?}");
    assert_eq!(reasons[first_block], "Pike -2", "{reasons:?}");
    assert!(
        reasons[first_block + 1..].iter().all(|r| r == "Pike -1"),
        "{reasons:?}"
    );
    assert!(server.wait_log("PIKE - BLOCKing ip 127.0.0.1"));

    // Another source address is not affected.
    let other = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    other
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let port = other.local_addr().unwrap().port();
    other
        .send_to(
            request("OPTIONS", "sip:x@127.0.0.1", port, "")
                .replace("127.0.0.1:", "127.0.0.2:")
                .as_bytes(),
            server.addr(),
        )
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = other.recv(&mut buf).expect("reply to the other source");
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert_eq!(reason(&reply), "OK", "{reply}");

    // Quiet for two units: the flooder is let in again and the unblock is logged.
    std::thread::sleep(Duration::from_millis(2100));
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert_eq!(reason(&reply), "OK", "{reply}");
    assert!(server.wait_log("PIKE - UNBLOCKing ip 127.0.0.1"));
}

#[test]
fn pike_automatic_mode_drops_a_flooding_source_before_the_script() {
    let server = Server::start(&cfg(
        "loadmodule \"pike.so\"\n\
         modparam(\"pike\", \"sampling_time_unit\", 1)\n\
         modparam(\"pike\", \"reqs_density_per_unit\", 5)\n\
         modparam(\"pike\", \"check_route\", \"pike_filter\")",
        r#"route[pike_filter] {
            # 127.0.0.2 is trusted: never monitored.
            if ($si == "127.0.0.2") { drop; }
        }
        route {
            sl_send_reply(200, "OK");
        }"#,
    ));
    // A monitored source: the first requests pass, then it is dropped without an answer.
    let c = UdpClient::new();
    // 20 in a burst: if a sampling unit ends during it, up to 5 more get through.
    let answered = (0..20)
        .filter(|_| {
            c.send(
                &server,
                request("OPTIONS", "sip:x@127.0.0.1", c.port(), "").as_bytes(),
            );
            c.recv_timeout(Duration::from_millis(300)).is_some()
        })
        .count();
    assert!(
        (5..=10).contains(&answered),
        "answered {answered} of 20: {}",
        server.log_text()
    );
    assert!(server.wait_log("PIKE - BLOCKing ip 127.0.0.1"));

    // The trusted source is never blocked, however fast it sends.
    let trusted = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    trusted
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let port = trusted.local_addr().unwrap().port();
    let mut buf = [0u8; 4096];
    for _ in 0..10 {
        trusted
            .send_to(
                request("OPTIONS", "sip:x@127.0.0.1", port, "")
                    .replace("127.0.0.1:", "127.0.0.2:")
                    .as_bytes(),
                server.addr(),
            )
            .unwrap();
        let n = trusted.recv(&mut buf).expect("trusted source answered");
        assert_eq!(status(&String::from_utf8_lossy(&buf[..n])), 200);
    }
}

#[test]
fn rl_check_taildrop_per_pipe_with_counter_corrections() {
    let server = Server::start(&cfg(
        "loadmodule \"ratelimit.so\"\n\
         modparam(\"ratelimit\", \"timer_interval\", 30)\n\
         modparam(\"ratelimit\", \"limit_per_interval\", 1)",
        r#"route {
            if ($rU == "dec") {
                rl_dec_count("pipe-a");
                $var(rc) = $rc;
                sl_send_reply(200, "dec $var(rc) count $rl_count(pipe-a)");
                exit;
            }
            if ($rU == "missing") {
                rl_reset_count("nope");
                $var(rc) = $rc;
                sl_send_reply(200, "reset $var(rc)");
                exit;
            }
            if (!rl_check("pipe-$rU", 3, "TAILDROP")) {
                append_to_reply("Retry-After: 5\r\n");
                sl_send_reply(503, "Limiting");
                exit;
            }
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let ask = |user: &str| {
        c.ask(
            &server,
            &request("OPTIONS", &format!("sip:{user}@127.0.0.1"), c.port(), ""),
        )
    };
    let codes: Vec<u16> = (0..5).map(|_| status(&ask("a"))).collect();
    assert_eq!(codes, [200, 200, 200, 503, 503]);
    let limited = ask("a");
    assert_eq!(header(&limited, "Retry-After"), Some("5"), "{limited}");
    // Another pipe has its own count.
    assert_eq!(status(&ask("b")), 200);
    // 6 counted, minus one.
    assert_eq!(reason(&ask("dec")), "dec 1 count 5");
    assert_eq!(reason(&ask("missing")), "reset -1");
}

#[test]
fn ratelimit_refuses_unknown_algorithms_and_distributed_mode_at_load_time() {
    for (name, param) in [
        (
            "rl_algo.cfg",
            "modparam(\"ratelimit\", \"default_algorithm\", \"LEAKY\")",
        ),
        (
            "rl_cdb.cfg",
            "modparam(\"ratelimit\", \"cachedb_url\", \"redis://x\")",
        ),
        ("rl_hash.cfg", "modparam(\"ratelimit\", \"hash_size\", 100)"),
    ] {
        let (out, _) = check_config(
            name,
            &cfg(
                &format!("loadmodule \"ratelimit.so\"\n{param}"),
                "route { exit; }",
            )
            .replace("{PORT}", "5060"),
        );
        assert!(!out.status.success(), "{name} accepted");
    }
}
