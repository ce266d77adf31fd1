//! Storage end to end, against the running MariaDB (`SIPLUA_TEST_MYSQL`): usrloc in
//! `sql-only` shared by two nodes, write-through and write-back surviving `kill -9`, acc rows,
//! and a database that is down at start or goes away. Each test creates its own
//! `siplua_storage_<pid>_<n>` database with `siplua db init` and drops it at the end.

use crate::common;
use crate::storage_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use siplua_db::Db;

/// A database of its own, created with `siplua db init`, dropped at the end.
struct TestDb {
    /// Dropping it drops the database.
    _own: storage_support::OwnDb,
    /// Its `db_url`.
    url: String,
    db: Db,
}

impl TestDb {
    fn new() -> TestDb {
        let own = storage_support::OwnDb::named("storage");
        let (name, url) = (own.name.clone(), own.url.clone());
        // `siplua db init` creates the database, then the tables; run again it keeps them.
        let out = run_siplua(&["db", "init", &url]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("created database {name}")),
            "{stdout}"
        );
        assert!(stdout.contains("created version, location"), "{stdout}");
        let db = own.connect();
        db.exec(
            "INSERT INTO location (username, contact, expires) VALUES ('kept', 'sip:k@h', 1)",
            &[],
        )
        .unwrap();
        let out = run_siplua(&["db", "init", &url]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.contains("created none; kept"), "{stdout}");
        assert!(!stdout.contains("created database"), "{stdout}");
        let kept = db
            .exec("DELETE FROM location WHERE username = 'kept'", &[])
            .unwrap();
        assert_eq!(kept, 1, "the second init kept the row");
        TestDb { _own: own, url, db }
    }

    fn count(&self, sql: &str) -> i64 {
        self.db.query(sql, &[]).unwrap()[0].get_i64(0).unwrap()
    }
}

const ROUTES: &str = r#"route {
    if (is_method("REGISTER")) {
        save("location");
        exit;
    }
    lookup("location");
    $var(rc) = $rc;
    if (is_present_hf("X-Forward") && $var(rc) > 0) {
        forward();
        exit;
    }
    append_to_reply("X-RC: $var(rc)\r\nX-RU: $ru\r\n");
    sl_send_reply(200, "Looked Up");
}"#;

/// A registrar on `db_url` in usrloc mode `preset`.
fn node_cfg(preset: &str, db_url: &str, timer_interval: u32) -> String {
    cfg(
        &format!(
            "loadmodule \"db_mysql.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n\
             modparam(\"db_mysql\", \"timeout_interval\", 2)\n\
             modparam(\"usrloc\", \"working_mode_preset\", \"{preset}\")\n\
             modparam(\"usrloc\", \"db_url\", \"{db_url}\")\n\
             modparam(\"usrloc\", \"timer_interval\", {timer_interval})\n"
        ),
        ROUTES,
    )
}

/// A REGISTER of `user@example.com` binding the client's own address.
fn register(port: u16, user: &str, expires: u32) -> String {
    static N: AtomicUsize = AtomicUsize::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-st-{n};rport\r\n\
         From: <sip:{user}@example.com>;tag=r{n}\r\n\
         To: <sip:{user}@example.com>\r\n\
         Call-ID: st-{n}@test\r\n\
         CSeq: {n} REGISTER\r\n\
         Max-Forwards: 70\r\n\
         Contact: <sip:{user}@127.0.0.1:{port}>\r\n\
         Expires: {expires}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// `$rc` of `lookup("location")` for `user` on `server`.
fn lookup_rc(c: &UdpClient, server: &Server, user: &str) -> String {
    let r = c.ask(
        server,
        &request("OPTIONS", &format!("sip:{user}@example.com"), c.port(), ""),
    );
    header(&r, "X-RC").unwrap_or("none").to_owned()
}

#[test]
fn sql_only_nodes_share_one_location_table() {
    let db = TestDb::new();
    let a = Server::start(&node_cfg("sql-only", &db.url, 60));
    // Node B in the older spelling: db_mode 3 and the global db_default_url.
    let b = Server::start(&cfg(
        &format!(
            "db_default_url = \"{}\"\nloadmodule \"db_mysql.so\"\nloadmodule \"usrloc.so\"\n\
             loadmodule \"registrar.so\"\nmodparam(\"usrloc\", \"db_mode\", 3)\n",
            db.url
        ),
        ROUTES,
    ));
    let alice = UdpClient::new();
    let r = alice.ask(&a, &register(alice.port(), "alice", 600));
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM location WHERE username = 'alice'"),
        1
    );

    // A request through node B reaches the contact registered on node A.
    let caller = UdpClient::new();
    caller.send(
        &b,
        request(
            "MESSAGE",
            "sip:alice@example.com",
            caller.port(),
            "X-Forward: 1\r\n",
        )
        .as_bytes(),
    );
    let got = alice
        .recv_timeout(Duration::from_secs(3))
        .unwrap_or_else(|| panic!("nothing reached alice; B log:\n{}", b.log_text()));
    assert!(
        got.starts_with(&format!(
            "MESSAGE sip:alice@127.0.0.1:{} SIP/2.0",
            alice.port()
        )),
        "{got}"
    );

    // Unregistered on B: A no longer finds it.
    let r = alice.ask(&b, &register(alice.port(), "alice", 0));
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(lookup_rc(&caller, &a, "alice"), "-1");
    assert_eq!(db.count("SELECT COUNT(*) FROM location"), 0);

    // And the other way round.
    let bob = UdpClient::new();
    assert_eq!(status(&bob.ask(&b, &register(bob.port(), "bob", 600))), 200);
    assert_eq!(lookup_rc(&caller, &a, "bob"), "1");
    assert!(!a.log_text().contains("ERROR"), "{}", a.log_text());
    assert!(!b.log_text().contains("ERROR"), "{}", b.log_text());
}

#[test]
fn sipp_calls_through_node_b_reach_a_callee_registered_on_node_a() {
    const CALL_ROUTES: &str = r#"route {
        if (is_method("REGISTER")) {
            save("location");
            exit;
        }
        if (has_totag()) {
            t_relay();
            exit;
        }
        if (!lookup("location")) {
            sl_send_reply(404, "Not Found");
            exit;
        }
        t_relay();
    }"#;
    let db = TestDb::new();
    let node = || {
        Server::start(&cfg(
            &format!(
                "loadmodule \"tm.so\"\nloadmodule \"db_mysql.so\"\nloadmodule \"usrloc.so\"\n\
                 loadmodule \"registrar.so\"\n\
                 modparam(\"usrloc\", \"working_mode_preset\", \"sql-only\")\n\
                 modparam(\"usrloc\", \"db_url\", \"{}\")\n",
                db.url
            ),
            CALL_ROUTES,
        ))
    };
    let (a, b) = (node(), node());
    let uas_port = free_port();
    let _uas = SippCallee::start("call_uas.xml", uas_port, "u1", 5);
    // The callee's binding, registered on A (the AOR the caller's Request-URI names).
    let c = UdpClient::new();
    let reg = register(c.port(), "service", 600)
        .replace("service@example.com", "service@127.0.0.1")
        .replace(
            &format!("<sip:service@127.0.0.1:{}>", c.port()),
            &format!("<sip:service@127.0.0.1:{uas_port}>"),
        );
    assert_eq!(status(&c.ask(&a, &reg)), 200);

    // Five calls through B, which finds the binding A saved.
    SippCalls {
        calls: 5,
        rate: Some(5),
        ..SippCalls::default()
    }
    .assert_ok(&b);
}

/// Registers 1,000 users, waits until the table has them, kills the node with SIGKILL,
/// starts it again on the same port and finds every user.
fn survives_kill_9(preset: &str) {
    const USERS: usize = 1000;
    let db = TestDb::new();
    let cfg = node_cfg(preset, &db.url, 2);
    let dir = scratch("storage-restart");
    let server = Server::start_in(&dir, &cfg);
    let port = server.port;
    let users = users_csv(&scratch("storage-sipp"), "users.csv", "", USERS);
    sipp_register_users(&server, &users, "u1", USERS);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut rows = 0;
    while Instant::now() < deadline {
        rows = db.count("SELECT COUNT(*) FROM location");
        if rows == USERS as i64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(rows, USERS as i64, "{}", server.log_text());
    server.kill();

    let server = Server::start_on(&dir, &cfg, port);
    assert!(
        server
            .log_text()
            .contains(&format!("{USERS} contact(s) of {USERS} AOR(s) loaded")),
        "{}",
        server.log_text()
    );
    let c = UdpClient::new();
    let missing: Vec<usize> = (0..USERS)
        .filter(|i| lookup_rc(&c, &server, &format!("user{i}")) != "1")
        .collect();
    assert!(missing.is_empty(), "not found after restart: {missing:?}");
    assert_eq!(lookup_rc(&c, &server, &format!("user{USERS}")), "-1");
}

#[test]
fn write_through_survives_kill_9() {
    survives_kill_9("single-instance-sql-write-through");
}

#[test]
fn write_back_survives_kill_9_after_the_flush_interval() {
    survives_kill_9("single-instance-sql-write-back");
}

#[test]
fn write_back_writes_only_at_the_flush() {
    let db = TestDb::new();
    let server = Server::start(&node_cfg("single-instance-sql-write-back", &db.url, 3));
    let c = UdpClient::new();
    assert_eq!(
        status(&c.ask(&server, &register(c.port(), "carol", 600))),
        200
    );
    // In memory at once, in the table only after the next flush (every 3 s).
    assert_eq!(lookup_rc(&c, &server, "carol"), "1");
    let t0 = Instant::now();
    while db.count("SELECT COUNT(*) FROM location") == 0 {
        assert!(t0.elapsed() < Duration::from_secs(6), "never flushed");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A clean shutdown flushes what changed since.
    assert_eq!(
        status(&c.ask(&server, &register(c.port(), "dave", 600))),
        200
    );
    assert!(server.stop().success());
    assert_eq!(db.count("SELECT COUNT(*) FROM location"), 2);
}

/// The rows of `missed_calls` as (method, callid, sip_code, sip_reason); NULL reads as "NULL".
fn missed_calls(db: &TestDb) -> Vec<[String; 4]> {
    let rows = db
        .db
        .query(
            "SELECT method, callid, sip_code, sip_reason FROM missed_calls ORDER BY id",
            &[],
        )
        .unwrap();
    rows.iter()
        .map(|r| [0, 1, 2, 3].map(|i| r.get_str(i).unwrap_or_else(|| "NULL".into())))
        .collect()
}

/// A configuration with acc writing to the database at `url`, and `routes`.
fn acc_cfg(url: &str, routes: &str) -> String {
    cfg(
        &format!(
            "loadmodule \"db_mysql.so\"\nloadmodule \"tm.so\"\nloadmodule \"acc.so\"\n\
             modparam(\"acc\", \"db_url\", \"{url}\")\n"
        ),
        routes,
    )
}

#[test]
fn acc_writes_rows_to_acc_and_missed_calls() {
    let db = TestDb::new();
    let server = Server::start(&acc_cfg(
        &db.url,
        r#"route {
            t_newtran();
            if ($rU == "busy") {
                do_accounting("db", "missed");
                t_reply(486, "Busy Here");
                exit;
            }
            if ($rU == "down") {
                do_accounting("db|log", "failed");
                t_reply(503, "Service Unavailable");
                exit;
            }
            if ($rU == "quiet") {
                do_accounting("db");
                t_reply(404, "Not Found");
                exit;
            }
            do_accounting("db");
            t_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let ok = request("OPTIONS", "sip:ok@example.com", c.port(), "");
    assert_eq!(status(&c.ask(&server, &ok)), 200);
    let busy = request("INVITE", "sip:busy@example.com", c.port(), "");
    assert_eq!(status(&c.ask(&server, &busy)), 486);
    // A Call-ID longer than the CHAR(64) column is cut, not refused.
    let long_id = format!("{}@test", "x".repeat(80));
    let down = request("MESSAGE", "sip:down@example.com", c.port(), "");
    let down = down.replace(
        &format!("Call-ID: {}", header(&down, "Call-ID").unwrap()),
        &format!("Call-ID: {long_id}"),
    );
    assert_eq!(status(&c.ask(&server, &down)), 503);
    let quiet = request("MESSAGE", "sip:quiet@example.com", c.port(), "");
    assert_eq!(status(&c.ask(&server, &quiet)), 404);

    let callid = |m: &str| header(m, "Call-ID").unwrap().to_owned();
    let rows = db
        .db
        .query(
            "SELECT method, from_tag, callid, sip_code, sip_reason, time IS NOT NULL, \
             created IS NOT NULL FROM acc ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(
        rows.len(),
        2,
        "200 and the failed 503; the 404 is not reported"
    );
    assert_eq!(rows[0].get_str(0).as_deref(), Some("OPTIONS"));
    assert!(rows[0].get_str(1).unwrap().starts_with("from"));
    assert_eq!(rows[0].get_str(2), Some(callid(&ok)));
    assert_eq!(rows[0].get_str(3).as_deref(), Some("200"));
    assert_eq!(rows[0].get_str(4).as_deref(), Some("OK"));
    assert_eq!((rows[0].get_i64(5), rows[0].get_i64(6)), (Some(1), Some(1)));
    assert_eq!(rows[1].get_str(0).as_deref(), Some("MESSAGE"));
    assert_eq!(rows[1].get_str(3).as_deref(), Some("503"));
    assert_eq!(rows[1].get_str(2), Some(long_id[..64].to_owned()));
    assert_eq!(
        missed_calls(&db),
        [["INVITE", &callid(&busy), "486", "Busy Here"].map(String::from)]
    );
    assert!(server.log_text().contains("ACC: transaction failed"));
}

#[test]
fn acc_request_functions_report_at_once() {
    let db = TestDb::new();
    let server = Server::start(&acc_cfg(
        &db.url,
        r#"route {
            if ($rU == "offline") {
                acc_log_request("404 Not Found");
                acc_db_request("404 Not Found", "missed_calls");
                sl_send_reply(404, "Not Found");
                exit;
            }
            acc_db_request("nobody answers", "acc");
            sl_send_reply(480, "Temporarily Unavailable");
        }"#,
    ));
    let c = UdpClient::new();
    let offline = request("INVITE", "sip:offline@example.com", c.port(), "");
    assert_eq!(status(&c.ask(&server, &offline)), 404);
    let other = request("MESSAGE", "sip:other@example.com", c.port(), "");
    assert_eq!(status(&c.ask(&server, &other)), 480);

    let line = "ACC: request acknowledged: timestamp=";
    assert!(server.wait_log(line), "{}", server.log_text());
    let logged = server.log_text();
    let call_id = header(&offline, "Call-ID").unwrap();
    assert!(
        logged.contains(";method=INVITE;")
            && logged.contains(&format!("call_id={call_id};code=404;reason=Not Found")),
        "{logged}"
    );
    assert_eq!(
        missed_calls(&db),
        [["INVITE", call_id, "404", "Not Found"].map(String::from)]
    );
    let acc = db
        .db
        .query("SELECT method, sip_code, sip_reason FROM acc", &[])
        .unwrap();
    assert_eq!(acc.len(), 1);
    assert_eq!(acc[0].get_str(0).as_deref(), Some("MESSAGE"));
    assert_eq!(acc[0].get_str(1).as_deref(), Some("0"));
    assert_eq!(acc[0].get_str(2).as_deref(), Some("nobody answers"));

    // A table name that cannot be quoted is refused at load time.
    let (out, _) = check_config(
        "acc_bad_table.cfg",
        &cfg(
            "loadmodule \"tm.so\"\nloadmodule \"acc.so\"\n",
            "route { acc_db_request(\"x\", \"acc; DROP\"); }",
        )
        .replace("{PORT}", "5060"),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a plain table name"), "{err}");
}

#[test]
fn a_db_url_without_db_mysql_stops_start_up() {
    for (modules, param) in [
        (
            "loadmodule \"usrloc.so\"\nmodparam(\"usrloc\", \"db_mode\", 1)",
            "usrloc",
        ),
        ("loadmodule \"tm.so\"\nloadmodule \"acc.so\"", "acc"),
    ] {
        let text = cfg(
            &format!(
                "{modules}\nmodparam(\"{param}\", \"db_url\", \"mysql://u:p@127.0.0.1/db\")\n"
            ),
            "route { exit; }",
        )
        .replace("{PORT}", "5060");
        let (out, _) = check_config("nodb.cfg", &text);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{param}");
        assert!(err.contains("can't find database module"), "{param}: {err}");
    }
}

/// A TCP relay to MariaDB that a test can cut (the database "goes away") and restore.
struct Relay {
    port: u16,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    fn start(port: u16) -> Relay {
        let m = storage_support::mysql();
        let target = format!("{}:{}", m.host, m.port);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("relay bind");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (s, cs) = (stop.clone(), conns.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(&target) else {
                            continue;
                        };
                        let mut list = cs.lock().unwrap();
                        list.push(client.try_clone().unwrap());
                        list.push(server.try_clone().unwrap());
                        pump(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pump(server, client);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Relay {
            port,
            stop,
            conns,
            thread: Some(thread),
        }
    }

    /// Closes the listener and every relayed connection.
    fn cut(mut self) -> u16 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        self.port
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
fn sql_only_rides_out_a_database_that_goes_away() {
    let db = TestDb::new();
    let relay = Relay::start(0);
    let url = db.url.replace(
        &format!(":{}/", storage_support::mysql().port),
        &format!(":{}/", relay.port),
    );
    let mut server = Server::start(&node_cfg("sql-only", &url, 60));
    let c = UdpClient::new();
    assert_eq!(
        status(&c.ask(&server, &register(c.port(), "alice", 600))),
        200
    );

    let port = relay.cut();
    let t0 = Instant::now();
    let r = c.ask(&server, &register(c.port(), "bob", 600));
    assert_eq!(status(&r), 500, "{r}");
    assert_eq!(lookup_rc(&c, &server, "alice"), "-1");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(server.is_running());
    assert!(server.wait_log("ERROR:registrar"), "{}", server.log_text());

    // Back: the next requests reconnect.
    let _relay = Relay::start(port);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        status(&c.ask(&server, &register(c.port(), "bob", 600))),
        200
    );
    assert_eq!(lookup_rc(&c, &server, "alice"), "1");
    assert_eq!(lookup_rc(&c, &server, "bob"), "1");
}

#[test]
fn a_database_down_at_start_is_logged_and_memory_modes_keep_serving() {
    let port = free_port();
    let url = format!("mysql://siplua:siplua@127.0.0.1:{port}/nothing");
    let t0 = Instant::now();
    let mut server = Server::start(&node_cfg("single-instance-sql-write-through", &url, 60));
    assert!(t0.elapsed() < Duration::from_secs(8));
    assert!(server.is_running());
    assert!(
        server
            .log_text()
            .contains("cannot load the registrations from the database"),
        "{}",
        server.log_text()
    );
    let c = UdpClient::new();
    assert_eq!(
        status(&c.ask(&server, &register(c.port(), "erin", 600))),
        200
    );
    assert_eq!(lookup_rc(&c, &server, "erin"), "1");
    assert!(
        server.wait_log("writing erin failed"),
        "{}",
        server.log_text()
    );
}
