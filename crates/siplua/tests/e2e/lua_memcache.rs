//! `mc_new()` and the memcached object from a Lua script, against a real memcached
//! (`scripts/services start`; endpoint `SIPLUA_TEST_MEMCACHED`): every method, the nil/error
//! cases, and memcached restarted while SIPp sends traffic.

use crate::common;
use crate::lua_support;
use crate::storage_support;

use std::time::{Duration, Instant};

use common::*;
use lua_support::*;
use storage_support::*;

/// The script: a connected object `mc`, a closed one, one without servers, and `P` a key
/// prefix of this run.
fn script(body: &str) -> String {
    let (host, port) = memcached();
    require("memcached", &host, port);
    format!(
        r#"
P = "t{pid}-" .. tostring(os.time()) .. "-"
mc = mc_new()
assert(mc:server_add("{host}", "{port}") == true)
closed = mc_new(); closed:server_add("{host}", "{port}"); closed:close()
empty = mc_new()
{body}
"#,
        pid = std::process::id()
    )
}

const METHODS: &str = r#"
function storage(msg)
  put(msg, "X-Set", mc:set(P .. "a", "one"))
  put(msg, "X-Get", mc:get(P .. "a"))
  put(msg, "X-Add-Exists", mc:add(P .. "a", "two"))
  put(msg, "X-Add-New", mc:add(P .. "b", "two", 60))
  put(msg, "X-Replace", mc:replace(P .. "a", "three"))
  put(msg, "X-Replace-Missing", mc:replace(P .. "zz", "x"))
  put(msg, "X-Get-Replaced", mc:get(P .. "a"))
  put(msg, "X-Get-Missing", tostring(mc:get(P .. "missing")))
  put(msg, "X-Number", mc:set(P .. "n", 42) .. "/" .. mc:get(P .. "n"))
  local bin = "a\0b\r\nc"
  mc:set(P .. "bin", bin)
  put(msg, "X-Binary", tostring(mc:get(P .. "bin") == bin))
end
function expiry(msg)
  mc:set(P .. "e", "soon", 1)
  put(msg, "X-Before", tostring(mc:get(P .. "e")))
end
function expired(msg)
  put(msg, "X-After", tostring(mc:get(P .. "e")))
end
function counters(msg)
  mc:set(P .. "c", "10")
  put(msg, "X-Incr", mc:incr(P .. "c", 5))
  put(msg, "X-Decr", mc:decr(P .. "c", 3))
  put(msg, "X-Decr-Floor", mc:decr(P .. "c", 100))
  put(msg, "X-Incr-Missing", tostring(mc:incr(P .. "nocounter", 1)))
  mc:set(P .. "s", "abc")
  put(msg, "X-Incr-Text", tostring(mc:incr(P .. "s", 1)))
  put(msg, "X-Incr-Negative", tostring(mc:incr(P .. "c", -1)))
end
function deletion(msg)
  mc:set(P .. "d", "x")
  put(msg, "X-Delete", mc:delete(P .. "d"))
  put(msg, "X-Delete-Again", mc:delete(P .. "d"))
  put(msg, "X-Get-Deleted", tostring(mc:get(P .. "d")))
  put(msg, "X-Delete-Bad-Key", mc:delete("has space"))
end
function multi(msg)
  mc:set(P .. "m1", "v1"); mc:set(P .. "m3", "v3")
  local t = mc:multi_get(P .. "m1", P .. "m2", P .. "m3")
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  put(msg, "X-Multi", n .. ":" .. tostring(t[P .. "m1"]) .. ":" .. tostring(t[P .. "m2"]) .. ":" .. tostring(t[P .. "m3"]))
  put(msg, "X-Multi-None", type(mc:multi_get()) .. ":" .. tostring(next(mc:multi_get())))
end
function bad(msg)
  put(msg, "X-Bad-Key-Set", mc:set("a b", "v"))
  put(msg, "X-Bad-Key-Get", tostring(mc:get(("k"):rep(251))))
  try(msg, "X-Bad-Arg", mc.set, mc, {}, "v")
  try(msg, "X-Bad-Exp", mc.set, mc, P .. "x", "v", 1.5)
  put(msg, "X-Tostring", tostring(mc))
end
function after_close(msg)
  put(msg, "X-Closed", tostring(closed:set("k", "v")) .. "," .. tostring(closed:get("k")) .. ","
    .. tostring(closed:delete("k")) .. "," .. tostring(closed:incr("k", 1)) .. ","
    .. tostring(closed:multi_get("k")) .. "," .. tostring(closed:server_add("127.0.0.1", "1")))
  put(msg, "X-No-Server", tostring(empty:get("k")) .. "," .. tostring(empty:set("k", "v")))
  local m = mc_new(); m:server_add("127.0.0.1", "bad")
  put(msg, "X-Default-Port", tostring(m:get("k")))
end
"#;

#[test]
fn storage_commands_follow_opensips_return_conventions() {
    let _g = serial();
    let t = LuaTest::start(&script(METHODS));
    let r = t.call("storage");
    assert_eq!(hv(&r, "X-Set"), "0", "{r}");
    assert_eq!(hv(&r, "X-Get"), "one");
    assert_eq!(hv(&r, "X-Add-Exists"), "-1");
    assert_eq!(hv(&r, "X-Add-New"), "0");
    assert_eq!(hv(&r, "X-Replace"), "0");
    assert_eq!(hv(&r, "X-Replace-Missing"), "-1");
    assert_eq!(hv(&r, "X-Get-Replaced"), "three");
    assert_eq!(hv(&r, "X-Get-Missing"), "nil");
    assert_eq!(hv(&r, "X-Number"), "0/42");
    assert_eq!(hv(&r, "X-Binary"), "true");
}

#[test]
fn items_expire() {
    let _g = serial();
    let t = LuaTest::start(&script(METHODS));
    assert_eq!(hv(&t.call("expiry"), "X-Before"), "soon");
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(hv(&t.call("expired"), "X-After"), "nil");
}

#[test]
fn counters_delete_and_multi_get() {
    let _g = serial();
    let t = LuaTest::start(&script(METHODS));
    let r = t.call("counters");
    assert_eq!(hv(&r, "X-Incr"), "15", "{r}");
    assert_eq!(hv(&r, "X-Decr"), "12");
    assert_eq!(hv(&r, "X-Decr-Floor"), "0");
    assert_eq!(hv(&r, "X-Incr-Missing"), "nil");
    assert_eq!(hv(&r, "X-Incr-Text"), "nil");
    assert_eq!(hv(&r, "X-Incr-Negative"), "nil");
    let r = t.call("deletion");
    assert_eq!(hv(&r, "X-Delete"), "0", "{r}");
    assert_eq!(hv(&r, "X-Delete-Again"), "16");
    assert_eq!(hv(&r, "X-Get-Deleted"), "nil");
    assert_eq!(hv(&r, "X-Delete-Bad-Key"), "1");
    let r = t.call("multi");
    assert_eq!(hv(&r, "X-Multi"), "2:v1:nil:v3", "{r}");
    assert_eq!(hv(&r, "X-Multi-None"), "table:nil");
}

#[test]
fn invalid_arguments_closed_objects_and_no_servers() {
    let _g = serial();
    let t = LuaTest::start(&script(METHODS));
    let r = t.call("bad");
    assert_eq!(hv(&r, "X-Bad-Key-Set"), "-1", "{r}");
    assert_eq!(hv(&r, "X-Bad-Key-Get"), "nil");
    assert!(
        hv(&r, "X-Bad-Arg").contains("bad argument #2 to 'set' (string expected, got table)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad-Exp").contains("number has no integer representation"),
        "{r}"
    );
    assert_eq!(hv(&r, "X-Tostring"), "siplua.memcache");
    let r = t.call("after_close");
    assert_eq!(hv(&r, "X-Closed"), "nil,nil,nil,nil,nil,nil", "{r}");
    assert_eq!(hv(&r, "X-No-Server"), "nil,nil");
    assert_eq!(hv(&r, "X-Default-Port"), "nil");
}

const TRAFFIC: &str = r#"
function traffic(msg)
  local k = P .. "traffic"
  if mc:set(k, "v") == 0 and mc:get(k) == "v" then
    xlog("L_INFO", "MC-OK\n")
  else
    xlog("L_INFO", "MC-FAIL\n")
  end
end
function probe(msg)
  local r = mc:set(P .. "probe", "p")
  put(msg, "X-Probe", r .. "," .. tostring(mc:get(P .. "probe")) .. "," .. mc:delete(P .. "nothing"))
end
"#;

const TRAFFIC_ROUTE: &str = r#"
route {
    if (is_method("ACK")) { exit; }
    if ($hdr(X-F) != NULL) {
        lua_exec("$hdr(X-F)");
    } else {
        lua_exec("traffic");
    }
    append_to_reply("X-Script: options\r\n");
    sl_send_reply(200, "OK");
}
"#;

#[test]
fn memcached_restart_during_traffic_gives_errors_then_recovers() {
    let _g = serial();
    let t = LuaTest::start_with(
        &script(TRAFFIC),
        r#"modparam("lua", "lua_db_timeout", 500)"#,
        TRAFFIC_ROUTE,
    );
    assert_eq!(hv(&t.call("probe"), "X-Probe"), "0,p,16");

    let port = t.server.port.to_string();
    let sipp_thread = std::thread::spawn(move || {
        sipp(&[
            "-sf",
            &scenario("options_uac.xml"),
            "-t",
            "u1",
            "-r",
            "10",
            "-m",
            "60",
            "-timeout",
            "25",
            "-timeout_error",
            &format!("127.0.0.1:{port}"),
        ])
    });
    std::thread::sleep(Duration::from_millis(1500));
    services("stop", "memcached");

    // While it is down: a failure, well within the timeout (generous bound for a busy box).
    let started = Instant::now();
    let r = t.call_with("probe", "");
    let took = started.elapsed();
    assert_eq!(hv(&r, "X-Probe"), "-1,nil,3", "{r}");
    assert!(took < Duration::from_secs(8), "probe took {took:?}");

    std::thread::sleep(Duration::from_millis(1000));
    services("start", "memcached");
    let out = sipp_thread.join().expect("sipp thread");
    let log = t.log();
    assert!(
        log.contains("MC-FAIL"),
        "no failure while memcached was down; sipp:\n{}\nlog:\n{log}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Recovered: the first call after the restart succeeds, and so does traffic.
    assert_eq!(hv(&t.call("probe"), "X-Probe"), "0,p,16");
    t.call("traffic");
    let log = t.log();
    let last_fail = log.rfind("MC-FAIL").unwrap_or(0);
    assert!(
        log[last_fail..].contains("MC-OK"),
        "no success after the restart; log:\n{log}"
    );
    assert!(t.server.log_text().contains("MC-OK"));
}
