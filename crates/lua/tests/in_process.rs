//! The lua module driven in process: what the end-to-end tests cannot reach through a socket
//! (the watch list's published API, `moduleFunc` on variable and regex parameters, raw codes
//! 0 and -2, a Request-URI that does not parse, API calls with no message, nested
//! `lua_exec`, globals assigned again between calls).

mod common;

use common::*;
use siplua_core::worker::WorkerState;
use siplua_lua::{WatchList, WatchReply};

const ROUTE: &str = r#"
route {
    if (lua_exec("$hdr(X-F)")) { $var(ret) = "true"; } else { $var(ret) = "false"; }
}
"#;

fn ret(engine: &Engine, state: &mut WorkerState, f: &str) -> String {
    engine.run(state, &message(&format!("X-F: {f}\r\n")), |_| ());
    var(state, "ret")
}

#[test]
fn the_watch_list_is_published_and_read_by_lua() {
    let lua = r#"
function flag(msg) scriptVarSet("flag", tostring(watch_getFlag(msg))) end
function ext(msg) scriptVarSet("ext", tostring(watch_getFlagFromExtension("bob"))) end
"#;
    let e = Engine::new(lua, "", ROUTE);
    let watch = e.core.apis.get::<WatchList>().expect("published");
    let mut st = WorkerState::new(1, None);
    ret(&e, &mut st, "flag");
    assert_eq!(var(&st, "flag"), "nil");
    assert_eq!(
        watch.command(Some("add"), Some("alice")),
        Ok(WatchReply::Ok)
    );
    ret(&e, &mut st, "flag");
    assert_eq!(var(&st, "flag"), "true");
    ret(&e, &mut st, "ext");
    assert_eq!(var(&st, "ext"), "false");
    // The To user counts when the From user is not watched.
    watch.command(Some("delete"), Some("alice")).unwrap();
    watch.command(Some("add"), Some("bob")).unwrap();
    ret(&e, &mut st, "flag");
    assert_eq!(var(&st, "flag"), "true");
    ret(&e, &mut st, "ext");
    assert_eq!(var(&st, "ext"), "true");
    assert_eq!(
        watch.command(None, None),
        Ok(WatchReply::List(vec!["bob".into()]))
    );
}

#[test]
fn module_func_variable_regex_and_raw_codes() {
    let lua = r#"
function probe(msg)
  scriptVarSet("store", moduleFunc(msg, "probe_store", "$var(out)", "v-$rm"))
  scriptVarSet("zero", moduleFunc(msg, "probe_code", "0"))
  scriptVarSet("minus2", moduleFunc(msg, "probe_code", -2))
  scriptVarSet("re", moduleFunc(msg, "probe_match", "^a.c$", "abc"))
  scriptVarSet("re_no", moduleFunc(msg, "probe_match", "^a.c$", "abcd"))
  scriptVarSet("route_free", moduleFunc(msg, "probe_request_only"))
  local ok, e = pcall(moduleFunc, msg, "probe_store", "not-a-var", "x")
  scriptVarSet("bad_var", tostring(e))
  ok, e = pcall(moduleFunc, msg, "probe_match", "(", "x")
  scriptVarSet("bad_re", tostring(e))
  return 0
end
"#;
    let e = Engine::new(lua, "", ROUTE);
    let mut st = WorkerState::new(1, None);
    assert_eq!(ret(&e, &mut st, "probe"), "true");
    assert_eq!(var(&st, "store"), "1");
    assert_eq!(var(&st, "out"), "v-MESSAGE");
    assert_eq!(var(&st, "zero"), "0");
    assert_eq!(var(&st, "minus2"), "-2");
    assert_eq!(var(&st, "re"), "1");
    assert_eq!(var(&st, "re_no"), "-1");
    assert_eq!(var(&st, "route_free"), "7");
    assert!(
        var(&st, "bad_var").contains("is not a pseudo-variable"),
        "{}",
        var(&st, "bad_var")
    );
    assert!(
        var(&st, "bad_re").contains("invalid regular expression"),
        "{}",
        var(&st, "bad_re")
    );
}

#[test]
fn a_request_uri_that_does_not_parse_stops_before_lua() {
    let lua = r#"
ran = 0
function f(msg) ran = ran + 1 scriptVarSet("ran", ran) return 1 end
"#;
    let route =
        r#"route { if (lua_exec("f")) { $var(ret) = "true"; } else { $var(ret) = "false"; } }"#;
    let e = Engine::new(lua, "", route);
    let mut st = WorkerState::new(1, None);
    e.run(&mut st, &message(""), |_| ());
    assert_eq!(var(&st, "ret"), "true");
    assert_eq!(var(&st, "ran"), "1");
    // The R-URI is rewritten behind the cfg's back (the cfg itself validates `$ru = ...`).
    let msg = bytes::Bytes::from(message(""));
    let msg = siplua_sip::Message::parse(msg).unwrap();
    let program = e.core.program();
    let mut ctx = siplua_core::context::Context::new(
        &e.core,
        &mut st,
        siplua_core::route_type::RouteType::Request,
        Some(&msg),
        None,
    );
    ctx.new_ruri = Some("not a uri".into());
    siplua_core::interp::run(&program, program.main.unwrap(), &mut ctx);
    drop(ctx);
    assert_eq!(var(&st, "ret"), "false");
    assert_eq!(var(&st, "ran"), "1", "Lua must not run");
}

#[test]
fn api_calls_outside_lua_exec_are_lua_errors() {
    let lua = r#"
local ok, err = pcall(AVP_get, "x")
top_error = tostring(err)
function f(msg)
  saved = msg
  scriptVarSet("top", top_error)
end
function later(msg)
  -- msg is the same object on every call; it now stands for the current message
  scriptVarSet("same", tostring(rawequal(saved, msg)))
  scriptVarSet("method", getMethod(saved))
end
"#;
    let e = Engine::new(lua, "", ROUTE);
    let mut st = WorkerState::new(1, None);
    ret(&e, &mut st, "f");
    assert!(
        var(&st, "top").contains("AVP_get: no current SIP message"),
        "{}",
        var(&st, "top")
    );
    ret(&e, &mut st, "later");
    assert_eq!(var(&st, "same"), "true");
    assert_eq!(var(&st, "method"), "MESSAGE");
}

#[test]
fn nested_lua_exec_through_module_func() {
    let lua = r#"
function outer(msg)
  local rc = moduleFunc(msg, "lua_exec", "inner", "from-outer")
  scriptVarSet("rc", rc)
  scriptVarSet("after", getMethod(msg))
  scriptVarSet("avp", AVP_get("inner"))
  return 1
end
function inner(msg, p)
  AVP_set("inner", p)
  return -5
end
"#;
    let e = Engine::new(lua, "", ROUTE);
    let mut st = WorkerState::new(1, None);
    assert_eq!(ret(&e, &mut st, "outer"), "true");
    assert_eq!(var(&st, "rc"), "-1");
    assert_eq!(var(&st, "after"), "MESSAGE");
    assert_eq!(var(&st, "avp"), "from-outer");
}

#[test]
fn a_global_assigned_again_is_the_one_called() {
    // `lua_exec` keeps the function it found: a script that assigns the global anew (or drops
    // it, or serves it through `__index`) must get the new value on the next call.
    let lua = r#"
function f(msg)
  f = function(msg) return -1 end
  return 1
end
function drop_self(msg)
  drop_self = nil
  return 1
end
function via_index(msg)
  via_index = nil
  setmetatable(_G, { __index = function(_, k)
    if k == "via_index" then return function(msg) return -1 end end
  end })
  return 1
end
"#;
    let e = Engine::new(lua, "", ROUTE);
    let mut st = WorkerState::new(1, None);
    assert_eq!(ret(&e, &mut st, "f"), "true");
    assert_eq!(ret(&e, &mut st, "f"), "false");
    assert_eq!(ret(&e, &mut st, "f"), "false");
    assert_eq!(ret(&e, &mut st, "drop_self"), "true");
    assert_eq!(ret(&e, &mut st, "drop_self"), "false");
    assert_eq!(ret(&e, &mut st, "via_index"), "true");
    assert_eq!(ret(&e, &mut st, "via_index"), "false");
    assert_eq!(ret(&e, &mut st, "via_index"), "false");
}

#[test]
fn compat_shims_exist_on_every_build() {
    let lua = r#"
function shims(msg)
  local a, b = unpack({1, 2})
  local f = loadstring("return 40 + 2")
  scriptVarSet("shims", table.concat({a, b, table.getn({1, 2, 3}), f(), math.mod(7, 3),
    table.maxn({[5] = true}), math.pow(2, 3)}, ","))
end
"#;
    let e = Engine::new(lua, "", ROUTE);
    let mut st = WorkerState::new(1, None);
    ret(&e, &mut st, "shims");
    let s = var(&st, "shims");
    let parts: Vec<&str> = s.split(',').collect();
    assert_eq!(&parts[..5], ["1", "2", "3", "42", "1"], "{s}");
    assert!(parts[5] == "5" && parts[6].starts_with('8'), "{s}");
}
