//! `moduleFunc(msg, name, a1, ..., a8)`: calls any script function (core first, then
//! modules, the cfg's own lookup) as the cfg would, and returns its raw return code.
//!
//! Arguments go through the loader's own preparation (`prepare_args`), typed by the target's
//! declared parameters: an integer parameter must spell an integer, string parameters are
//! format strings expanded per call, variable parameters are pseudo-variable specs, regular
//! expressions are compiled. nil (or a missing trailing argument) is an omitted optional
//! parameter; numbers are converted to strings first, as Lua's `tostring` writes them. Route
//! types are not checked (OpenSIPS does not either).
//!
//! Preparing arguments compiles formats and regexes, so each worker keeps the prepared call
//! per (function name, argument strings): a constant call is prepared once, like a cfg call,
//! and later calls only look the key up (built in a reused buffer, no allocation). The cache
//! belongs to one engine and one compiled script (route indexes change on a cfg reload).
//!
//! The global `moduleFunc` has a fast path ([`ModuleFuncFast`], see `fast.rs`): a prepared
//! call whose arguments are strings or nil builds its key from the strings on the Lua stack
//! and runs without any mlua value conversion; every other call takes [`module_func`].

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;

use mlua::{Lua, Value, Variadic};
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind};
use siplua_core::log::level;
use siplua_script::{Expr, ExprKind, Span};

use super::args::{bad_arg, check_msg, check_string, type_name};
use super::fast::{Arg, FastPath, StackArgs};
use crate::current::with_ctx;
use crate::state::StateData;

/// Arguments after the function name, as in OpenSIPS 3.x (MAX_ACTION_ELEMS - 1).
pub const MAX_ARGS: usize = 8;
/// Prepared calls kept per worker before the cache is emptied.
const MAX_ENTRIES: usize = 1024;

/// A target with its prepared arguments.
struct Prepared {
    decl: Arc<FunctionDecl>,
    args: Args,
}

/// The prepared `moduleFunc` calls of one worker.
#[derive(Default)]
pub struct CallCache {
    owner: (usize, usize),
    entries: HashMap<Box<[u8]>, Rc<Prepared>, foldhash::fast::RandomState>,
    key: Vec<u8>,
    prepared: HashSet<&'static str>,
    warned: HashSet<&'static str>,
}

/// Where one argument's text sits in the key buffer (`None`: nil).
type Part = Option<(usize, usize)>;

const NIL: u8 = 0;
const TEXT: u8 = 1;

fn push_text(key: &mut Vec<u8>, bytes: &[u8]) -> Part {
    key.push(TEXT);
    key.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    let start = key.len();
    key.extend_from_slice(bytes);
    Some((start, key.len()))
}

type ModuleFuncArgs = (
    Value,
    Value,
    Value,
    Value,
    Value,
    Value,
    Value,
    Value,
    Value,
    Value,
    Variadic<Value>,
);

/// `moduleFunc(msg, name, ...)`: the target's return code (not normalised: 0 and -2 come
/// back as they are).
pub fn module_func(lua: &Lua, a: ModuleFuncArgs) -> mlua::Result<i64> {
    let (msg, name, a1, a2, a3, a4, a5, a6, a7, a8, rest) = a;
    check_msg(&msg, "moduleFunc")?;
    let name = check_string(lua, name, 2, "moduleFunc")?;
    if !rest.is_empty() {
        return Err(mlua::Error::runtime(format!(
            "moduleFunc: function '{}' called with too many arguments [{} > {MAX_ARGS}]",
            name.to_string_lossy(),
            MAX_ARGS + rest.len()
        )));
    }
    let data = StateData::of(lua)?;
    let mut key = std::mem::take(&mut data.calls.borrow_mut().key);
    start_key(&mut key, &name.as_bytes());
    let mut parts: [Part; MAX_ARGS] = [None; MAX_ARGS];
    for (i, v) in [a1, a2, a3, a4, a5, a6, a7, a8].into_iter().enumerate() {
        parts[i] = match v {
            Value::Nil => {
                key.push(NIL);
                None
            }
            Value::String(s) => push_text(&mut key, &s.as_bytes()),
            Value::Integer(n) => {
                key.push(TEXT);
                let at = key.len();
                key.extend_from_slice(&[0; 4]);
                let start = key.len();
                let _ = write!(key, "{n}");
                let len = (key.len() - start) as u32;
                key[at..start].copy_from_slice(&len.to_le_bytes());
                Some((start, key.len()))
            }
            v @ Value::Number(_) => match lua.coerce_string(v)? {
                Some(s) => push_text(&mut key, &s.as_bytes()),
                None => None,
            },
            other => {
                data.calls.borrow_mut().key = key;
                return Err(bad_arg(
                    i + 3,
                    "moduleFunc",
                    &format!("string expected, got {}", type_name(&other)),
                ));
            }
        };
    }
    let given = parts.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    with_ctx("moduleFunc", |ctx| {
        let prepared = {
            let mut cache = data.calls.borrow_mut();
            let found = cache.lookup(ctx, &key, &name, &parts[..given], &data);
            cache.key = key;
            found?
        };
        Ok(i64::from((prepared.decl.handler)(ctx, &prepared.args)))
    })
}

/// `moduleFunc`'s fast path: a call already prepared, with string (or nil) arguments, runs
/// straight from the Lua stack; anything else is left to [`module_func`].
pub struct ModuleFuncFast;

impl FastPath for ModuleFuncFast {
    fn run(thread: usize, args: &StackArgs<'_>) -> Option<i64> {
        if !(2..=MAX_ARGS + 2).contains(&args.len()) {
            return None;
        }
        let data = crate::current::state().filter(|d| d.main_thread == thread)?;
        if !matches!(args.get(1), Arg::UserData(id) if id == data.msg_id) {
            return None;
        }
        let Arg::Str(name) = args.get(2) else {
            return None;
        };
        let mut key = std::mem::take(&mut data.calls.borrow_mut().key);
        start_key(&mut key, name);
        for i in 3..MAX_ARGS + 3 {
            match args.get(i) {
                Arg::Absent => key.push(NIL),
                Arg::Str(s) => {
                    push_text(&mut key, s);
                }
                Arg::UserData(_) | Arg::Other => {
                    data.calls.borrow_mut().key = key;
                    return None;
                }
            }
        }
        with_ctx("moduleFunc", |ctx| {
            let prepared = {
                let mut cache = data.calls.borrow_mut();
                let found = cache.hit(ctx, &key);
                cache.key = key;
                found
            };
            Ok(prepared.map(|p| i64::from((p.decl.handler)(ctx, &p.args))))
        })
        .ok()
        .flatten()
    }
}

/// Starts a cache key with the function name (the arguments follow, one part each).
fn start_key(key: &mut Vec<u8>, name: &[u8]) {
    key.clear();
    key.extend_from_slice(&(name.len() as u32).to_le_bytes());
    key.extend_from_slice(name);
}

impl CallCache {
    /// The prepared call for this key, if there is one for this engine and compiled script.
    fn hit(&mut self, ctx: &Context, key: &[u8]) -> Option<Rc<Prepared>> {
        let program = ctx.core.program.load();
        let owner = (
            ctx.core as *const _ as usize,
            Arc::as_ptr(&*program) as usize,
        );
        if self.owner != owner {
            self.entries.clear();
            self.owner = owner;
        }
        self.entries.get(key).cloned()
    }

    /// The prepared call for this key, preparing it on a miss.
    fn lookup(
        &mut self,
        ctx: &Context,
        key: &[u8],
        name: &mlua::LuaString,
        parts: &[Part],
        data: &StateData,
    ) -> mlua::Result<Rc<Prepared>> {
        if let Some(p) = self.hit(ctx, key) {
            return Ok(p);
        }
        let program = ctx.core.program.load();
        // Only a miss needs the name as text (converting it costs an allocation).
        let fname = name.to_string_lossy();
        let fname = fname.as_str();
        let decl = ctx
            .core
            .functions
            .get_for(fname, parts.len())
            .ok_or_else(|| {
                mlua::Error::runtime(format!(
                    "moduleFunc: function '{fname}' called, but not available"
                ))
            })?;
        let texts: Vec<Option<&str>> = parts
            .iter()
            .map(|p| {
                p.map(|(s, e)| std::str::from_utf8(&key[s..e]))
                    .transpose()
                    .map_err(|_| {
                        mlua::Error::runtime(format!(
                            "moduleFunc: an argument of '{fname}' is not valid UTF-8"
                        ))
                    })
            })
            .collect::<mlua::Result<_>>()?;
        let args = prepare(&decl, &texts, ctx, &program.by_name)?;
        if !self.prepared.insert(decl.name)
            && data.warn_fixup.get()
            && self.warned.insert(decl.name)
        {
            super::emit(
                data,
                level::WARN,
                &format!(
                    "moduleFunc: the arguments of '{fname}' change from call to call, so each new \
                     combination is prepared (formats, regexes) at call time; pass the changing \
                     part as a variable (e.g. \"$var(x)\") in a constant argument"
                ),
            );
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        let p = Rc::new(Prepared { decl, args });
        self.entries.insert(key.into(), p.clone());
        Ok(p)
    }
}

/// Checks the arguments against the declaration and prepares them as the loader would.
fn prepare(
    decl: &FunctionDecl,
    texts: &[Option<&str>],
    ctx: &Context,
    routes: &siplua_core::interp::program::RouteNames,
) -> mlua::Result<Args> {
    let err = |m: String| mlua::Error::runtime(format!("moduleFunc: {m}"));
    if texts.len() < decl.min_args() || texts.len() > decl.params.len() {
        return Err(err(format!(
            "too few or too many parameters for function '{}' ({} given, {} to {} expected)",
            decl.name,
            texts.len(),
            decl.min_args(),
            decl.params.len()
        )));
    }
    let mut exprs = Vec::with_capacity(texts.len());
    for (i, (text, spec)) in texts.iter().zip(&decl.params).enumerate() {
        let kind =
            match text {
                None if !spec.optional => {
                    return Err(err(format!(
                        "mandatory parameter omitted for function '{}'",
                        decl.name
                    )))
                }
                None => ExprKind::Null,
                Some(t) if spec.kind == ParamKind::Var && t.starts_with('$') => ExprKind::Pv(
                    siplua_script::parse_pv(t)
                        .map_err(|e| err(format!("unknown script variable '{t}': {e}")))?,
                ),
                Some(t) => {
                    if spec.kind == ParamKind::Int
                        && !t.contains('$')
                        && siplua_core::value::parse_int(t).is_none()
                    {
                        return Err(err(format!(
                            "parameter [{}] of '{}' should be an integer, got \"{t}\"",
                            i + 1,
                            decl.name
                        )));
                    }
                    ExprKind::Str(siplua_script::parse_format(t).map_err(|e| {
                        err(format!("parameter [{}] of '{}': {e}", i + 1, decl.name))
                    })?)
                }
            };
        exprs.push(Expr {
            kind,
            span: Span::default(),
        });
    }
    siplua_core::interp::compile::prepare_args(decl, &exprs, ctx.core, routes)
        .map_err(|(_, m)| err(m))
}
