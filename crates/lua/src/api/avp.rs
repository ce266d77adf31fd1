//! `AVP_get(name)`, `AVP_set(name, value)`, `AVP_destroy(name)`: the AVPs of the running
//! message or transaction, the same list the cfg reads as `$avp(name)`.
//!
//! No `msg` argument (OpenSIPS' signature). Names are strings or numbers; anything else is a
//! Lua error (OpenSIPS crashed). `AVP_set` adds a value in front of the earlier ones, as
//! `$avp(x) = v` does; `AVP_destroy` removes only the newest.

use mlua::{Lua, LuaString, Value};
use siplua_core::value::Value as ScriptValue;

use super::args::{bad_arg, check_integer, type_name};
use crate::current::with_ctx;

fn name(lua: &Lua, v: Value, func: &str) -> mlua::Result<LuaString> {
    match v {
        Value::String(s) => Ok(s),
        v @ (Value::Integer(_) | Value::Number(_)) => lua
            .coerce_string(v)?
            .ok_or_else(|| bad_arg(1, func, "AVP name expected")),
        other => Err(bad_arg(
            1,
            func,
            &format!(
                "AVP name (string or number) expected, got {}",
                type_name(&other)
            ),
        )),
    }
}

/// A script value as Lua sees it.
pub fn to_lua(lua: &Lua, v: &ScriptValue) -> mlua::Result<Value> {
    Ok(match v {
        ScriptValue::Null => Value::Nil,
        ScriptValue::Int(i) => Value::Integer(*i),
        ScriptValue::Str(s) => Value::String(lua.create_string(s)?),
    })
}

/// `AVP_get(name)`: the newest value (integer or string); nil when there is none.
pub fn get(lua: &Lua, n: Value) -> mlua::Result<Value> {
    let n = name(lua, n, "AVP_get")?;
    let n = n.to_str()?;
    with_ctx("AVP_get", |ctx| match ctx.avps.get(&n, 0) {
        Some(v) => to_lua(lua, v),
        None => Ok(Value::Nil),
    })
}

/// `AVP_set(name, value)`: adds an integer (for a number) or string value; returns true.
pub fn set(lua: &Lua, (n, v): (Value, Value)) -> mlua::Result<bool> {
    let n = name(lua, n, "AVP_set")?;
    let n = n.to_str()?;
    let value = match v {
        v @ (Value::Integer(_) | Value::Number(_)) => {
            ScriptValue::Int(check_integer(lua, v, 2, "AVP_set")?)
        }
        Value::String(s) => ScriptValue::Str(s.to_string_lossy()),
        other => {
            return Err(bad_arg(
                2,
                "AVP_set",
                &format!("string or number expected, got {}", type_name(&other)),
            ))
        }
    };
    with_ctx("AVP_set", |ctx| {
        ctx.avps.add(&n, value);
        Ok(true)
    })
}

/// `AVP_destroy(name)`: removes the newest value; true, or nil when there was none.
pub fn destroy(lua: &Lua, n: Value) -> mlua::Result<Option<bool>> {
    let n = name(lua, n, "AVP_destroy")?;
    let n = n.to_str()?;
    with_ctx("AVP_destroy", |ctx| {
        Ok(ctx.avps.remove_at(&n, 0).then_some(true))
    })
}
