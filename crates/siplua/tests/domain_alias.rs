//! domain and alias_db end to end, as the residential template's USE_MULTIDOMAIN and
//! USE_ALIASES options use them: `is_from_local`, `is_uri_host_local`, `is_domain_local`
//! with attributes, `alias_db_lookup` rewriting the Request-URI and `alias_db_find` — on
//! db_text and on a database of their own on the shared MariaDB.

mod common;
mod storage_support;

use common::*;

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

fn server(db_url: &str, db_module: &str) -> Server {
    Server::start(&cfg(
        &format!(
            "loadmodule \"{db_module}.so\"\nloadmodule \"domain.so\"\nloadmodule \"alias_db.so\"\n\
             modparam(\"domain|alias_db\", \"db_url\", \"{db_url}\")\n\
             modparam(\"domain\", \"db_mode\", 1)\n"
        ),
        ROUTES,
    ))
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

#[test]
fn on_db_text() {
    let dir = scratch("domain_alias_text");
    std::fs::write(
        dir.join("domain"),
        "id(int,auto) domain(string) attrs(string,null) accept_subdomain(int) last_modified(string)\n\
         1:example.com:tier=gold:0:2020-01-01\n2:example.net::0:2020-01-01\n",
    )
    .unwrap();
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
    let s = server(&format!("text://{}", dir.display()), "db_text");
    check(&s);
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
