//! Argument checks shared by the API functions, with the error texts Lua's own `luaL_check*`
//! functions produce (`bad argument #2 to 'getHeader' (string expected, got table)`), so
//! scripts and logs read the same as under OpenSIPS.

use mlua::{Lua, LuaString, Value};

use super::MsgHandle;

/// Lua's name for the type of a value.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        Value::UserData(_) | Value::LightUserData(_) => "userdata",
        _ => "value",
    }
}

/// `bad argument #pos to 'func' (why)`.
pub fn bad_arg(pos: usize, func: &str, why: &str) -> mlua::Error {
    mlua::Error::runtime(format!("bad argument #{pos} to '{func}' ({why})"))
}

/// Checks that argument 1 is the `msg` object `lua_exec` passes.
pub fn check_msg(v: &Value, func: &str) -> mlua::Result<()> {
    match v {
        Value::UserData(ud) if ud.is::<MsgHandle>() => Ok(()),
        other => Err(bad_arg(
            1,
            func,
            &format!("siplua.api expected, got {}", type_name(other)),
        )),
    }
}

/// `luaL_checkstring`: a string, or a number converted to one.
pub fn check_string(lua: &Lua, v: Value, pos: usize, func: &str) -> mlua::Result<LuaString> {
    match v {
        Value::String(s) => Ok(s),
        v @ (Value::Integer(_) | Value::Number(_)) => lua
            .coerce_string(v)?
            .ok_or_else(|| bad_arg(pos, func, "string expected, got number")),
        other => Err(bad_arg(
            pos,
            func,
            &format!("string expected, got {}", type_name(&other)),
        )),
    }
}

/// `luaL_checkinteger`: an integer, a float with an exact integer value, or a string
/// spelling one.
pub fn check_integer(lua: &Lua, v: Value, pos: usize, func: &str) -> mlua::Result<i64> {
    let what = type_name(&v);
    match v {
        Value::Integer(i) => Ok(i),
        Value::Number(n) => float_to_int(n)
            .ok_or_else(|| bad_arg(pos, func, "number has no integer representation")),
        v @ Value::String(_) => match lua.coerce_number(v)? {
            Some(n) => float_to_int(n)
                .ok_or_else(|| bad_arg(pos, func, "number has no integer representation")),
            None => Err(bad_arg(pos, func, "number expected, got string")),
        },
        _ => Err(bad_arg(pos, func, &format!("number expected, got {what}"))),
    }
}

/// The integer a float holds exactly, if it does (Lua 5.3+ `lua_tointeger` rule).
pub fn float_to_int(n: f64) -> Option<i64> {
    (n.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n))
        .then_some(n as i64)
}
