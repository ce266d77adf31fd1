//! What bounds a script: the heap cap (`lua_allocator`, `lua_max_memory`) and the
//! instruction budget (`lua_exec_budget`). Hitting either fails that one call; the worker
//! keeps serving.

use crate::common;
use crate::lua_support;

use std::time::{Duration, Instant};

use lua_support::*;

const LUA: &str = r#"
function big_string(msg)
  local s = string.rep("x", 8 * 1024 * 1024)
  put(msg, "X-Len", #s)
end
function big_table(msg)
  local t = {}
  for i = 1, 2000000 do t[i] = i end
  put(msg, "X-Len", #t)
end
function spin(msg) while true do end end
function spin_protected(msg)
  while true do pcall(function() while true do end end) end
end
function count(msg)
  local n = 0
  for i = 1, tonumber(getHeader(msg, "X-N")) do n = n + 1 end
  put(msg, "X-Count", n)
end
function ok(msg)
  put(msg, "X-Mem", getmeminfo().total_size)
  return 1
end
"#;

#[test]
fn the_heap_cap_fails_the_call_not_the_worker() {
    let t = LuaTest::start_with(
        LUA,
        "modparam(\"lua\", \"lua_max_memory\", 4194304)",
        DISPATCH_ROUTE,
    );
    for _ in 0..2 {
        let r = t.call("big_string");
        assert_eq!(hv(&r, "X-Ret"), "false", "{r}");
        assert_eq!(hv(&r, "X-Len"), "");
        let r = t.call("big_table");
        assert_eq!(hv(&r, "X-Ret"), "false", "{r}");
        let r = t.call("ok");
        assert_eq!(hv(&r, "X-Ret"), "true", "{r}");
        assert_eq!(hv(&r, "X-Mem"), "4194304");
    }
    assert!(
        t.log()
            .contains("siplua error running function big_string: memory error"),
        "{}",
        t.log()
    );
}

#[test]
fn the_malloc_allocator_is_not_capped() {
    let t = LuaTest::start_with(
        LUA,
        "modparam(\"lua\", \"lua_allocator\", \"malloc\")\nmodparam(\"lua\", \"lua_max_memory\", 4194304)",
        DISPATCH_ROUTE,
    );
    let r = t.call("big_string");
    assert_eq!(hv(&r, "X-Ret"), "true", "{r}");
    assert_eq!(hv(&r, "X-Len"), (8 * 1024 * 1024).to_string());
}

#[test]
fn an_unknown_allocator_is_a_config_error() {
    let dir = script_dir("alloc", LUA);
    let text = lua_cfg(
        "modparam(\"lua\", \"lua_allocator\", \"jemalloc\")",
        DISPATCH_ROUTE,
    )
    .replace("{DIR}", &dir.display().to_string())
    .replace("{PORT}", "5999");
    let path = dir.join("t.cfg");
    std::fs::write(&path, text).unwrap();
    let out = common::run_siplua(&["-c", "-f", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown allocator \"jemalloc\""));
}

#[test]
fn an_endless_loop_is_stopped_and_the_worker_keeps_serving() {
    let t = LuaTest::start_with(
        LUA,
        "modparam(\"lua\", \"lua_exec_budget\", 1000000)",
        DISPATCH_ROUTE,
    );
    for f in ["spin", "spin_protected", "spin"] {
        let started = Instant::now();
        let r = t.call(f);
        assert_eq!(hv(&r, "X-Ret"), "false", "{f}: {r}");
        assert!(started.elapsed() < Duration::from_secs(3));
        let r = t.call("ok");
        assert_eq!(hv(&r, "X-Ret"), "true");
    }
    assert!(
        t.log()
            .contains("lua_exec_budget of 1000000 instructions exceeded"),
        "{}",
        t.log()
    );
    // Under the budget, a loop runs to its end.
    let r = t.call_with("count", "X-N: 10000\r\n");
    assert_eq!(hv(&r, "X-Count"), "10000");
}

#[test]
fn the_default_budget_is_finite_and_zero_is_unlimited() {
    let t = LuaTest::start(LUA);
    let r = t.call("spin");
    assert_eq!(hv(&r, "X-Ret"), "false", "{r}");
    assert!(t
        .log()
        .contains("lua_exec_budget of 10000000 instructions exceeded"));

    let t = LuaTest::start_with(
        LUA,
        "modparam(\"lua\", \"lua_exec_budget\", 0)",
        DISPATCH_ROUTE,
    );
    let r = t.call_with("count", "X-N: 4000000\r\n");
    assert_eq!(hv(&r, "X-Count"), "4000000", "{r}");
}
