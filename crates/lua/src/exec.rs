//! The cfg functions: `lua_exec(func[, param])` and `lua_meminfo()`.
//!
//! `lua_exec` runs a global Lua function with the `msg` object (and `param`), and turns its
//! first result into a route result: negative → false (-1), anything else → true (1),
//! including nil, `false` and non-numbers (OpenSIPS' rule). A runtime error, an exhausted
//! budget, a memory error or a missing function are false with an ERR line (the Lua error
//! carries its traceback). A request whose Request-URI does not parse gets a stateless
//! 400 "Bad Request-URI" before any Lua runs.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use mlua::{Lua, Value};
use siplua_core::context::Context;
use siplua_core::function::Args;
use siplua_core::log::{self, level};
use siplua_sip::Uri;

use crate::api::args::{float_to_int, type_name};
use crate::api::emit;
use crate::current;
use crate::state::{Shared, Target};
use crate::worker;

/// The handler of `lua_exec`.
pub fn lua_exec(shared: &Arc<Shared>, ctx: &mut Context, args: &Args) -> i32 {
    shared.stats.exec_calls.inc();
    let code = run(shared, ctx, args);
    if code == ERROR {
        shared.stats.exec_errors.inc();
    }
    if code == ERROR {
        -1
    } else {
        code
    }
}

/// What `run` returns for a failed call (a Lua error, a missing function), before it is
/// counted and mapped to -1.
const ERROR: i32 = -2;

fn run(shared: &Arc<Shared>, ctx: &mut Context, args: &Args) -> i32 {
    let Some(func) = args.str(ctx, 0) else {
        return -1;
    };
    let param = args.str(ctx, 1);
    if !ruri_ok(ctx) {
        log::emit(
            level::ERR,
            "siplua",
            "lua_exec: the Request-URI does not parse; replying 400",
        );
        if let Err(e) = siplua_core::reply::send_reply(ctx, 400, "Bad Request-URI") {
            log::emit(level::ERR, "siplua", &format!("lua_exec: {e}"));
        }
        return -1;
    }
    let Some(st) = worker::with_state(shared, Rc::clone) else {
        return ERROR;
    };
    let data = &st.data;
    let f = match st.target(&func) {
        Ok(Target::Function(f)) => f,
        Ok(Target::Other(Value::Nil)) => {
            emit(
                data,
                level::ERR,
                &format!("siplua Lua function {func} is nil"),
            );
            return ERROR;
        }
        Ok(Target::Other(other)) => {
            emit(
                data,
                level::ERR,
                &format!(
                    "siplua error running function {func}: attempt to call a {} value",
                    type_name(&other)
                ),
            );
            return ERROR;
        }
        Err(e) => {
            emit(
                data,
                level::ERR,
                &format!("siplua error running function {func}: {e}"),
            );
            return ERROR;
        }
    };
    data.budget.refill(&st.lua);
    let result = {
        let _current = current::enter(ctx);
        let _state = current::enter_state(data);
        match &param {
            Some(p) => f.call::<Value>((&st.msg, p.as_ref())),
            None => f.call::<Value>(&st.msg),
        }
    };
    let used = st.lua.used_memory();
    data.note_memory(used);
    shared.stats.memory.set(used as i64);
    match result {
        Ok(v) => route_result(&st.lua, v),
        Err(e) => {
            emit(
                data,
                level::ERR,
                &format!("siplua error running function {func}: {e}"),
            );
            ERROR
        }
    }
}

/// False only for a request whose (possibly rewritten) Request-URI does not parse. The
/// received Request-URI was checked when the message was parsed, so only a rewritten one is
/// parsed here.
fn ruri_ok(ctx: &Context) -> bool {
    match ctx.msg.as_ref() {
        Some(m) if m.is_request() => match &ctx.new_ruri {
            Some(r) => Uri::parse(r).is_ok(),
            None => m.ruri_str().is_some(),
        },
        _ => true,
    }
}

/// OpenSIPS' rule on the first result, read as `lua_tointeger` does on Lua 5.3+ (an integer,
/// a float with an integral value, or a string spelling one; anything else is 0): negative is
/// false (-1), everything else true (1). The same rule holds on every Lua build.
pub fn route_result(lua: &Lua, v: Value) -> i32 {
    let n = match v {
        Value::Integer(i) => i,
        Value::Number(f) => float_to_int(f).unwrap_or(0),
        v @ Value::String(_) => lua
            .coerce_number(v)
            .ok()
            .flatten()
            .and_then(float_to_int)
            .unwrap_or(0),
        _ => 0,
    };
    if n < 0 {
        -1
    } else {
        1
    }
}

/// The handler of `lua_meminfo()`: logs this worker's Lua heap and the process memory at INFO.
pub fn lua_meminfo(shared: &Arc<Shared>) -> i32 {
    let Some(text) = worker::with_state(shared, |st| {
        let heap = crate::api::MemInfo::lua(&st.lua, &st.data);
        let cap: Cow<str> = match st.data.capped {
            true => heap.total.to_string().into(),
            false => "none".into(),
        };
        let mut text = format!(
            "siplua: Lua heap used/{} max_used/{} cap/{cap}",
            heap.used, heap.max_used
        );
        if let Some(p) = crate::api::MemInfo::process() {
            text.push_str(&format!("; process size/{} resident/{}", p.total, p.used));
        }
        text
    }) else {
        return -1;
    };
    log::emit(level::INFO, "siplua", &text);
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_rule() {
        let lua = Lua::new();
        let cases = [
            ("nil", 1),
            ("false", 1),
            ("true", 1),
            ("0", 1),
            ("-1", -1),
            ("-2.0", -1),
            ("-1.5", 1),
            ("1.5", 1),
            ("'-3'", -1),
            ("' -3 '", -1),
            ("'-0x10'", -1),
            ("'abc'", 1),
            ("{}", 1),
        ];
        for (expr, want) in cases {
            let v: Value = lua.load(format!("return {expr}")).eval().unwrap();
            assert_eq!(route_result(&lua, v), want, "{expr}");
        }
    }
}
