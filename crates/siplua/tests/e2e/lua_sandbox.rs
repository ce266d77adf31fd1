//! `lua_sandbox` and `lua_sandbox_dir`: what a script can reach with the sandbox off (all of
//! Lua's standard libraries, as OpenSIPS) and on; `os.exit` never stops the server.

use crate::common;
use crate::lua_support;

use common::*;
use lua_support::*;

const PROBES: &str = r#"
function probe(msg)
  put(msg, "X-Execute", type(os.execute))
  put(msg, "X-Popen", type(io.popen))
  put(msg, "X-Debug", type(debug))
  put(msg, "X-Loadlib", type(package.loadlib))
  put(msg, "X-Open", type(io.open))
end
function do_exit(msg)
  os.exit(0)
end
function exit_caught(msg)
  try(msg, "X-Exit", os.exit, 1)
end
function write_inside(msg)
  try(msg, "X-Write", function()
    local f = assert(io.open(DIR .. "/box/out.txt", "w"))
    f:write("written")
    f:close()
    local r = assert(io.open(DIR .. "/box/out.txt", "r"))
    local s = r:read("a")
    r:close()
    return s
  end)
end
function read_outside(msg)
  try(msg, "X-Passwd", function()
    local f = assert(io.open("/etc/passwd", "r"))
    f:close()
    return "opened"
  end)
  try(msg, "X-Escape", function()
    local f = assert(io.open(DIR .. "/box/../test.lua", "r"))
    f:close()
    return "opened"
  end)
  try(msg, "X-Lines", function()
    for l in io.lines("/etc/hostname") do return l end
  end)
  try(msg, "X-Dofile", function() return dofile("/etc/passwd") end)
  try(msg, "X-Bytecode", function()
    return load(string.dump(function() return 1 end))
  end)
  try(msg, "X-Source", function() return load("return 7")() end)
  try(msg, "X-Require-Out", function()
    package.path = DIR .. "/?.lua"
    package.loaded["outside"] = nil
    return require("outside")
  end)
  try(msg, "X-Require-In", function()
    package.path = DIR .. "/box/?.lua"
    package.loaded["inside"] = nil
    return require("inside")
  end)
end
"#;

fn start(sandbox: &str) -> LuaTest {
    let dir = scratch("lua_sandbox");
    std::fs::create_dir_all(dir.join("box")).unwrap();
    std::fs::write(dir.join("outside.lua"), "return 'outside module'").unwrap();
    std::fs::write(dir.join("box/inside.lua"), "return 'inside module'").unwrap();
    let script = format!("DIR = {:?}\n{PROBES}", dir.display().to_string());
    std::fs::write(dir.join("test.lua"), format!("{PRELUDE}\n{script}")).unwrap();
    let params = sandbox.replace("{BOX}", &dir.join("box").display().to_string());
    LuaTest::start_in(&dir, &params, DISPATCH_ROUTE)
}

#[test]
fn sandbox_off_keeps_every_library_and_os_exit_is_only_an_error() {
    let t = start("");
    let reply = t.call("probe");
    for h in ["X-Execute", "X-Popen", "X-Loadlib", "X-Open"] {
        assert_eq!(hv(&reply, h), "function", "{h}: {reply}");
    }
    assert_eq!(hv(&reply, "X-Debug"), "table", "{reply}");
    let reply = t.call("read_outside");
    assert_eq!(hv(&reply, "X-Passwd"), "ok:opened", "{reply}");
    assert_eq!(hv(&reply, "X-Source"), "ok:7", "{reply}");
    assert_eq!(hv(&reply, "X-Require-Out"), "ok:outside module", "{reply}");

    // os.exit: the route goes on (lua_exec is false), the error is logged, the server lives.
    let reply = t.call("do_exit");
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(hv(&reply, "X-Ret"), "false", "{reply}");
    assert!(t.log().contains("os.exit is not allowed"), "{}", t.log());
    let reply = t.call("exit_caught");
    assert!(hv(&reply, "X-Exit").starts_with("err:"), "{reply}");
    let reply = t.call("probe");
    assert_eq!(status(&reply), 200, "still serving: {reply}");
}

#[test]
fn sandbox_on_removes_exec_and_native_code_and_confines_files() {
    let mut t = start(
        "modparam(\"lua\", \"lua_sandbox\", 1)\nmodparam(\"lua\", \"lua_sandbox_dir\", \"{BOX}\")",
    );
    let reply = t.call("probe");
    for h in ["X-Execute", "X-Popen", "X-Debug", "X-Loadlib"] {
        assert_eq!(hv(&reply, h), "nil", "{h}: {reply}");
    }
    assert_eq!(hv(&reply, "X-Open"), "function", "{reply}");

    let reply = t.call("write_inside");
    assert_eq!(hv(&reply, "X-Write"), "ok:written", "{reply}");

    let reply = t.call("read_outside");
    for h in ["X-Passwd", "X-Escape", "X-Lines", "X-Dofile"] {
        let v = hv(&reply, h);
        assert!(
            v.starts_with("err:") && v.contains("denied by lua_sandbox"),
            "{h}: {reply}"
        );
    }
    assert!(hv(&reply, "X-Bytecode").contains("precompiled"), "{reply}");
    assert_eq!(hv(&reply, "X-Source"), "ok:7", "{reply}");
    // require reaches only modules inside the directory (the one outside exists: the
    // sandbox-off test loads it).
    let out = hv(&reply, "X-Require-Out");
    assert!(
        out.starts_with("err:") && (out.contains("lua_sandbox") || out.contains("not found")),
        "{reply}"
    );
    assert_eq!(hv(&reply, "X-Require-In"), "ok:inside module", "{reply}");

    let reply = t.call("do_exit");
    assert_eq!(hv(&reply, "X-Ret"), "false", "{reply}");
    assert!(t.server.is_running());
    assert_eq!(status(&t.call("probe")), 200);
}

#[test]
fn sandbox_without_directory_refuses_all_files() {
    let t = start("modparam(\"lua\", \"lua_sandbox\", 1)");
    let reply = t.call("write_inside");
    assert!(
        hv(&reply, "X-Write").contains("denied by lua_sandbox"),
        "{reply}"
    );
}

#[test]
fn sandbox_parameters_are_checked_at_load_time() {
    for (name, params) in [
        ("sb_value.cfg", "modparam(\"lua\", \"lua_sandbox\", 2)"),
        (
            "sb_dir.cfg",
            "modparam(\"lua\", \"lua_sandbox_dir\", \"/nonexistent/siplua\")",
        ),
    ] {
        let dir = script_dir("lua_sandbox_check", "function f(msg) end");
        let text = lua_cfg(params, DISPATCH_ROUTE)
            .replace("{PORT}", "5060")
            .replace("{DIR}", &dir.display().to_string());
        let (out, path) = check_config(name, &text);
        assert!(!out.status.success(), "{name} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("lua_sandbox"), "{err}");
    }
}
