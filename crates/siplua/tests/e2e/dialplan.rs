//! dialplan end to end: `dp_translate(0, "$rU", $rU, $var(attrs))` as the residential
//! template writes it, on a db_text table (regex + subst, fixed replacement, equality,
//! detection only, disabled rows, priorities, time recurrences), MI `dp_translate` and `dp_reload` over
//! mi_http after the table changes, and the same table on MariaDB.

use crate::common;
use crate::mi_support;
use crate::storage_support;

use std::path::Path;

use common::*;
use mi_support::MiServer;
use serde_json::Value;

const HEADER: &str = "id(int,auto) dpid(int) pr(int) match_op(int) match_exp(string) \
    match_flags(int) subst_exp(string,null) repl_exp(string,null) timerec(string,null) \
    disabled(int) attrs(string,null)\n";

/// The rows, in db_text form (`:` separates columns, a backslash is doubled).
const ROWS: &str = r"1:0:10:1:^(0040|\\+40|0|40)21[0-9]+:0:^(0040|\\+40|0|40)(.+):40\\2::0:bucharest
2:0:5:1:^((Germany)|(Deutschland))$:1::DE::0:country
3:0:20:1:^021456[0-9]{5}$:0:::::service-x
4:0:1:0:operator:1::100::0:
5:0:0:0:blocked:0::999::1:
7:0:0:0:night:0::closed:20200101T000000|20200101T010000:0:past-window
8:0:1:0:night:0::open::0:no-window
9:0:0:0:always:0::yes:20200101T000000:0:open-ended
";

fn write_table(dir: &Path, extra: &str) {
    std::fs::write(dir.join("dialplan"), format!("{HEADER}{ROWS}{extra}")).unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\ndialplan:5\n",
    )
    .unwrap();
}

const ROUTES: &str = r#"route {
    if (!dp_translate(0, "$rU", $rU, $var(attrs))) {
        sl_send_reply(404, "No translation");
        exit;
    }
    append_to_reply("X-Ru: $ru\r\nX-Attrs: $var(attrs)\r\n");
    sl_send_reply(200, "Translated");
}"#;

/// Sends a MESSAGE to `user@example.com`; the reply's status, R-URI and attributes.
fn translate(s: &Server, user: &str) -> (u16, String, String) {
    let c = UdpClient::new();
    let reply = c.ask(
        s,
        &request("MESSAGE", &format!("sip:{user}@example.com"), c.port(), ""),
    );
    (
        status(&reply),
        header(&reply, "X-Ru").unwrap_or("").to_owned(),
        header(&reply, "X-Attrs").unwrap_or("").to_owned(),
    )
}

fn mi_result(mi: &MiServer, body: &str) -> (u16, Value) {
    let (code, text) = mi.post(body);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (code, v)
}

#[test]
fn translations_from_a_db_text_table_and_mi() {
    let dir = scratch("dialplan");
    write_table(&dir, "");
    let globals = format!(
        "loadmodule \"db_text.so\"\nloadmodule \"dialplan.so\"\n\
         modparam(\"dialplan\", \"db_url\", \"text://{}\")\n",
        dir.display()
    );
    let mi = MiServer::start(&globals, ROUTES);
    let s = &mi.server;

    // Regex match + subst: national forms become 40...; the rule's attributes come along.
    assert_eq!(
        translate(s, "0040211234"),
        (200, "sip:40211234@example.com".into(), "bucharest".into())
    );
    assert_eq!(translate(s, "0211234").1, "sip:40211234@example.com");
    // Case-insensitive regex with a fixed replacement; priority 5 beats 10.
    assert_eq!(
        translate(s, "deutschland"),
        (200, "sip:DE@example.com".into(), "country".into())
    );
    // Detection only: the R-URI stays, the attributes say which service. Priority 10
    // (rule 1) would also match 021456xxxxx, so it wins with its subst.
    assert_eq!(
        translate(s, "02145612345").1,
        "sip:402145612345@example.com"
    );
    // Equality, ignoring case; a disabled row never matches.
    assert_eq!(translate(s, "OPERATOR").1, "sip:100@example.com");
    assert_eq!(translate(s, "blocked").0, 404);
    assert_eq!(translate(s, "12345").0, 404);
    // A rule outside its timerec gives way to the next one; an open-ended one always applies.
    assert_eq!(
        translate(s, "night"),
        (200, "sip:open@example.com".into(), "no-window".into())
    );
    assert_eq!(translate(s, "always").1, "sip:yes@example.com");

    // MI dp_translate.
    let (code, v) = mi_result(
        &mi,
        r#"{"jsonrpc":"2.0","method":"dp_translate","params":{"dpid":"0","input":"+40211234"},"id":1}"#,
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["result"]["Output"], "40211234", "{v}");
    assert_eq!(v["result"]["ATTRIBUTES"], "bucharest", "{v}");

    // A new rule is used after dp_reload, not before.
    write_table(&dir, "6:0:0:1:^12345$:0::777::0:new\n");
    assert_eq!(translate(s, "12345").0, 404);
    let (code, v) = mi_result(&mi, r#"{"jsonrpc":"2.0","method":"dp_reload","id":2}"#);
    assert_eq!((code, &v["result"]), (200, &Value::from("OK")), "{v}");
    assert_eq!(
        translate(s, "12345"),
        (200, "sip:777@example.com".into(), "new".into())
    );
}

#[test]
fn bad_rules_are_discarded_and_partitions_are_refused() {
    let dir = scratch("dialplan-bad");
    write_table(
        &dir,
        "10:0:0:1:(unclosed:0:::::\n11:0:0:0:x:0:::someday:0:\n",
    );
    let globals = format!(
        "loadmodule \"db_text.so\"\nloadmodule \"dialplan.so\"\n\
         modparam(\"dialplan\", \"db_url\", \"text://{}\")\n",
        dir.display()
    );
    let s = Server::start(&cfg(&globals, ROUTES));
    assert!(
        s.wait_log("7 rules loaded (2 discarded)"),
        "{}",
        s.log_text()
    );
    assert_eq!(translate(&s, "operator").1, "sip:100@example.com");

    let (out, _) = check_config(
        "dp_partition.cfg",
        &cfg(
            &format!("{globals}modparam(\"dialplan\", \"partition\", \"pstn: table_name=dp\")\n"),
            ROUTES,
        )
        .replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("partitions are not supported"),
        "{err}"
    );
}

/// The same rules on MariaDB, in OpenSIPS 3.x's `dialplan` table.
#[test]
fn rules_on_mariadb() {
    let (own, db) = storage_support::OwnDb::with_schema("dp");
    db.exec(
        "CREATE TABLE dialplan (id INT AUTO_INCREMENT PRIMARY KEY, dpid INT NOT NULL, \
         pr INT NOT NULL DEFAULT 0, match_op INT NOT NULL, match_exp CHAR(64) NOT NULL, \
         match_flags INT NOT NULL DEFAULT 0, subst_exp CHAR(64) DEFAULT NULL, \
         repl_exp CHAR(32) DEFAULT NULL, timerec CHAR(255) DEFAULT NULL, \
         disabled INT NOT NULL DEFAULT 0, attrs CHAR(255) DEFAULT NULL)",
        &[],
    )
    .unwrap();
    db.exec(
        r"INSERT INTO dialplan (dpid, pr, match_op, match_exp, subst_exp, repl_exp, attrs) VALUES
          (0, 1, 1, '^00[1-9]', '^00(.*)', '+\\1', 'international')",
        &[],
    )
    .unwrap();
    let globals = format!(
        "loadmodule \"db_mysql.so\"\nloadmodule \"dialplan.so\"\n\
         modparam(\"dialplan\", \"db_url\", \"{}\")\n",
        own.url
    );
    let s = Server::start(&cfg(&globals, ROUTES));
    assert_eq!(
        translate(&s, "00491234"),
        (
            200,
            "sip:+491234@example.com".into(),
            "international".into()
        )
    );
    assert_eq!(translate(&s, "0491234").0, 404);
}
