//! Against the running MariaDB (`SIPLUA_TEST_MYSQL`, default
//! mysql://siplua:siplua@127.0.0.1:13306/siplua_test): each test works in its own
//! `siplua_dbcrate_<pid>_<n>` database and drops it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use siplua_db::{schema, Db, DbError, DbUrl, DbValue};

fn base_url() -> DbUrl {
    let v = std::env::var("SIPLUA_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://siplua:siplua@127.0.0.1:13306/siplua_test".into());
    DbUrl::parse(&v).expect("SIPLUA_TEST_MYSQL")
}

/// A fresh database, dropped when the guard goes.
struct TempDb {
    admin: Db,
    name: String,
    db: Db,
}

impl TempDb {
    fn new() -> TempDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "siplua_dbcrate_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let admin = Db::open(&base_url(), Duration::from_secs(5));
        admin
            .exec(&format!("CREATE DATABASE {name}"), &[])
            .expect("CREATE DATABASE (is MariaDB running? scripts/services start)");
        let mut url = base_url();
        url.database = name.clone();
        let db = Db::open(&url, Duration::from_secs(5));
        TempDb { admin, name, db }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = self
            .admin
            .exec(&format!("DROP DATABASE IF EXISTS {}", self.name), &[]);
    }
}

#[test]
fn init_is_idempotent_and_tables_work() {
    let t = TempDb::new();
    let first = schema::init(&t.db).unwrap();
    for table in ["version", "location", "acc", "missed_calls"] {
        assert!(first.created.iter().any(|c| c == table), "{first:?}");
    }
    assert!(first.kept.is_empty());
    t.db.exec(
        "INSERT INTO location (username, contact, expires) VALUES (?, ?, ?)",
        &[
            "alice".into(),
            "sip:alice@1.2.3.4".into(),
            DbValue::Int(100),
        ],
    )
    .unwrap();
    let second = schema::init(&t.db).unwrap();
    assert!(second.created.is_empty(), "{second:?}");
    assert_eq!(second.kept.len(), first.created.len());
    let rows =
        t.db.query(
            "SELECT username, domain, expires, q FROM location WHERE username = ?",
            &["alice".into()],
        )
        .unwrap();
    assert_eq!(rows.len(), 1, "the row survived the second init");
    assert_eq!(rows[0].get_str(0).as_deref(), Some("alice"));
    assert_eq!(rows[0].get_str(1), None);
    assert_eq!(rows[0].get_i64(2), Some(100));
    assert_eq!(rows[0].get_f64(3), Some(1.0));
    let versions =
        t.db.query(
            "SELECT table_version FROM version WHERE table_name = 'location'",
            &[],
        )
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].get_i64(0), Some(1013));
    let n =
        t.db.exec("DELETE FROM location WHERE username = ?", &["alice".into()])
            .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn server_errors_keep_the_pool_usable() {
    let t = TempDb::new();
    let e = t.db.query("SELECT * FROM no_such_table", &[]).unwrap_err();
    assert!(matches!(e, DbError::Query(_)), "{e}");
    assert_eq!(
        t.db.query("SELECT 1 + 1", &[]).unwrap()[0].get_i64(0),
        Some(2)
    );
}

#[test]
fn a_server_that_is_not_there_fails_fast_and_clearly() {
    // Nothing listens on port 1 of the loopback: connection refused.
    let url = DbUrl::parse("mysql://u:secret@127.0.0.1:1/db").unwrap();
    let db = Db::open(&url, Duration::from_secs(2));
    let t0 = Instant::now();
    let e = db.query("SELECT 1", &[]).unwrap_err();
    assert!(matches!(e, DbError::Unavailable { .. }), "{e}");
    assert!(!e.to_string().contains("secret"), "{e}");
    // Within the pause after a failed connect the next call does not even try.
    let e = db.exec("SELECT 1", &[]).unwrap_err();
    assert!(matches!(e, DbError::Unavailable { .. }), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_server_that_never_answers_times_out() {
    // A listener that accepts and says nothing: the MySQL handshake never comes.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let url = DbUrl::parse(&format!("mysql://u:p@127.0.0.1:{port}/db")).unwrap();
    let db = Db::open(&url, Duration::from_millis(500));
    let t0 = Instant::now();
    let e = db.query("SELECT 1", &[]).unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    assert!(matches!(e, DbError::Timeout { .. }), "{e}");
    drop(l);
}

#[test]
fn handle_is_shared_between_threads() {
    let t = TempDb::new();
    schema::init(&t.db).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let db = t.db.clone();
            std::thread::spawn(move || {
                for j in 0..25 {
                    db.exec(
                        "INSERT INTO acc (method, callid, time) VALUES ('INVITE', ?, NOW())",
                        &[format!("c{i}-{j}").into()],
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let n = t.db.query("SELECT COUNT(*) FROM acc", &[]).unwrap();
    assert_eq!(n[0].get_i64(0), Some(100));
}

#[test]
fn transactions_commit_or_roll_back() {
    let t = TempDb::new();
    schema::init(&t.db).unwrap();
    let insert = "INSERT INTO acc (method, callid, time) VALUES ('BYE', ?, NOW())";
    t.db.transaction(|tx| {
        tx.exec(insert, &["kept".into()])?;
        let n = tx.query("SELECT COUNT(*) FROM acc", &[])?;
        assert_eq!(n[0].get_i64(0), Some(1));
        Ok(())
    })
    .unwrap();
    let e =
        t.db.transaction(|tx| {
            tx.exec(insert, &["undone".into()])?;
            tx.exec("INSERT INTO no_such_table VALUES (1)", &[])
        })
        .unwrap_err();
    assert!(matches!(e, DbError::Query(_)), "{e}");
    let rows = t.db.query("SELECT callid FROM acc", &[]).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get_str(0).as_deref(), Some("kept"));
}
