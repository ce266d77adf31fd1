//! `Db` over an SQLite file: opening, statements in the modules' MySQL dialect, transactions.

use std::path::PathBuf;

use siplua_db::{Db, DbError, DbValue, SqliteOptions};

/// A fresh database file (made by the bundled SQLite itself) with one table.
fn fresh(name: &str) -> (PathBuf, Db) {
    let dir = std::env::temp_dir().join(format!("siplua-db-sqlite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.db"));
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, b"").unwrap();
    let db = Db::open_sqlite(&path, &SqliteOptions::default()).unwrap();
    db.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name CHAR(64), \
         dom CHAR(64) DEFAULT NULL, at DATETIME, n INTEGER)",
        &[],
    )
    .unwrap();
    (path, db)
}

#[test]
fn missing_or_bad_files_fail_to_open() {
    let opts = SqliteOptions::default();
    let e = Db::open_sqlite("/nonexistent/dir/x.db".as_ref(), &opts)
        .err()
        .unwrap();
    assert!(matches!(e, DbError::Unavailable { .. }), "{e}");
    assert!(e.to_string().contains("no such database file"), "{e}");

    let junk = std::env::temp_dir().join(format!("siplua-junk-{}.db", std::process::id()));
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let e = Db::open_sqlite(&junk, &opts).err().unwrap().to_string();
    std::fs::remove_file(&junk).unwrap();
    assert!(e.contains("not a database"), "{e}");

    let (path, _) = fresh("pragma");
    let bad = SqliteOptions {
        pragmas: vec!["journal_mode = WAL".into(), "no such thing(".into()],
        ..opts
    };
    let e = Db::open_sqlite(&path, &bad).err().unwrap().to_string();
    assert!(e.contains("PRAGMA no such thing("), "{e}");
}

#[test]
fn mysql_dialect_statements_run() {
    let (_, db) = fresh("dialect");
    let n = db
        .exec(
            "INSERT INTO `t` (name, dom, at, n) VALUES (?, ?, FROM_UNIXTIME(?), ?), \
             (?, NULL, NOW(), ?)",
            &[
                "alice".into(),
                "a.example".into(),
                DbValue::Int(1_700_000_000),
                DbValue::Int(7),
                "bob".into(),
                DbValue::Str("8".into()),
            ],
        )
        .unwrap();
    assert_eq!(n, 2);
    let rows = db
        .query(
            "SELECT name, UNIX_TIMESTAMP(at), n FROM t WHERE dom <=> ? ORDER BY id",
            &[DbValue::Null],
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get_str(0).as_deref(), Some("bob"));
    assert_eq!(rows[0].get_i64(2), Some(8));
    let rows = db
        .query(
            "SELECT UNIX_TIMESTAMP(at) FROM t WHERE name = ?",
            &["alice".into()],
        )
        .unwrap();
    assert_eq!(rows[0].get_i64(0), Some(1_700_000_000));
    let e = db.query("SELECT nope FROM t", &[]).unwrap_err();
    assert!(matches!(e, DbError::Query(_)), "{e}");
}

#[test]
fn transactions_commit_or_roll_back() {
    let (_, db) = fresh("tx");
    let count = |db: &Db| db.query("SELECT count(*) FROM t", &[]).unwrap()[0].get_i64(0);
    db.transaction(|tx| {
        tx.query("SELECT id FROM t WHERE name = ? FOR UPDATE", &["a".into()])?;
        tx.exec("INSERT INTO t (name) VALUES (?)", &["a".into()])
    })
    .unwrap();
    assert_eq!(count(&db), Some(1));
    let e = db
        .transaction(|tx| {
            tx.exec("INSERT INTO t (name) VALUES (?)", &["b".into()])?;
            tx.exec("INSERT INTO nope VALUES (1)", &[])
        })
        .unwrap_err();
    assert!(matches!(e, DbError::Query(_)), "{e}");
    assert_eq!(count(&db), Some(1));
    // The connection is usable after the rollback.
    db.transaction(|tx| tx.exec("DELETE FROM t", &[])).unwrap();
    assert_eq!(count(&db), Some(0));
}
