//! Helpers for the tests against real memcached, Redis and MariaDB servers (`lua_memcache.rs`,
//! `lua_mysql.rs`): where the servers are, a check that fails loudly when one is not there,
//! stopping and starting them through `scripts/services`, and one lock per test binary so a
//! test that restarts a server never runs beside one that uses it.
#![allow(dead_code)]

use std::net::{TcpStream, ToSocketAddrs};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::common::root;

/// memcached's `host:port` (`SIPLUA_TEST_MEMCACHED`, default 127.0.0.1:11311).
pub fn memcached() -> (String, u16) {
    let v = std::env::var("SIPLUA_TEST_MEMCACHED").unwrap_or_else(|_| "127.0.0.1:11311".into());
    let (h, p) = v
        .rsplit_once(':')
        .expect("SIPLUA_TEST_MEMCACHED is host:port");
    (h.to_owned(), p.parse().expect("SIPLUA_TEST_MEMCACHED port"))
}

/// MariaDB's endpoint (`SIPLUA_TEST_MYSQL`, default
/// mysql://siplua:siplua@127.0.0.1:13306/siplua_test).
pub struct MysqlUrl {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User.
    pub user: String,
    /// Password.
    pub password: String,
    /// Database.
    pub db: String,
}

/// Parses `SIPLUA_TEST_MYSQL`.
pub fn mysql() -> MysqlUrl {
    let v = std::env::var("SIPLUA_TEST_MYSQL")
        .unwrap_or_else(|_| "mysql://siplua:siplua@127.0.0.1:13306/siplua_test".into());
    let rest = v
        .strip_prefix("mysql://")
        .expect("SIPLUA_TEST_MYSQL starts with mysql://");
    let (cred, rest) = rest
        .split_once('@')
        .expect("user:password@ in SIPLUA_TEST_MYSQL");
    let (user, password) = cred.split_once(':').unwrap_or((cred, ""));
    let (hostport, db) = rest
        .split_once('/')
        .expect("/database in SIPLUA_TEST_MYSQL");
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "3306"));
    MysqlUrl {
        host: host.into(),
        port: port.parse().expect("SIPLUA_TEST_MYSQL port"),
        user: user.into(),
        password: password.into(),
        db: db.into(),
    }
}

/// Panics with instructions when nothing listens on `host:port`.
pub fn require(what: &str, host: &str, port: u16) {
    let addr = (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| panic!("{what}: cannot resolve {host}"));
    if TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_err() {
        panic!(
            "{what} is not reachable on {host}:{port}: start the test servers with \
             `scripts/services start` (scripts/test does it) or point the SIPLUA_TEST_* \
             variables at running ones"
        );
    }
}

/// Redis' `host:port` (`SIPLUA_TEST_REDIS`, default 127.0.0.1:6389).
pub fn redis() -> (String, u16) {
    let v = std::env::var("SIPLUA_TEST_REDIS").unwrap_or_else(|_| "127.0.0.1:6389".into());
    let (h, p) = v.rsplit_once(':').expect("SIPLUA_TEST_REDIS is host:port");
    (h.to_owned(), p.parse().expect("SIPLUA_TEST_REDIS port"))
}

/// Runs `scripts/services <action> <service>` and checks it worked.
pub fn services(action: &str, service: &str) {
    let out = Command::new(root().join("scripts/services"))
        .args([action, service])
        .output()
        .expect("run scripts/services");
    assert!(
        out.status.success(),
        "scripts/services {action} {service} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One test at a time per binary (a restart test stops a server the others use).
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A database of its own on the shared MariaDB, `siplua_<what>_<pid>_<n>`, dropped (with
/// whatever is in it) when this is dropped.
pub struct OwnDb {
    admin: siplua_db::Db,
    /// Its name.
    pub name: String,
    /// Its `db_url`.
    pub url: String,
}

impl OwnDb {
    /// Names one and drops any leftover of that name; the caller creates it (`siplua db
    /// init` does) or calls [`OwnDb::with_schema`].
    pub fn named(what: &str) -> OwnDb {
        use siplua_db::{Db, DbUrl};
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let m = mysql();
        require("MariaDB", &m.host, m.port);
        let base = format!("mysql://{}:{}@{}:{}", m.user, m.password, m.host, m.port);
        let admin = Db::open(
            &DbUrl::parse(&format!("{base}/{}", m.db)).unwrap(),
            Duration::from_secs(5),
        );
        let name = format!(
            "siplua_{what}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .exec(&format!("DROP DATABASE IF EXISTS {name}"), &[])
            .unwrap();
        OwnDb {
            admin,
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Creates one with every table of `etc/schema/mysql`; returns it and a connection to it.
    pub fn with_schema(what: &str) -> (OwnDb, siplua_db::Db) {
        let own = OwnDb::named(what);
        own.admin
            .exec(&format!("CREATE DATABASE {}", own.name), &[])
            .unwrap();
        let db = own.connect();
        siplua_db::schema::init(&db).expect("schema");
        (own, db)
    }

    /// A new connection to it.
    pub fn connect(&self) -> siplua_db::Db {
        siplua_db::Db::open(
            &siplua_db::DbUrl::parse(&self.url).unwrap(),
            Duration::from_secs(5),
        )
    }
}

impl Drop for OwnDb {
    fn drop(&mut self) {
        let _ = self
            .admin
            .exec(&format!("DROP DATABASE IF EXISTS {}", self.name), &[]);
    }
}
