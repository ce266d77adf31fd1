//! Reading the SIP message: `getType`, `getMethod`, `getStatus`, `getURI_User`,
//! `getExpires`, `getHeader`, `getContact`, `getRoute`, `getSrcIp`, `getDstIp`.
//!
//! Each reads the message of the running `lua_exec` through the parser's lazy views (no copy
//! until a Lua string is made). Absent things are nil; a header that is present but does not
//! parse is a Lua error, as in OpenSIPS.

use mlua::{Lua, Table, Value};
use siplua_core::context::Context;
use siplua_sip::headers::Contact;
use siplua_sip::{HeaderKind, Message, Uri};

use super::args::check_string;
use super::with_msg;

fn string(lua: &Lua, s: &str) -> mlua::Result<Value> {
    Ok(Value::String(lua.create_string(s)?))
}

fn message<'c>(ctx: &'c Context) -> Option<&'c Message> {
    ctx.msg
}

/// `getType(msg)`: `"SIP_REQUEST"` or `"SIP_REPLY"`.
pub fn get_type(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getType", |ctx| match message(ctx) {
        Some(m) if m.is_request() => string(lua, "SIP_REQUEST"),
        Some(_) => string(lua, "SIP_REPLY"),
        None => Ok(Value::Nil),
    })
}

/// `getMethod(msg)`: the method of a request; nil for a reply.
pub fn get_method(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getMethod", |ctx| {
        match message(ctx)
            .filter(|m| m.is_request())
            .and_then(Message::method_str)
        {
            Some(m) => string(lua, m),
            None => Ok(Value::Nil),
        }
    })
}

/// `getStatus(msg)`: the status code of a reply as a string (`"200"`); nil for a request.
pub fn get_status(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getStatus", |ctx| {
        match message(ctx).and_then(Message::status_code) {
            Some(code) => {
                let mut buf = [0u8; 5];
                let n = write_u16(code, &mut buf);
                Ok(Value::String(lua.create_string(&buf[..n])?))
            }
            None => Ok(Value::Nil),
        }
    })
}

/// Writes a number in decimal without allocating; returns the length.
fn write_u16(mut n: u16, buf: &mut [u8; 5]) -> usize {
    let mut tmp = [0u8; 5];
    let mut len = 0;
    loop {
        tmp[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        buf[i] = tmp[len - 1 - i];
    }
    len
}

/// `getURI_User(msg)`: the user part of the To URI (`""` when it has none); nil when To does
/// not parse.
pub fn get_uri_user(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getURI_User", |ctx| {
        match message(ctx).map(Message::to) {
            Some(Ok(to)) => string(lua, to.uri().user().unwrap_or("")),
            _ => Ok(Value::Nil),
        }
    })
}

/// `getExpires(msg)`: the Expires header as an integer; nil when absent or invalid.
pub fn get_expires(_: &Lua, msg: Value) -> mlua::Result<Option<i64>> {
    with_msg(&msg, "getExpires", |ctx| {
        Ok(match message(ctx).map(Message::expires) {
            Some(Ok(Some(n))) => Some(i64::from(n)),
            _ => None,
        })
    })
}

/// `getHeader(msg, name)`: the body of the first header with that name (case-insensitive,
/// compact forms included); nil when there is none.
pub fn get_header(lua: &Lua, (msg, name): (Value, Value)) -> mlua::Result<Value> {
    let name = check_string(lua, name, 2, "getHeader")?;
    with_msg(&msg, "getHeader", |ctx| {
        let Ok(name) = name.to_str() else {
            return Ok(Value::Nil);
        };
        let Some(m) = message(ctx) else {
            return Ok(Value::Nil);
        };
        let found = m.find_name(&name).next().map(|(_, h)| m.value_of(h));
        match found {
            Some(v) => string(lua, v),
            None => Ok(Value::Nil),
        }
    })
}

/// A Contact `q` / `expires` value as Lua's `tonumber` reads it, 0 when it is not a number.
fn number(lua: &Lua, text: &str) -> mlua::Result<Value> {
    if let Ok(i) = text.trim().parse::<i64>() {
        return Ok(Value::Integer(i));
    }
    let s = Value::String(lua.create_string(text)?);
    Ok(match lua.coerce_number(s)? {
        Some(n) => Value::Number(n),
        None => Value::Integer(0),
    })
}

/// `getContact(msg)`: every contact, in order, as `{name=, uri=, q=?, expires=?}` (a star is
/// `{star=true, name="*", uri="*"}`); nil without Contact, when star and addresses are mixed,
/// or for a star with a non-zero Expires header.
pub fn get_contact(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getContact", |ctx| {
        let Some(m) = message(ctx) else {
            return Ok(Value::Nil);
        };
        if m.find(HeaderKind::Contact).is_none() {
            return Ok(Value::Nil);
        }
        let list = lua.create_table()?;
        let (mut star, mut addr) = (false, false);
        for (i, c) in m.contacts().enumerate() {
            let c = c.map_err(|e| {
                mlua::Error::runtime(format!("getContact: failed to parse Contact body: {e}"))
            })?;
            let entry = lua.create_table()?;
            match c {
                Contact::Star => {
                    star = true;
                    entry.set("star", true)?;
                    entry.set("name", "*")?;
                    entry.set("uri", "*")?;
                }
                Contact::Addr(na) => {
                    addr = true;
                    entry.set("name", na.display_raw().unwrap_or(""))?;
                    entry.set("uri", na.uri().as_str())?;
                    if let Some(q) = na.params().get("q") {
                        entry.set("q", number(lua, q.unwrap_or(""))?)?;
                    }
                    if let Some(e) = na.params().get("expires") {
                        entry.set("expires", number(lua, e.unwrap_or(""))?)?;
                    }
                }
            }
            list.raw_set(i + 1, entry)?;
        }
        let star_with_expires = || matches!(m.expires(), Ok(Some(n)) if n != 0);
        if star && (addr || star_with_expires()) {
            return Ok(Value::Nil);
        }
        Ok(Value::Table(list))
    })
}

/// `getRoute(msg)`: every Route entry as `{uri, user, host, port, params, lr, lr_val, r2,
/// r2_val, is_myself}`; nil without Route.
pub fn get_route(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getRoute", |ctx| {
        let Some(m) = ctx.msg.as_ref() else {
            return Ok(Value::Nil);
        };
        if m.find(HeaderKind::Route).is_none() {
            return Ok(Value::Nil);
        }
        let list = lua.create_table()?;
        for (i, r) in m.routes().enumerate() {
            let r = r.map_err(|e| {
                mlua::Error::runtime(format!("getRoute: failed to parse route HF: {e}"))
            })?;
            let entry = route_entry(lua, ctx, &r.uri())?;
            list.raw_set(i + 1, entry)?;
        }
        Ok(Value::Table(list))
    })
}

fn route_entry(lua: &Lua, ctx: &Context, uri: &Uri) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, 10)?;
    t.set("uri", uri.as_str())?;
    t.set("user", uri.user().unwrap_or(""))?;
    t.set("host", uri.host())?;
    t.set("port", uri.port().unwrap_or(0))?;
    let params = uri.params();
    t.set("params", params.as_str().trim_start_matches(';'))?;
    for name in ["lr", "r2"] {
        let (present, value) = match params.get(name) {
            Some(v) => (name, v.unwrap_or("")),
            None => ("", ""),
        };
        t.set(name, present)?;
        t.set(format!("{name}_val"), value)?;
    }
    let port = uri.port().unwrap_or(5060);
    let mine = siplua_core::corefn::is_myself(
        ctx.core,
        ctx.worker.transports.as_deref(),
        uri.host(),
        Some(port),
    );
    t.set("is_myself", mine)?;
    Ok(t)
}

/// `getSrcIp(msg)`: the address the message came from, as text.
pub fn get_src_ip(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getSrcIp", |ctx| match ctx.origin {
        Some(o) => string(lua, &o.src.ip().to_string()),
        None => Ok(Value::Nil),
    })
}

/// `getDstIp(msg)`: the local address the message arrived on, as text.
pub fn get_dst_ip(lua: &Lua, msg: Value) -> mlua::Result<Value> {
    with_msg(&msg, "getDstIp", |ctx| {
        let sock = ctx.received_on().map(|s| s.addr.ip());
        match sock {
            Some(ip) => string(lua, &ip.to_string()),
            None => Ok(Value::Nil),
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_digits() {
        let mut b = [0u8; 5];
        let n = super::write_u16(404, &mut b);
        assert_eq!(&b[..n], b"404");
        let n = super::write_u16(0, &mut b);
        assert_eq!(&b[..n], b"0");
    }
}
