//! `db_sqlite` end to end: the real binary with `db_url = "sqlite:///..."` on a file holding
//! OpenSIPS' tables — digest auth against `subscriber` (auth_db), accounting rows (acc),
//! `check_source_address` against `address` (permissions), `avp_db_query` (avpops),
//! bindings in `location` (usrloc in a database mode) — and start-up errors for bad URLs
//! and files.

use crate::auth_support;
use crate::common;

use std::path::{Path, PathBuf};

use auth_support::*;
use common::*;
use siplua_db::{Db, DbValue, SqliteOptions};
use siplua_modules::auth::digest::{self, Algorithm};

/// The tables the tests use, in OpenSIPS' SQLite layout.
const SCHEMA: &[&str] = &[
    "CREATE TABLE version (table_name CHAR(32) PRIMARY KEY NOT NULL, \
     table_version INTEGER DEFAULT 0 NOT NULL)",
    "INSERT INTO version VALUES ('subscriber', 8), ('acc', 7), ('missed_calls', 5), \
     ('address', 5), ('location', 1013)",
    "CREATE TABLE subscriber (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
     username CHAR(64) DEFAULT '' NOT NULL, domain CHAR(64) DEFAULT '' NOT NULL, \
     password CHAR(25) DEFAULT '' NOT NULL, email_address CHAR(64), \
     ha1 CHAR(64) DEFAULT '' NOT NULL, ha1_sha256 CHAR(64) DEFAULT '' NOT NULL, \
     ha1_sha512t256 CHAR(64) DEFAULT '' NOT NULL, rpid CHAR(255) DEFAULT NULL)",
    "CREATE TABLE acc (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
     method CHAR(16) DEFAULT '' NOT NULL, from_tag CHAR(64) DEFAULT '' NOT NULL, \
     to_tag CHAR(64) DEFAULT '' NOT NULL, callid CHAR(64) DEFAULT '' NOT NULL, \
     sip_code CHAR(3) DEFAULT '' NOT NULL, sip_reason CHAR(32) DEFAULT '' NOT NULL, \
     time DATETIME NOT NULL, duration INTEGER DEFAULT 0 NOT NULL, \
     ms_duration INTEGER DEFAULT 0 NOT NULL, setuptime INTEGER DEFAULT 0 NOT NULL, \
     created DATETIME DEFAULT NULL)",
    "CREATE TABLE missed_calls (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
     method CHAR(16) DEFAULT '' NOT NULL, from_tag CHAR(64) DEFAULT '' NOT NULL, \
     to_tag CHAR(64) DEFAULT '' NOT NULL, callid CHAR(64) DEFAULT '' NOT NULL, \
     sip_code CHAR(3) DEFAULT '' NOT NULL, sip_reason CHAR(32) DEFAULT '' NOT NULL, \
     time DATETIME NOT NULL, setuptime INTEGER DEFAULT 0 NOT NULL, \
     created DATETIME DEFAULT NULL)",
    "CREATE TABLE address (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
     grp SMALLINT DEFAULT 0 NOT NULL, ip CHAR(50) NOT NULL, mask TINYINT DEFAULT 32 NOT NULL, \
     port SMALLINT DEFAULT 0 NOT NULL, proto CHAR(4) DEFAULT 'any' NOT NULL, \
     pattern CHAR(64) DEFAULT NULL, context_info CHAR(32) DEFAULT NULL)",
    "INSERT INTO address (grp, ip, mask, port, proto) VALUES (1, '127.0.0.1', 32, 0, 'any'), \
     (2, '10.0.0.0', 8, 0, 'any')",
    "CREATE TABLE location (contact_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
     username CHAR(64) DEFAULT '' NOT NULL, domain CHAR(64) DEFAULT NULL, contact TEXT NOT NULL, \
     received CHAR(255) DEFAULT NULL, path CHAR(255) DEFAULT NULL, expires INTEGER NOT NULL, \
     q FLOAT(10,2) DEFAULT 1.0 NOT NULL, callid CHAR(255) DEFAULT 'Default-Call-ID' NOT NULL, \
     cseq INTEGER DEFAULT 13 NOT NULL, \
     last_modified DATETIME DEFAULT '1900-01-01 00:00:01' NOT NULL, \
     flags INTEGER DEFAULT 0 NOT NULL, cflags CHAR(255) DEFAULT NULL, \
     user_agent CHAR(255) DEFAULT '' NOT NULL, socket CHAR(64) DEFAULT NULL, \
     methods INTEGER DEFAULT NULL, sip_instance CHAR(255) DEFAULT NULL, \
     kv_store TEXT DEFAULT NULL, attr CHAR(255) DEFAULT NULL)",
];

/// A scratch directory with `opensips.db` holding [`SCHEMA`] and alice's subscriber row;
/// the file's path and a handle on it for checking what the server wrote.
fn database(name: &str) -> (PathBuf, PathBuf, Db) {
    let dir = scratch(name);
    let path = dir.join("opensips.db");
    std::fs::write(&path, b"").expect("db file");
    let db = Db::open_sqlite(&path, &SqliteOptions::default()).expect("open");
    for stmt in SCHEMA {
        db.exec(stmt, &[]).expect(stmt);
    }
    let realm = "example.com";
    db.exec(
        "INSERT INTO subscriber (username, domain, password, ha1, ha1_sha256) \
         VALUES (?, ?, ?, ?, ?)",
        &[
            "alice".into(),
            realm.into(),
            PASSWORD.into(),
            digest::ha1(Algorithm::Md5, "alice", realm, PASSWORD).into(),
            digest::ha1(Algorithm::Sha256, "alice", realm, PASSWORD).into(),
        ],
    )
    .expect("subscriber");
    (dir, path, db)
}

/// REGISTER to `sip:{user}@example.com` binding `c`'s address for an hour, with an
/// optional Authorization value.
fn register(c: &UdpClient, server: &Server, user: &str, n: u32, auth: Option<&str>) -> String {
    let mut extra = format!(
        "Contact: <sip:{user}@127.0.0.1:{}>\r\nExpires: 3600\r\n",
        c.port()
    );
    if let Some(a) = auth {
        extra.push_str(&format!("Authorization: {a}\r\n"));
    }
    let req = request_with_body(
        "REGISTER",
        &format!("sip:{user}@example.com"),
        c.port(),
        n,
        &extra,
        "",
    );
    c.request(server, &req)
        .unwrap_or_else(|| panic!("no reply; log:\n{}", server.log_text()))
}

/// The HA1 read from the database (password column off), as the sipssert registration
/// configs do: a challenge, a wrong password, the right one; then a `location` row.
#[test]
fn digest_auth_against_subscriber_and_location_rows() {
    let (dir, path, db) = database("sqlite-auth");
    let url = format!("sqlite://{}", path.display());
    let server = Server::start_in(
        &dir,
        &cfg(
            &format!(
                "loadmodule \"db_sqlite.so\"\nloadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\n\
                 loadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n\
                 modparam(\"db_sqlite\", \"busy_timeout\", 2000)\n\
                 modparam(\"auth_db\", \"db_url\", \"{url}\")\n\
                 modparam(\"auth_db\", \"calculate_ha1\", 0)\n\
                 modparam(\"auth_db\", \"password_column\", \"ha1\")\n\
                 modparam(\"usrloc\", \"db_url\", \"{url}\")\n\
                 modparam(\"usrloc\", \"db_mode\", 1)\n"
            ),
            r#"route {
                if (!www_authorize("example.com", "subscriber")) {
                    $var(rc) = $rc;
                    append_to_reply("X-RC: $var(rc)\r\n");
                    www_challenge("example.com");
                    exit;
                }
                consume_credentials();
                save("location");
            }"#,
        ),
    );
    let c = UdpClient::new();
    let first = register(&c, &server, "alice", 1, None);
    assert_eq!(status(&first), 401, "{first}");
    let ch = challenges(&first, "WWW-Authenticate")[0].clone();
    let answer = |password| Answer {
        username: "alice",
        password,
        method: "REGISTER",
        uri: "sip:alice@example.com",
        qop: None,
        body: b"",
    };
    let wrong = register(
        &c,
        &server,
        "alice",
        2,
        Some(&credentials(&ch, &answer("nope"))),
    );
    assert_eq!(status(&wrong), 401, "{wrong}");
    assert_eq!(header(&wrong, "X-RC"), Some("-2"), "{wrong}");
    let ok = register(
        &c,
        &server,
        "alice",
        3,
        Some(&credentials(&ch, &answer(PASSWORD))),
    );
    assert_eq!(status(&ok), 200, "{ok}\n{}", server.log_text());

    let rows = db
        .query(
            "SELECT username, domain, contact, expires > 0, \
             UNIX_TIMESTAMP(last_modified) > 1700000000 FROM location",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 1, "{}", server.log_text());
    assert_eq!(rows[0].get_str(0).as_deref(), Some("alice"));
    assert!(rows[0].get_str(2).unwrap().contains("alice@127.0.0.1"));
    assert_eq!((rows[0].get_i64(3), rows[0].get_i64(4)), (Some(1), Some(1)));

    // A second server on the same file loads the binding at start-up.
    let reader = Server::start_in(
        &dir,
        &cfg(
            &format!(
                "loadmodule \"db_sqlite.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n\
                 modparam(\"usrloc\", \"db_url\", \"{url}\")\n\
                 modparam(\"usrloc\", \"db_mode\", 1)\n"
            ),
            r#"route {
                lookup("location");
                $var(rc) = $rc;
                append_to_reply("X-RC: $var(rc)\r\nX-RU: $ru\r\n");
                sl_send_reply(200, "Looked Up");
            }"#,
        ),
    );
    let r = c.ask(
        &reader,
        &request("OPTIONS", "sip:alice@example.com", c.port(), ""),
    );
    assert_eq!(header(&r, "X-RC"), Some("1"), "{r}\n{}", reader.log_text());
    let ru = format!("sip:alice@127.0.0.1:{}", c.port());
    assert_eq!(header(&r, "X-RU"), Some(ru.as_str()), "{r}");

    // Unknown user: -1 (user not found), no row.
    let r = register(&c, &server, "mallory", 4, None);
    let ch = challenges(&r, "WWW-Authenticate")[0].clone();
    let mut a = answer(PASSWORD);
    a.username = "mallory";
    a.uri = "sip:mallory@example.com";
    let unknown = register(&c, &server, "mallory", 5, Some(&credentials(&ch, &a)));
    assert_eq!(header(&unknown, "X-RC"), Some("-1"), "{unknown}");
}

/// acc rows for a transaction and `acc_db_request`, with the times SQLite stored; the
/// address table and a raw `avp_db_query` on the same file.
#[test]
fn acc_rows_and_source_addresses() {
    let (dir, path, db) = database("sqlite-acc");
    let url = format!("sqlite://{}", path.display());
    let server = Server::start_in(
        &dir,
        &cfg(
            &format!(
                "loadmodule \"db_sqlite.so\"\nloadmodule \"tm.so\"\nloadmodule \"acc.so\"\n\
                 loadmodule \"permissions.so\"\nloadmodule \"avpops.so\"\n\
                 modparam(\"avpops\", \"db_url\", \"{url}\")\n\
                 modparam(\"acc\", \"db_url\", \"{url}\")\n\
                 modparam(\"permissions\", \"db_url\", \"{url}\")\n"
            ),
            r#"route {
                if ($rU == "perm") {
                    if (check_source_address(1)) { append_to_reply("X-G1: yes\r\n"); }
                    if (check_source_address(2)) { append_to_reply("X-G2: yes\r\n"); }
                    avp_db_query("SELECT ip FROM address WHERE grp = 2 AND NOW() IS NOT NULL", "$avp(ip)");
                    append_to_reply("X-Ip: $avp(ip)\r\n");
                    sl_send_reply(200, "Checked");
                    exit;
                }
                if ($rU == "offline") {
                    acc_db_request("404 Not Found", "missed_calls");
                    sl_send_reply(404, "Not Found");
                    exit;
                }
                t_newtran();
                do_accounting("db");
                t_reply(200, "OK");
            }"#,
        ),
    );
    let c = UdpClient::new();
    let perm = c.ask(
        &server,
        &request("OPTIONS", "sip:perm@example.com", c.port(), ""),
    );
    assert_eq!(status(&perm), 200, "{perm}");
    assert_eq!(header(&perm, "X-G1"), Some("yes"), "{perm}");
    assert_eq!(header(&perm, "X-G2"), None, "{perm}");
    assert_eq!(
        header(&perm, "X-Ip"),
        Some("10.0.0.0"),
        "avp_db_query: {perm}"
    );

    let ok = request("MESSAGE", "sip:ok@example.com", c.port(), "");
    assert_eq!(status(&c.ask(&server, &ok)), 200);
    let off = request("MESSAGE", "sip:offline@example.com", c.port(), "");
    assert_eq!(status(&c.ask(&server, &off)), 404);

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let rows = db
        .query(
            "SELECT method, callid, sip_code, sip_reason, UNIX_TIMESTAMP(time), \
             created IS NOT NULL FROM acc ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 1, "{}", server.log_text());
    assert_eq!(rows[0].get_str(0).as_deref(), Some("MESSAGE"));
    assert_eq!(rows[0].get_str(1).as_deref(), header(&ok, "Call-ID"));
    assert_eq!(rows[0].get_str(2).as_deref(), Some("200"));
    assert_eq!(rows[0].get_str(3).as_deref(), Some("OK"));
    let t = rows[0].get_i64(4).expect("time");
    assert!((now - t).abs() < 30, "time {t} vs now {now}");
    assert_eq!(rows[0].get_i64(5), Some(1));
    let missed = db
        .query(
            "SELECT callid, sip_code, sip_reason FROM missed_calls WHERE callid = ?",
            &[DbValue::from(header(&off, "Call-ID").unwrap())],
        )
        .unwrap();
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].get_str(1).as_deref(), Some("404"));
    assert_eq!(missed[0].get_str(2).as_deref(), Some("Not Found"));
}

/// What `siplua -c` says about `db_url` in a config for auth_db.
fn check(dir: &Path, globals: &str) -> (bool, String) {
    let text = cfg(
        &format!("loadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\n{globals}"),
        "route { exit; }",
    )
    .replace("{PORT}", "5060")
    .replace("{DIR}", &dir.display().to_string());
    let (out, _) = check_config("sqlite.cfg", &text);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_sqlite_urls_and_files_stop_start_up() {
    let (dir, path, _) = database("sqlite-bad");
    let junk = dir.join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let url = |p: &Path| {
        format!(
            "modparam(\"auth_db\", \"db_url\", \"sqlite://{}\")\n",
            p.display()
        )
    };
    let with = |m: &str| format!("loadmodule \"db_sqlite.so\"\n{m}");
    let (ok, err) = check(&dir, &with(&url(&path)));
    assert!(ok, "{err}");
    for (globals, expect) in [
        (url(&path), "can't find database module for sqlite"),
        (with(&url(&dir.join("missing.db"))), "no such database file"),
        (with(&url(&junk)), "not a database"),
        (
            with("modparam(\"auth_db\", \"db_url\", \"sqlite://\")\n"),
            "no database file",
        ),
        (
            with("modparam(\"db_sqlite\", \"load_extension\", \"/x.so;init\")\n"),
            "load_extension",
        ),
    ] {
        let (ok, err) = check(&dir, &globals);
        assert!(!ok, "{globals}");
        assert!(err.contains(expect), "{globals}: {err}");
    }
}
