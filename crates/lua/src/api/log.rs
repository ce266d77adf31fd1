//! Logging and log settings: `xlog`, `xdbg`, `print`, `notice`, `setUserDebug`,
//! `WarnMissingFreeFixup`, `setCoreDebug`.
//!
//! Lines go through the engine's logger with the origin `siplua`, so `log_level`,
//! stderr/syslog settings apply as to any other line. With `lua_user_debug` / `setUserDebug`
//! on, each line is also sent to syslog (LOG_USER, prefix `siplua: `) whatever the level, as
//! the original module did. `notice` writes to syslog only, as in OpenSIPS.

use std::ffi::CString;

use mlua::{Lua, Value, Variadic};
use siplua_core::log::{self as slog, level};

use super::args::{check_integer, check_string};
use crate::state::StateData;

/// Emits one Lua log line at an OpenSIPS level (and to syslog when user debug is on).
pub fn emit(data: &StateData, l: i32, text: &str) {
    slog::emit(l, "siplua", text);
    if data.user_debug.get() {
        syslog(libc::LOG_USER | syslog_priority(l), text);
    }
}

fn syslog_priority(l: i32) -> libc::c_int {
    match l {
        i32::MIN..=-3 => libc::LOG_ALERT,
        -2 => libc::LOG_CRIT,
        -1 => libc::LOG_ERR,
        0 | 1 => libc::LOG_WARNING,
        2 => libc::LOG_NOTICE,
        3 => libc::LOG_INFO,
        _ => libc::LOG_DEBUG,
    }
}

fn syslog(priority: libc::c_int, text: &str) {
    let line = format!("siplua: {}", text.trim_end_matches(['\r', '\n']));
    let Ok(c) = CString::new(line.replace('\0', " ")) else {
        return;
    };
    // SAFETY: a constant "%s" format with one NUL-terminated string argument.
    unsafe { libc::syslog(priority, c"%s".as_ptr(), c.as_ptr()) };
}

/// The level names `xlog` accepts: `L_ALERT` ... `L_DBG` and the bare names, whole and
/// case-insensitive.
fn xlog_level(name: &str) -> Option<i32> {
    let up = name.trim().to_ascii_uppercase();
    let bare = up.strip_prefix("L_").unwrap_or(&up);
    Some(match bare {
        "ALERT" => level::ALERT,
        "CRIT" => level::CRIT,
        "ERR" => level::ERR,
        "WARN" => level::WARN,
        "NOTICE" => level::NOTICE,
        "INFO" => level::INFO,
        "DBG" => level::DBG,
        _ => return None,
    })
}

/// `xlog([level,] text)`: text at the level (ERR without one); no newline added.
pub fn xlog(lua: &Lua, (a, b): (Value, Value)) -> mlua::Result<()> {
    let data = StateData::of(lua)?;
    if b.is_nil() {
        let text = check_string(lua, a, 1, "xlog")?;
        emit(&data, level::ERR, &text.to_string_lossy());
        return Ok(());
    }
    let name = check_string(lua, a, 1, "xlog")?;
    let name = name.to_string_lossy();
    let l = xlog_level(&name).ok_or_else(|| {
        mlua::Error::runtime(format!(
            "xlog: unknown log level '{name}' (use L_ALERT, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO or L_DBG)"
        ))
    })?;
    let text = check_string(lua, b, 2, "xlog")?;
    emit(&data, l, &text.to_string_lossy());
    Ok(())
}

/// `xdbg(text)`: text at DBG.
pub fn xdbg(lua: &Lua, text: Value) -> mlua::Result<()> {
    let data = StateData::of(lua)?;
    let text = check_string(lua, text, 1, "xdbg")?;
    emit(&data, level::DBG, &text.to_string_lossy());
    Ok(())
}

/// `print(...)`: each argument on a line of its own at ALERT (OpenSIPS' choice, replacing
/// Lua's `print`); arguments must be strings or numbers.
pub fn print(lua: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    let data = StateData::of(lua)?;
    for (i, v) in args.into_iter().enumerate() {
        let s = check_string(lua, v, i + 1, "print")?;
        emit(&data, level::ALERT, &s.to_string_lossy());
    }
    Ok(())
}

/// `notice([local,] text)`: straight to syslog as LOG_LOCAL<local> | LOG_NOTICE; a facility
/// outside 0-7 drops the line.
pub fn notice(lua: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    let mut args = args.into_iter();
    let (local, text) = match (args.next(), args.next(), args.next()) {
        (Some(t), None, None) => (0, t),
        (Some(l), Some(t), None) => (check_integer(lua, l, 1, "notice")?, t),
        _ => {
            return Err(mlua::Error::runtime(
                "notice: wrong number of arguments ([local], str)",
            ))
        }
    };
    let text = check_string(lua, text, 2, "notice")?;
    let facility = match local {
        0 => libc::LOG_LOCAL0,
        1 => libc::LOG_LOCAL1,
        2 => libc::LOG_LOCAL2,
        3 => libc::LOG_LOCAL3,
        4 => libc::LOG_LOCAL4,
        5 => libc::LOG_LOCAL5,
        6 => libc::LOG_LOCAL6,
        7 => libc::LOG_LOCAL7,
        _ => return Ok(()),
    };
    syslog(facility | libc::LOG_NOTICE, &text.to_string_lossy());
    Ok(())
}

/// `setUserDebug(n)`: this worker's `lua_user_debug`.
pub fn set_user_debug(lua: &Lua, n: Value) -> mlua::Result<()> {
    let n = check_integer(lua, n, 1, "setUserDebug")?;
    StateData::of(lua)?.user_debug.set(n != 0);
    Ok(())
}

/// `WarnMissingFreeFixup(n)`: this worker's `warn_missing_free_fixup`.
pub fn warn_missing_free_fixup(lua: &Lua, n: Value) -> mlua::Result<()> {
    let n = check_integer(lua, n, 1, "WarnMissingFreeFixup")?;
    StateData::of(lua)?.warn_fixup.set(n != 0);
    Ok(())
}

/// `setCoreDebug(n)`: the log level (siplua's level is global to the process: one process,
/// many worker threads).
pub fn set_core_debug(lua: &Lua, n: Value) -> mlua::Result<()> {
    let n = check_integer(lua, n, 1, "setCoreDebug")?;
    slog::set_level(n.clamp(level::ALERT.into(), level::DBG.into()) as i32);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_match_whole_names() {
        assert_eq!(xlog_level("L_INFO"), Some(level::INFO));
        assert_eq!(xlog_level("info"), Some(level::INFO));
        assert_eq!(xlog_level("WARN"), Some(level::WARN));
        assert_eq!(xlog_level("CRIT"), Some(level::CRIT));
        assert_eq!(xlog_level("L_XYZ"), None);
        assert_eq!(xlog_level("LOUD"), None);
    }
}
