//! `uac_registrant` end to end: a UDP socket of the test plays the registrar. From a db_text
//! table: the REGISTER's headers, the 401 challenge answered once with the row's credentials
//! (the test recomputes the digest), the short expiry granted in the 200 refreshed before it
//! runs out, on the Call-ID of the registration with a growing CSeq, from the forced socket;
//! `reg_list` and `reg_reload` over MI. From SQLite: a 403 retried after
//! `failure_retry_interval` with a new Call-ID, a disabled row left alone until `reg_enable`,
//! `reg_force_register`, `reg_disable` unregistering.
//! The same table on MariaDB, and the load errors of bad parameters. `through_tm`: tm's
//! retransmissions and timeout, a registrar over TCP, tm required.

mod through_tm;

use crate::auth_support;
use crate::common;
use crate::mi_support;
use crate::storage_support;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use auth_support::{expected_response, param};
use common::*;
use mi_support::MiServer;
use serde_json::Value;
use siplua_db::{Db, SqliteOptions};
use siplua_modules::auth::digest::Algorithm;

const HEADER: &str = "id(int,auto) registrar(string) proxy(string,null) aor(string) \
    third_party_registrant(string,null) username(string,null) password(string,null) \
    binding_URI(string) binding_params(string,null) expiry(int,null) \
    forced_socket(string,null) cluster_shtag(string,null) state(int)\n";

/// The registrar: a socket of the test.
struct Registrar {
    sock: UdpSocket,
    /// The Via of the last REGISTER taken (its retransmissions are skipped).
    last_via: std::cell::RefCell<String>,
}

impl Registrar {
    fn new() -> Registrar {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
        Registrar {
            sock,
            last_via: Default::default(),
        }
    }

    fn uri(&self) -> String {
        format!("sip:127.0.0.1:{}", self.sock.local_addr().unwrap().port())
    }

    /// The next REGISTER (not a retransmission) and where it came from.
    fn recv(&self, server: &Server) -> (String, SocketAddr) {
        let mut buf = vec![0u8; 65536];
        loop {
            let (n, from) = self
                .sock
                .recv_from(&mut buf)
                .unwrap_or_else(|e| panic!("no REGISTER ({e}); log:\n{}", server.log_text()));
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            assert!(text.starts_with("REGISTER "), "{text}");
            let via = header(&text, "Via").unwrap_or("").to_owned();
            if via != *self.last_via.borrow() {
                *self.last_via.borrow_mut() = via;
                return (text, from);
            }
        }
    }

    /// Answers `req` with `code`, adding `extra` header lines.
    fn answer(&self, req: &str, to: SocketAddr, code: u16, reason: &str, extra: &str) {
        let reply = reply_to(req, code, reason).replace(
            "Content-Length: 0\r\n",
            &format!("{extra}Content-Length: 0\r\n"),
        );
        self.sock.send_to(reply.as_bytes(), to).unwrap();
    }

    /// Nothing arrives for `ms` milliseconds.
    fn silent_for(&self, ms: u64) -> bool {
        self.sock
            .set_read_timeout(Some(Duration::from_millis(ms)))
            .unwrap();
        let mut buf = [0u8; 4096];
        let silent = self.sock.recv_from(&mut buf).is_err();
        self.sock
            .set_read_timeout(Some(Duration::from_secs(6)))
            .unwrap();
        silent
    }
}

/// One row of the text table (its digest username is the AOR's user part).
struct Row<'a> {
    registrar: &'a str,
    aor: &'a str,
    password: &'a str,
    binding: &'a str,
    params: &'a str,
    expiry: u32,
    socket: &'a str,
    state: i64,
}

fn esc(s: &str) -> String {
    s.replace(':', "\\:")
}

fn write_text_table(dir: &Path, rows: &[Row]) {
    let mut text = HEADER.to_owned();
    for (i, r) in rows.iter().enumerate() {
        text.push_str(&format!(
            "{}:{}::{}::{}:{}:{}:{}:{}:{}::{}\n",
            i + 1,
            esc(r.registrar),
            esc(r.aor),
            esc(user(r.aor)),
            esc(r.password),
            esc(r.binding),
            esc(r.params),
            r.expiry,
            esc(r.socket),
            r.state
        ));
    }
    std::fs::write(dir.join("registrant"), text).unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\nregistrant:2\n",
    )
    .unwrap();
}

/// The user part of a SIP URI (the rows' digest username).
fn user(aor: &str) -> &str {
    aor.trim_start_matches("sip:").split('@').next().unwrap()
}

/// The modules and parameters, with the table at `db_url` read through `db_module`.
fn globals(db_url: &str, db_module: &str, extra: &str) -> String {
    format!(
        "loadmodule \"tm.so\"\nloadmodule \"uac_auth.so\"\nloadmodule \"{db_module}.so\"\n\
         loadmodule \"uac_registrant.so\"\n\
         modparam(\"uac_registrant\", \"db_url\", \"{db_url}\")\n\
         modparam(\"uac_registrant\", \"timer_interval\", 10)\n\
         modparam(\"uac_registrant\", \"hash_size\", 2)\n\
         modparam(\"uac_registrant\", \"failure_retry_interval\", 2)\n{extra}"
    )
}

const ROUTES: &str = "route { exit; }";

fn reg_list(mi: &MiServer) -> Vec<Value> {
    let (code, text) = mi.post(r#"{"jsonrpc":"2.0","method":"reg_list","id":1}"#);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    v["result"]["Records"]
        .as_array()
        .unwrap_or_else(|| panic!("no Records: {v}"))
        .clone()
}

/// The `reg_list` record of `aor`.
fn record(mi: &MiServer, aor: &str) -> Value {
    reg_list(mi)
        .into_iter()
        .find(|r| r["AOR"] == aor)
        .unwrap_or_else(|| panic!("{aor} is not listed"))
}

/// Waits (up to 3 s) until `aor` is in `state`.
fn wait_state(mi: &MiServer, aor: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let r = record(mi, aor);
        if r["state"] == state {
            return r;
        }
        assert!(Instant::now() < deadline, "{aor} stayed {r}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mi_call(mi: &MiServer, method: &str, params: &str) -> Value {
    let (code, text) = mi.post(&format!(
        r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#
    ));
    assert_eq!(code, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Register, challenge, answer, 200 with 3 s; the refresh comes before the 3 s are over;
/// then `reg_reload` with a new row.
#[test]
fn registers_answers_the_challenge_and_refreshes_in_time() {
    let dir = scratch("reg_text");
    let registrar = Registrar::new();
    let own = UdpSocket::bind("127.0.0.1:0").unwrap();
    let forced_port = own.local_addr().unwrap().port();
    drop(own);
    let aor = "sip:trunk1@trunk.example";
    let binding = "sip:trunk1@siplua.test:5060";
    let reg_uri = registrar.uri();
    let forced = format!("udp:127.0.0.1:{forced_port}");
    write_text_table(
        &dir,
        &[Row {
            registrar: &reg_uri,
            aor,
            password: "tr-secret",
            binding,
            params: ";line=7",
            expiry: 600,
            socket: &forced,
            state: 0,
        }],
    );
    let extra = format!("socket = udp:127.0.0.1:{forced_port}\n");
    let mi = MiServer::start(
        &globals(&format!("text://{}", dir.display()), "db_text", &extra),
        ROUTES,
    );
    let server = &mi.server;

    let (first, from) = registrar.recv(server);
    assert!(
        first.starts_with(&format!("REGISTER {reg_uri} SIP/2.0\r\n")),
        "{first}"
    );
    assert_eq!(from.port(), forced_port, "sent from the forced socket");
    assert_eq!(header(&first, "To"), Some(format!("<{aor}>").as_str()));
    assert!(header(&first, "From")
        .unwrap()
        .starts_with(&format!("<{aor}>;tag=")));
    assert_eq!(
        header(&first, "Contact"),
        Some(format!("<{binding}>;line=7;expires=600").as_str())
    );
    assert_eq!(header(&first, "Expires"), Some("600"));
    assert_eq!(header(&first, "CSeq"), Some("1 REGISTER"));
    assert!(header(&first, "Authorization").is_none());
    let call_id = header(&first, "Call-ID").unwrap().to_owned();
    assert!(!call_id.is_empty());
    assert_eq!(record(&mi, aor)["state"], "REGISTERING_STATE");

    registrar.answer(
        &first,
        from,
        401,
        "Unauthorized",
        "WWW-Authenticate: Digest realm=\"trunk.example\", nonce=\"n0nce1\", qop=\"auth\", opaque=\"op1\"\r\n",
    );
    let (second, from) = registrar.recv(server);
    assert_eq!(header(&second, "Call-ID"), Some(call_id.as_str()));
    assert_eq!(header(&second, "CSeq"), Some("2 REGISTER"));
    let auth = header(&second, "Authorization")
        .expect("credentials")
        .to_owned();
    assert_eq!(param(&auth, "username"), "trunk1");
    assert_eq!(param(&auth, "realm"), "trunk.example");
    assert_eq!(param(&auth, "nonce"), "n0nce1");
    assert_eq!(param(&auth, "uri"), reg_uri);
    assert_eq!(param(&auth, "opaque"), "op1");
    assert_eq!(
        param(&auth, "response"),
        expected_response(Algorithm::Md5, "REGISTER", &auth, "tr-secret")
    );

    // The registrar grants 3 s to our binding (another binding is listed too).
    registrar.answer(
        &second,
        from,
        200,
        "OK",
        &format!("Contact: <sip:other@10.0.0.9>;expires=50, <{binding}>;line=7;expires=3\r\n"),
    );
    let granted = Instant::now();
    let r = wait_state(&mi, aor, "REGISTERED_STATE");
    assert_eq!(r["expires"], 3, "{r}");
    assert_eq!(r["registrar"], reg_uri.as_str(), "{r}");
    assert_eq!(r["binding"], binding, "{r}");
    assert_eq!(r["binding_params"], ";line=7", "{r}");
    assert_eq!(r["ip"], "127.0.0.1", "{r}");

    let (refresh, from) = registrar.recv(server);
    let after = granted.elapsed();
    assert!(
        after < Duration::from_secs(3) && after >= Duration::from_millis(900),
        "refreshed after {after:?}"
    );
    assert_eq!(header(&refresh, "Call-ID"), Some(call_id.as_str()));
    assert_eq!(header(&refresh, "CSeq"), Some("3 REGISTER"));
    assert!(header(&refresh, "Authorization").is_none());
    // A 200 without our Contact: the Expires header is the grant.
    registrar.answer(&refresh, from, 200, "OK", "Expires: 3600\r\n");
    let r = wait_state(&mi, aor, "REGISTERED_STATE");
    assert_eq!(r["expires"], 3600, "{r}");
    assert!(
        registrar.silent_for(1500),
        "nothing more before the refresh"
    );

    // reg_reload: the unchanged row carries on, a new row registers at once.
    let first_row = Row {
        registrar: &reg_uri,
        aor,
        password: "tr-secret",
        binding,
        params: ";line=7",
        expiry: 600,
        socket: &forced,
        state: 0,
    };
    let added = Row {
        aor: "sip:trunk2@trunk.example",
        binding: "sip:trunk2@siplua.test",
        params: "",
        socket: "",
        ..first_row
    };
    write_text_table(&dir, &[first_row, added]);
    let reloaded = mi_call(&mi, "reg_reload", "{}");
    assert_eq!(reloaded["result"], "OK", "{reloaded}");
    let (new_one, from) = registrar.recv(server);
    assert_eq!(header(&new_one, "To"), Some("<sip:trunk2@trunk.example>"));
    registrar.answer(&new_one, from, 200, "OK", "Expires: 600\r\n");
    wait_state(&mi, "sip:trunk2@trunk.example", "REGISTERED_STATE");
    assert_eq!(record(&mi, aor)["state"], "REGISTERED_STATE");
    assert!(
        registrar.silent_for(800),
        "the unchanged row is not registered again"
    );
}

/// SQLite rows: a 403 retried after failure_retry_interval; a disabled row; reg_enable,
/// reg_disable, reg_force_register.
#[test]
fn refusal_is_retried_and_mi_enables_and_disables() {
    let dir = scratch("reg_sqlite");
    let path = dir.join("opensips.db");
    std::fs::write(&path, b"").unwrap();
    let db = Db::open_sqlite(&path, &SqliteOptions::default()).unwrap();
    db.exec(
        "CREATE TABLE registrant (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
         registrar CHAR(255) DEFAULT '' NOT NULL, proxy CHAR(255) DEFAULT NULL, \
         aor CHAR(255) DEFAULT '' NOT NULL, third_party_registrant CHAR(255) DEFAULT NULL, \
         username CHAR(64) DEFAULT NULL, password CHAR(64) DEFAULT NULL, \
         binding_URI CHAR(255) DEFAULT '' NOT NULL, binding_params CHAR(64) DEFAULT NULL, \
         expiry INTEGER DEFAULT NULL, forced_socket CHAR(64) DEFAULT NULL, \
         cluster_shtag CHAR(64) DEFAULT NULL, state INTEGER DEFAULT 0 NOT NULL)",
        &[],
    )
    .unwrap();
    let registrar = Registrar::new();
    let reg_uri = registrar.uri();
    for (aor, state) in [("sip:a@trunk.example", 0), ("sip:b@trunk.example", 1)] {
        db.exec(
            "INSERT INTO registrant (registrar, aor, third_party_registrant, username, password, \
             binding_URI, expiry, state) VALUES (?, ?, 'sip:pbx@corp.example', ?, 'pw', ?, 120, ?)",
            &[
                reg_uri.as_str().into(),
                aor.into(),
                user(aor).into(),
                format!("sip:{}@siplua.test", user(aor)).into(),
                state.into(),
            ],
        )
        .unwrap();
    }
    let mi = MiServer::start(
        &globals(&format!("sqlite://{}", path.display()), "db_sqlite", ""),
        ROUTES,
    );
    let server = &mi.server;
    let a = "sip:a@trunk.example";
    let b = "sip:b@trunk.example";

    let (first, from) = registrar.recv(server);
    assert_eq!(header(&first, "To"), Some(format!("<{a}>").as_str()));
    assert!(
        header(&first, "From")
            .unwrap()
            .starts_with("<sip:pbx@corp.example>;tag="),
        "third party registrant: {first}"
    );
    registrar.answer(&first, from, 403, "Forbidden", "");
    let refused = Instant::now();
    let r = wait_state(&mi, a, "REGISTRAR_ERROR_STATE");
    assert_eq!(r["third_party_registrant"], "sip:pbx@corp.example", "{r}");
    assert_eq!(record(&mi, b)["state"], "NOT_REGISTERED_STATE");
    assert_eq!(record(&mi, b)["enabled"], "no");

    let (retry, from) = registrar.recv(server);
    let after = refused.elapsed();
    assert!(
        after >= Duration::from_millis(1500) && after < Duration::from_secs(4),
        "retried after {after:?}"
    );
    assert_eq!(header(&retry, "To"), Some(format!("<{a}>").as_str()));
    assert_ne!(header(&retry, "Call-ID"), header(&first, "Call-ID"));
    assert_eq!(header(&retry, "CSeq"), Some("1 REGISTER"));
    registrar.answer(&retry, from, 200, "OK", "Expires: 120\r\n");
    wait_state(&mi, a, "REGISTERED_STATE");

    // The disabled row registers once enabled.
    let key = |aor: &str| {
        format!(
            r#"{{"aor":"{aor}","contact":"sip:{}@siplua.test"}}"#,
            user(aor)
        )
    };
    assert!(mi_call(&mi, "reg_force_register", &key(b))["error"].is_object());
    assert_eq!(mi_call(&mi, "reg_enable", &key(b))["result"], "OK");
    let (for_b, from) = registrar.recv(server);
    assert_eq!(header(&for_b, "To"), Some(format!("<{b}>").as_str()));
    registrar.answer(&for_b, from, 200, "OK", "Expires: 120\r\n");
    assert_eq!(wait_state(&mi, b, "REGISTERED_STATE")["enabled"], "yes");

    // reg_force_register sends at once, on the same Call-ID.
    assert_eq!(mi_call(&mi, "reg_force_register", &key(a))["result"], "OK");
    let (forced, from) = registrar.recv(server);
    assert_eq!(header(&forced, "Call-ID"), header(&retry, "Call-ID"));
    assert_eq!(header(&forced, "CSeq"), Some("2 REGISTER"));
    registrar.answer(&forced, from, 200, "OK", "Expires: 120\r\n");
    wait_state(&mi, a, "REGISTERED_STATE");

    // reg_disable unregisters a registered one.
    assert_eq!(mi_call(&mi, "reg_disable", &key(a))["result"], "OK");
    let (unreg, from) = registrar.recv(server);
    assert_eq!(header(&unreg, "Expires"), Some("0"), "{unreg}");
    assert!(header(&unreg, "Contact").unwrap().ends_with(";expires=0"));
    registrar.answer(&unreg, from, 200, "OK", "");
    let r = wait_state(&mi, a, "NOT_REGISTERED_STATE");
    assert_eq!(r["enabled"], "no", "{r}");
    let missing = mi_call(
        &mi,
        "reg_enable",
        r#"{"aor":"sip:nobody@x","contact":"sip:nobody@y"}"#,
    );
    assert_eq!(missing["error"]["code"], 404, "{missing}");
}

/// The same table on MariaDB.
#[test]
fn on_mariadb() {
    let (own, db) = storage_support::OwnDb::with_schema("registrant");
    db.exec(
        "CREATE TABLE registrant (id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL, \
         registrar CHAR(255) DEFAULT '' NOT NULL, proxy CHAR(255) DEFAULT NULL, \
         aor CHAR(255) DEFAULT '' NOT NULL, third_party_registrant CHAR(255) DEFAULT NULL, \
         username CHAR(64) DEFAULT NULL, password CHAR(64) DEFAULT NULL, \
         binding_URI CHAR(255) DEFAULT '' NOT NULL, binding_params CHAR(64) DEFAULT NULL, \
         expiry INT(1) UNSIGNED DEFAULT NULL, forced_socket CHAR(64) DEFAULT NULL, \
         cluster_shtag CHAR(64) DEFAULT NULL, state INT DEFAULT 0 NOT NULL)",
        &[],
    )
    .unwrap();
    let registrar = Registrar::new();
    let reg_uri = registrar.uri();
    db.exec(
        "INSERT INTO registrant (registrar, aor, username, password, binding_URI, expiry) \
         VALUES (?, 'sip:m@trunk.example', 'm', 'pw', 'sip:m@siplua.test', 300)",
        &[reg_uri.as_str().into()],
    )
    .unwrap();
    let mi = MiServer::start(&globals(&own.url, "db_mysql", ""), ROUTES);
    let (req, from) = registrar.recv(&mi.server);
    assert_eq!(header(&req, "To"), Some("<sip:m@trunk.example>"));
    assert_eq!(header(&req, "Expires"), Some("300"));
    registrar.answer(
        &req,
        from,
        200,
        "OK",
        "Contact: <sip:m@siplua.test>;expires=300\r\n",
    );
    assert_eq!(
        wait_state(&mi, "sip:m@trunk.example", "REGISTERED_STATE")["expires"],
        300
    );
}

/// Bad parameters stop loading with the modparam's position.
#[test]
fn bad_parameters_are_load_errors() {
    let dir = scratch("reg_params");
    write_text_table(&dir, &[]);
    let url = format!("text://{}", dir.display());
    for (extra, expected) in [
        (
            "modparam(\"uac_registrant\", \"timer_interval\", 5)\n",
            "timer_interval too short",
        ),
        (
            "modparam(\"uac_registrant\", \"no_such_param\", 1)\n",
            "no_such_param",
        ),
        (
            "modparam(\"uac_registrant\", \"hash_size\", 9)\n",
            "timer_interval=10 must be bigger",
        ),
    ] {
        let text = cfg(&globals(&url, "db_text", extra), ROUTES)
            .replace("{PORT}", &free_port().to_string());
        let (out, path) = check_config("registrant.cfg", &text);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{extra}: {err}");
        assert!(err.contains(expected), "{extra}: {err}");
        if expected != "timer_interval=10 must be bigger" {
            assert!(err.contains(&format!("{}:", path.display())), "{err}");
        }
    }
}
