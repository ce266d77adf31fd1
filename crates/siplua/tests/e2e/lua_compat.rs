//! Scripts written for OpenSIPS run unchanged: the spec's §12 example (minus the MySQL and
//! memcached lines) and 5.1-era idioms.

use crate::common;
use crate::lua_support;

use common::*;
use lua_support::*;

/// Written for OpenSIPS 3.x in the style of the spec's example: plain globals with an
/// explicit `msg`, `AVP_set` without `msg`, format strings in `pseudoVar`, `moduleFunc`
/// replies, 5.1 habits (`table.getn`, `unpack`).
const OPENSIPS_SCRIPT: &str = r#"
-- opensips.cfg:  lua_exec("on_request", "$ru")
function on_request(msg, ruri)
  xlog("L_INFO", "method=" .. (getMethod(msg) or "?") .. " ruri=" .. ruri .. "\n")
  local ua = getHeader(msg, "User-Agent")          -- nil if absent
  if ua and ua:find("friendly%-scanner") then
    moduleFunc(msg, "sl_send_reply", "403", "Forbidden")
    return -1                                       -- lua_exec -> false
  end
  AVP_set("lua_seen", 1)                            -- $avp(lua_seen) = 1
  local fu = pseudoVar(msg, "$fU@$fd")             -- format string expansion
  AVP_set("lua_from", fu)
  local contacts = getContact(msg) or {}
  for i, c in ipairs(contacts) do
    xdbg(i .. ": " .. c.uri .. " q=" .. tostring(c.q) .. "\n")
  end
  AVP_set("lua_contacts", table.getn(contacts))
  local first, second = unpack({"a", "b"})
  AVP_set("lua_unpack", first .. second)
  return 1                                          -- any non-negative -> true
end

-- top level runs once per process at startup (and again on auto-reload)
local id = getpid()
xlog("L_NOTICE", "lua script loaded in pid " .. id .. "\n")
"#;

const ROUTE: &str = r#"
route {
    if (is_method("ACK")) { exit; }
    if (lua_exec("on_request", "$ru")) {
        append_to_reply("X-Seen: $avp(lua_seen)\r\nX-From: $avp(lua_from)\r\nX-Contacts: $avp(lua_contacts)\r\nX-Unpack: $avp(lua_unpack)\r\n");
        sl_send_reply(200, "OK");
    } else {
        xlog("L_INFO", "rejected by Lua\n");
    }
}
"#;

#[test]
fn an_opensips_style_script_runs_unchanged() {
    let dir = scratch("compat");
    std::fs::write(dir.join("test.lua"), OPENSIPS_SCRIPT).unwrap();
    let t = LuaTest::start_in(&dir, "", ROUTE);
    let r = t.call_with(
        "-",
        "Contact: <sip:a@192.0.2.1>;q=0.7, <sip:b@192.0.2.2>\r\n",
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(hv(&r, "X-Seen"), "1");
    assert_eq!(hv(&r, "X-From"), "alice@example.com");
    assert_eq!(hv(&r, "X-Contacts"), "2");
    assert_eq!(hv(&r, "X-Unpack"), "ab");
    let r = t.call_with("-", "User-Agent: friendly-scanner 1.0\r\n");
    assert_eq!(status(&r), 403, "{r}");
    assert!(wait_log(&t, "rejected by Lua", 2));
    let log = t.log();
    assert!(
        log.contains("method=MESSAGE ruri=sip:bob@127.0.0.1"),
        "{log}"
    );
    assert!(log.contains("lua script loaded in pid"), "{log}");
}

#[test]
fn the_shipped_example_script_loads_and_answers() {
    let dir = scratch("example");
    std::fs::copy(root().join("etc/opensips.lua"), dir.join("test.lua")).unwrap();
    let route = r#"
route {
    if (is_method("OPTIONS")) {
        if (lua_exec("on_options")) {
            send_reply(200, "OK");
        } else {
            send_reply(500, "Lua Failed");
        }
        exit;
    }
    send_reply(501, "Not Implemented");
}
"#;
    let t = LuaTest::start_in(&dir, "", route);
    let r = t.send_raw(&raw_request(
        "OPTIONS",
        t.client.port(),
        "<sip:ping@127.0.0.1>",
        "-",
        "",
    ));
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(hv(&r, "Allow"), "OPTIONS");
    assert!(hv(&r, "X-Lua").starts_with("siplua"), "{r}");
}

/// A script that starts with a `#!` line, as scripts written to run under `lua` too do: Lua's
/// loader (which OpenSIPS uses) skips that line, and so does siplua's; the line numbers of
/// errors still match the file. This one reads its input from AVPs, shells out with
/// `io.popen` and hands the result back with `AVP_set`, like public OpenSIPS helpers.
#[test]
fn a_script_with_a_shebang_line_loads() {
    let dir = scratch("shebang");
    let script = "#!/usr/bin/lua\n\
        function convert(msg)\n\
        \x20 local text = tostring(AVP_get(\"text\"))\n\
        \x20 local p = io.popen(\"printf %s '\" .. text .. \"' | tr a-z A-Z\")\n\
        \x20 local out = p:read(\"*all\")\n\
        \x20 p:close()\n\
        \x20 return AVP_set(\"converted\", out)\n\
        end\n\
        function broken(msg)\n\
        \x20 error(\"on purpose\")\n\
        end\n";
    std::fs::write(dir.join("test.lua"), script).unwrap();
    let route = r#"
route {
    if (is_method("ACK")) { exit; }
    $avp(text) = "hello";
    if ($hdr(X-F) == "broken") {
        lua_exec("broken");
    } else if (lua_exec("convert")) {
        append_to_reply("X-Converted: $avp(converted)\r\n");
    }
    sl_send_reply(200, "OK");
}
"#;
    let t = LuaTest::start_in(&dir, "", route);
    let r = t.call("convert");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(hv(&r, "X-Converted"), "HELLO", "{r}");
    t.call("broken");
    assert!(wait_log(&t, "test.lua:10: on purpose", 3), "{}", t.log());
}
