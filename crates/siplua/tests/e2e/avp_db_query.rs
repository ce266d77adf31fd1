//! avpops' `avp_db_query` end to end on MariaDB: a SELECT built from the message fills
//! AVPs (one per column, the first row at index 0), a SELECT without rows returns -2, an
//! UPDATE runs, an SQL error returns -1 and the route goes on; a non-MySQL db_url fails the
//! load.

use crate::common;
use crate::storage_support;

use common::*;

const ROUTES: &str = r#"route {
    $var(rc) = 0;
    if (is_present_hf("X-Update")) {
        avp_db_query("UPDATE speeddial SET target='sip:new@example.com' WHERE username='$fU' AND code='1'");
        $var(rc) = $rc;
    }
    avp_db_query("SELECT code, target FROM speeddial WHERE username='$fU' ORDER BY code", "$avp(code);$avp(target)");
    $var(q) = $rc;
    avp_db_query("SELECT nope FROM speeddial");
    $var(bad) = $rc;
    avp_db_query("WITH s AS (SELECT code FROM speeddial WHERE username='$fU') SELECT COUNT(*) FROM s", "$avp(n)");
    append_to_reply("X-Count: $avp(n)\r\n");
    append_to_reply("X-Rc: $var(q)\r\nX-Bad: $var(bad)\r\nX-Update: $var(rc)\r\n");
    append_to_reply("X-First: $avp(code) $avp(target)\r\nX-Second: $(avp(code)[1]) $(avp(target)[1])\r\n");
    sl_send_reply(200, "Queried");
}"#;

#[test]
fn select_update_and_errors() {
    let (own, db) = storage_support::OwnDb::with_schema("avpq");
    db.exec(
        "CREATE TABLE speeddial (id INT AUTO_INCREMENT PRIMARY KEY, username CHAR(64), \
         code CHAR(8), target CHAR(128))",
        &[],
    )
    .unwrap();
    db.exec(
        "INSERT INTO speeddial (username, code, target) VALUES \
         ('alice', '1', 'sip:bob@example.com'), ('alice', '2', 'sip:carol@example.com')",
        &[],
    )
    .unwrap();
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"db_mysql.so\"\nloadmodule \"avpops.so\"\n\
             modparam(\"avpops\", \"db_url\", \"{}\")\n",
            own.url
        ),
        ROUTES,
    ));
    let ask = |from: &str, extra: &str| {
        let c = UdpClient::new();
        let req = request("OPTIONS", "sip:x@example.com", c.port(), extra)
            .replace("sip:alice@example.com", &format!("sip:{from}@example.com"));
        c.ask(&s, &req)
    };
    let r = ask("alice", "");
    assert_eq!(header(&r, "X-Rc"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-First"), Some("1 sip:bob@example.com"), "{r}");
    assert_eq!(
        header(&r, "X-Second"),
        Some("2 sip:carol@example.com"),
        "{r}"
    );
    assert_eq!(header(&r, "X-Bad"), Some("-1"), "an SQL error: {r}");
    assert_eq!(header(&r, "X-Count"), Some("2"), "a WITH query's rows: {r}");
    assert!(s.wait_log("avp_db_query"), "the error is logged");

    let r = ask("nobody", "");
    assert_eq!(header(&r, "X-Rc"), Some("-2"), "no rows: {r}");

    let r = ask("alice", "X-Update: 1\r\n");
    assert_eq!(header(&r, "X-Update"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-First"), Some("1 sip:new@example.com"), "{r}");
}

#[test]
fn a_text_database_is_refused() {
    let (out, _) = check_config(
        "avpops_text.cfg",
        &cfg(
            "loadmodule \"db_text.so\"\nloadmodule \"avpops.so\"\n\
             modparam(\"avpops\", \"db_url\", \"text:///tmp\")\n",
            "route { exit; }",
        )
        .replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("mysql://"), "{err}");
}
