//! `moduleFunc`: calling cfg functions from Lua exactly as the cfg would, with OpenSIPS'
//! argument typing, errors and raw return codes.

use crate::common;
use crate::lua_support;

use common::*;
use lua_support::*;

const LUA: &str = r##"
function lua_404(msg)
  add_lump_rpl(msg, "X-Lump: yes\r\n")
  put(msg, "X-Rc", moduleFunc(msg, "sl_send_reply", "404", "Not Here"))
  return -1
end
function lua_404_number(msg)
  return moduleFunc(msg, "sl_send_reply", 404, "Not Here")
end
function codes(msg)
  put(msg, "X-Maxfwd", moduleFunc(msg, "mf_process_maxfwd_header", "10"))
  put(msg, "X-Method-Yes", moduleFunc(msg, "is_method", "MESSAGE"))
  put(msg, "X-Method-No", msg:moduleFunc("is_method", "INVITE|REGISTER"))
  put(msg, "X-Body", moduleFunc(msg, "has_body", nil))
  put(msg, "X-Trailing", moduleFunc(msg, "ruri_has_param", "transport"))
  put(msg, "X-Core", moduleFunc(msg, "is_myself", "127.0.0.1"))
  moduleFunc(msg, "append_to_reply", "X-Expanded: $rm to $rU\r\n")
  put(msg, "X-Float", moduleFunc(msg, "is_myself", 1.5))
end
function errors(msg)
  try(msg, "X-Too-Many", moduleFunc, msg, "xlog", "1", "2", "3", "4", "5", "6", "7", "8", "9")
  try(msg, "X-Unknown", moduleFunc, msg, "no_such_function")
  try(msg, "X-Arity", moduleFunc, msg, "sl_send_reply", "404")
  try(msg, "X-Arity2", moduleFunc, msg, "is_method", "A", "B")
  try(msg, "X-Mandatory", moduleFunc, msg, "sl_send_reply", nil, "x")
  try(msg, "X-Int", moduleFunc, msg, "sl_send_reply", "abc", "x")
  try(msg, "X-Type", moduleFunc, msg, "sl_send_reply", true, "x")
  try(msg, "X-Msg", moduleFunc, "msg", "is_method", "INVITE")
  try(msg, "X-Name", moduleFunc, msg, {})
end
function uncaught(msg) moduleFunc(msg, "no_such_function") end
function per_call(msg)
  scriptVarSet("who", getHeader(msg, "X-Who"))
  moduleFunc(msg, "append_to_reply", "X-Who: $var(who)\r\n")
end
function varying(msg)
  moduleFunc(msg, "append_to_reply", "X-V: " .. getHeader(msg, "X-Who") .. "\r\n")
end
function on_reply(msg)
  xlog("L_NOTICE", "onreply moduleFunc rc=" .. moduleFunc(msg, "sl_send_reply", "500", "x") .. "\n")
end
"##;

const ROUTE: &str = r#"
route {
    if ($hdr(X-F) == "cfg_404") {
        append_to_reply("X-Lump: yes\r\n");
        sl_send_reply(404, "Not Here");
        exit;
    }
    if (lua_exec("$hdr(X-F)")) {
        append_to_reply("X-Ret: true\r\n");
    } else {
        append_to_reply("X-Ret: false\r\n");
    }
    if ($hdr(X-F) != "lua_404") {
        sl_send_reply(200, "OK");
    }
}
onreply_route { lua_exec("on_reply"); }
"#;

fn start() -> LuaTest {
    LuaTest::start_with(LUA, "loadmodule \"maxfwd.so\"", ROUTE)
}

/// A reply with the per-request values (Via branch, tags, Call-ID, CSeq) blanked.
fn normalised(reply: &str) -> Vec<String> {
    reply
        .lines()
        .map(|l| {
            let name = l.split(':').next().unwrap_or("").to_ascii_lowercase();
            match name.as_str() {
                "via" | "from" | "to" | "call-id" | "cseq" | "content-length" => name,
                _ => l.to_owned(),
            }
        })
        .collect()
}

#[test]
fn sl_send_reply_sends_what_the_cfg_call_sends() {
    let t = start();
    let from_cfg = t.call("cfg_404");
    let from_lua = t.call("lua_404");
    assert_eq!(status(&from_lua), 404, "{from_lua}");
    assert_eq!(normalised(&from_cfg), normalised(&from_lua));
    assert!(from_lua.starts_with("SIP/2.0 404 Not Here\r\n"));
    assert_eq!(hv(&from_lua, "X-Lump"), "yes");
    // Only one reply was sent: the cfg did not reply again.
    assert!(t
        .client
        .recv_timeout(std::time::Duration::from_millis(200))
        .is_none());
    let from_number = t.call("lua_404_number");
    assert_eq!(status(&from_number), 404);
}

#[test]
fn raw_codes_optional_arguments_and_expansion() {
    let t = start();
    // No Max-Forwards header: mf_process_maxfwd_header adds one and returns 2 (not 1).
    let req = raw_request(
        "MESSAGE",
        t.client.port(),
        "<sip:bob@example.com>",
        "codes",
        "",
    )
    .replace("Max-Forwards: 70\r\n", "");
    let r = t.send_raw(&req);
    assert_eq!(hv(&r, "X-Maxfwd"), "2", "{r}");
    assert_eq!(hv(&r, "X-Method-Yes"), "1");
    assert_eq!(hv(&r, "X-Method-No"), "-1");
    assert_eq!(hv(&r, "X-Body"), "-1");
    assert_eq!(hv(&r, "X-Trailing"), "-1");
    assert_eq!(hv(&r, "X-Core"), "1");
    assert_eq!(hv(&r, "X-Expanded"), "MESSAGE to bob");
    assert_eq!(hv(&r, "X-Float"), "-1");
    assert_eq!(hv(&r, "X-Ret"), "true");
}

#[test]
fn argument_errors() {
    let t = start();
    let r = t.call("errors");
    assert!(
        hv(&r, "X-Too-Many")
            .contains("moduleFunc: function 'xlog' called with too many arguments [9 > 8]"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Unknown")
            .contains("moduleFunc: function 'no_such_function' called, but not available"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Arity").contains("too few or too many parameters for function 'sl_send_reply'"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Arity2").contains("too few or too many parameters for function 'is_method'"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Mandatory").contains("mandatory parameter omitted for function 'sl_send_reply'"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Int").contains("parameter [1] of 'sl_send_reply' should be an integer"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Type").contains("bad argument #3 to 'moduleFunc' (string expected, got boolean)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Msg")
            .contains("bad argument #1 to 'moduleFunc' (siplua.api expected, got string)"),
        "{r}"
    );
    assert!(
        hv(&r, "X-Name").contains("bad argument #2 to 'moduleFunc' (string expected, got table)"),
        "{r}"
    );
    let r = t.call("uncaught");
    assert_eq!(hv(&r, "X-Ret"), "false");
    assert!(t.log().contains("called, but not available"));
}

#[test]
fn cached_calls_still_expand_variables_per_call() {
    let t = start();
    for who in ["ann", "ben", "cat"] {
        let r = t.call_with("per_call", &format!("X-Who: {who}\r\n"));
        assert_eq!(hv(&r, "X-Who"), who, "{r}");
    }
    assert!(!t.log().contains("change from call to call"), "{}", t.log());
}

#[test]
fn varying_arguments_warn_once_when_asked() {
    let t = start();
    for who in ["ann", "ben", "cat"] {
        let r = t.call_with("varying", &format!("X-Who: {who}\r\n"));
        assert_eq!(hv(&r, "X-V"), who, "{r}");
    }
    assert!(
        wait_log(
            &t,
            "the arguments of 'append_to_reply' change from call to call",
            2
        ),
        "{}",
        t.log()
    );
    // Once per worker at most (two workers).
    assert!(t.log().matches("change from call to call").count() <= 2);

    let quiet = LuaTest::start_with(
        LUA,
        "loadmodule \"maxfwd.so\"\nmodparam(\"lua\", \"warn_missing_free_fixup\", 0)",
        ROUTE,
    );
    for who in ["ann", "ben", "cat", "dan"] {
        quiet.call_with("varying", &format!("X-Who: {who}\r\n"));
    }
    assert!(!quiet.log().contains("change from call to call"));
}

#[test]
fn route_types_are_not_checked() {
    let t = start();
    let reply = format!(
        "SIP/2.0 180 Ringing\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK-m\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK-t\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n\
         Call-ID: mf-reply\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        t.server.port,
        t.client.port()
    );
    t.client.send(&t.server, reply.as_bytes());
    // sl_send_reply is not allowed in onreply_route in the cfg, but moduleFunc runs it: it
    // fails on a reply and its code comes back.
    assert!(wait_log(&t, "onreply moduleFunc rc=-1", 5), "{}", t.log());
    assert!(t.log().contains("sl_send_reply:"), "{}", t.log());
}
