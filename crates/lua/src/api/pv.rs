//! Pseudo-variables and script variables: `pseudoVar(msg, fmt)`, `pseudoVarSet(msg, spec,
//! value)`, `scriptVarGet(name)`, `scriptVarSet(name, value)`.
//!
//! `pseudoVar` expands a whole format string (`"$fU@$fd"`), unset variables printing as
//! `<null>`; `pseudoVarSet` assigns one writable variable with the cfg's `=` semantics, so the
//! cfg sees the change after the call. Formats and specs are compiled once per distinct text
//! and worker (a small cache), not on every call. Script variables are the worker's `$var`s.

use std::collections::HashMap;
use std::rc::Rc;

use mlua::{Lua, Value};
use siplua_core::engine::Core;
use siplua_core::format::CompiledFormat;
use siplua_core::log::level;
use siplua_core::pv::CompiledPv;
use siplua_core::value::Value as ScriptValue;
use siplua_script::AssignOp;

use super::args::{bad_arg, check_integer, check_string, type_name};
use super::avp::to_lua;
use super::with_msg;
use crate::current::with_ctx;
use crate::state::StateData;

/// Distinct texts kept per cache before it is emptied (scripts use a handful of constants).
const MAX_ENTRIES: usize = 256;

/// Compiled formats and variable specs of one worker, for one engine.
#[derive(Default)]
pub struct PvCache {
    core: usize,
    formats: HashMap<Box<[u8]>, Rc<CompiledFormat>>,
    specs: HashMap<Box<[u8]>, Rc<CompiledPv>>,
    scratch: String,
}

impl PvCache {
    fn for_core(&mut self, core: &Core) -> &mut PvCache {
        let id = core as *const Core as usize;
        if self.core != id {
            self.formats.clear();
            self.specs.clear();
            self.core = id;
        }
        self
    }

    fn format(&mut self, core: &Core, text: &[u8]) -> Result<Rc<CompiledFormat>, String> {
        let this = self.for_core(core);
        if let Some(f) = this.formats.get(text) {
            return Ok(f.clone());
        }
        let s = std::str::from_utf8(text).map_err(|_| "not valid UTF-8".to_owned())?;
        let f = Rc::new(CompiledFormat::parse(s, core)?);
        if this.formats.len() >= MAX_ENTRIES {
            this.formats.clear();
        }
        this.formats.insert(text.into(), f.clone());
        Ok(f)
    }

    fn spec(&mut self, core: &Core, text: &[u8]) -> Result<Rc<CompiledPv>, String> {
        let this = self.for_core(core);
        if let Some(p) = this.specs.get(text) {
            return Ok(p.clone());
        }
        let s = std::str::from_utf8(text).map_err(|_| "not valid UTF-8".to_owned())?;
        let p = Rc::new(CompiledPv::parse(s, core)?);
        if this.specs.len() >= MAX_ENTRIES {
            this.specs.clear();
        }
        this.specs.insert(text.into(), p.clone());
        Ok(p)
    }
}

/// `pseudoVar(msg, fmt)`: the expanded format string; nil when it does not parse.
pub fn pseudo_var(lua: &Lua, (msg, fmt): (Value, Value)) -> mlua::Result<Value> {
    let fmt = check_string(lua, fmt, 2, "pseudoVar")?;
    let data = StateData::of(lua)?;
    let expanded = with_msg(&msg, "pseudoVar", |ctx| {
        let mut cache = data.pvs.borrow_mut();
        let compiled = match cache.format(ctx.core, &fmt.as_bytes()) {
            Ok(c) => c,
            Err(e) => {
                super::emit(
                    &data,
                    level::ERR,
                    &format!("pseudoVar: cannot parse '{}': {e}", fmt.to_string_lossy()),
                );
                return Ok(None);
            }
        };
        let mut out = std::mem::take(&mut cache.scratch);
        out.clear();
        compiled.expand_into(ctx, &mut out);
        Ok(Some(out))
    })?;
    let Some(out) = expanded else {
        return Ok(Value::Nil);
    };
    let result = lua.create_string(&out);
    data.pvs.borrow_mut().scratch = out;
    Ok(Value::String(result?))
}

/// The script value a Lua value assigns: nil, integer (a number) or string.
fn assigned(lua: &Lua, v: Value, pos: usize, func: &str) -> mlua::Result<ScriptValue> {
    Ok(match v {
        Value::Nil => ScriptValue::Null,
        v @ (Value::Integer(_) | Value::Number(_)) => {
            ScriptValue::Int(check_integer(lua, v, pos, func)?)
        }
        Value::String(s) => ScriptValue::Str(s.to_string_lossy()),
        other => {
            return Err(bad_arg(
                pos,
                func,
                &format!("nil, number or string expected, got {}", type_name(&other)),
            ))
        }
    })
}

/// `pseudoVarSet(msg, spec, value)`: assigns (`=`) one writable variable; nil unsets it.
/// True on success, nil when the assignment fails (logged).
pub fn pseudo_var_set(
    lua: &Lua,
    (msg, spec, value): (Value, Value, Value),
) -> mlua::Result<Option<bool>> {
    let spec = check_string(lua, spec, 2, "pseudoVarSet")?;
    let value = assigned(lua, value, 3, "pseudoVarSet")?;
    let data = StateData::of(lua)?;
    with_msg(&msg, "pseudoVarSet", |ctx| {
        let pv = data
            .pvs
            .borrow_mut()
            .spec(ctx.core, &spec.as_bytes())
            .map_err(|e| {
                mlua::Error::runtime(format!(
                    "pseudoVarSet: error in parsing pvar `{}': {e}",
                    spec.to_string_lossy()
                ))
            })?;
        if !pv.is_writable() {
            return Err(mlua::Error::runtime(format!(
                "pseudoVarSet: read only PV in left expression `{}'",
                pv.text
            )));
        }
        match pv.set(ctx, AssignOp::Set, value) {
            Ok(()) => Ok(Some(true)),
            Err(e) => {
                super::emit(&data, level::ERR, &format!("pseudoVarSet {}: {e}", pv.text));
                Ok(None)
            }
        }
    })
}

fn var_name(lua: &Lua, v: Value, func: &str) -> mlua::Result<String> {
    let s = check_string(lua, v, 1, func)?.to_string_lossy();
    Ok(s.strip_prefix('$').map(str::to_owned).unwrap_or(s))
}

/// `scriptVarGet(name)`: the worker's `$var(name)` (name with or without `$`); nil when
/// unset.
pub fn script_var_get(lua: &Lua, name: Value) -> mlua::Result<Value> {
    let name = var_name(lua, name, "scriptVarGet")?;
    with_ctx("scriptVarGet", |ctx| match ctx.worker.vars.get(&name) {
        Some(v) => to_lua(lua, v),
        None => Ok(Value::Nil),
    })
}

/// `scriptVarSet(name, value)`: sets `$var(name)` to an integer or string (nil sets 0, as
/// OpenSIPS); returns true.
pub fn script_var_set(lua: &Lua, (name, value): (Value, Value)) -> mlua::Result<bool> {
    let name = var_name(lua, name, "scriptVarSet")?;
    let value = match value {
        Value::Nil => ScriptValue::Int(0),
        v @ (Value::Integer(_) | Value::Number(_)) => {
            ScriptValue::Int(check_integer(lua, v, 2, "scriptVarSet")?)
        }
        Value::String(s) => ScriptValue::Str(s.to_string_lossy()),
        other => {
            return Err(mlua::Error::runtime(format!(
                "scriptVarSet: {} type value not supported",
                type_name(&other)
            )))
        }
    };
    with_ctx("scriptVarSet", |ctx| {
        ctx.worker.vars.insert(name, value);
        Ok(true)
    })
}
