//! The dialog script functions, with OpenSIPS' return codes: 1 true, -1 false (no dialog,
//! unknown profile, bad arguments).

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::value::Value;
use siplua_script::AssignOp;

use super::table::{Current, Table};
use super::Profiles;

fn err(text: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "dialog", text);
    -1
}

/// `create_dialog([flags])`: a dialog for an initial INVITE; flags are accepted (no
/// pinging, no BYE on timeout).
fn create_dialog(ctx: &mut Context, table: &Arc<Table>, timeout: Duration) -> i32 {
    match super::api::create(ctx, table, timeout) {
        Ok(_) => 1,
        Err(e) => err(&format!("create_dialog: {e}")),
    }
}

fn current(ctx: &Context) -> Option<Current> {
    ctx.ext::<Current>().cloned()
}

/// Checks a profile name against the declarations; `Some(value)` to use ("" without one).
fn profile_value(
    profiles: &Profiles,
    name: &str,
    value: Option<String>,
    fname: &str,
) -> Result<Option<String>, i32> {
    match profiles.lookup(name) {
        None => Err(err(&format!(
            "{fname}: profile '{name}' is not declared in profiles_with_value / profiles_no_value"
        ))),
        Some(true) => Ok(value),
        Some(false) => Ok(Some(String::new())),
    }
}

fn set_profile(ctx: &mut Context, args: &Args, table: &Table, profiles: &Profiles) -> i32 {
    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
    let value = args.str(ctx, 1).map(|v| v.into_owned());
    let value = match profile_value(profiles, &name, value, "set_dlg_profile") {
        Ok(Some(v)) => v,
        Ok(None) => return err("set_dlg_profile: this profile needs a value"),
        Err(code) => return code,
    };
    let Some(cur) = current(ctx) else {
        return err("set_dlg_profile: no dialog for this message (create_dialog first)");
    };
    table
        .with(&cur.key, |d| {
            if !d.profiles.iter().any(|(p, v)| *p == name && *v == value) {
                d.profiles.push((name, value));
            }
            1
        })
        .unwrap_or(-1)
}

fn unset_profile(ctx: &mut Context, args: &Args, table: &Table, profiles: &Profiles) -> i32 {
    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
    let value = args.str(ctx, 1).map(|v| v.into_owned());
    let value = match profile_value(profiles, &name, value, "unset_dlg_profile") {
        Ok(v) => v,
        Err(code) => return code,
    };
    let Some(cur) = current(ctx) else { return -1 };
    table
        .with(&cur.key, |d| {
            let before = d.profiles.len();
            d.profiles
                .retain(|(p, v)| !(*p == name && value.as_deref().is_none_or(|w| w == v)));
            if d.profiles.len() < before {
                1
            } else {
                -1
            }
        })
        .unwrap_or(-1)
}

fn in_profile(ctx: &mut Context, args: &Args, table: &Table, profiles: &Profiles) -> i32 {
    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
    let value = args.str(ctx, 1).map(|v| v.into_owned());
    let value = match profile_value(profiles, &name, value, "is_in_profile") {
        Ok(v) => v,
        Err(code) => return code,
    };
    let Some(cur) = current(ctx) else { return -1 };
    let found = table.with(&cur.key, |d| {
        d.profiles
            .iter()
            .any(|(p, v)| *p == name && value.as_deref().is_none_or(|w| w == v))
    });
    if found == Some(true) {
        1
    } else {
        -1
    }
}

/// `get_profile_size(profile, [value], size)`: the middle argument may be left out.
fn profile_size(ctx: &mut Context, args: &Args, table: &Table, profiles: &Profiles) -> i32 {
    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
    let (value, out) = if args.has(2) {
        (args.str(ctx, 1).map(|v| v.into_owned()), args.pv(2))
    } else {
        (None, args.pv(1))
    };
    let Some(out) = out else {
        return err("get_profile_size: the last argument must be a writable variable");
    };
    let value = match profile_value(profiles, &name, value, "get_profile_size") {
        Ok(v) if profiles.lookup(&name) == Some(false) => v.filter(|_| false),
        Ok(v) => v,
        Err(code) => return code,
    };
    let size = table.profile_size(&name, value.as_deref());
    match out.set(ctx, AssignOp::Set, Value::Int(size as i64)) {
        Ok(()) => 1,
        Err(e) => err(&format!("get_profile_size: {e}")),
    }
}

fn store_value(ctx: &mut Context, args: &Args, table: &Table) -> i32 {
    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
    let value = args.str(ctx, 1).unwrap_or_default().into_owned();
    let Some(cur) = current(ctx) else { return -1 };
    table
        .with(&cur.key, |d| {
            d.values.insert(name, value);
            1
        })
        .unwrap_or(-1)
}

fn fetch_value(ctx: &mut Context, args: &Args, table: &Table) -> i32 {
    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
    let Some(cur) = current(ctx) else { return -1 };
    let Some(value) = table
        .with(&cur.key, |d| d.values.get(&name).cloned())
        .flatten()
    else {
        return -1;
    };
    match args
        .pv(1)
        .map(|pv| pv.set(ctx, AssignOp::Set, Value::Str(value)))
    {
        Some(Ok(())) => 1,
        _ => -1,
    }
}

/// The bit of dialog flag `n` (argument 0), or `None` (logged) outside 0..31.
fn flag_bit(ctx: &Context, args: &Args) -> Option<u32> {
    match args.int(ctx, 0) {
        Some(n @ 0..=31) => Some(1 << n),
        other => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "dialog",
                &format!("dialog flag {other:?} is not in 0..31"),
            );
            None
        }
    }
}

/// `set_dlg_flag(n)`, `reset_dlg_flag(n)`, `is_dlg_flag_set(n)` and
/// `test_and_set_dlg_flag(n, value)` on the current dialog: -1 without one.
fn dialog_flag(ctx: &mut Context, args: &Args, table: &Table, op: FlagOp) -> i32 {
    let Some(bit) = flag_bit(ctx, args) else {
        return -1;
    };
    let expected = args.int(ctx, 1).unwrap_or(0) != 0;
    let Some(cur) = current(ctx) else { return -1 };
    table
        .with(&cur.key, |d| match op {
            FlagOp::Set => {
                d.flags |= bit;
                1
            }
            FlagOp::Reset => {
                d.flags &= !bit;
                1
            }
            FlagOp::Test => {
                if d.flags & bit != 0 {
                    1
                } else {
                    -1
                }
            }
            FlagOp::TestAndSet => {
                // When the flag has the expected value, it takes the other one.
                if (d.flags & bit != 0) == expected {
                    d.flags ^= bit;
                    1
                } else {
                    -1
                }
            }
        })
        .unwrap_or(-1)
}

/// What a dialog-flag function does.
#[derive(Clone, Copy)]
enum FlagOp {
    Set,
    Reset,
    Test,
    TestAndSet,
}

/// Every dialog function.
pub fn declarations(
    table: Arc<Table>,
    profiles: Arc<Profiles>,
    timeout: Duration,
) -> Vec<FunctionDecl> {
    let req = RouteMask::of(&[RouteType::Request]);
    let most = RouteMask::of(&[
        RouteType::Request,
        RouteType::Failure,
        RouteType::OnReply,
        RouteType::Branch,
        RouteType::Local,
    ]);
    let profile_args = || {
        vec![
            ParamSpec::req("profile", ParamKind::Str),
            ParamSpec::opt("value", ParamKind::Str),
        ]
    };
    let (t1, t2, t3, t4, t5, t6, t7) = (
        table.clone(),
        table.clone(),
        table.clone(),
        table.clone(),
        table.clone(),
        table.clone(),
        table.clone(),
    );
    let (p1, p2, p3, p4) = (
        profiles.clone(),
        profiles.clone(),
        profiles.clone(),
        profiles,
    );
    vec![
        FunctionDecl::new(
            "create_dialog",
            vec![ParamSpec::opt("flags", ParamKind::Str)],
            req,
            move |ctx: &mut Context, _: &Args| create_dialog(ctx, &t1, timeout),
        ),
        FunctionDecl::new(
            "validate_dialog",
            vec![],
            req,
            move |ctx: &mut Context, _: &Args| match current(ctx) {
                Some(cur) if t2.with(&cur.key, |_| ()).is_some() => 1,
                _ => -1,
            },
        ),
        FunctionDecl::new(
            "match_dialog",
            vec![],
            req,
            move |ctx: &mut Context, _: &Args| match current(ctx) {
                Some(cur) if t3.with(&cur.key, |d| d.active()) == Some(true) => 1,
                _ => -1,
            },
        ),
        FunctionDecl::new(
            "set_dlg_profile",
            profile_args(),
            most,
            move |ctx: &mut Context, args: &Args| set_profile(ctx, args, &t4, &p1),
        ),
        FunctionDecl::new(
            "unset_dlg_profile",
            profile_args(),
            most,
            move |ctx: &mut Context, args: &Args| unset_profile(ctx, args, &t5, &p2),
        ),
        FunctionDecl::new(
            "is_in_profile",
            profile_args(),
            most,
            move |ctx: &mut Context, args: &Args| in_profile(ctx, args, &t6, &p3),
        ),
        FunctionDecl::new(
            "get_profile_size",
            vec![
                ParamSpec::req("profile", ParamKind::Str),
                ParamSpec::req("value_or_size", ParamKind::Str),
                ParamSpec::opt("size", ParamKind::Var),
            ],
            most,
            move |ctx: &mut Context, args: &Args| profile_size(ctx, args, &t7, &p4),
        ),
        FunctionDecl::new(
            "store_dlg_value",
            vec![
                ParamSpec::req("name", ParamKind::Str),
                ParamSpec::req("value", ParamKind::Str),
            ],
            most,
            {
                let t = table.clone();
                move |ctx: &mut Context, args: &Args| store_value(ctx, args, &t)
            },
        ),
        flag_decl("set_dlg_flag", most, &table, FlagOp::Set),
        flag_decl("reset_dlg_flag", most, &table, FlagOp::Reset),
        flag_decl("is_dlg_flag_set", most, &table, FlagOp::Test),
        flag_decl("test_and_set_dlg_flag", most, &table, FlagOp::TestAndSet),
        FunctionDecl::new(
            "fetch_dlg_value",
            vec![
                ParamSpec::req("name", ParamKind::Str),
                ParamSpec::req("value", ParamKind::Var),
            ],
            most,
            move |ctx: &mut Context, args: &Args| fetch_value(ctx, args, &table),
        ),
    ]
}

/// The declaration of one dialog-flag function (`test_and_set_dlg_flag` takes the expected
/// value too).
fn flag_decl(
    name: &'static str,
    routes: RouteMask,
    table: &Arc<Table>,
    op: FlagOp,
) -> FunctionDecl {
    let mut params = vec![ParamSpec::req("flag", ParamKind::Int)];
    if matches!(op, FlagOp::TestAndSet) {
        params.push(ParamSpec::req("value", ParamKind::Int));
    }
    let t = table.clone();
    FunctionDecl::new(
        name,
        params,
        routes,
        move |ctx: &mut Context, args: &Args| dialog_flag(ctx, args, &t, op),
    )
}
