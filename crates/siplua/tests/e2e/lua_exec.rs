//! `lua_exec`: the return rule, parameters, errors, missing functions, per-worker globals,
//! the routes it is allowed in, and start-up failures.

use crate::common;
use crate::lua_support;

use common::*;
use lua_support::*;

const RETURNS: &str = r#"
function r_nil(msg) return nil end
function r_none(msg) end
function r_false(msg) return false end
function r_true(msg) return true end
function r_zero(msg) return 0 end
function r_one(msg) return 1 end
function r_minus_one(msg) return -1 end
function r_minus_two(msg) return -2 end
function r_str_minus_three(msg) return "-3" end
function r_str_text(msg) return "abc" end
function r_float(msg) return 1.5 end
function r_neg_float(msg) return -1.5 end
function r_neg_integral_float(msg) return -2.0 end
function r_table(msg) return {} end
function r_multi(msg) return 1, -1 end
function r_error(msg) error("boom") end
not_a_function = 42
"#;

#[test]
fn return_rule_table() {
    let t = LuaTest::start(RETURNS);
    let cases = [
        ("r_nil", "true"),
        ("r_none", "true"),
        ("r_false", "true"),
        ("r_true", "true"),
        ("r_zero", "true"),
        ("r_one", "true"),
        ("r_minus_one", "false"),
        ("r_minus_two", "false"),
        ("r_str_minus_three", "false"),
        ("r_str_text", "true"),
        ("r_float", "true"),
        ("r_neg_float", "true"),
        ("r_neg_integral_float", "false"),
        ("r_table", "true"),
        ("r_multi", "true"),
        ("r_error", "false"),
        ("no_such_function", "false"),
        ("not_a_function", "false"),
    ];
    for (func, want) in cases {
        let reply = t.call(func);
        assert_eq!(status(&reply), 200, "{func}: {reply}");
        assert_eq!(hv(&reply, "X-Ret"), want, "{func}");
    }
    let log = t.log();
    assert!(
        log.contains("siplua Lua function no_such_function is nil"),
        "{log}"
    );
    assert!(
        log.contains("siplua error running function r_error:"),
        "{log}"
    );
    assert!(log.contains("boom"), "{log}");
    assert!(log.contains("stack traceback"), "{log}");
    assert!(log.contains("attempt to call a number value"), "{log}");
}

#[test]
fn arguments_are_format_strings_expanded_per_call() {
    let lua = r##"
function show(msg, param)
  put(msg, "X-P", param == nil and "nil" or param)
  put(msg, "X-N", select("#", msg, param))
  return 1
end
"##;
    let route = r#"
route {
    $var(fn) = "show";
    if ($hdr(X-Mode) == "none") {
        lua_exec("$var(fn)");
    } else {
        lua_exec("$var(fn)", "ru=$ru m=$rm");
    }
    sl_send_reply(200, "OK");
}
"#;
    let t = LuaTest::start_with(lua, "", route);
    let reply = t.call("x");
    assert_eq!(
        hv(&reply, "X-P"),
        "ru=sip:bob@127.0.0.1 m=MESSAGE",
        "{reply}"
    );
    let reply = t.call_with("x", "X-Mode: none\r\n");
    assert_eq!(hv(&reply, "X-P"), "nil", "{reply}");
}

#[test]
fn globals_persist_per_worker_and_are_not_shared() {
    let lua = r#"
me = tostring({})
count = 0
function bump(msg)
  count = count + 1
  put(msg, "X-W", me)
  put(msg, "X-C", count)
end
"#;
    let t = LuaTest::start(lua);
    let mut seen: std::collections::HashMap<String, Vec<u32>> = Default::default();
    for _ in 0..20 {
        let reply = t.call("bump");
        let c: u32 = hv(&reply, "X-C").parse().unwrap();
        seen.entry(hv(&reply, "X-W").to_owned())
            .or_default()
            .push(c);
    }
    let mut total = 0;
    for counts in seen.values() {
        // Each worker's counter goes 1, 2, 3, ...: its globals persist between calls.
        assert_eq!(
            *counts,
            (1..=counts.len() as u32).collect::<Vec<_>>(),
            "{seen:?}"
        );
        total += counts.len();
    }
    // No worker saw another's increments.
    assert_eq!(total, 20);
    assert!(seen.len() <= 2, "{seen:?}");
}

#[test]
fn allowed_in_request_failure_onreply_branch_local_routes() {
    let dir = script_dir("routes", "function f(msg) return 1 end");
    let text = lua_cfg(
        "",
        r#"
route { lua_exec("f"); lua_meminfo(); }
failure_route[fail] { lua_exec("f"); }
onreply_route[rpl] { lua_exec("f"); }
onreply_route { lua_exec("f"); }
branch_route[br] { lua_exec("f", "x"); }
local_route { lua_exec("f"); }
"#,
    )
    .replace("{DIR}", &dir.display().to_string())
    .replace("{PORT}", "5999");
    let path = dir.join("routes.cfg");
    std::fs::write(&path, text).unwrap();
    let out = run_siplua(&["-c", "-f", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let text = lua_cfg("", "startup_route { lua_exec(\"f\"); }\nroute { exit; }")
        .replace("{DIR}", &dir.display().to_string())
        .replace("{PORT}", "5999");
    std::fs::write(&path, text).unwrap();
    let out = run_siplua(&["-c", "-f", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lua_exec"));
}

#[test]
fn runs_in_onreply_route_with_the_reply() {
    let lua = r#"
function on_reply(msg)
  xlog("L_NOTICE", "lua saw reply " .. getStatus(msg) .. " type " .. getType(msg) .. "\n")
  return 1
end
"#;
    let route = "route { exit; }\nonreply_route { lua_exec(\"on_reply\"); }";
    let t = LuaTest::start_with(lua, "", route);
    let reply = format!(
        "SIP/2.0 486 Busy Here\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK-mine\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK-theirs\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n\
         Call-ID: reply-test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        t.server.port,
        t.client.port()
    );
    t.client.send(&t.server, reply.as_bytes());
    assert!(
        wait_log(&t, "lua saw reply 486 type SIP_REPLY", 5),
        "{}",
        t.log()
    );
}

#[test]
fn a_broken_script_stops_start_up_with_file_and_line() {
    let dir = script_dir(
        "broken",
        "function f(msg)\n  return 1\nend\nthis is not lua\n",
    );
    let text = lua_cfg("", "route { lua_exec(\"f\"); }")
        .replace("{DIR}", &dir.display().to_string())
        .replace("{PORT}", &free_port().to_string());
    let path = dir.join("test.cfg");
    std::fs::write(&path, text).unwrap();
    let out = run_siplua(&["-f", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = PRELUDE.lines().count() + 1 + 4;
    assert!(
        err.contains(&format!("{}:{line}:", dir.join("test.lua").display())),
        "{err}"
    );
    // `siplua -c` compiles the script too, so it names the same line without starting.
    let out = run_siplua(&["-c", "-f", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:{line}:", dir.join("test.lua").display())),
        "{err}"
    );

    // A runtime error in the top-level code and a missing file stop it too.
    std::fs::write(dir.join("test.lua"), "local x = nil\nx.field = 1\n").unwrap();
    let out = run_siplua(&["-f", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("test.lua:2:"), "{err}");
    std::fs::remove_file(dir.join("test.lua")).unwrap();
    let out = run_siplua(&["-f", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("siplua error loading file"));
}
