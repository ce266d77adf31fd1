//! avpops' `avp_db_store`, `avp_db_load` and `avp_db_delete` end to end on MariaDB's
//! `usr_preferences` table: AVPs stored by one request come back in the next one (integers
//! with type 1, in the order they were set, all of them or one name, with a prefix), a uuid
//! source, `/username`, deleting one name and all of them, and `use_domain` 0 and 1.

use crate::common;
use crate::storage_support;

use common::*;

const ROUTES: &str = r#"route {
    if (is_present_hf("X-Store")) {
        $avp(fwd) = "sip:vm@example.com";
        $avp(count) = 3;
        $avp(count) = 5;
        avp_db_store("$fu", "$avp(fwd)");
        $var(a) = $rc;
        avp_db_store("$fu", "$avp(count)");
        append_to_reply("X-Stored: $var(a) $rc\r\n");
        avp_delete("$avp(fwd)");
        avp_delete("$avp(count)/g");
        $avp(uuid) = $fU;
        $avp(lang) = "de";
        avp_db_store("$avp(uuid)", "$avp(lang)");
        avp_delete("$avp(lang)");
        avp_delete("$avp(uuid)");
    }
    if (is_present_hf("X-Delete")) {
        avp_db_delete("$fu", "$avp(fwd)");
        append_to_reply("X-Deleted: $rc\r\n");
    }
    if (is_present_hf("X-Wipe")) {
        avp_db_delete("$fu", "$avp(*)");
        append_to_reply("X-Wiped: $rc\r\n");
    }
    avp_db_load("$fu", "$avp(*)", , "p_");
    $var(all) = $rc;
    avp_db_load("$fu/username", "$avp(count)");
    $var(user) = $rc;
    $avp(uuid) = $fU;
    avp_db_load("$avp(uuid)", "$avp(lang)");
    append_to_reply("X-Lang: $rc $avp(lang)\r\n");
    append_to_reply("X-All: $var(all) $avp(p_fwd) $avp(p_count) $(avp(p_count)[1])\r\nX-User: $var(user) $avp(count)\r\n");
    sl_send_reply(200, "OK");
}"#;

struct Prefs {
    server: Server,
    db: siplua_db::Db,
    _own: storage_support::OwnDb,
}

impl Prefs {
    fn start(use_domain: u8) -> Prefs {
        let (own, db) = storage_support::OwnDb::with_schema("avpprefs");
        let server = Server::start(&cfg(
            &format!(
                "loadmodule \"db_mysql.so\"\nloadmodule \"avpops.so\"\n\
                 modparam(\"avpops\", \"db_url\", \"{}\")\n\
                 modparam(\"avpops\", \"use_domain\", {use_domain})\n",
                own.url
            ),
            ROUTES,
        ));
        Prefs {
            server,
            db,
            _own: own,
        }
    }

    fn ask(&self, from: &str, extra: &str) -> String {
        let c = UdpClient::new();
        let req = request("OPTIONS", "sip:x@example.com", c.port(), extra)
            .replace("sip:alice@example.com", &format!("sip:{from}"));
        c.ask(&self.server, &req)
    }

    /// The rows as "uuid|username|domain|attribute|type|value", oldest first.
    fn rows(&self) -> Vec<String> {
        self.db
            .query(
                "SELECT CONCAT_WS('|', uuid, username, domain, attribute, type, value) \
                 FROM usr_preferences ORDER BY id",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get_str(0).unwrap())
            .collect()
    }
}

#[test]
fn without_domain() {
    let p = Prefs::start(0);
    let r = p.ask("alice@example.com", "X-Store: 1\r\n");
    assert_eq!(header(&r, "X-Stored"), Some("1 1"), "{r}");
    assert_eq!(
        p.rows(),
        [
            "|alice||fwd|0|sip:vm@example.com",
            "|alice||count|1|3",
            "|alice||count|1|5",
            "alice|||lang|0|de",
        ]
    );
    assert_eq!(header(&r, "X-All"), Some("1 sip:vm@example.com 5 3"), "{r}");
    assert_eq!(header(&r, "X-User"), Some("1 5"), "{r}");
    assert_eq!(header(&r, "X-Lang"), Some("1 de"), "by uuid: {r}");

    // The domain is not part of the key.
    let r = p.ask("alice@other.org", "");
    assert_eq!(header(&r, "X-All"), Some("1 sip:vm@example.com 5 3"), "{r}");

    let r = p.ask("alice@example.com", "X-Delete: 1\r\n");
    assert_eq!(header(&r, "X-Deleted"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-All"), Some("1 <null> 5 3"), "{r}");

    let r = p.ask("bob@example.com", "");
    assert_eq!(header(&r, "X-All"), Some("-1 <null> <null> <null>"), "{r}");
    assert_eq!(header(&r, "X-User"), Some("-1 <null>"), "{r}");
    assert_eq!(header(&r, "X-Lang"), Some("-1 <null>"), "{r}");
}

#[test]
fn with_domain() {
    let p = Prefs::start(1);
    let r = p.ask("alice@example.com", "X-Store: 1\r\n");
    assert_eq!(header(&r, "X-Stored"), Some("1 1"), "{r}");
    assert_eq!(
        p.rows()[..3],
        [
            "|alice|example.com|fwd|0|sip:vm@example.com",
            "|alice|example.com|count|1|3",
            "|alice|example.com|count|1|5",
        ]
    );
    assert_eq!(header(&r, "X-All"), Some("1 sip:vm@example.com 5 3"), "{r}");

    // Another domain's alice has none; /username leaves the domain out.
    let r = p.ask("alice@other.org", "");
    assert_eq!(header(&r, "X-All"), Some("-1 <null> <null> <null>"), "{r}");
    assert_eq!(header(&r, "X-User"), Some("1 5"), "{r}");

    let r = p.ask("alice@other.org", "X-Wipe: 1\r\n");
    assert_eq!(
        header(&r, "X-Wiped"),
        Some("1"),
        "nothing to delete is no error: {r}"
    );
    assert_eq!(
        p.rows().len(),
        4,
        "other.org's wipe left example.com's rows"
    );

    let r = p.ask("alice@example.com", "X-Delete: 1\r\n");
    assert_eq!(header(&r, "X-All"), Some("1 <null> 5 3"), "{r}");
    let r = p.ask("alice@example.com", "X-Wipe: 1\r\n");
    assert_eq!(header(&r, "X-All"), Some("-1 <null> <null> <null>"), "{r}");
    assert_eq!(p.rows(), ["alice|||lang|0|de"], "the uuid row stays");
}

#[test]
fn a_db_scheme_name_is_refused() {
    let (out, _) = check_config(
        "avpops_scheme.cfg",
        &cfg(
            "loadmodule \"db_mysql.so\"\nloadmodule \"avpops.so\"\n\
             modparam(\"avpops\", \"db_url\", \"mysql://u:p@127.0.0.1/x\")\n",
            "route { avp_db_load(\"$ru/domain\", \"$avp(*)/$dp\"); exit; }",
        )
        .replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("db_scheme"), "{err}");
}
