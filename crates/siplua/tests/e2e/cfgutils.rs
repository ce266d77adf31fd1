//! cfgutils end to end: `$shv` shared variables (with `shvset` start values) kept across
//! messages, `$env`, `rand_event` at 0 %, 100 % and a set probability, `ts_usec_delta`,
//! named locks, and bad arguments refused at load time.

use crate::common;

use common::*;

const ROUTES: &str = r#"route {
    $shv(count) = $shv(count) + 1;
    append_to_reply("X-Count: $shv(count)\r\nX-Start: $shv(start)\r\nX-Home: $env(HOME)\r\n");
    if (rand_event(100)) { append_to_reply("X-Always: yes\r\n"); }
    if (rand_event(0)) { append_to_reply("X-Never: yes\r\n"); }
    rand_set_prob(100);
    if (rand_event()) { append_to_reply("X-Set: yes\r\n"); }
    rand_reset_prob();
    if (rand_event()) { append_to_reply("X-Reset: yes\r\n"); }
    ts_usec_delta(10, 500, 8, 100, $var(d));
    append_to_reply("X-Delta: $var(d)\r\n");
    get_static_lock("$fU");
    release_static_lock("$fU");
    if (!release_static_lock("$fU")) { append_to_reply("X-Unheld: yes\r\n"); }
    usleep(1000);
    sl_send_reply(200, "OK");
}"#;

#[test]
fn shared_variables_randomness_time_and_locks() {
    let s = Server::start(&cfg(
        "loadmodule \"cfgutils.so\"\n\
         modparam(\"cfgutils\", \"shvset\", \"count=i:40\")\n\
         modparam(\"cfgutils\", \"shvset\", \"start=s:boot\")\n\
         modparam(\"cfgutils\", \"initial_probability\", 0)\n",
        ROUTES,
    ));
    let ask = || {
        let c = UdpClient::new();
        c.ask(&s, &request("OPTIONS", "sip:x@example.com", c.port(), ""))
    };
    let first = ask();
    let second = ask();
    assert_eq!(header(&first, "X-Count"), Some("41"), "{first}");
    assert_eq!(header(&second, "X-Count"), Some("42"), "{second}");
    assert_eq!(header(&first, "X-Start"), Some("boot"));
    let home = std::env::var("HOME").unwrap_or_default();
    assert_eq!(header(&first, "X-Home").unwrap_or(""), home);
    assert_eq!(header(&first, "X-Always"), Some("yes"));
    assert_eq!(header(&first, "X-Never"), None);
    assert_eq!(header(&first, "X-Set"), Some("yes"));
    assert_eq!(
        header(&first, "X-Reset"),
        None,
        "back to initial_probability 0"
    );
    assert_eq!(header(&first, "X-Delta"), Some("2000400"));
    assert_eq!(header(&first, "X-Unheld"), Some("yes"));
}

#[test]
fn bad_parameters_fail_the_load() {
    for (name, param) in [
        (
            "prob.cfg",
            "modparam(\"cfgutils\", \"initial_probability\", 150)",
        ),
        ("shv.cfg", "modparam(\"cfgutils\", \"shvset\", \"x=q:1\")"),
    ] {
        let (out, _) = check_config(
            name,
            &cfg(
                &format!("loadmodule \"cfgutils.so\"\n{param}\n"),
                "route { exit; }",
            )
            .replace("{PORT}", "5999"),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {err}");
    }
}

#[test]
fn check_time_rec_matches_windows_given_the_time_or_now() {
    // 1591357895 is Friday 2020-06-05 11:51:35 UTC; the X-Ts header carries the time checked.
    let s = Server::start(&cfg(
        "loadmodule \"cfgutils.so\"\n",
        r#"route {
            $var(ts) = $(hdr(X-Ts){s.int});
            check_time_rec("UTC|20210104T080000||PT9H|WEEKLY|||MO,TU,WE,TH,FR", $var(ts));
            $var(office) = $rc;
            check_time_rec("Europe/Bucharest|20200101T230000|20200102T070000||DAILY", $var(ts));
            $var(night) = $rc;
            check_time_rec("20000101T000000");
            $var(now) = $rc;
            $var(rec) = "UTC|2020-01-01";
            check_time_rec("$var(rec)");
            $var(bad) = $rc;
            append_to_reply("X-R: $var(office) $var(night) $var(now) $var(bad)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let at = |ts: i64| {
        let reply = c.ask(
            &s,
            &request(
                "OPTIONS",
                "sip:x@example.com",
                c.port(),
                &format!("X-Ts: {ts}\r\n"),
            ),
        );
        header(&reply, "X-R").unwrap_or_default().to_owned()
    };
    let friday_2021 = 1_591_357_895 + 364 * 86_400;
    // Friday 11:51 UTC: office hours, not night in Bucharest.
    assert_eq!(at(friday_2021), "1 -1 1 -2");
    // Saturday: no office; Friday 02:00 UTC is 05:00 in Bucharest: night.
    assert_eq!(at(friday_2021 + 86_400).split(' ').next(), Some("-1"));
    assert_eq!(at(friday_2021 - 9 * 3600 - 51 * 60), "-1 1 1 -2");
    assert!(
        s.wait_log("check_time_rec(\"UTC|2020-01-01\")"),
        "{}",
        s.log_text()
    );
}

#[test]
fn a_constant_time_recurrence_that_does_not_parse_fails_the_load() {
    let (out, path) = check_config(
        "bad_timerec.cfg",
        &cfg(
            "loadmodule \"cfgutils.so\"\n",
            "route {\n    check_time_rec(\"UTC|2020-01-01\");\n    exit;\n}",
        )
        .replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(&format!("{}:", path.display())), "{err}");
    assert!(err.contains("not YYYYMMDDTHHMMSS"), "{err}");
}
