//! drouting end to end, on db_text `dr_gateways`, `dr_rules`, `dr_carriers` and
//! `dr_groups` tables whose gateways are UDP sockets of the test: calls relayed by tm to
//! the gateway of the longest matching prefix with the gateway's strip and prefix in the
//! forwarded R-URI, failing over with `use_next_gw` in a failure_route after a 503 until
//! the list ends; a carrier's list; a disabled gateway skipped; `is_from_gw` and
//! `goes_to_gw`; the group from `dr_groups` with the `F` fallback; and the MI commands
//! `dr_gw_status` (list, read, set) and `dr_reload` over mi_http; and the tables on
//! MariaDB with OpenSIPS 3.x's column types.

use crate::common;
use crate::mi_support;
use crate::storage_support;

use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;

use common::*;
use mi_support::MiServer;
use serde_json::Value;

/// One gateway row: `(gwid, type, port, strip, pri_prefix, state)`, all on 127.0.0.1.
type Gw<'a> = (&'a str, i64, u16, i64, &'a str, i64);

/// Writes the four tables and their versions.
fn write_tables(dir: &Path, gws: &[Gw], rules: &[(i64, &str, &str, i64, &str)]) {
    let mut text = "gwid(string) type(int) address(string) strip(int) pri_prefix(string,null) \
                    attrs(string,null) probe_mode(int) state(int) socket(string,null) \
                    description(string,null)\n"
        .to_owned();
    for (id, ty, port, strip, prefix, state) in gws {
        text.push_str(&format!(
            "{id}:{ty}:127.0.0.1\\:{port}:{strip}:{prefix}:gw={id}:0:{state}::gateway {id}\n"
        ));
    }
    std::fs::write(dir.join("dr_gateways"), text).unwrap();
    let mut text = "ruleid(int) groupid(string) prefix(string) timerec(string,null) \
                    priority(int) routeid(string,null) gwlist(string) sort_alg(string) \
                    sort_profile(int,null) attrs(string,null) description(string,null)\n"
        .to_owned();
    for (i, (group, prefix, gwlist, prio, attrs)) in rules.iter().enumerate() {
        text.push_str(&format!(
            "{}:{group}:{prefix}::{prio}::{gwlist}:N::{attrs}:\n",
            i + 1
        ));
    }
    std::fs::write(dir.join("dr_rules"), text).unwrap();
    std::fs::write(
        dir.join("dr_carriers"),
        "carrierid(string) gwlist(string) flags(int) sort_alg(string) state(int) \
         attrs(string,null) description(string,null)\n\
         cr1:4,3:0:N:0:carrier=1:\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("dr_groups"),
        "id(int,auto) username(string) domain(string) groupid(int) description(string,null)\n\
         1:carol:example.com:2:\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\ndr_gateways:6\ndr_rules:4\ndr_carriers:3\ndr_groups:2\n",
    )
    .unwrap();
}

fn globals(db: &Path) -> String {
    format!(
        "loadmodule \"tm.so\"\nloadmodule \"db_text.so\"\nloadmodule \"drouting.so\"\n\
         modparam(\"tm\", \"fr_timeout\", 2)\nmodparam(\"tm\", \"fr_inv_timeout\", 2)\n\
         modparam(\"drouting\", \"db_url\", \"text://{}\")\n\
         modparam(\"drouting\", \"probing_interval\", 0)\n\
         modparam(\"drouting\", \"use_domain\", 1)\n",
        db.display()
    )
}

/// OPTIONS are answered with what the gateway checks say; INVITEs are routed (group 1,
/// or the caller's group with fallback when the X-Group header says "caller").
const ROUTES: &str = r#"route {
    if (is_method("ACK") && t_check_trans()) { t_relay(); exit; }
    if (is_method("OPTIONS")) {
        if (is_from_gw(-1, "", $var(gwattrs))) { append_to_reply("X-From-Gw: $var(gwattrs)\r\n"); }
        if (is_from_gw(2)) { append_to_reply("X-From-Type-2: yes\r\n"); }
        if (goes_to_gw()) { append_to_reply("X-Goes: yes\r\n"); }
        sl_send_reply(200, "Checked");
        exit;
    }
    if ($hdr(X-Group) == "caller") {
        $var(ok) = do_routing("", "F");
    } else {
        $var(ok) = do_routing(1, "", "", $var(rattrs), $avp(gwattrs), $var(cattrs));
    }
    if ($var(ok) != 1) { send_reply(404, "No Route found"); exit; }
    xlog("L_INFO", "dr first $ru rule=$var(rattrs) gw=$avp(gwattrs) carrier=$var(cattrs)\n");
    t_on_failure("gw");
    t_relay();
}

failure_route[gw] {
    if (t_check_status("503|408")) {
        if (use_next_gw()) {
            xlog("L_INFO", "dr next $ru\n");
            t_on_failure("gw");
            t_relay();
            exit;
        }
        send_reply(500, "All GW are down");
    }
}"#;

fn bind() -> (UdpSocket, u16) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
    let p = s.local_addr().unwrap().port();
    (s, p)
}

/// The gateway `sock` gets the INVITE with R-URI `ruri` and answers `code`.
fn gateway_answers(s: &Server, sock: &UdpSocket, ruri: &str, code: u16) {
    let got = recv_invite(sock).unwrap_or_else(|| panic!("no INVITE {ruri}"));
    assert!(
        got.starts_with(&format!("INVITE {ruri} SIP/2.0")),
        "expected {ruri}: {got}"
    );
    sock.send_to(reply_to(&got, code, "Gateway").as_bytes(), s.addr())
        .unwrap();
}

fn invite(s: &Server, caller: &UdpClient, ruri: &str, extra: &str) {
    caller.send(s, request("INVITE", ruri, caller.port(), extra).as_bytes());
}

fn mi_result(mi: &MiServer, body: &str) -> Value {
    let (code, text) = mi.post(body);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    v.get("result")
        .cloned()
        .unwrap_or_else(|| panic!("no result: {v}"))
}

#[test]
fn routes_by_prefix_fails_over_and_mi_changes_states() {
    let dir = scratch("drouting");
    let (a, pa) = bind();
    let (b, pb) = bind();
    let (c, pc) = bind();
    let (d, pd) = bind();
    let gws: [Gw; 4] = [
        ("1", 1, pa, 2, "00", 0),
        ("2", 2, pb, 0, "", 0),
        ("3", 1, pc, 0, "", 0),
        ("4", 1, pd, 0, "", 1),
    ];
    let rules = [
        (1, "49", "1,2", 0, "r49"),
        (1, "4930", "4,#cr1", 0, "r4930"),
        (1, "", "2", 0, "default"),
        (2, "44", "3", 0, "r44"),
        (2, "4", "2", 0, "r4"),
    ];
    write_tables(&dir, &gws, &rules);
    let mi = MiServer::start(&globals(&dir), ROUTES);
    let s = &mi.server;
    let caller = UdpClient::new();

    // 1. 49...: gateway 1 (strip 2, prefix 00), then after its 503 gateway 2 (the number
    // as dialled); after gateway 2's 503 the list is over.
    invite(s, &caller, "sip:4912345@example.com", "");
    gateway_answers(s, &a, &format!("sip:0012345@127.0.0.1:{pa}"), 503);
    gateway_answers(s, &b, &format!("sip:4912345@127.0.0.1:{pb}"), 503);
    let fin = recv_final(&caller).expect("final reply");
    assert_eq!(status(&fin), 500, "{fin}");
    let log = s.log_text();
    assert!(
        log.contains(&format!(
            "dr first sip:0012345@127.0.0.1:{pa} rule=r49 gw=gw=1 carrier="
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("dr next sip:4912345@127.0.0.1:{pb}")),
        "{log}"
    );

    // 2. 4930...: the longer prefix; gateway 4 is disabled, so through carrier cr1 (4
    // disabled again, then 3).
    invite(s, &caller, "sip:493055@example.com", "");
    gateway_answers(s, &c, &format!("sip:493055@127.0.0.1:{pc}"), 486);
    assert_eq!(status(&recv_final(&caller).expect("486")), 486);
    assert!(
        s.log_text()
            .contains("rule=r4930 gw=gw=3 carrier=carrier=1"),
        "{}",
        s.log_text()
    );

    // 3. Any other number (with a +) takes the empty prefix; a user that is no number
    // has no route.
    invite(s, &caller, "sip:+15551234@example.com", "");
    gateway_answers(s, &b, &format!("sip:+15551234@127.0.0.1:{pb}"), 486);
    assert_eq!(status(&recv_final(&caller).expect("486")), 486);
    invite(s, &caller, "sip:bob@example.com", "");
    assert_eq!(status(&recv_final(&caller).expect("404")), 404);

    // 4. Group from dr_groups (carol@example.com is in group 2) with fallback: 44's
    // gateway 3, then after its 503 the shorter prefix 4's gateway 2.
    let carol = "X-Group: caller\r\n";
    let req = request("INVITE", "sip:4420@example.com", caller.port(), carol)
        .replace("sip:alice@example.com", "sip:carol@example.com");
    caller.send(s, req.as_bytes());
    gateway_answers(s, &c, &format!("sip:4420@127.0.0.1:{pc}"), 503);
    gateway_answers(s, &b, &format!("sip:4420@127.0.0.1:{pb}"), 486);
    assert_eq!(status(&recv_final(&caller).expect("486")), 486);
    // alice is in no group and there is no default group: no route.
    invite(s, &caller, "sip:4420@example.com", carol);
    assert_eq!(status(&recv_final(&caller).expect("404")), 404);

    // The disabled gateway got nothing.
    d.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(recv_datagram(&d), None, "the disabled gateway was used");

    // 5. MI: the list shows gateway 4 inactive; enabled, it is the first of 4930 again.
    let list = mi_result(&mi, r#"{"jsonrpc":"2.0","method":"dr_gw_status","id":1}"#);
    let gw4 = list["Gateways"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["ID"] == "4")
        .cloned()
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(gw4["State"], "Inactive", "{list}");
    assert_eq!(gw4["IP"], format!("127.0.0.1:{pd}"), "{list}");
    let ok = mi_result(
        &mi,
        r#"{"jsonrpc":"2.0","method":"dr_gw_status","params":{"gw_id":"4","status":"1"},"id":2}"#,
    );
    assert_eq!(ok, "OK");
    let one = mi_result(
        &mi,
        r#"{"jsonrpc":"2.0","method":"dr_gw_status","params":{"gw_id":"4"},"id":3}"#,
    );
    assert_eq!(one["State"], "Active", "{one}");
    let (code, body) =
        mi.post(r#"{"jsonrpc":"2.0","method":"dr_gw_status","params":{"gw_id":"99"},"id":4}"#);
    assert!(code == 200 && body.contains("not found"), "{code} {body}");
    d.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
    invite(s, &caller, "sip:493055@example.com", "");
    gateway_answers(s, &d, &format!("sip:493055@127.0.0.1:{pd}"), 486);
    assert_eq!(status(&recv_final(&caller).expect("486")), 486);

    // 6. dr_reload reads the tables again: 4930 now goes to gateway 2.
    let rules = [(1, "4930", "2", 0, "reloaded")];
    write_tables(&dir, &gws, &rules);
    assert_eq!(
        mi_result(&mi, r#"{"jsonrpc":"2.0","method":"dr_reload","id":5}"#),
        "OK"
    );
    invite(s, &caller, "sip:493055@example.com", "");
    gateway_answers(s, &b, &format!("sip:493055@127.0.0.1:{pb}"), 486);
    assert_eq!(status(&recv_final(&caller).expect("486")), 486);
    assert!(s.log_text().contains("rule=reloaded"), "{}", s.log_text());
}

#[test]
fn is_from_gw_and_goes_to_gw() {
    let dir = scratch("drouting_check");
    let (a, pa) = bind();
    let (_b, pb) = bind();
    write_tables(
        &dir,
        &[("1", 1, pa, 0, "", 0), ("2", 2, pb, 0, "", 0)],
        &[(1, "", "1", 0, "")],
    );
    let s = Server::start(&cfg(&globals(&dir), ROUTES));

    // From gateway 1's own socket: a gateway, of type 1, not 2.
    let req = request("OPTIONS", "sip:x@example.com", pa, "");
    a.send_to(req.as_bytes(), s.addr()).unwrap();
    let r = recv_datagram(&a).expect("reply at the gateway");
    assert_eq!(header(&r, "X-From-Gw"), Some("gw=1"), "{r}");
    assert_eq!(header(&r, "X-From-Type-2"), None, "{r}");
    assert_eq!(header(&r, "X-Goes"), None, "{r}");

    // From another port of the same IP: not a gateway (the gateways have ports); the
    // R-URI naming gateway 2 goes to a gateway.
    let c = UdpClient::new();
    let r = c.ask(
        &s,
        &request("OPTIONS", &format!("sip:x@127.0.0.1:{pb}"), c.port(), ""),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-From-Gw"), None, "{r}");
    assert_eq!(header(&r, "X-Goes"), Some("yes"), "{r}");
}

#[test]
fn unknown_flag_and_partitions_are_load_errors() {
    let dir = scratch("drouting_bad");
    write_tables(&dir, &[("1", 1, 21001, 0, "", 0)], &[(1, "", "1", 0, "")]);
    let text = cfg(&globals(&dir), "route { do_routing(1, \"X\"); }").replace("{PORT}", "5999");
    let (out, _) = check_config("dr_bad_flag.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("unknown do_routing flag 'X'"), "{err}");

    let globals = format!(
        "{}modparam(\"drouting\", \"use_partitions\", 1)\n",
        globals(&dir)
    );
    let text = cfg(&globals, "route { exit; }").replace("{PORT}", "5999");
    let (out, _) = check_config("dr_partitions.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("partitions are not supported"),
        "{err}"
    );
}

/// The tables on MariaDB, with OpenSIPS 3.x's column types: the rule, the gateway's strip
/// and prefix and a carrier are read from there.
#[test]
fn tables_on_mariadb() {
    let (own, db) = storage_support::OwnDb::with_schema("dr");
    for sql in [
        "CREATE TABLE dr_gateways (id INT AUTO_INCREMENT PRIMARY KEY, gwid CHAR(64) NOT NULL, \
         type INT NOT NULL DEFAULT 0, address CHAR(128) NOT NULL, strip INT NOT NULL DEFAULT 0, \
         pri_prefix CHAR(16) DEFAULT NULL, attrs CHAR(255) DEFAULT NULL, \
         probe_mode INT NOT NULL DEFAULT 0, state INT NOT NULL DEFAULT 0, \
         socket CHAR(128) DEFAULT NULL, description CHAR(128) DEFAULT NULL)",
        "CREATE TABLE dr_rules (ruleid INT AUTO_INCREMENT PRIMARY KEY, groupid CHAR(255) NOT NULL, \
         prefix CHAR(64) NOT NULL, timerec CHAR(255) DEFAULT NULL, priority INT NOT NULL DEFAULT 0, \
         routeid CHAR(255) DEFAULT NULL, gwlist CHAR(255) NOT NULL, sort_alg CHAR(1) NOT NULL DEFAULT 'N', \
         sort_profile INT DEFAULT NULL, attrs CHAR(255) DEFAULT NULL, description CHAR(128) DEFAULT NULL)",
        "CREATE TABLE dr_carriers (id INT AUTO_INCREMENT PRIMARY KEY, carrierid CHAR(64) NOT NULL, \
         gwlist CHAR(255) NOT NULL, flags INT NOT NULL DEFAULT 0, sort_alg CHAR(1) NOT NULL DEFAULT 'N', \
         state INT NOT NULL DEFAULT 0, attrs CHAR(255) DEFAULT NULL, description CHAR(128) DEFAULT NULL)",
        "INSERT INTO dr_gateways (gwid, type, address, strip, pri_prefix, state) VALUES \
         ('gw1', 1, '127.0.0.1:21001', 1, '9', 1), ('gw2', 1, 'sip:127.0.0.1:21002', 1, '9', 0)",
        "INSERT INTO dr_carriers (carrierid, gwlist) VALUES ('c1', 'gw1,gw2')",
        "INSERT INTO dr_rules (groupid, prefix, gwlist, attrs) VALUES ('1,3', '0', '#c1', 'national')",
    ] {
        db.exec(sql, &[]).unwrap();
    }
    let globals = format!(
        "loadmodule \"db_mysql.so\"\nloadmodule \"drouting.so\"\n\
         modparam(\"drouting\", \"db_url\", \"{}\")\n",
        own.url
    );
    let routes = r#"route {
        if (do_routing(3, "", "", $var(rattrs))) {
            append_to_reply("X-Ru: $ru\r\nX-Rule: $var(rattrs)\r\n");
        }
        sl_send_reply(200, "Routed");
    }"#;
    let s = Server::start(&cfg(&globals, routes));
    let c = UdpClient::new();
    let r = c.ask(
        &s,
        &request("MESSAGE", "sip:0301234@example.com", c.port(), ""),
    );
    // gw1 is inactive: the carrier's second gateway, the leading 0 replaced by 9.
    assert_eq!(
        header(&r, "X-Ru"),
        Some("sip:9301234@127.0.0.1:21002"),
        "{r}"
    );
    assert_eq!(header(&r, "X-Rule"), Some("national"), "{r}");
}
