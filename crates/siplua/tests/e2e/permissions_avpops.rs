//! permissions (address checks) and avpops end to end, as the trunking template uses them:
//! `check_source_address(1, $avp(trunk_attrs))` accepts only known peers and hands over
//! their context info, which `is_avp_set` and `avp_check` then read; plus `check_address`,
//! `get_source_group` and `avp_delete` — the address table on db_text, read at start-up and
//! again on MI `address_reload`.

use crate::common;
use crate::mi_support;

use std::path::Path;

use common::*;
use mi_support::MiServer;
use serde_json::Value;

const ROUTES: &str = r#"route {
    if (check_source_address(1, $avp(trunk_attrs))) {
        append_to_reply("X-Trunk: yes\r\n");
    } else {
        append_to_reply("X-Trunk: no\r\n");
    }
    if (is_avp_set("$avp(trunk_attrs)") && avp_check("$avp(trunk_attrs)", "re/^[0-9]+$")) {
        append_to_reply("X-Limit: $avp(trunk_attrs)\r\n");
    }
    if (avp_check("$avp(trunk_attrs)", "ge/$hdr(X-Need)")) {
        append_to_reply("X-Enough: yes\r\n");
    }
    if (check_address(2, "$hdr(X-Ip)", 5060, "udp", $var(info), "$hdr(X-Pattern)")) {
        append_to_reply("X-Gw: $var(info)\r\n");
    }
    if (get_source_group($var(group))) {
        append_to_reply("X-Group: $var(group)\r\n");
    }
    if (avp_delete("$avp(trunk_attrs)") && !is_avp_set("$avp(trunk_attrs)")) {
        append_to_reply("X-Deleted: yes\r\n");
    }
    sl_send_reply(200, "Checked");
}"#;

fn write_table(dir: &Path, rows: &str) {
    std::fs::write(
        dir.join("address"),
        format!(
            "id(int,auto) grp(int) ip(string) mask(int) port(int) proto(string) \
             pattern(string,null) context_info(string,null)\n{rows}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\naddress:5\n",
    )
    .unwrap();
}

fn globals(dir: &Path) -> String {
    format!(
        "loadmodule \"db_text.so\"\nloadmodule \"permissions.so\"\nloadmodule \"avpops.so\"\n\
         modparam(\"permissions\", \"db_url\", \"text://{}\")\n",
        dir.display()
    )
}

fn server(rows: &str) -> Server {
    let dir = scratch("permissions_text");
    write_table(&dir, rows);
    Server::start(&cfg(&globals(&dir), ROUTES))
}

fn ask(s: &Server, extra: &str) -> String {
    let c = UdpClient::new();
    let req = request("INVITE", "sip:123@example.com", c.port(), extra);
    c.request(s, &req)
        .unwrap_or_else(|| panic!("no reply; log:\n{}", s.log_text()))
}

#[test]
fn known_trunk_with_a_call_limit() {
    let s = server(
        "1:1:127.0.0.0:8:0:any::10\n\
         2:2:192.0.2.10:32:5060:udp:sip\\:*@example.com:gw-a\n",
    );
    let r = ask(
        &s,
        "X-Need: 7\r\nX-Ip: 192.0.2.10\r\nX-Pattern: sip:123@example.com\r\n",
    );
    assert_eq!(header(&r, "X-Trunk"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Limit"), Some("10"), "{r}");
    assert_eq!(header(&r, "X-Enough"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Gw"), Some("gw-a"), "{r}");
    assert_eq!(header(&r, "X-Group"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-Deleted"), Some("yes"), "{r}");

    // 10 >= 11 fails; the pattern must match; another address is no gateway.
    let r = ask(
        &s,
        "X-Need: 11\r\nX-Ip: 192.0.2.10\r\nX-Pattern: sip:123@example.org\r\n",
    );
    assert_eq!(header(&r, "X-Enough"), None, "{r}");
    assert_eq!(header(&r, "X-Gw"), None, "{r}");
    let r = ask(&s, "X-Need: 1\r\nX-Ip: 192.0.2.11\r\n");
    assert_eq!(header(&r, "X-Gw"), None, "{r}");
}

#[test]
fn unknown_source_is_refused() {
    let s = server("1:1:10.0.0.0:8:0:any::10\n");
    let r = ask(&s, "X-Need: 1\r\nX-Ip: 10.0.0.1\r\n");
    assert_eq!(header(&r, "X-Trunk"), Some("no"), "{r}");
    assert_eq!(header(&r, "X-Limit"), None, "no context info: {r}");
    assert_eq!(header(&r, "X-Group"), None, "{r}");
    assert_eq!(header(&r, "X-Deleted"), None, "{r}");
}

#[test]
fn the_table_is_read_again_on_address_reload_only() {
    let dir = scratch("permissions_reload");
    write_table(&dir, "1:1:10.0.0.0:8:0:any::10\n");
    let mi = MiServer::start(&globals(&dir), ROUTES);
    let s = &mi.server;
    assert_eq!(header(&ask(s, "X-Need: 1\r\n"), "X-Trunk"), Some("no"));

    // A changed table is not seen until address_reload, as in OpenSIPS.
    write_table(&dir, "1:1:127.0.0.1:32:0:any::20\n");
    assert_eq!(header(&ask(s, "X-Need: 1\r\n"), "X-Trunk"), Some("no"));
    let (code, text) = mi.post(r#"{"jsonrpc":"2.0","method":"address_reload","id":1}"#);
    assert_eq!(code, 200, "{text}");
    let r = ask(s, "X-Need: 1\r\n");
    assert_eq!(header(&r, "X-Trunk"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Limit"), Some("20"), "{r}");

    let (code, text) = mi.post(r#"{"jsonrpc":"2.0","method":"address_dump","id":2}"#);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let rows = v["result"]["Addresses"].as_array().expect("a list of rows");
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(rows[0]["ip"], "127.0.0.1", "{v}");
    assert_eq!(rows[0]["mask"], 32, "{v}");
    assert_eq!(rows[0]["context_info"], "20", "{v}");

    // A table that cannot be read keeps the rows in use.
    std::fs::remove_file(dir.join("address")).unwrap();
    let (_, text) = mi.post(r#"{"jsonrpc":"2.0","method":"address_reload","id":3}"#);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"]["code"], 500, "{v}");
    assert_eq!(header(&ask(s, "X-Need: 1\r\n"), "X-Trunk"), Some("yes"));
}
