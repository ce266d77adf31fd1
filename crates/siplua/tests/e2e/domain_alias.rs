//! domain and alias_db end to end, as the residential template's USE_MULTIDOMAIN and
//! USE_ALIASES options use them: `is_from_local`, `is_uri_host_local`, `is_domain_local`
//! with attributes, `alias_db_lookup` rewriting the Request-URI and `alias_db_find` — on
//! db_text and on a database of their own on the shared MariaDB; the domain table cached
//! (`db_mode` 1, MI `domain_reload`/`domain_dump`, `accept_subdomain`) or read per call.

use crate::common;
use crate::mi_support;
use crate::storage_support;

use std::path::Path;

use common::*;
use mi_support::MiServer;
use serde_json::Value;

const ROUTES: &str = r#"route {
    $var(attrs) = "none";
    if (is_from_local($var(attrs))) {
        append_to_reply("X-From-Local: yes $var(attrs)\r\n");
    } else {
        append_to_reply("X-From-Local: no\r\n");
    }
    if (is_uri_host_local()) {
        append_to_reply("X-Uri-Local: yes\r\n");
    } else {
        append_to_reply("X-Uri-Local: no\r\n");
    }
    if (is_domain_local("$hdr(X-Domain)")) {
        append_to_reply("X-Domain-Local: yes\r\n");
    }
    if (alias_db_find("dbaliases", "$fu", $var(target))) {
        append_to_reply("X-From-Alias-Of: $var(target)\r\n");
    }
    if (alias_db_lookup("dbaliases")) {
        append_to_reply("X-Alias: $ru\r\n");
    }
    sl_send_reply(200, "Checked");
}"#;

fn globals(db_url: &str, db_module: &str, db_mode: u8) -> String {
    format!(
        "loadmodule \"{db_module}.so\"\nloadmodule \"domain.so\"\nloadmodule \"alias_db.so\"\n\
         modparam(\"domain|alias_db\", \"db_url\", \"{db_url}\")\n\
         modparam(\"domain\", \"db_mode\", {db_mode})\n"
    )
}

fn server(db_url: &str, db_module: &str) -> Server {
    Server::start(&cfg(&globals(db_url, db_module, 1), ROUTES))
}

/// Sends a MESSAGE from `from` to `ruri`; returns the reply.
fn ask(server: &Server, from: &str, ruri: &str, domain: &str) -> String {
    let c = UdpClient::new();
    let req = request(
        "MESSAGE",
        ruri,
        c.port(),
        &format!("X-Domain: {domain}\r\n"),
    )
    .replace("<sip:alice@example.com>", &format!("<{from}>"));
    c.request(server, &req)
        .unwrap_or_else(|| panic!("no reply; log:\n{}", server.log_text()))
}

fn check(server: &Server) {
    let r = ask(
        server,
        "sip:alice@example.com",
        "sip:bob@Example.COM",
        "other.org",
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-From-Local"), Some("yes tier=gold"), "{r}");
    assert_eq!(
        header(&r, "X-Uri-Local"),
        Some("yes"),
        "case-insensitive: {r}"
    );
    assert_eq!(header(&r, "X-Domain-Local"), None, "{r}");
    assert_eq!(header(&r, "X-Alias"), None, "bob is no alias: {r}");

    let r = ask(
        server,
        "sip:carol@elsewhere.net",
        "sip:sales@example.com",
        "example.net",
    );
    assert_eq!(header(&r, "X-From-Local"), Some("no"), "{r}");
    assert_eq!(header(&r, "X-Domain-Local"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Alias"), Some("sip:bob@example.com"), "{r}");

    let r = ask(server, "sip:sales@example.com", "sip:x@nowhere.org", "");
    assert_eq!(header(&r, "X-Uri-Local"), Some("no"), "{r}");
    assert_eq!(
        header(&r, "X-From-Alias-Of"),
        Some("sip:bob@example.com"),
        "{r}"
    );
    assert_eq!(header(&r, "X-Alias"), None, "{r}");
}

const DOMAIN_HEADER: &str =
    "id(int,auto) domain(string) attrs(string,null) accept_subdomain(int) last_modified(string)\n";

fn write_tables(dir: &Path, domain_rows: &str) {
    std::fs::write(dir.join("domain"), format!("{DOMAIN_HEADER}{domain_rows}")).unwrap();
    std::fs::write(
        dir.join("dbaliases"),
        "id(int,auto) alias_username(string) alias_domain(string) username(string) domain(string)\n\
         1:sales:example.com:bob:example.com\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\ndomain:4\ndbaliases:2\n",
    )
    .unwrap();
}

const ROWS: &str = "1:example.com:tier=gold:0:2020-01-01\n2:example.net::0:2020-01-01\n";

#[test]
fn on_db_text() {
    let dir = scratch("domain_alias_text");
    write_tables(&dir, ROWS);
    let s = server(&format!("text://{}", dir.display()), "db_text");
    check(&s);
}

#[test]
fn per_call_with_db_mode_0() {
    let dir = scratch("domain_per_call");
    write_tables(&dir, ROWS);
    let url = format!("text://{}", dir.display());
    let s = Server::start(&cfg(&globals(&url, "db_text", 0), ROUTES));
    check(&s);
    // Read per call: a new domain counts at once.
    write_tables(&dir, &format!("{ROWS}3:other.org::0:2020-01-01\n"));
    let r = ask(&s, "sip:a@x.org", "sip:b@x.org", "other.org");
    assert_eq!(header(&r, "X-Domain-Local"), Some("yes"), "{r}");
}

#[test]
fn cached_table_reloads_by_mi_and_accepts_subdomains() {
    let dir = scratch("domain_cached");
    write_tables(&dir, &format!("{ROWS}3:corp.org:sub:1:2020-01-01\n"));
    let url = format!("text://{}", dir.display());
    let mi = MiServer::start(&globals(&url, "db_text", 1), ROUTES);
    let s = &mi.server;
    let local = |domain: &str| {
        let r = ask(s, "sip:a@x.org", "sip:b@x.org", domain);
        header(&r, "X-Domain-Local").is_some()
    };
    assert!(local("sip.eu.corp.org"), "accept_subdomain 1");
    assert!(!local("a.example.com"), "accept_subdomain 0");
    assert!(!local("other.org"));

    // A new row waits for domain_reload.
    write_tables(&dir, &format!("{ROWS}4:other.org::0:2020-01-01\n"));
    assert!(!local("other.org"), "the cached copy is in use");
    let (_, text) = mi.post(r#"{"jsonrpc":"2.0","method":"domain_reload","id":1}"#);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["result"], "OK", "{v}");
    assert!(local("other.org"));
    assert!(!local("sip.corp.org"), "corp.org is gone");

    let (_, text) = mi.post(r#"{"jsonrpc":"2.0","method":"domain_dump","id":2}"#);
    let v: Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = v["result"]["Domains"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(names, ["example.com", "example.net", "other.org"], "{v}");
}

/// A database of its own (`siplua_domain_<pid>_<n>`) with the schema and the rows; dropped
/// on drop.
fn own_db() -> storage_support::OwnDb {
    let (own, db) = storage_support::OwnDb::with_schema("domain");
    for sql in [
        "INSERT INTO domain (domain, attrs) VALUES ('example.com', 'tier=gold')",
        "INSERT INTO domain (domain) VALUES ('example.net')",
        "INSERT INTO dbaliases (alias_username, alias_domain, username, domain) \
         VALUES ('sales', 'example.com', 'bob', 'example.com')",
    ] {
        db.exec(sql, &[]).unwrap();
    }
    own
}

#[test]
fn on_mariadb() {
    let db = own_db();
    let s = server(&db.url, "db_mysql");
    check(&s);
}
