//! cfgutils end to end: `$shv` shared variables (with `shvset` start values) kept across
//! messages, `$env`, `rand_event` at 0 %, 100 % and a set probability, `ts_usec_delta`,
//! named locks, and bad arguments refused at load time.

mod common;

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
