//! `cachedb_redis` end to end, through the real binary and the running Redis
//! (`SIPLUA_TEST_REDIS`, started by `scripts/services start redis`): the core `cache_*`
//! functions on the default URL and on a group URL with a database number, values read back
//! straight from Redis over RESP, expiry, a Redis that is not there, and URLs refused at
//! load. The route and the request helper are those of the cachedb tests.

use crate::cachedb::{op, pair, prefix, ROUTE};
use crate::common;
use crate::storage_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use storage_support::*;

/// A node with `redis` (database 0), `redis:g1` (database 3) and `redis:down` (a port where
/// nothing listens), timeouts of 300 ms; cachedb_local because the shared route calls
/// `cache_remove_chunk`.
fn node() -> Server {
    let (host, port) = redis();
    require("Redis", &host, port);
    let dead = free_port();
    Server::start(&format!(
        r#"
log_level = 3
udp_workers = 2
socket = udp:127.0.0.1:{{PORT}}
loadmodule "proto_udp.so"
loadmodule "sl.so"
loadmodule "signaling.so"
loadmodule "sipmsgops.so"
loadmodule "cachedb_local.so"
loadmodule "cachedb_redis.so"
modparam("cachedb_local", "cachedb_url", "local://")
modparam("cachedb_redis", "cachedb_url", "redis://{host}:{port}/")
modparam("cachedb_redis", "cachedb_url", "redis:g1://{host}:{port}/3")
modparam("cachedb_redis", "cachedb_url", "redis:down://127.0.0.1:{dead}/")
modparam("cachedb_redis", "connect_timeout", 300)
modparam("cachedb_redis", "query_timeout", 300)
{ROUTE}
"#
    ))
}

/// One command sent straight to the test Redis on database `db`; the reply as text
/// (`nil` for a null bulk string).
fn direct(db: u32, args: &[&str]) -> String {
    let (host, port) = redis();
    let mut s = TcpStream::connect((host.as_str(), port)).expect("connect to Redis");
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let db = db.to_string();
    let mut send = |args: &[&str]| {
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(out.as_bytes()).unwrap();
    };
    send(&["SELECT", &db]);
    send(args);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "+OK\r\n", "SELECT {db}");
    line.clear();
    r.read_line(&mut line).unwrap();
    let line = line.trim_end();
    match line.as_bytes().first() {
        Some(b'$') if line == "$-1" => "nil".into(),
        Some(b'$') => {
            let n: usize = line[1..].parse().unwrap();
            let mut buf = vec![0; n + 2];
            r.read_exact(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        }
        _ => line[1..].to_owned(),
    }
}

#[test]
fn redis_store_fetch_remove_counters_expiry() {
    let _one = serial();
    let s = node();
    let c = UdpClient::new();
    let p = prefix("redis");
    let k = |n: &str| format!("{p}{n}");

    assert_eq!(
        op(&s, &c, "store", "redis", &k("a"), "hello", None),
        pair("1", "none")
    );
    // What siplua wrote is in Redis, without an expiry.
    assert_eq!(direct(0, &["GET", &k("a")]), "hello");
    assert_eq!(direct(0, &["TTL", &k("a")]), "-1");
    // Written by another client, fetched by siplua (both workers).
    direct(0, &["SET", &k("b"), "from-redis"]);
    for _ in 0..4 {
        assert_eq!(
            op(&s, &c, "fetch", "redis", &k("b"), "", None),
            pair("1", "from-redis")
        );
    }
    assert_eq!(
        op(&s, &c, "fetch", "redis", &k("missing"), "", None),
        pair("-2", "none")
    );
    assert_eq!(op(&s, &c, "remove", "redis", &k("a"), "", None).0, "1");
    assert_eq!(direct(0, &["GET", &k("a")]), "nil");
    assert_eq!(
        op(&s, &c, "fetch", "redis", &k("a"), "", None),
        pair("-2", "none")
    );

    // Counters: INCRBY/DECRBY, signed.
    assert_eq!(
        op(&s, &c, "add", "redis", &k("n"), "5", Some(0)),
        pair("1", "5")
    );
    assert_eq!(
        op(&s, &c, "add", "redis", &k("n"), "3", Some(0)),
        pair("1", "8")
    );
    assert_eq!(
        op(&s, &c, "sub", "redis", &k("n"), "10", Some(0)),
        pair("1", "-2")
    );
    assert_eq!(direct(0, &["GET", &k("n")]), "-2");
    assert_eq!(direct(0, &["TTL", &k("n")]), "-1");
    assert_eq!(
        op(&s, &c, "counter", "redis", &k("n"), "", None),
        pair("1", "-2")
    );
    assert_eq!(
        op(&s, &c, "counter", "redis", &k("none"), "", None),
        pair("-2", "none")
    );
    // A counter made with an expiry carries it.
    assert_eq!(
        op(&s, &c, "sub", "redis", &k("en"), "3", Some(60)),
        pair("1", "-3")
    );
    let ttl: i64 = direct(0, &["TTL", &k("en")]).parse().unwrap();
    assert!((1..=60).contains(&ttl), "TTL {ttl}");
    // As OpenSIPS' module, every call with an expiry re-arms it.
    assert_eq!(
        op(&s, &c, "add", "redis", &k("en"), "1", Some(500)),
        pair("1", "-2")
    );
    let ttl: i64 = direct(0, &["TTL", &k("en")]).parse().unwrap();
    assert!((61..=500).contains(&ttl), "TTL {ttl}");
    // A value that is not a number is no counter.
    direct(0, &["SET", &k("text"), "abc"]);
    assert_eq!(op(&s, &c, "counter", "redis", &k("text"), "", None).0, "-1");
    assert_eq!(op(&s, &c, "add", "redis", &k("text"), "1", Some(0)).0, "-1");

    // Expiry of a stored value.
    assert_eq!(
        op(&s, &c, "store", "redis", &k("e"), "soon", Some(1)).0,
        "1"
    );
    let ttl: i64 = direct(0, &["TTL", &k("e")]).parse().unwrap();
    assert!((0..=1).contains(&ttl), "TTL {ttl}");
    assert_eq!(
        op(&s, &c, "fetch", "redis", &k("e"), "", None),
        pair("1", "soon")
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        op(&s, &c, "fetch", "redis", &k("e"), "", None),
        pair("-2", "none")
    );
}

#[test]
fn redis_group_url_uses_its_database() {
    let _one = serial();
    let s = node();
    let c = UdpClient::new();
    let p = prefix("redis-db");
    let key = format!("{p}k");

    assert_eq!(
        op(&s, &c, "store", "redis:g1", &key, "in-db3", Some(60)).0,
        "1"
    );
    assert_eq!(direct(3, &["GET", &key]), "in-db3");
    assert_eq!(direct(0, &["GET", &key]), "nil");
    // The default URL (database 0) does not see it.
    assert_eq!(
        op(&s, &c, "fetch", "redis", &key, "", None),
        pair("-2", "none")
    );
    assert_eq!(
        op(&s, &c, "fetch", "redis:g1", &key, "", None),
        pair("1", "in-db3")
    );
    assert_eq!(
        op(&s, &c, "add", "redis:g1", &format!("{p}n"), "7", Some(0)),
        pair("1", "7")
    );
    assert_eq!(direct(3, &["GET", &format!("{p}n")]), "7");
    direct(3, &["DEL", &key, &format!("{p}n")]);
}

#[test]
fn redis_down_gives_errors_quickly() {
    let _one = serial();
    let s = node();
    let c = UdpClient::new();
    let p = prefix("redis-down");
    for (what, val, expire) in [
        ("store", "x", None),
        ("fetch", "", None),
        ("remove", "", None),
        ("add", "1", Some(0)),
        ("sub", "1", Some(10)),
        ("counter", "", None),
    ] {
        let started = Instant::now();
        let (rc, v) = op(&s, &c, what, "redis:down", &format!("{p}k"), val, expire);
        assert_eq!((rc.as_str(), v.as_str()), ("-1", "none"), "{what}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{what} took {:?}",
            started.elapsed()
        );
    }
    // The node goes on serving, the reachable Redis too.
    assert_eq!(
        op(&s, &c, "store", "redis", &format!("{p}k"), "x", Some(60)).0,
        "1"
    );
    assert!(
        s.log_text().contains("redis 127.0.0.1:"),
        "{}",
        s.log_text()
    );
}

#[test]
fn redis_bad_parameters_are_load_errors() {
    let (host, port) = redis();
    let dead = free_port();
    for (name, modparam, message) in [
        (
            "cluster",
            "\"cachedb_url\", \"redis://10.0.0.1:6379,10.0.0.2:6379/\"".to_owned(),
            "Redis Cluster) are not supported",
        ),
        (
            "db",
            "\"cachedb_url\", \"redis://127.0.0.1:6379/abc\"".to_owned(),
            "bad database number 'abc'",
        ),
        (
            "scheme",
            "\"cachedb_url\", \"memcached://127.0.0.1:11211/\"".to_owned(),
            "the scheme must be 'redis'",
        ),
        (
            "tls",
            "\"use_tls\", 1".to_owned(),
            "TLS to Redis is not supported",
        ),
        (
            "timeout",
            "\"query_timeout\", 0".to_owned(),
            "query_timeout must be a positive",
        ),
        (
            "unknown",
            "\"no_such_param\", 1".to_owned(),
            "no_such_param",
        ),
    ] {
        let cfg = format!(
            "socket = udp:127.0.0.1:5060\nloadmodule \"proto_udp.so\"\nloadmodule \"cachedb_redis.so\"\n\
             modparam(\"cachedb_redis\", \"cachedb_url\", \"redis://{host}:{port}/\")\n\
             modparam(\"cachedb_redis\", {modparam})\nroute {{ exit; }}\n"
        );
        let (out, path) = check_config(&format!("redis_{name}.cfg"), &cfg);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        let at = format!("{}:5:", path.display());
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&at) && l.contains(message)),
            "{name}: expected '{at}... {message}' in\n{stderr}"
        );
    }
    // shutdown_on_error: a Redis that is not there stops the start.
    let cfg = format!(
        "socket = udp:127.0.0.1:5060\nloadmodule \"proto_udp.so\"\nloadmodule \"cachedb_redis.so\"\n\
         modparam(\"cachedb_redis\", \"cachedb_url\", \"redis://127.0.0.1:{dead}/\")\n\
         modparam(\"cachedb_redis\", \"connect_timeout\", 200)\n\
         modparam(\"cachedb_redis\", \"shutdown_on_error\", 1)\nroute {{ exit; }}\n"
    );
    let (out, _) = check_config("redis_shutdown.cfg", &cfg);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("shutdown_on_error"), "{stderr}");
}

#[test]
fn redis_restart_fails_then_recovers() {
    let _one = serial();
    let s = node();
    let c = UdpClient::new();
    let p = prefix("redis-restart");
    let key = format!("{p}k");
    // Both workers hold a pooled connection.
    for _ in 0..4 {
        assert_eq!(op(&s, &c, "store", "redis", &key, "v1", Some(60)).0, "1");
    }
    services("stop", "redis");
    let started = Instant::now();
    let failed = op(&s, &c, "fetch", "redis", &key, "", None);
    services("start", "redis");
    assert_eq!(failed, pair("-1", "none"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The broken connections are not reused: every worker answers again at once.
    for _ in 0..4 {
        assert_eq!(op(&s, &c, "store", "redis", &key, "v2", Some(60)).0, "1");
    }
    assert_eq!(direct(0, &["GET", &key]), "v2");
}
