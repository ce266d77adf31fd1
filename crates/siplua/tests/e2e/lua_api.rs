//! The Lua API, one test per function: its normal result, its nil/absent case, and a bad
//! argument (the Lua error text through `pcall`, and `lua_exec` returning false when the
//! error is not caught).

use crate::common;
use crate::lua_support;

use common::*;
use lua_support::*;

/// The route of these tests: cfg variables for the script to read, and everything the script
/// may have changed reported back in the reply.
const ROUTE: &str = r#"
route {
    if (is_method("ACK")) { exit; }
    $var(c) = "cfgval";
    $avp(c) = "from-cfg";
    $var(y) = "q";
    if (lua_exec("$hdr(X-F)")) {
        append_to_reply("X-Ret: true\r\n");
    } else {
        append_to_reply("X-Ret: false\r\n");
    }
    append_to_reply("X-A: $avp(a)\r\nX-Var-X: $var(x)\r\nX-Var-Y: $var(y)\r\nX-Var-N: $var(n)\r\nX-Var-Z: $var(z)\r\nX-Du: $du\r\n");
    sl_send_reply(200, "OK");
}
"#;

const API: &str = r##"
-- logging -------------------------------------------------------------------------------
function t_xlog(msg)
  xlog("L_NOTICE", "hello-xlog\n")
  xlog("warn", "bare-level-name")
  xlog("only-message")
  try(msg, "X-Nil", xlog, nil)
  try(msg, "X-Bad", xlog, "L_LOUD", "x")
end
function b_xlog(msg) xlog("L_LOUD", "x") end

function t_xdbg(msg)
  xdbg("hidden-debug")
  setCoreDebug(4)
  xdbg("shown-debug")
  setCoreDebug(3)
  xdbg("hidden-again")
  try(msg, "X-Bad", xdbg, {})
  try(msg, "X-Core", setCoreDebug, "x")
end
function b_xdbg(msg) xdbg({}) end

function t_print(msg)
  print("first-print", 42)
  try(msg, "X-Bad", print, "ok-print", {})
end
function b_print(msg) print({}) end

function t_notice(msg)
  try(msg, "X-1", notice, "to-syslog")
  try(msg, "X-2", notice, 3, "to-local3")
  try(msg, "X-3", notice, 9, "dropped")
  try(msg, "X-Nil", notice)
  try(msg, "X-Bad", notice, 1, 2, 3)
end
function b_notice(msg) notice() end

function t_flags(msg)
  try(msg, "X-1", setUserDebug, 1)
  try(msg, "X-2", setUserDebug, 0)
  try(msg, "X-3", WarnMissingFreeFixup, 0)
  try(msg, "X-Nil", setUserDebug, nil)
  try(msg, "X-Bad", WarnMissingFreeFixup, "x")
end
function b_flags(msg) setUserDebug({}) end

-- process -------------------------------------------------------------------------------
function t_getpid(msg)
  put(msg, "X-1", math.type and math.type(getpid()) or type(getpid()))
  put(msg, "X-2", getpid() > 0)
  put(msg, "X-Pid", getpid())
end

function t_getmem(msg)
  local m = getmem()
  put(msg, "X-1", m.total_size > 0)
  put(msg, "X-2", m.total_frags)
  local i = getmeminfo()
  put(msg, "X-Total", i.total_size)
  put(msg, "X-3", i.used > 0 and i.free == i.total_size - i.used and i.real_used == i.used)
  put(msg, "X-4", i.max_used >= i.used)
  local p = getpkginfo()
  put(msg, "X-5", p.total_size == i.total_size)
  local s = getshminfo()
  put(msg, "X-6", s.used > 0 and s.total_size >= s.used)
end

function t_gethostname(msg)
  put(msg, "X-1", gethostname())
end

function t_filemtime(msg, path)
  put(msg, "X-1", filemtime(SCRIPT))
  put(msg, "X-Nil", tostring(filemtime(SCRIPT .. ".absent")))
  try(msg, "X-Bad", filemtime, {})
end
function b_filemtime(msg) filemtime() end

-- message -------------------------------------------------------------------------------
function t_getType(msg)
  put(msg, "X-1", getType(msg))
  put(msg, "X-2", msg:getType())
  try(msg, "X-Bad", getType, "nope")
end
function b_getType(msg) getType() end

function t_getMethod(msg)
  put(msg, "X-1", getMethod(msg))
  put(msg, "X-2", msg:getMethod())
  try(msg, "X-Bad", getMethod, {})
end
function b_getMethod(msg) getMethod(1) end

function t_getStatus(msg)
  put(msg, "X-Nil", tostring(getStatus(msg)))
  try(msg, "X-Bad", getStatus, nil)
end
function b_getStatus(msg) getStatus(nil) end

function t_getURI_User(msg)
  put(msg, "X-1", string.format("%q", tostring(getURI_User(msg))))
  try(msg, "X-Bad", getURI_User, "msg")
end
function b_getURI_User(msg) getURI_User() end

function t_getExpires(msg)
  put(msg, "X-1", tostring(getExpires(msg)))
  try(msg, "X-Bad", getExpires, 5)
end
function b_getExpires(msg) getExpires(5) end

function t_getHeader(msg)
  put(msg, "X-1", getHeader(msg, "X-Custom"))
  put(msg, "X-2", msg:getHeader("x-custom"))
  put(msg, "X-3", getHeader(msg, "f"))
  put(msg, "X-Nil", tostring(getHeader(msg, "X-Absent")))
  try(msg, "X-Bad", getHeader, msg, {})
  try(msg, "X-Bad-Msg", getHeader, "msg", "From")
end
function b_getHeader(msg) getHeader(msg, {}) end

function t_getContact(msg)
  local c = getContact(msg)
  if c == nil then put(msg, "X-1", "nil") return end
  put(msg, "X-N", #c)
  for i, e in ipairs(c) do
    put(msg, "X-C" .. i, table.concat({
      tostring(e.star), e.name, e.uri, tostring(e.q), tostring(e.expires)}, "|"))
  end
end
function b_getContact(msg) getContact("x") end
function p_getContact(msg) try(msg, "X-Bad", getContact, msg) end

function t_getRoute(msg)
  local r = getRoute(msg)
  if r == nil then put(msg, "X-1", "nil") return end
  put(msg, "X-N", #r)
  for i, e in ipairs(r) do
    put(msg, "X-R" .. i, table.concat({e.uri, e.user, e.host, tostring(e.port), e.params,
      e.lr, e.lr_val, e.r2, e.r2_val, tostring(e.is_myself)}, "|"))
  end
end
function b_getRoute(msg) getRoute() end
function p_getRoute(msg) try(msg, "X-Bad", getRoute, msg) end

function t_ips(msg)
  put(msg, "X-Src", getSrcIp(msg))
  put(msg, "X-Dst", msg:getDstIp())
  try(msg, "X-Bad", getSrcIp, {})
  try(msg, "X-Bad2", getDstIp)
end
function b_ips(msg) getDstIp({}) end

function t_myself(msg, port)
  local port = tonumber(getHeader(msg, "X-Port"))
  put(msg, "X-1", tostring(isMyself("127.0.0.1", port)))
  put(msg, "X-2", tostring(isMyself("192.0.2.1", 5060)))
  put(msg, "X-3", tostring(isMyself("127.0.0.1", port + 1)))
  local s = grepSockInfo("127.0.0.1", port)
  put(msg, "X-4", s.name .. ":" .. s.port .. ":" .. tostring(s.adv_name))
  put(msg, "X-5", tostring(grepSockInfo("192.0.2.1", port)))
  try(msg, "X-Bad", isMyself, {})
  try(msg, "X-Bad2", grepSockInfo, "127.0.0.1", "x")
end
function b_myself(msg) isMyself() end

-- AVPs ------------------------------------------------------------------------------------
function t_avp(msg)
  put(msg, "X-Cfg", AVP_get("c"))
  put(msg, "X-Nil", tostring(AVP_get("none")))
  put(msg, "X-1", AVP_set("a", "v1"))
  AVP_set("a", 5)
  local v = AVP_get("a")
  put(msg, "X-2", type(v) .. ":" .. tostring(v))
  AVP_set(7, "seven")
  put(msg, "X-3", AVP_get(7))
  put(msg, "X-4", tostring(AVP_destroy(7)))
  put(msg, "X-5", tostring(AVP_destroy(7)))
  put(msg, "X-Bad", select(2, pcall(AVP_get, {})))
  try(msg, "X-Bad2", AVP_set, "x", true)
  try(msg, "X-Bad3", AVP_set, "x", 1.5)
end
function b_avp(msg) AVP_set(nil, 1) end

function t_avp_destroy(msg)
  AVP_set("a", "old")
  AVP_set("a", "new")
  put(msg, "X-1", tostring(AVP_destroy("a")))
  put(msg, "X-2", AVP_get("a"))
end

-- pseudo-variables ----------------------------------------------------------------------
function t_pseudoVar(msg)
  put(msg, "X-1", pseudoVar(msg, "$rm from $fU"))
  put(msg, "X-2", msg:pseudoVar("$avp(none)"))
  put(msg, "X-3", pseudoVar(msg, "$var(c)/$avp(c)"))
  put(msg, "X-Nil", tostring(pseudoVar(msg, "$nosuchvar")))
  try(msg, "X-Bad", pseudoVar, msg, {})
end
function b_pseudoVar(msg) pseudoVar(msg) end

function t_pseudoVarSet(msg)
  put(msg, "X-1", pseudoVarSet(msg, "$var(x)", "set-by-lua"))
  pseudoVarSet(msg, "$avp(a)", 7)
  msg:pseudoVarSet("$du", "sip:192.0.2.7:5070")
  pseudoVarSet(msg, "$var(y)", nil)
  try(msg, "X-RO", pseudoVarSet, msg, "$si", "1.2.3.4")
  try(msg, "X-Parse", pseudoVarSet, msg, "nonsense", "x")
  try(msg, "X-Bad", pseudoVarSet, msg, "$var(x)", {})
end
function b_pseudoVarSet(msg) pseudoVarSet(msg, "$si", "x") end

function t_scriptVar(msg)
  put(msg, "X-1", scriptVarGet("c"))
  put(msg, "X-2", scriptVarGet("$c"))
  put(msg, "X-Nil", tostring(scriptVarGet("var(c)")) .. "," .. tostring(scriptVarGet("none")))
  put(msg, "X-3", tostring(scriptVarSet("n", 5)))
  scriptVarSet("z", nil)
  scriptVarSet("x", "str")
  try(msg, "X-Bad", scriptVarSet, "t", {})
end
function b_scriptVar(msg) scriptVarSet("t", true) end

-- reply lumps -------------------------------------------------------------------------------
function t_lump(msg)
  local r = add_lump_rpl(msg, "X-L1: one\r\n")
  add_lump_rpl(msg, "X-L2: no-crlf")
  msg:add_lump_rpl("X-L3: method\r\n")
  put(msg, "X-Returned", r == "X-L1: one\r\n")
  try(msg, "X-Bad", add_lump_rpl, msg, {})
end
function b_lump(msg) add_lump_rpl("msg", "X: y\r\n") end

-- watch ---------------------------------------------------------------------------------
function t_watch(msg)
  put(msg, "X-1", tostring(watch_getFlag(msg)))
  put(msg, "X-2", tostring(watch_getFlagFromExtension("alice")))
  try(msg, "X-Bad", watch_getFlagFromExtension, {})
  try(msg, "X-Bad2", watch_getFlag, "msg")
end
function b_watch(msg) watch_getFlag() end

-- datetime ------------------------------------------------------------------------------
function t_datetime(msg)
  local d = datetime_parse_str("2024-01-02 03:04:05")
  put(msg, "X-1", d:str())
  local e = d:duplicate()
  local same = d:add(60)
  put(msg, "X-2", d:str() .. "|" .. e:str() .. "|" .. tostring(rawequal(same, d)))
  put(msg, "X-3", d:compare(e))
  put(msg, "X-4", d:strftime("%Y/%m/%d %H"))
  put(msg, "X-5", tostring(d:strftime("")))
  put(msg, "X-6", tostring(d))
  local now = datetime_now()
  put(msg, "X-7", math.abs(now:compare(datetime_parse_str(os.date("!%Y-%m-%d %H:%M:%S")))) <= 2)
  put(msg, "X-Nil", tostring(datetime_parse_str("2024-01-02")) .. "," .. tostring(datetime_parse_str("x 2024-01-02 03:04:05")))
  try(msg, "X-Bad", datetime_parse_str, {})
end
function b_datetime(msg) datetime_now():add("x") end

function t_meminfo(msg) return 1 end
"##;

fn start() -> LuaTest {
    start_extra("")
}

fn start_extra(route_extra: &str) -> LuaTest {
    let dir = scratch("api");
    let script = dir.join("test.lua");
    let lua = format!(
        "{PRELUDE}\nSCRIPT = {:?}\n{API}",
        script.display().to_string()
    );
    std::fs::write(&script, lua).unwrap();
    let route = if route_extra.is_empty() {
        ROUTE.to_owned()
    } else {
        route_extra.to_owned()
    };
    LuaTest::start_in(&dir, "", &route)
}

/// Calls `t_<name>` and `b_<name>`; the latter raises an uncaught error, so `lua_exec` is
/// false and the error is logged with the function's name.
fn run(t: &LuaTest, name: &str, extra: &str) -> String {
    let bad = t.call_with(&format!("b_{name}"), extra);
    assert_eq!(hv(&bad, "X-Ret"), "false", "b_{name}: {bad}");
    assert!(
        t.log()
            .contains(&format!("siplua error running function b_{name}:")),
        "{}",
        t.log()
    );
    let reply = t.call_with(&format!("t_{name}"), extra);
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(
        hv(&reply, "X-Ret"),
        "true",
        "t_{name}: {reply}\n{}",
        t.log()
    );
    reply
}

#[test]
fn xlog() {
    let t = start();
    let r = run(&t, "xlog", "");
    assert_eq!(
        hv(&r, "X-Nil"),
        "err:runtime error: bad argument #1 to 'xlog' (string expected, got nil)"
    );
    assert!(
        hv(&r, "X-Bad").contains("xlog: unknown log level 'L_LOUD'"),
        "{r}"
    );
    let log = t.log();
    assert!(log.contains("NOTICE:siplua: hello-xlog"), "{log}");
    assert!(log.contains("WARNING:siplua: bare-level-name"), "{log}");
    assert!(log.contains("ERROR:siplua: only-message"), "{log}");
}

#[test]
fn xdbg_and_set_core_debug() {
    let t = start();
    let r = run(&t, "xdbg", "");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #1 to 'xdbg' (string expected, got table)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Core")
            .contains("bad argument #1 to 'setCoreDebug' (number expected, got string)"),
        "{r}"
    );
    let log = t.log();
    assert!(log.contains("DBG:siplua: shown-debug"), "{log}");
    assert!(
        !log.contains("hidden-debug") && !log.contains("hidden-again"),
        "{log}"
    );
}

#[test]
fn print() {
    let t = start();
    let r = run(&t, "print", "");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #2 to 'print' (string expected, got table)"),
        "{r}"
    );
    let log = t.log();
    assert!(log.contains("ALERT:siplua: first-print"), "{log}");
    assert!(log.contains("ALERT:siplua: 42"), "{log}");
    assert!(log.contains("ALERT:siplua: ok-print"), "{log}");
}

#[test]
fn notice() {
    let t = start();
    let r = run(&t, "notice", "");
    assert_eq!(hv(&r, "X-1"), "ok:nil");
    assert_eq!(hv(&r, "X-2"), "ok:nil");
    assert_eq!(hv(&r, "X-3"), "ok:nil");
    assert!(
        hv(&r, "X-Nil").contains("notice: wrong number of arguments ([local], str)"),
        "{r}"
    );
    assert!(hv(&r, "X-Bad").contains("wrong number of arguments"), "{r}");
}

#[test]
fn set_user_debug_and_warn_missing_free_fixup() {
    let t = start();
    let r = run(&t, "flags", "");
    assert_eq!(hv(&r, "X-1"), "ok:nil");
    assert_eq!(hv(&r, "X-2"), "ok:nil");
    assert_eq!(hv(&r, "X-3"), "ok:nil");
    assert!(
        hv(&r, "X-Nil").contains("bad argument #1 to 'setUserDebug' (number expected, got nil)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad")
            .contains("bad argument #1 to 'WarnMissingFreeFixup' (number expected, got string)"),
        "{r}"
    );
}

#[test]
fn getpid_is_the_process_id() {
    let t = start();
    let r = t.call("t_getpid");
    assert!(matches!(hv(&r, "X-1"), "integer" | "number"), "{r}");
    assert_eq!(hv(&r, "X-2"), "true");
    // Every worker is a thread of the one process.
    let pid = hv(&r, "X-Pid").to_owned();
    for _ in 0..5 {
        assert_eq!(hv(&t.call("t_getpid"), "X-Pid"), pid);
    }
}

#[test]
fn memory_functions() {
    let t = start();
    let r = t.call("t_getmem");
    assert_eq!(hv(&r, "X-Ret"), "true", "{r}");
    for h in ["X-1", "X-3", "X-4", "X-5", "X-6"] {
        assert_eq!(hv(&r, h), "true", "{h}: {r}");
    }
    assert_eq!(hv(&r, "X-2"), "0");
    assert_eq!(hv(&r, "X-Total"), (64u64 << 20).to_string());
}

#[test]
fn gethostname() {
    let t = start();
    let r = t.call("t_gethostname");
    let want = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(hv(&r, "X-1"), want.trim());
}

#[test]
fn filemtime() {
    let t = start();
    let r = run(&t, "filemtime", "");
    let mtime = std::fs::metadata(t.server.dir.join("test.lua"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(hv(&r, "X-1"), mtime.to_string());
    assert_eq!(hv(&r, "X-Nil"), "nil");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #1 to 'filemtime' (string expected, got table)"),
        "{r}"
    );
}

#[test]
fn get_type() {
    let t = start();
    let r = run(&t, "getType", "");
    assert_eq!(hv(&r, "X-1"), "SIP_REQUEST");
    assert_eq!(hv(&r, "X-2"), "SIP_REQUEST");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #1 to 'getType' (siplua.api expected, got string)"),
        "{r}"
    );
}

#[test]
fn get_method() {
    let t = start();
    let r = run(&t, "getMethod", "");
    assert_eq!(hv(&r, "X-1"), "MESSAGE");
    assert_eq!(hv(&r, "X-2"), "MESSAGE");
    assert!(
        hv(&r, "X-Bad").contains("(siplua.api expected, got table)"),
        "{r}"
    );
}

#[test]
fn get_status_is_nil_for_requests() {
    let t = start();
    let r = run(&t, "getStatus", "");
    assert_eq!(hv(&r, "X-Nil"), "nil");
    assert!(
        hv(&r, "X-Bad").contains("(siplua.api expected, got nil)"),
        "{r}"
    );
}

#[test]
fn get_uri_user_reads_the_to_uri() {
    let t = start();
    let r = run(&t, "getURI_User", "");
    assert_eq!(hv(&r, "X-1"), "\"bob\"");
    assert!(
        hv(&r, "X-Bad").contains("siplua.api expected, got string"),
        "{r}"
    );
    let r = t.send_raw(&raw_request(
        "MESSAGE",
        t.client.port(),
        "<sip:example.com>",
        "t_getURI_User",
        "",
    ));
    assert_eq!(hv(&r, "X-1"), "\"\"", "{r}");
}

#[test]
fn get_expires() {
    let t = start();
    let r = run(&t, "getExpires", "Expires: 300\r\n");
    assert_eq!(hv(&r, "X-1"), "300");
    assert!(
        hv(&r, "X-Bad").contains("siplua.api expected, got number"),
        "{r}"
    );
    let r = t.call("t_getExpires");
    assert_eq!(hv(&r, "X-1"), "nil");
}

#[test]
fn get_header() {
    let t = start();
    let r = run(&t, "getHeader", "X-Custom: some value \r\n");
    assert_eq!(hv(&r, "X-1"), "some value");
    assert_eq!(hv(&r, "X-2"), "some value");
    assert!(
        hv(&r, "X-3").starts_with("<sip:alice@example.com>;tag="),
        "{r}"
    );
    assert_eq!(hv(&r, "X-Nil"), "nil");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #2 to 'getHeader' (string expected, got table)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad-Msg")
            .contains("bad argument #1 to 'getHeader' (siplua.api expected, got string)"),
        "{r}"
    );
}

#[test]
fn get_contact() {
    let t = start();
    let r = run(
        &t,
        "getContact",
        "Contact: \"Alice\" <sip:a@192.0.2.1:5062>;q=0.5;expires=60, <sip:b@h.example>\r\nContact: sip:c@h2;expires=x\r\n",
    );
    assert_eq!(hv(&r, "X-N"), "3", "{r}");
    assert_eq!(hv(&r, "X-C1"), "nil|\"Alice\"|sip:a@192.0.2.1:5062|0.5|60");
    assert_eq!(hv(&r, "X-C2"), "nil||sip:b@h.example|nil|nil");
    assert_eq!(hv(&r, "X-C3"), "nil||sip:c@h2|nil|0");
    let r = t.call("t_getContact");
    assert_eq!(hv(&r, "X-1"), "nil");
    let r = t.call_with("t_getContact", "Contact: *\r\nExpires: 0\r\n");
    assert_eq!(hv(&r, "X-C1"), "true|*|*|nil|nil", "{r}");
    let r = t.call_with("t_getContact", "Contact: *\r\nExpires: 60\r\n");
    assert_eq!(hv(&r, "X-1"), "nil", "{r}");
    let r = t.call_with("t_getContact", "Contact: *, <sip:x@y>\r\n");
    assert_eq!(hv(&r, "X-1"), "nil", "{r}");
    let r = t.call_with("p_getContact", "Contact: <sip:broken\r\n");
    assert!(
        hv(&r, "X-Bad").contains("getContact: failed to parse Contact body"),
        "{r}"
    );
}

#[test]
fn get_route() {
    let t = start();
    let port = t.server.port;
    let r = run(
        &t,
        "getRoute",
        &format!("Route: <sip:127.0.0.1:{port};lr>, <sip:u@proxy.example.com;lr=on;r2=on;x=1>\r\nRoute: <sip:192.0.2.9>\r\n"),
    );
    assert_eq!(hv(&r, "X-N"), "3", "{r}");
    assert_eq!(
        hv(&r, "X-R1"),
        format!("sip:127.0.0.1:{port};lr||127.0.0.1|{port}|lr|lr||||true")
    );
    assert_eq!(hv(&r, "X-R2"), "sip:u@proxy.example.com;lr=on;r2=on;x=1|u|proxy.example.com|0|lr=on;r2=on;x=1|lr|on|r2|on|false");
    assert_eq!(hv(&r, "X-R3"), "sip:192.0.2.9||192.0.2.9|0||||||false");
    let r = t.call("t_getRoute");
    assert_eq!(hv(&r, "X-1"), "nil");
    let r = t.call_with("p_getRoute", "Route: <sip:broken\r\n");
    assert!(
        hv(&r, "X-Bad").contains("getRoute: failed to parse route HF"),
        "{r}"
    );
}

#[test]
fn source_and_destination_ips() {
    let t = start();
    let r = run(&t, "ips", "");
    assert_eq!(hv(&r, "X-Src"), "127.0.0.1");
    assert_eq!(hv(&r, "X-Dst"), "127.0.0.1");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #1 to 'getSrcIp' (siplua.api expected, got table)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad2").contains("bad argument #1 to 'getDstIp' (siplua.api expected, got nil)"),
        "{r}"
    );
}

#[test]
fn is_myself_and_grep_sock_info() {
    let t = start();
    let port = t.server.port;
    let r = run(&t, "myself", &format!("X-Port: {port}\r\n"));
    assert_eq!(hv(&r, "X-1"), "true");
    assert_eq!(hv(&r, "X-2"), "nil");
    assert_eq!(hv(&r, "X-3"), "nil");
    assert_eq!(hv(&r, "X-4"), format!("127.0.0.1:{port}:nil"));
    assert_eq!(hv(&r, "X-5"), "nil");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #1 to 'isMyself' (string expected, got table)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad2")
            .contains("bad argument #2 to 'grepSockInfo' (number expected, got string)"),
        "{r}"
    );
}

#[test]
fn avps_are_shared_with_the_cfg() {
    let t = start();
    let r = run(&t, "avp", "");
    assert_eq!(hv(&r, "X-Cfg"), "from-cfg");
    assert_eq!(hv(&r, "X-Nil"), "nil");
    assert_eq!(hv(&r, "X-1"), "true");
    assert!(matches!(hv(&r, "X-2"), "number:5"), "{r}");
    assert_eq!(hv(&r, "X-3"), "seven");
    assert_eq!(hv(&r, "X-4"), "true");
    assert_eq!(hv(&r, "X-5"), "nil");
    assert!(
        hv(&r, "X-Bad").contains(
            "bad argument #1 to 'AVP_get' (AVP name (string or number) expected, got table)"
        ),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad2")
            .contains("bad argument #2 to 'AVP_set' (string or number expected, got boolean)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad3").contains("number has no integer representation"),
        "{r}"
    );
    // The cfg reads what Lua set: `$avp(a)` is the newest value.
    assert_eq!(hv(&r, "X-A"), "5");
    let r = t.call("t_avp_destroy");
    assert_eq!(hv(&r, "X-1"), "true");
    assert_eq!(hv(&r, "X-2"), "old");
    assert_eq!(hv(&r, "X-A"), "old");
}

#[test]
fn pseudo_var() {
    let t = start();
    let r = run(&t, "pseudoVar", "");
    assert_eq!(hv(&r, "X-1"), "MESSAGE from alice");
    assert_eq!(hv(&r, "X-2"), "<null>");
    assert_eq!(hv(&r, "X-3"), "cfgval/from-cfg");
    assert_eq!(hv(&r, "X-Nil"), "nil");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #2 to 'pseudoVar' (string expected, got table)"),
        "{r}"
    );
}

#[test]
fn pseudo_var_set_is_seen_by_the_cfg() {
    let t = start();
    let r = run(&t, "pseudoVarSet", "");
    assert_eq!(hv(&r, "X-1"), "true");
    assert_eq!(hv(&r, "X-Var-X"), "set-by-lua");
    assert_eq!(hv(&r, "X-A"), "7");
    assert_eq!(hv(&r, "X-Du"), "sip:192.0.2.7:5070");
    assert_eq!(hv(&r, "X-Var-Y"), "<null>");
    assert!(
        hv(&r, "X-RO").contains("pseudoVarSet: read only PV in left expression `$si'"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Parse").contains("pseudoVarSet: error in parsing pvar `nonsense'"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad").contains(
            "bad argument #3 to 'pseudoVarSet' (nil, number or string expected, got table)"
        ),
        "{r}"
    );
}

#[test]
fn script_vars() {
    let t = start();
    let r = run(&t, "scriptVar", "");
    assert_eq!(hv(&r, "X-1"), "cfgval");
    assert_eq!(hv(&r, "X-2"), "cfgval");
    assert_eq!(hv(&r, "X-Nil"), "nil,nil");
    assert_eq!(hv(&r, "X-3"), "true");
    assert_eq!(hv(&r, "X-Var-N"), "5");
    assert_eq!(hv(&r, "X-Var-Z"), "0");
    assert_eq!(hv(&r, "X-Var-X"), "str");
    assert!(
        hv(&r, "X-Bad").contains("scriptVarSet: table type value not supported"),
        "{r}"
    );
}

#[test]
fn add_lump_rpl_reaches_sl_send_reply_and_send_reply() {
    let t = start();
    let r = run(&t, "lump", "");
    assert_eq!(hv(&r, "X-L1"), "one");
    assert_eq!(hv(&r, "X-L2"), "no-crlf");
    assert_eq!(hv(&r, "X-L3"), "method");
    assert_eq!(hv(&r, "X-Returned"), "true");
    assert!(
        hv(&r, "X-Bad").contains("bad argument #2 to 'add_lump_rpl' (string expected, got table)"),
        "{r}"
    );
    // The reply is well formed: the line without CRLF did not swallow the next header.
    assert_eq!(hv(&r, "X-Ret"), "true");

    let route = r#"route { lua_exec("t_lump"); send_reply(404, "Not Here"); }"#;
    let t = start_extra(route);
    let r = t.call("t_lump");
    assert_eq!(status(&r), 404, "{r}");
    assert_eq!(hv(&r, "X-L1"), "one");
    assert_eq!(hv(&r, "X-L3"), "method");
}

#[test]
fn watch_lookups_on_an_empty_list() {
    let t = start();
    let r = run(&t, "watch", "");
    assert_eq!(hv(&r, "X-1"), "nil");
    assert_eq!(hv(&r, "X-2"), "false");
    assert!(
        hv(&r, "X-Bad").contains(
            "bad argument #1 to 'watch_getFlagFromExtension' (string expected, got table)"
        ),
        "{r}"
    );
    assert!(
        hv(&r, "X-Bad2").contains("siplua.api expected, got string"),
        "{r}"
    );
}

#[test]
fn datetime() {
    let t = start();
    let r = run(&t, "datetime", "");
    assert_eq!(hv(&r, "X-1"), "2024-01-02 03:04:05");
    assert_eq!(
        hv(&r, "X-2"),
        "2024-01-02 03:05:05|2024-01-02 03:04:05|true"
    );
    assert_eq!(hv(&r, "X-3"), "60");
    assert_eq!(hv(&r, "X-4"), "2024/01/02 03");
    assert_eq!(hv(&r, "X-5"), "nil");
    assert_eq!(hv(&r, "X-6"), "2024-01-02 03:05:05");
    assert_eq!(hv(&r, "X-7"), "true");
    assert_eq!(hv(&r, "X-Nil"), "nil,nil");
    assert!(
        hv(&r, "X-Bad")
            .contains("bad argument #1 to 'datetime_parse_str' (string expected, got table)"),
        "{r}"
    );
}

#[test]
fn lua_meminfo_logs_and_returns_true() {
    let route = r#"route { if (lua_meminfo()) { append_to_reply("X-Mem: true\r\n"); } sl_send_reply(200, "OK"); }"#;
    let t = start_extra(route);
    let r = t.call("x");
    assert_eq!(hv(&r, "X-Mem"), "true");
    assert!(wait_log(&t, "siplua: Lua heap used/", 3), "{}", t.log());
    assert!(t.log().contains("cap/67108864"), "{}", t.log());
}
