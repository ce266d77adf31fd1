//! dispatcher end to end, on a db_text `dispatcher` table whose destinations are UDP
//! sockets of the test: the algorithms seen through `$du` (round robin across requests, a
//! Call-ID hash that stays put, priority order), inactive destinations skipped,
//! `ds_select_domain`, `ds_is_in_list`, `ds_count`; then calls relayed by tm to the chosen
//! socket, failing over in a failure_route after a 503 and after a timeout, with
//! `ds_mark_dst` and the MI commands `ds_list`, `ds_set_state` and `ds_reload` (over
//! mi_http); OPTIONS probing turning states; the same table on MariaDB; and the load
//! errors of an unknown algorithm, a partition and an unreadable table.

use crate::common;
use crate::mi_support;
use crate::storage_support;

use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;

use common::*;
use mi_support::MiServer;
use serde_json::Value;

const HEADER: &str = "id(int,auto) setid(int) destination(string) socket(string,null) state(int) probe_mode(int) weight(string) priority(int) attrs(string,null) description(string,null)\n";

/// Writes the table: `(set, port, state, priority)` per row, all on 127.0.0.1.
fn write_table(dir: &Path, rows: &[(i64, u16, i64, i64)]) {
    let mut text = HEADER.to_owned();
    for (i, (set, port, state, prio)) in rows.iter().enumerate() {
        text.push_str(&format!(
            "{}:{set}:sip\\:127.0.0.1\\:{port}::{state}:0:1:{prio}:n={port}:dest {port}\n",
            i + 1
        ));
    }
    std::fs::write(dir.join("dispatcher"), text).unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\ndispatcher:9\n",
    )
    .unwrap();
}

fn globals(db: &Path) -> String {
    globals_on(&format!("text://{}", db.display()), "db_text")
}

/// The modules and parameters, with the table at `db_url` read through `db_module`.
fn globals_on(db_url: &str, db_module: &str) -> String {
    format!(
        "loadmodule \"tm.so\"\nloadmodule \"{db_module}.so\"\nloadmodule \"dispatcher.so\"\n\
         modparam(\"tm\", \"fr_timeout\", 1)\nmodparam(\"tm\", \"fr_inv_timeout\", 1)\n\
         modparam(\"dispatcher\", \"db_url\", \"{db_url}\")\n\
         modparam(\"dispatcher\", \"ds_ping_interval\", 10)\n\
         modparam(\"dispatcher\", \"hash_pvar\", \"$hdr(X-Key)\")\n\
         modparam(\"dispatcher\", \"ds_probing_mode\", 0)\n\
         modparam(\"dispatcher\", \"options_reply_codes\", \"501,403\")\n"
    )
}

/// MESSAGEs are answered locally with what the dispatcher did; INVITEs are relayed to set 2
/// with failover.
const ROUTES: &str = r#"route {
    if (is_method("MESSAGE")) {
        if ($hdr(X-Domain) != NULL) {
            if (ds_select_domain(1, 8, "f")) {
                append_to_reply("X-Ru: $ru\r\n");
                if (ds_next_domain()) { append_to_reply("X-Ru-Next: $ru\r\n"); }
                if (!ds_next_domain()) { append_to_reply("X-Ru-End: yes\r\n"); }
            }
        } else if (ds_select_dst(1, $hdr(X-Alg), "f")) {
            append_to_reply("X-Du: $du\r\nX-Next: $avp(ds_dst_failover)[1]\r\n");
        } else {
            append_to_reply("X-Du: none\r\n");
        }
        if (ds_is_in_list("127.0.0.1", $hdr(X-Port), 1)) { append_to_reply("X-In: yes\r\n"); }
        if (ds_is_in_list("127.0.0.1", $hdr(X-Port), 1, "default", 1)) { append_to_reply("X-Active: yes\r\n"); }
        ds_count(1, "a", $var(active));
        ds_count(1, "ip", $var(down));
        append_to_reply("X-Count: $var(active) $var(down)\r\n");
        sl_send_reply(200, "Dispatched");
        exit;
    }
    if (is_method("ACK") && t_check_trans()) { t_relay(); exit; }
    if (!ds_select_dst(2, 8, "f")) { send_reply(503, "No Destination"); exit; }
    t_on_failure("next");
    t_relay();
}

failure_route[next] {
    xlog("L_INFO", "ds failure $T_reply_code from $du\n");
    if (t_check_status("503|408")) { ds_mark_dst("i"); }
    if (ds_next_dst()) {
        xlog("L_INFO", "ds failover to $du\n");
        t_on_failure("next");
        t_relay();
    }
}"#;

fn message(server: &Server, extra: &str, call_id: Option<&str>) -> String {
    let c = UdpClient::new();
    let mut req = request("MESSAGE", "sip:bob@example.com", c.port(), extra);
    if let Some(id) = call_id {
        let old = header(&req, "Call-ID").unwrap().to_owned();
        req = req.replace(&old, id);
    }
    c.ask(server, &req)
}

fn du(reply: &str) -> String {
    header(reply, "X-Du").unwrap_or("").to_owned()
}

fn bind() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let p = s.local_addr().unwrap().port();
    (s, p)
}

#[test]
fn algorithms_choose_among_active_destinations() {
    let dir = scratch("ds_select");
    let (p1, p2, p3) = (21001, 21002, 21003);
    write_table(&dir, &[(1, p1, 0, 0), (1, p2, 0, 0), (1, p3, 1, 0)]);
    let s = Server::start(&cfg(&globals(&dir), ROUTES));
    let d = |p: u16| format!("sip:127.0.0.1:{p}");

    // Round robin (4) over the slots p1, p2, p3; p3 is inactive, its turn goes to p1.
    let rr: Vec<String> = (0..6)
        .map(|_| du(&message(&s, "X-Alg: 4\r\n", None)))
        .collect();
    assert_eq!(rr, [d(p1), d(p2), d(p1), d(p1), d(p2), d(p1)], "{rr:?}");

    // Call-ID hash (0): one Call-ID, one destination; many Call-IDs spread over both.
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..20 {
        let id = format!("hash-{i}@test");
        let a = du(&message(&s, "X-Alg: 0\r\n", Some(&id)));
        let b = du(&message(&s, "X-Alg: 0\r\n", Some(&id)));
        assert_eq!(a, b, "same Call-ID, same destination");
        seen.insert(a);
    }
    assert_eq!(
        seen,
        [d(p1), d(p2)].into_iter().collect(),
        "never the inactive one"
    );

    // hash_pvar (7): one key, one destination; many keys spread over both.
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..20 {
        let key = format!("X-Alg: 7\r\nX-Key: key-{i}\r\n");
        let a = du(&message(&s, &key, None));
        assert_eq!(
            a,
            du(&message(&s, &key, None)),
            "same key, same destination"
        );
        seen.insert(a);
    }
    assert_eq!(seen, [d(p1), d(p2)].into_iter().collect());

    // First (8): the first active by priority; the failover list has the other active one.
    let r = message(&s, "X-Alg: 8\r\nX-Port: 21003\r\n", None);
    assert_eq!(du(&r), d(p1), "{r}");
    assert_eq!(header(&r, "X-Next"), Some(d(p2).as_str()), "{r}");
    assert_eq!(header(&r, "X-In"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Active"), None, "p3 is inactive: {r}");
    assert_eq!(header(&r, "X-Count"), Some("2 1"), "{r}");

    let r = message(&s, "X-Alg: 6\r\nX-Port: 21002\r\n", None);
    assert!(du(&r) == d(p1) || du(&r) == d(p2), "{r}");
    assert_eq!(header(&r, "X-Active"), Some("yes"), "{r}");
    let r = message(&s, "X-Alg: 1\r\nX-Port: 5060\r\n", None);
    assert_eq!(header(&r, "X-In"), None, "{r}");

    // An algorithm from a variable that does not exist: -1 and an error.
    let r = message(&s, "X-Alg: 42\r\n", None);
    assert_eq!(du(&r), "none", "{r}");
    assert!(s.wait_log("unknown dispatcher algorithm 42"));

    // ds_select_domain puts the destination's host and port into the R-URI.
    let r = message(&s, "X-Domain: 1\r\n", None);
    assert_eq!(header(&r, "X-Ru"), Some("sip:bob@127.0.0.1:21001"), "{r}");
    assert_eq!(
        header(&r, "X-Ru-Next"),
        Some("sip:bob@127.0.0.1:21002"),
        "{r}"
    );
    assert_eq!(header(&r, "X-Ru-End"), Some("yes"), "{r}");

    // Authorization username (5): one user, one destination.
    let auth = |u: &str| {
        format!(
            "X-Alg: 5\r\nAuthorization: Digest username=\"{u}\", realm=\"example.com\", \
             nonce=\"n\", uri=\"sip:bob@example.com\", response=\"00\"\r\n"
        )
    };
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..10 {
        let a = du(&message(&s, &auth(&format!("user{i}")), None));
        assert_eq!(a, du(&message(&s, &auth(&format!("user{i}")), None)));
        seen.insert(a);
    }
    assert_eq!(seen, [d(p1), d(p2)].into_iter().collect());
}

#[test]
fn calls_fail_over_and_mi_shows_and_sets_states() {
    let dir = scratch("ds_failover");
    let (first, p_first) = bind();
    let (second, p_second) = bind();
    // Set 2: `first` has the higher priority.
    write_table(&dir, &[(2, p_first, 0, 10), (2, p_second, 0, 1)]);
    let mi = MiServer::start(&globals(&dir), ROUTES);
    let s = &mi.server;
    let caller = UdpClient::new();

    // 1. The first destination answers 503: marked inactive, the call goes to the second.
    let invite = request("INVITE", "sip:bob@example.com", caller.port(), "");
    caller.send(s, invite.as_bytes());
    let got = recv_datagram(&first).expect("INVITE at the first destination");
    assert!(got.starts_with("INVITE sip:bob@example.com "), "{got}");
    first
        .send_to(reply_to(&got, 503, "Unavailable").as_bytes(), s.addr())
        .unwrap();
    let got2 = recv_invite(&second).expect("INVITE failed over to the second destination");
    assert!(got2.starts_with("INVITE sip:bob@example.com "), "{got2}");
    second
        .send_to(reply_to(&got2, 486, "Busy Here").as_bytes(), s.addr())
        .unwrap();
    let fin = recv_final(&caller).expect("final reply");
    assert_eq!(
        status(&fin),
        486,
        "no destination left: the last reply: {fin}"
    );
    let log = s.log_text();
    assert!(
        log.contains(&format!("ds failure 503 from sip:127.0.0.1:{p_first}")),
        "{log}"
    );
    assert!(
        log.contains(&format!("ds failover to sip:127.0.0.1:{p_second}")),
        "{log}"
    );

    // ds_list shows the mark.
    let list = mi_result(
        &mi,
        r#"{"jsonrpc":"2.0","method":"ds_list","params":{"full":"1"},"id":1}"#,
    );
    let dests = &list["PARTITIONS"][0]["SETS"][0]["Destinations"];
    assert_eq!(
        dests[0]["URI"],
        format!("sip:127.0.0.1:{p_first}"),
        "{list}"
    );
    assert_eq!(dests[0]["state"], "Inactive", "{list}");
    assert_eq!(dests[0]["priority"], 10, "{list}");
    assert_eq!(dests[1]["state"], "Active", "{list}");

    // 2. The inactive destination is skipped: the next call goes straight to the second.
    let invite = request("INVITE", "sip:bob@example.com", caller.port(), "");
    caller.send(s, invite.as_bytes());
    let got = recv_invite(&second).expect("INVITE at the second destination");
    second
        .send_to(reply_to(&got, 480, "Later").as_bytes(), s.addr())
        .unwrap();
    assert_eq!(status(&recv_final(&caller).expect("480")), 480);
    first
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    // Only the ACK of its 503 arrives there.
    while let Some(m) = recv_datagram(&first) {
        assert!(m.starts_with("ACK "), "the inactive destination got: {m}");
    }

    // 3. Reactivated over MI; now it does not answer: after fr_timeout (408) the call fails
    // over again.
    let ok = mi_result(
        &mi,
        &format!(
            r#"{{"jsonrpc":"2.0","method":"ds_set_state","params":["a","2","sip:127.0.0.1:{p_first}"],"id":2}}"#
        ),
    );
    assert_eq!(ok, "OK");
    let (code, body) = mi.post(
        r#"{"jsonrpc":"2.0","method":"ds_set_state","params":["a","2","sip:10.9.9.9"],"id":3}"#,
    );
    assert!(
        code == 200 && body.contains("Destination not found"),
        "{code} {body}"
    );
    first
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let invite = request("INVITE", "sip:bob@example.com", caller.port(), "");
    caller.send(s, invite.as_bytes());
    assert!(
        recv_invite(&first).is_some(),
        "the reactivated destination is first again"
    );
    let got = recv_invite(&second).expect("INVITE after the timeout");
    second
        .send_to(reply_to(&got, 486, "Busy Here").as_bytes(), s.addr())
        .unwrap();
    assert_eq!(status(&recv_final(&caller).expect("486")), 486);
    assert!(s.log_text().contains("ds failure 408"), "{}", s.log_text());

    // 4. ds_reload reads the table again (states from the table: both active again).
    write_table(&dir, &[(2, p_second, 0, 10)]);
    assert_eq!(
        mi_result(&mi, r#"{"jsonrpc":"2.0","method":"ds_reload","id":4}"#),
        "OK"
    );
    let list = mi_result(&mi, r#"{"jsonrpc":"2.0","method":"ds_list","id":5}"#);
    let dests = list["PARTITIONS"][0]["SETS"][0]["Destinations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(dests.len(), 1, "{list}");
    assert_eq!(
        dests[0]["URI"],
        format!("sip:127.0.0.1:{p_second}"),
        "{list}"
    );
}

#[test]
fn unknown_algorithm_and_partition_are_load_errors() {
    let dir = scratch("ds_bad");
    write_table(&dir, &[(1, 21001, 0, 0)]);
    let text = cfg(&globals(&dir), "route { ds_select_dst(1, 42); }").replace("{PORT}", "5999");
    let (out, _) = check_config("bad_alg.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("unknown dispatcher algorithm 42"), "{err}");

    let text = cfg(
        &format!(
            "{}modparam(\"dispatcher\", \"partition\", \"p2: table_name=x\")\n",
            globals(&dir)
        ),
        "route { exit; }",
    )
    .replace("{PORT}", "5999");
    let (out, _) = check_config("bad_part.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("partitions are not supported"),
        "{err}"
    );
}

/// The same table on MariaDB, with OpenSIPS 3.x's column types (weight is text there).
#[test]
fn on_mariadb() {
    let (own, db) = storage_support::OwnDb::with_schema("ds");
    db.exec(
        "CREATE TABLE dispatcher (id INT AUTO_INCREMENT PRIMARY KEY, setid INT NOT NULL DEFAULT 0, \
         destination CHAR(192) NOT NULL DEFAULT '', socket CHAR(128) DEFAULT NULL, \
         state INT NOT NULL DEFAULT 0, probe_mode INT NOT NULL DEFAULT 0, \
         weight CHAR(64) NOT NULL DEFAULT '1', priority INT NOT NULL DEFAULT 0, \
         attrs CHAR(128) DEFAULT NULL, description CHAR(64) DEFAULT NULL)",
        &[],
    )
    .unwrap();
    db.exec(
        "INSERT INTO dispatcher (setid, destination, state, priority) VALUES \
         (1, 'sip:127.0.0.1:21001', 1, 9), (1, 'sip:127.0.0.1:21002', 0, 5), \
         (1, 'sip:127.0.0.1:21003', 0, 1)",
        &[],
    )
    .unwrap();
    let s = Server::start(&cfg(&globals_on(&own.url, "db_mysql"), ROUTES));
    let r = message(&s, "X-Alg: 8\r\nX-Port: 21001\r\n", None);
    assert_eq!(du(&r), "sip:127.0.0.1:21002", "the first is inactive: {r}");
    assert_eq!(header(&r, "X-Next"), Some("sip:127.0.0.1:21003"), "{r}");
    assert_eq!(header(&r, "X-In"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Count"), Some("2 1"), "{r}");
}

/// Probing with `ds_probing_mode` 1 every second: a destination in probing state that
/// answers (with 501, listed in `options_reply_codes`) becomes active; an active one that
/// does not answer goes into probing.
#[test]
fn probing_turns_states_by_the_answers() {
    let dir = scratch("ds_probe");
    let (answering, p_answering) = bind();
    let (silent, p_silent) = bind();
    write_table(&dir, &[(3, p_answering, 2, 0), (3, p_silent, 0, 0)]);
    let globals = format!(
        "{}modparam(\"dispatcher\", \"ds_ping_interval\", 1)\n\
         modparam(\"dispatcher\", \"ds_probing_mode\", 1)\n\
         modparam(\"dispatcher\", \"ds_ping_from\", \"sip:pinger@lb.test\")\n",
        globals(&dir)
    );
    let mi = MiServer::start(&globals, ROUTES);
    let ping = recv_datagram(&answering).expect("a ping at the probing destination");
    assert!(
        ping.starts_with(&format!("OPTIONS sip:127.0.0.1:{p_answering} SIP/2.0")),
        "{ping}"
    );
    assert!(
        header(&ping, "From")
            .unwrap()
            .starts_with("<sip:pinger@lb.test>"),
        "{ping}"
    );
    assert_eq!(header(&ping, "Max-Forwards"), Some("70"), "{ping}");
    answering
        .send_to(
            reply_to(&ping, 501, "Not Implemented").as_bytes(),
            mi.server.addr(),
        )
        .unwrap();
    assert!(
        recv_datagram(&silent).unwrap().starts_with("OPTIONS "),
        "the active one is probed too"
    );

    let states = || {
        let list = mi_result(&mi, r#"{"jsonrpc":"2.0","method":"ds_list","id":1}"#);
        let d = &list["PARTITIONS"][0]["SETS"][0]["Destinations"];
        (
            d[0]["state"].as_str().unwrap().to_owned(),
            d[1]["state"].as_str().unwrap().to_owned(),
        )
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (a, b) = states();
        if a == "Active" && b == "Probing" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "states stayed {a} {b}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A table that cannot be read stops start-up (before any socket opens), as in OpenSIPS;
/// `siplua -c` does not read it.
#[test]
fn unreadable_table_stops_start_up() {
    let dir = scratch("ds_missing");
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\n",
    )
    .unwrap();
    let text = cfg(&globals(&dir), "route { exit; }").replace("{PORT}", &free_port().to_string());
    let (out, path) = check_config("missing.cfg", &text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut child = std::process::Command::new(bin())
        .arg("-f")
        .arg(&path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("siplua started without its dispatcher table");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("cannot load table dispatcher"), "{err}");
}

fn mi_result(mi: &MiServer, body: &str) -> Value {
    let (code, text) = mi.post(body);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("no result: {v}"))
}
