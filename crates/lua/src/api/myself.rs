//! `isMyself(host, port)` and `grepSockInfo(host, port)`: whether an address is this server.
//!
//! `isMyself` uses the engine's `is_myself` (listening sockets, advertised names, aliases);
//! `grepSockInfo` looks at listening sockets only and describes the one found. The port is
//! optional (the OpenSIPS documentation says so; the C code required it); nil or 0 means
//! 5060. Both need the running `lua_exec` for the engine's socket list.

use std::net::IpAddr;

use mlua::{Lua, Value};

use super::args::{check_integer, check_string};
use crate::current::with_ctx;

fn host_port(lua: &Lua, host: Value, port: Value, func: &str) -> mlua::Result<(String, u16)> {
    let host = check_string(lua, host, 1, func)?.to_string_lossy();
    let port = if port.is_nil() {
        0
    } else {
        check_integer(lua, port, 2, func)?
    };
    let port = match u16::try_from(port) {
        Ok(0) => 5060,
        Ok(p) => p,
        Err(_) => {
            return Err(super::args::bad_arg(2, func, "port out of range"));
        }
    };
    Ok((host, port))
}

/// `isMyself(host[, port])`: true when the address is one of ours, nil otherwise.
pub fn is_myself(lua: &Lua, (host, port): (Value, Value)) -> mlua::Result<Option<bool>> {
    let (host, port) = host_port(lua, host, port, "isMyself")?;
    with_ctx("isMyself", |ctx| {
        let mine = siplua_core::corefn::is_myself(
            ctx.core,
            ctx.worker.transports.as_deref(),
            &host,
            Some(port),
        );
        Ok(mine.then_some(true))
    })
}

/// `grepSockInfo(host[, port])`: `{name=, port=, adv_name=?, adv_port=?}` of the listening
/// socket with that address and port, nil when there is none.
pub fn grep_sock_info(lua: &Lua, (host, port): (Value, Value)) -> mlua::Result<Value> {
    let (host, port) = host_port(lua, host, port, "grepSockInfo")?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let ip: Option<IpAddr> = bare.parse().ok();
    with_ctx("grepSockInfo", |ctx| {
        let Some(transports) = ctx.worker.transports.as_ref() else {
            return Ok(Value::Nil);
        };
        let found = transports.sockets().iter().find(|s| {
            s.addr.port() == port
                && (ip == Some(s.addr.ip()) || s.addr.ip().to_string().eq_ignore_ascii_case(bare))
        });
        let Some(s) = found else {
            return Ok(Value::Nil);
        };
        let t = lua.create_table_with_capacity(0, 4)?;
        let name = s.addr.ip().to_string();
        t.set("name", name.as_str())?;
        t.set("port", s.addr.port())?;
        if s.advertised_host != name || s.advertised_port != s.addr.port() {
            t.set("adv_name", s.advertised_host.as_str())?;
            t.set("adv_port", s.advertised_port)?;
        }
        Ok(Value::Table(t))
    })
}
