//! The statistics module end to end: `update_stat` with "+1"/"-1" and variables, `$stat`
//! of script and server statistics, resetting by `reset_stat` and `$stat(x) = 0`, a
//! declared `variable`, and MI `get_statistics` showing the script's statistics.

use crate::common;
use crate::mi_support;

use common::*;
use mi_support::MiServer;
use serde_json::Value;

const ROUTES: &str = r#"route {
    if (is_present_hf("X-Reset")) {
        reset_stat("calls");
        $stat(bytes) = 0;
    } else {
        update_stat("calls", "+1");
        update_stat("calls", "+2");
        update_stat("calls", "-1");
        update_stat("bytes", "$ml");
        update_stat("minutes", "+5");
    }
    append_to_reply("X-Calls: $stat(calls)\r\nX-Bytes: $stat(bytes)\r\nX-Rcv: $stat(rcv_requests)\r\nX-Declared: $stat(declared)\r\n");
    sl_send_reply(200, "OK");
}"#;

#[test]
fn script_statistics_count_reset_and_show_in_mi() {
    let mi = MiServer::start(
        "loadmodule \"statistics.so\"\n\
         modparam(\"statistics\", \"variable\", \"declared/no_reset\")\n\
         modparam(\"statistics\", \"variable\", \"billing:minutes\")\n",
        ROUTES,
    );
    let s = &mi.server;
    let ask = |extra: &str| {
        let c = UdpClient::new();
        let req = request("OPTIONS", "sip:x@example.com", c.port(), extra);
        (c.ask(s, &req), req.len())
    };
    let (r1, len1) = ask("");
    assert_eq!(header(&r1, "X-Calls"), Some("2"), "{r1}");
    assert_eq!(header(&r1, "X-Bytes"), Some(len1.to_string().as_str()));
    assert_eq!(
        header(&r1, "X-Declared"),
        Some("0"),
        "declared at start: {r1}"
    );
    let (r2, _) = ask("");
    assert_eq!(header(&r2, "X-Calls"), Some("4"));
    let rcv: i64 = header(&r2, "X-Rcv").unwrap().parse().unwrap();
    assert!(rcv >= 2, "the server's own counter: {r2}");

    let v: Value = mi.cli_with("http", &["get_statistics", "dynamic:"]).json();
    assert_eq!(v["dynamic:calls"], 4, "{v}");
    // A statistic declared in its own group is the one update_stat finds by name.
    let v: Value = mi.cli_with("http", &["get_statistics", "billing:"]).json();
    assert_eq!(v["billing:minutes"], 10, "{v}");
    let v: Value = mi.cli_with("http", &["get_statistics", "dynamic:"]).json();
    assert!(v.get("dynamic:minutes").is_none(), "{v}");

    let (r3, _) = ask("X-Reset: 1\r\n");
    assert_eq!(header(&r3, "X-Calls"), Some("0"), "{r3}");
    assert_eq!(header(&r3, "X-Bytes"), Some("0"), "{r3}");
}
