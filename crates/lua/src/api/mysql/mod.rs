//! `mysql_connect(host, user, password, db [, port])` and the MySQL objects (spec §9), on the
//! `mysql` crate (pure Rust, no TLS).
//!
//! - [`link`]: the connection with timeouts and auto-reconnect;
//! - [`connection`]: the `siplua.mysql` object;
//! - [`statement`]: the `siplua.mysql_stmt` object;
//! - [`row`]: stored result sets, values as text, the fetchers.

mod connection;
mod link;
mod row;
mod statement;

use mlua::{Lua, MultiValue, Value};
use mysql::{Opts, OptsBuilder};

use super::args::{check_integer, check_string};
use crate::state::StateData;
use connection::MysqlConn;
use link::Link;

/// MySQL's port when none is given.
const DEFAULT_PORT: u16 = 3306;

/// `mysql_connect(host, user, password, db [, port])` → a connection, or `nil, message`
/// when it cannot connect (within `lua_db_timeout`). An empty `db` selects no database.
pub fn mysql_connect(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let mut args = args.into_iter();
    let mut text = |pos: usize| -> mlua::Result<String> {
        let v = args.next().unwrap_or(Value::Nil);
        Ok(check_string(lua, v, pos, "mysql_connect")?
            .to_string_lossy()
            .to_string())
    };
    let (host, user, password, db) = (text(1)?, text(2)?, text(3)?, text(4)?);
    let port = match args.next().unwrap_or(Value::Nil) {
        Value::Nil => DEFAULT_PORT,
        v => {
            let p = check_integer(lua, v, 5, "mysql_connect")?;
            u16::try_from(p)
                .map_err(|_| mlua::Error::runtime(format!("mysql_connect: invalid port {p}")))?
        }
    };
    let timeout = StateData::of(lua)?.shared.settings.db_timeout;
    let opts = OptsBuilder::new()
        .ip_or_hostname(Some(host))
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(password))
        .db_name((!db.is_empty()).then_some(db))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(timeout))
        .read_timeout(Some(timeout))
        .write_timeout(Some(timeout));
    match Link::connect(Opts::from(opts)) {
        Ok(link) => {
            let ud = lua.create_userdata(MysqlConn::new(link))?;
            Ok(MultiValue::from_iter([Value::UserData(ud)]))
        }
        Err(e) => Ok(MultiValue::from_iter([
            Value::Nil,
            Value::String(lua.create_string(e.to_string())?),
        ])),
    }
}

/// `mysql_real_escape_string` for the default SQL mode: a backslash before NUL, newline,
/// carriage return, backslash, both quotes and Ctrl-Z.
pub fn escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + s.len() / 8);
    for &b in s {
        match b {
            0 => out.extend_from_slice(b"\\0"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\'' => out.extend_from_slice(b"\\'"),
            b'"' => out.extend_from_slice(b"\\\""),
            0x1a => out.extend_from_slice(b"\\Z"),
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_what_mysql_escapes() {
        assert_eq!(escape(b"it's"), b"it\\'s");
        assert_eq!(escape(b"a\0b\n\r\\\"\x1a"), b"a\\0b\\n\\r\\\\\\\"\\Z");
        assert_eq!(escape(b"plain"), b"plain");
    }
}
