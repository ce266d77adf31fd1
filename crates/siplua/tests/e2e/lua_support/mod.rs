//! Helpers for the Lua end-to-end tests (`lua_*.rs`): a siplua with the `lua` module and a
//! test script, a client that calls one Lua function per request, and a Lua prelude that
//! reports results in reply headers.
//!
//! Pattern: the cfg runs `lua_exec("$hdr(X-F)")` (the function named by the request's
//! `X-F` header), reports the route result as `X-Ret: true|false` and `$avp(a)` as `X-A`,
//! then replies 200. Lua functions put what they observed into the reply with
//! `put(msg, "X-Name", value)` (an `add_lump_rpl`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::*;

/// Lua helpers prepended to every test script.
pub const PRELUDE: &str = r#"
function oneline(v)
  local s = tostring(v)
  s = s:gsub("\r?\n.*", "")
  return s
end
function put(msg, name, v)
  add_lump_rpl(msg, name .. ": " .. oneline(v) .. "\r\n")
end
-- runs f(...) protected; reports "ok:<first result>" or the first line of the error
function try(msg, name, f, ...)
  local ok, r = pcall(f, ...)
  if ok then put(msg, name, "ok:" .. tostring(r)) else put(msg, name, "err:" .. oneline(r)) end
end
"#;

/// The standard route: call the function named by `X-F`, report, reply 200.
pub const DISPATCH_ROUTE: &str = r#"
route {
    if (is_method("ACK")) { exit; }
    if (lua_exec("$hdr(X-F)")) {
        append_to_reply("X-Ret: true\r\n");
    } else {
        append_to_reply("X-Ret: false\r\n");
    }
    append_to_reply("X-A: $avp(a)\r\n");
    sl_send_reply(200, "OK");
}
"#;

/// The cfg around a route: modules, sockets, and the Lua file `{DIR}/test.lua`.
pub fn lua_cfg(modparams: &str, route: &str) -> String {
    format!(
        r#"
log_level = 3
xlog_level = 3
stderror_enabled = yes
syslog_enabled = no
udp_workers = 2
socket = udp:127.0.0.1:{{PORT}}
loadmodule "proto_udp.so"
loadmodule "sl.so"
loadmodule "signaling.so"
loadmodule "sipmsgops.so"
loadmodule "lua.so"
modparam("lua", "luafilename", "{{DIR}}/test.lua")
{modparams}
{route}
"#
    )
}

/// A running siplua with a Lua script, and a client.
pub struct LuaTest {
    /// The server.
    pub server: Server,
    /// A UDP client.
    pub client: UdpClient,
}

/// Writes the script (with the prelude) into a fresh directory.
pub fn script_dir(name: &str, lua: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("test.lua"), format!("{PRELUDE}\n{lua}")).expect("write lua");
    dir
}

impl LuaTest {
    /// Starts siplua with the dispatch route and `lua` as the script.
    pub fn start(lua: &str) -> LuaTest {
        LuaTest::start_with(lua, "", DISPATCH_ROUTE)
    }

    /// Starts siplua with extra modparams and a route of its own.
    pub fn start_with(lua: &str, modparams: &str, route: &str) -> LuaTest {
        let dir = script_dir("lua", lua);
        LuaTest::start_in(&dir, modparams, route)
    }

    /// Starts siplua in a directory that already holds `test.lua`.
    pub fn start_in(dir: &Path, modparams: &str, route: &str) -> LuaTest {
        let server = Server::start_in(dir, &lua_cfg(modparams, route));
        LuaTest {
            server,
            client: UdpClient::new(),
        }
    }

    /// Sends a MESSAGE whose `X-F` header names `func` (plus `extra` header lines) and
    /// returns the reply.
    pub fn call_with(&self, func: &str, extra: &str) -> String {
        let req = request(
            "MESSAGE",
            "sip:bob@127.0.0.1",
            self.client.port(),
            &format!("X-F: {func}\r\n{extra}"),
        );
        self.client
            .request(&self.server, &req)
            .unwrap_or_else(|| panic!("no reply to {func}; log:\n{}", self.server.log_text()))
    }

    /// Calls `func` with no extra headers.
    pub fn call(&self, func: &str) -> String {
        self.call_with(func, "")
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.server.log_text()
    }
}

/// The value of header `name` in a reply, or "" when absent.
pub fn hv<'a>(reply: &'a str, name: &str) -> &'a str {
    header(reply, name).unwrap_or("")
}

/// Every value of header `name`, in order.
pub fn all<'a>(reply: &'a str, name: &str) -> Vec<&'a str> {
    reply
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .collect()
}

/// Waits up to `secs` seconds for `needle` to appear in the server log.
pub fn wait_log(t: &LuaTest, needle: &str, secs: u64) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if t.log().contains(needle) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

/// A request with full control of To and extra headers (`{PORT}`-free), calling `func`.
pub fn raw_request(method: &str, client_port: u16, to: &str, func: &str, extra: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{method} sip:bob@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-raw-{n};rport\r\n\
         From: <sip:alice@example.com>;tag=f{n}\r\n\
         To: {to}\r\n\
         Call-ID: raw-{n}@test\r\n\
         CSeq: 1 {method}\r\n\
         Max-Forwards: 70\r\n\
         X-F: {func}\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}

impl LuaTest {
    /// Sends a hand-built request and returns the reply.
    pub fn send_raw(&self, req: &str) -> String {
        self.client
            .request(&self.server, req)
            .unwrap_or_else(|| panic!("no reply; log:\n{}", self.server.log_text()))
    }
}
