//! The dialog functions that reach dialogs other than the message's own, usable in every
//! route: `get_dialog_info` (by the value of a dialog variable), `get_dialog_vals` (every
//! variable of the dialog with a Call-ID), and `load_dialog_ctx` / `unload_dialog_ctx`
//! (another dialog becomes the current one: `$DLG_*`, `$dlg_val`, profiles and flags).

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::pv::{CompiledPv, PvKind};
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_script::AssignOp;

use super::table::{Current, Direction, Table};

fn err(text: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "dialog", text);
    -1
}

/// Load-time check that the arguments at `positions` are AVPs: they receive lists of values.
fn require_avps(args: &[PreparedArg], positions: &[usize]) -> Result<(), String> {
    for &i in positions {
        match args.get(i) {
            Some(PreparedArg::Pv(pv)) if matches!(pv.kind, PvKind::Avp) => {}
            Some(PreparedArg::None) | None => {}
            Some(PreparedArg::Pv(pv)) => {
                return Err(format!("argument {} ({}) must be an AVP", i + 1, pv.text))
            }
            Some(_) => return Err(format!("argument {} must be an AVP", i + 1)),
        }
    }
    Ok(())
}

/// Adds `value` to an AVP (`$avp(x) = value`: the newest value comes first).
fn push(ctx: &mut Context, avp: &CompiledPv, value: Value) -> Result<(), String> {
    avp.set(ctx, AssignOp::Set, value)
}

/// `get_dialog_info(attr, $avp(out), key, key_val[, $var(count)])`: for every dialog not
/// ended with `$dlg_val(key) == key_val`, its `$dlg_val(attr)` is added to the AVP. Returns
/// how many matched (the count also goes to the last argument), -1 when none did or when
/// one of them has no `attr` (nothing is written then).
fn get_dialog_info(ctx: &mut Context, args: &Args, table: &Table) -> i32 {
    let attr = args.str(ctx, 0).unwrap_or_default().into_owned();
    let key = args.str(ctx, 2).unwrap_or_default().into_owned();
    let key_val = args.str(ctx, 3).unwrap_or_default().into_owned();
    let found = match table.values_where(&key, &key_val, &attr) {
        Ok(found) if found.is_empty() => return -1,
        Ok(found) => found,
        Err(n) => {
            return err(&format!(
                "get_dialog_info: dialog {n} with {key}={key_val} has no value {attr}"
            ))
        }
    };
    let Some(out) = args.pv(1) else { return -1 };
    for v in &found {
        if let Err(e) = push(ctx, out, Value::Str(v.clone())) {
            return err(&format!("get_dialog_info: {e}"));
        }
    }
    let n = found.len() as i64;
    if let Some(count) = args.pv(4) {
        if let Err(e) = count.set(ctx, AssignOp::Set, Value::Int(n)) {
            return err(&format!("get_dialog_info: {e}"));
        }
    }
    n.min(i32::MAX as i64) as i32
}

/// `get_dialog_vals($avp(names), $avp(values), callid)`: every variable of the dialog (not
/// ended) with that Call-ID, as two parallel AVPs (`$(avp(names)[0])` goes with
/// `$(avp(values)[0])`), in name order. 1, or -1 when no such dialog exists.
fn get_dialog_vals(ctx: &mut Context, args: &Args, table: &Table) -> i32 {
    let call_id = args.str(ctx, 2).unwrap_or_default().into_owned();
    let Some(key) = table.by_call_id(&call_id, true) else {
        return -1;
    };
    let Some(mut vals) = table.with(&key, |d| {
        d.values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    }) else {
        return -1;
    };
    vals.sort();
    let (Some(names), Some(values)) = (args.pv(0), args.pv(1)) else {
        return -1;
    };
    // Pushed last first, so that index 0 holds the first name.
    for (name, value) in vals.into_iter().rev() {
        if let Err(e) =
            push(ctx, names, Value::Str(name)).and_then(|_| push(ctx, values, Value::Str(value)))
        {
            return err(&format!("get_dialog_vals: {e}"));
        }
    }
    1
}

/// What `load_dialog_ctx` looks the dialog up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdType {
    CallId,
    Did,
}

/// `id_type` is `callid` or `did` (any case); anything else is a load error.
fn id_type_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let parsed = match args.get(1) {
        Some(PreparedArg::Str(s)) if s.eq_ignore_ascii_case("callid") => IdType::CallId,
        Some(PreparedArg::Str(s)) if s.eq_ignore_ascii_case("did") => IdType::Did,
        Some(PreparedArg::Str(s)) => {
            return Err(format!(
                "unsupported dialog identifier type {s:?} (callid or did)"
            ))
        }
        _ => return Ok(()),
    };
    args[1] = PreparedArg::Custom(Arc::new(parsed));
    Ok(())
}

/// The message's own dialog while another one is loaded: `unload_dialog_ctx` puts it back.
struct Loaded {
    own: Option<Current>,
}

/// `load_dialog_ctx(dialog[, id_type])`: the dialog with that Call-ID (or `$DLG_did`)
/// becomes the current one for what follows. 1; -1 when no such dialog exists or another
/// load is still in place (no nesting, as in OpenSIPS).
fn load_dialog_ctx(ctx: &mut Context, args: &Args, table: &Table) -> i32 {
    if ctx.ext::<Loaded>().is_some() {
        return err("load_dialog_ctx: a dialog is already loaded (unload_dialog_ctx first)");
    }
    let id = args.str(ctx, 0).unwrap_or_default().into_owned();
    let kind = args.custom::<IdType>(1).copied().unwrap_or(IdType::CallId);
    let key = match kind {
        IdType::CallId => table.by_call_id(&id, false),
        IdType::Did => table.by_did(&id),
    };
    let Some(key) = key else { return -1 };
    let own = ctx.take_ext::<Current>();
    ctx.set_ext(Loaded { own });
    ctx.set_ext(Current {
        key,
        dir: Direction::Downstream,
    });
    1
}

/// `unload_dialog_ctx()`: the message's own dialog (or none) is current again. 1; -1 when
/// nothing was loaded.
fn unload_dialog_ctx(ctx: &mut Context) -> i32 {
    let Some(loaded) = ctx.take_ext::<Loaded>() else {
        return -1;
    };
    match loaded.own {
        Some(own) => ctx.set_ext(own),
        None => {
            ctx.take_ext::<Current>();
        }
    }
    1
}

/// The four functions.
pub fn declarations(table: &Arc<Table>) -> Vec<FunctionDecl> {
    let (t1, t2, t3) = (table.clone(), table.clone(), table.clone());
    vec![
        FunctionDecl::new(
            "get_dialog_info",
            vec![
                ParamSpec::req("attr", ParamKind::Str),
                ParamSpec::req("avp", ParamKind::Var),
                ParamSpec::req("key", ParamKind::Str),
                ParamSpec::req("key_val", ParamKind::Str),
                ParamSpec::opt("no_dlgs", ParamKind::Var),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| get_dialog_info(ctx, args, &t1),
        )
        .with_fixup(|args| require_avps(args, &[1])),
        FunctionDecl::new(
            "get_dialog_vals",
            vec![
                ParamSpec::req("names", ParamKind::Var),
                ParamSpec::req("vals", ParamKind::Var),
                ParamSpec::req("callid", ParamKind::Str),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| get_dialog_vals(ctx, args, &t2),
        )
        .with_fixup(|args| require_avps(args, &[0, 1])),
        FunctionDecl::new(
            "load_dialog_ctx",
            vec![
                ParamSpec::req("dialog", ParamKind::Str),
                ParamSpec::opt("id_type", ParamKind::StaticStr),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| load_dialog_ctx(ctx, args, &t3),
        )
        .with_fixup(id_type_fixup),
        FunctionDecl::new(
            "unload_dialog_ctx",
            vec![],
            RouteMask::ALL,
            |ctx: &mut Context, _: &Args| unload_dialog_ctx(ctx),
        ),
    ]
}
