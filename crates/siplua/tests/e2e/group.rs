//! The group module end to end on db_text: `db_is_user_in` with a URI and with the older
//! `From` name, per call (a row added later counts at once), `use_domain`, and
//! `db_get_user_group` matching the R-URI against `re_grp`.

use crate::common;

use std::path::Path;

use common::*;

fn write_tables(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("grp"),
        format!(
            "id(int,auto) username(string) domain(string) grp(string) last_modified(string,null)\n\
             1:alice:example.com:ld:\n2:bob:other.net:ld:\n{extra}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("re_grp"),
        "id(int,auto) reg_exp(string) group_id(int)\n1:^sip\\:\\\\+49:2\n2:^sip\\:\\\\+:1\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\ngrp:3\nre_grp:2\n",
    )
    .unwrap();
}

const ROUTES: &str = r#"route {
    if (db_is_user_in("$fu", "$hdr(X-Group)")) {
        append_to_reply("X-In: yes\r\n");
    } else {
        append_to_reply("X-In: no\r\n");
    }
    if (db_is_user_in("From", "ld")) {
        append_to_reply("X-From-Ld: yes\r\n");
    }
    if (db_get_user_group("Request-URI", $avp(gid))) {
        append_to_reply("X-Gid: $(avp(gid)[0]) $(avp(gid)[1])\r\nX-Gid-Rc: $rc\r\n");
    }
    sl_send_reply(200, "OK");
}"#;

fn server(dir: &Path, use_domain: i64) -> Server {
    Server::start(&cfg(
        &format!(
            "loadmodule \"db_text.so\"\nloadmodule \"group.so\"\n\
             modparam(\"group\", \"db_url\", \"text://{}\")\n\
             modparam(\"group\", \"use_domain\", {use_domain})\n\
             modparam(\"group\", \"re_table\", \"re_grp\")\n",
            dir.display()
        ),
        ROUTES,
    ))
}

fn ask(s: &Server, from: &str, ruri: &str, group: &str) -> String {
    let c = UdpClient::new();
    let req = request("MESSAGE", ruri, c.port(), &format!("X-Group: {group}\r\n"))
        .replace("sip:alice@example.com", from);
    c.ask(s, &req)
}

#[test]
fn membership_and_regex_groups() {
    let dir = scratch("group");
    write_tables(&dir, "");
    let s = server(&dir, 0);
    let r = ask(
        &s,
        "sip:alice@example.com",
        "sip:+4930123@example.com",
        "ld",
    );
    assert_eq!(header(&r, "X-In"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-From-Ld"), Some("yes"), "{r}");
    // Both expressions match: the AVP gets both ids.
    let gids = header(&r, "X-Gid").unwrap_or("");
    assert!(gids == "1 2" || gids == "2 1", "{r}");
    assert_eq!(
        header(&r, "X-Gid-Rc"),
        Some("2"),
        "the number of groups: {r}"
    );
    let r = ask(&s, "sip:alice@example.com", "sip:100@example.com", "intl");
    assert_eq!(header(&r, "X-In"), Some("no"), "{r}");
    assert_eq!(header(&r, "X-Gid"), None, "{r}");

    // Read per call: a new row counts at once.
    write_tables(&dir, "3:alice:example.com:intl:\n");
    let r = ask(&s, "sip:alice@example.com", "sip:100@example.com", "intl");
    assert_eq!(header(&r, "X-In"), Some("yes"), "{r}");
}

#[test]
fn use_domain_compares_the_domain_too() {
    let dir = scratch("group-domain");
    write_tables(&dir, "");
    let s = server(&dir, 1);
    let r = ask(&s, "sip:bob@example.com", "sip:100@example.com", "ld");
    assert_eq!(
        header(&r, "X-In"),
        Some("no"),
        "bob is in ld at other.net only: {r}"
    );
    let r = ask(&s, "sip:bob@other.net", "sip:100@example.com", "ld");
    assert_eq!(header(&r, "X-In"), Some("yes"), "{r}");
}
