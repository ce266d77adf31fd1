//! The core `cache_*` functions end to end, through the real binary: `cachedb_local`
//! (collections, expiry, counters, `cache_remove_chunk`, shared by the workers) and
//! `cachedb_memcached` against the running memcached (`SIPLUA_TEST_MEMCACHED`): two siplua
//! nodes sharing keys and counters, expiry, a memcached that is not there, and Lua through
//! `moduleFunc`. Keys carry a prefix unique to the run.

use crate::common;
use crate::lua_support;
use crate::storage_support;

use std::time::{Duration, Instant};

use common::*;
use lua_support::*;
use storage_support::*;

/// A prefix no other run uses.
pub(crate) fn prefix(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("cdb{}-{nanos}-{name}-", std::process::id())
}

/// The route: the Request-URI user names the operation, headers give storage id (`X-Id`),
/// key, value and expiry; the reply reports the return code and the result variable.
pub(crate) const ROUTE: &str = r#"
route {
    if (is_method("ACK")) { exit; }
    $var(v) = "none";
    $var(rc) = "none";
    if ($rU == "store") {
        if ($hdr(X-Expire) != NULL) {
            cache_store("$hdr(X-Id)", "$hdr(X-Key)", "$hdr(X-Val)", $hdr(X-Expire));
        } else {
            cache_store("$hdr(X-Id)", "$hdr(X-Key)", "$hdr(X-Val)");
        }
        $var(rc) = $rc;
    } else if ($rU == "fetch") {
        cache_fetch("$hdr(X-Id)", "$hdr(X-Key)", $var(v));
        $var(rc) = $rc;
    } else if ($rU == "remove") {
        cache_remove("$hdr(X-Id)", "$hdr(X-Key)");
        $var(rc) = $rc;
    } else if ($rU == "add") {
        cache_add("$hdr(X-Id)", "$hdr(X-Key)", $hdr(X-Val), $hdr(X-Expire), $var(v));
        $var(rc) = $rc;
    } else if ($rU == "sub") {
        cache_sub("$hdr(X-Id)", "$hdr(X-Key)", $hdr(X-Val), $hdr(X-Expire), $var(v));
        $var(rc) = $rc;
    } else if ($rU == "counter") {
        cache_counter_fetch("$hdr(X-Id)", "$hdr(X-Key)", $var(v));
        $var(rc) = $rc;
    } else if ($rU == "chunk") {
        cache_remove_chunk("calls", "$hdr(X-Val)");
        $var(rc) = $rc;
    }
    append_to_reply("X-Rc: $var(rc)\r\nX-V: $var(v)\r\n");
    sl_send_reply(200, "OK");
}
"#;

/// A node with cachedb_local (collections `default` as `local`, `calls` as `local:c`) and
/// cachedb_memcached (`memcached:mc` on the test server, `memcached:down` on a port where
/// nothing listens).
fn node() -> Server {
    let (host, port) = memcached();
    require("memcached", &host, port);
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
loadmodule "cachedb_memcached.so"
modparam("cachedb_local", "cache_collections", "default; calls = 8")
modparam("cachedb_local", "cachedb_url", "local://")
modparam("cachedb_local", "cachedb_url", "local:c:///calls")
modparam("cachedb_local", "cache_clean_period", 1)
modparam("cachedb_memcached", "cachedb_url", "memcached:mc://{host}:{port}/")
modparam("cachedb_memcached", "cachedb_url", "memcached:down://127.0.0.1:{dead}/")
modparam("cachedb_memcached", "timeout", 300)
{ROUTE}
"#
    ))
}

/// Runs one operation; returns (return code, result variable).
pub(crate) fn op(
    server: &Server,
    client: &UdpClient,
    what: &str,
    id: &str,
    key: &str,
    val: &str,
    expire: Option<u32>,
) -> (String, String) {
    let mut extra = format!("X-Id: {id}\r\nX-Key: {key}\r\nX-Val: {val}\r\n");
    if let Some(e) = expire {
        extra.push_str(&format!("X-Expire: {e}\r\n"));
    }
    let reply = client.ask(
        server,
        &request(
            "MESSAGE",
            &format!("sip:{what}@127.0.0.1"),
            client.port(),
            &extra,
        ),
    );
    assert_eq!(status(&reply), 200, "{reply}");
    (hv(&reply, "X-Rc").to_owned(), hv(&reply, "X-V").to_owned())
}

pub(crate) fn pair(rc: &str, v: &str) -> (String, String) {
    (rc.to_owned(), v.to_owned())
}

#[test]
fn local_store_fetch_expiry_counters_collections() {
    let s = node();
    let c = UdpClient::new();
    let p = prefix("local");
    let k = |n: &str| format!("{p}{n}");

    assert_eq!(
        op(&s, &c, "store", "local", &k("a"), "hello", None),
        pair("1", "none")
    );
    // Two workers, one store: several requests land on both.
    for _ in 0..4 {
        assert_eq!(
            op(&s, &c, "fetch", "local", &k("a"), "", None),
            pair("1", "hello")
        );
    }
    assert_eq!(
        op(&s, &c, "fetch", "local", &k("missing"), "", None),
        pair("-2", "none")
    );
    // Collections are separate tables.
    assert_eq!(
        op(&s, &c, "fetch", "local:c", &k("a"), "", None),
        pair("-2", "none")
    );
    assert_eq!(
        op(&s, &c, "remove", "local", &k("a"), "", None),
        pair("1", "none")
    );
    assert_eq!(
        op(&s, &c, "fetch", "local", &k("a"), "", None),
        pair("-2", "none")
    );

    // Counters.
    assert_eq!(
        op(&s, &c, "add", "local", &k("n"), "5", Some(0)),
        pair("1", "5")
    );
    assert_eq!(
        op(&s, &c, "add", "local", &k("n"), "3", Some(0)),
        pair("1", "8")
    );
    assert_eq!(
        op(&s, &c, "sub", "local", &k("n"), "10", Some(0)),
        pair("1", "-2")
    );
    assert_eq!(
        op(&s, &c, "counter", "local", &k("n"), "", None),
        pair("1", "-2")
    );
    assert_eq!(
        op(&s, &c, "counter", "local", &k("none"), "", None),
        pair("-2", "none")
    );

    // Expiry (values and counters).
    assert_eq!(
        op(&s, &c, "store", "local", &k("e"), "soon", Some(1)).0,
        "1"
    );
    assert_eq!(op(&s, &c, "add", "local", &k("ec"), "7", Some(1)).1, "7");
    assert_eq!(
        op(&s, &c, "fetch", "local", &k("e"), "", None),
        pair("1", "soon")
    );
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(
        op(&s, &c, "fetch", "local", &k("e"), "", None),
        pair("-2", "none")
    );
    assert_eq!(op(&s, &c, "add", "local", &k("ec"), "7", Some(1)).1, "7");

    // cache_remove_chunk on the `calls` collection.
    for n in ["call_1", "call_2", "keep"] {
        op(&s, &c, "store", "local:c", &k(n), "x", None);
    }
    assert_eq!(
        op(&s, &c, "chunk", "local:c", "", &format!("{p}call_*"), None).0,
        "1"
    );
    assert_eq!(
        op(&s, &c, "fetch", "local:c", &k("call_1"), "", None).0,
        "-2"
    );
    assert_eq!(
        op(&s, &c, "fetch", "local:c", &k("call_2"), "", None).0,
        "-2"
    );
    assert_eq!(
        op(&s, &c, "fetch", "local:c", &k("keep"), "", None),
        pair("1", "x")
    );

    // An unknown storage id is an error, not a crash.
    assert_eq!(op(&s, &c, "store", "redis", &k("a"), "x", None).0, "-1");
    assert!(s.log_text().contains("no cachedb backend for 'redis'"));
}

#[test]
fn memcached_is_shared_by_two_nodes() {
    let (a, b) = (node(), node());
    let c = UdpClient::new();
    let p = prefix("mc");
    let k = |n: &str| format!("{p}{n}");

    assert_eq!(
        op(&a, &c, "store", "memcached:mc", &k("s"), "from-a", None),
        pair("1", "none")
    );
    assert_eq!(
        op(&b, &c, "fetch", "memcached:mc", &k("s"), "", None),
        pair("1", "from-a")
    );
    assert_eq!(
        op(&b, &c, "remove", "memcached:mc", &k("s"), "", None).0,
        "1"
    );
    assert_eq!(
        op(&a, &c, "fetch", "memcached:mc", &k("s"), "", None),
        pair("-2", "none")
    );

    // One counter, both nodes adding.
    assert_eq!(
        op(&a, &c, "add", "memcached:mc", &k("n"), "5", Some(60)),
        pair("1", "5")
    );
    assert_eq!(
        op(&b, &c, "add", "memcached:mc", &k("n"), "4", Some(60)),
        pair("1", "9")
    );
    assert_eq!(
        op(&a, &c, "sub", "memcached:mc", &k("n"), "2", Some(60)),
        pair("1", "7")
    );
    assert_eq!(
        op(&b, &c, "counter", "memcached:mc", &k("n"), "", None),
        pair("1", "7")
    );
    // memcached counters stop at 0.
    assert_eq!(
        op(&b, &c, "sub", "memcached:mc", &k("n"), "100", Some(60)),
        pair("1", "0")
    );

    // Expiry.
    assert_eq!(
        op(&a, &c, "store", "memcached:mc", &k("e"), "soon", Some(2)).0,
        "1"
    );
    assert_eq!(
        op(&b, &c, "fetch", "memcached:mc", &k("e"), "", None),
        pair("1", "soon")
    );
    std::thread::sleep(Duration::from_millis(3100));
    assert_eq!(
        op(&b, &c, "fetch", "memcached:mc", &k("e"), "", None),
        pair("-2", "none")
    );

    // A key memcached cannot take is refused before it is sent.
    assert_eq!(op(&a, &c, "store", "memcached:mc", "", "x", None).0, "-1");
}

#[test]
fn memcached_down_gives_errors_quickly() {
    let s = node();
    let c = UdpClient::new();
    let p = prefix("down");
    for (what, val, expire) in [
        ("store", "x", None),
        ("fetch", "", None),
        ("remove", "", None),
        ("add", "1", Some(0)),
        ("counter", "", None),
    ] {
        let started = Instant::now();
        let (rc, v) = op(
            &s,
            &c,
            what,
            "memcached:down",
            &format!("{p}k"),
            val,
            expire,
        );
        assert_eq!((rc.as_str(), v.as_str()), ("-1", "none"), "{what}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{what} took {:?}",
            started.elapsed()
        );
    }
    // The node goes on serving, the other backends too.
    assert_eq!(
        op(&s, &c, "store", "local", &format!("{p}k"), "x", None).0,
        "1"
    );
    assert!(s.log_text().contains("memcached"));
}

#[test]
fn lua_reaches_the_stores_through_module_func() {
    let (host, port) = memcached();
    require("memcached", &host, port);
    let p = prefix("lua");
    let lua = format!(
        r#"
function mc(msg)
  put(msg, "X-Store", moduleFunc(msg, "cache_store", "memcached:mc", "{p}k", "from-lua", "60"))
  put(msg, "X-Add", moduleFunc(msg, "cache_add", "local", "{p}n", "4", "0", "$avp(a)"))
  put(msg, "X-Missing", moduleFunc(msg, "cache_fetch", "local", "{p}none", "$var(x)"))
end
function fetch(msg)
  moduleFunc(msg, "cache_fetch", "memcached:mc", "{p}k", "$avp(a)")
end
"#
    );
    let modparams = format!(
        r#"loadmodule "cachedb_local.so"
loadmodule "cachedb_memcached.so"
modparam("cachedb_memcached", "cachedb_url", "memcached:mc://{host}:{port}/")"#
    );
    let t = LuaTest::start_with(&lua, &modparams, DISPATCH_ROUTE);
    let r = t.call("mc");
    assert_eq!(hv(&r, "X-Store"), "1", "{r}\n{}", t.log());
    assert_eq!(hv(&r, "X-Add"), "1");
    assert_eq!(hv(&r, "X-A"), "4");
    assert_eq!(hv(&r, "X-Missing"), "-2");
    assert_eq!(hv(&t.call("fetch"), "X-A"), "from-lua");
    // Another node (cfg only) sees what Lua stored.
    let other = node();
    let c = UdpClient::new();
    assert_eq!(
        op(
            &other,
            &c,
            "fetch",
            "memcached:mc",
            &format!("{p}k"),
            "",
            None
        ),
        pair("1", "from-lua")
    );
}
