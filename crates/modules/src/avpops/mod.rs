//! `avpops` (the in-memory part): `is_avp_set(name)`, `avp_check(name, "op/value[/flags]")`,
//! `avp_delete(name)` and `avp_print()` on `$avp(...)` variables, with OpenSIPS 3.x names and
//! return codes. The database functions (`avp_db_load`, `avp_db_store`, `avp_db_delete`,
//! `avp_db_query`) and the other operations are not there: a script calling them fails to
//! load with "unknown function", and the module has no database parameters.

mod check;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::module::Module;
use siplua_core::route_type::RouteMask;

/// The module.
#[derive(Default)]
pub struct AvpOps;

/// The AVP name of a `$avp(name)` argument (a load error for anything else).
fn fixup_avp_name(args: &mut [PreparedArg]) -> Result<(), String> {
    let text = match &args[0] {
        PreparedArg::Pv(pv) => pv.text.to_string(),
        PreparedArg::Str(s) => s.to_string(),
        _ => return Err("the first argument must be \"$avp(name)\"".into()),
    };
    let name = text
        .trim()
        .strip_prefix("$avp(")
        .and_then(|s| s.strip_suffix(')'))
        .filter(|s| !s.is_empty() && !s.contains(['$', '(', ')']))
        .ok_or_else(|| format!("expected \"$avp(name)\", got {text:?}"))?;
    args[0] = PreparedArg::Str(name.into());
    Ok(())
}

/// `avp_check`: the AVP name, and the operation parsed (its regular expression compiled) once
/// when it is a constant. A bad constant operation is left as it is: the call logs it and
/// returns -1, as a variable one does.
fn fixup_avp_check(args: &mut [PreparedArg]) -> Result<(), String> {
    fixup_avp_name(args)?;
    if let Some(PreparedArg::Str(op)) = args.get(1) {
        if let Ok(c) = check::Check::parse(op) {
            args[1] = PreparedArg::Custom(Arc::new(c));
        }
    }
    Ok(())
}

fn avp_name(args: &Args) -> &str {
    match args.get(0) {
        PreparedArg::Str(s) => s,
        _ => "",
    }
}

impl Module for AvpOps {
    fn name(&self) -> &'static str {
        "avpops"
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let name_arg = || ParamSpec::req("name", ParamKind::Var);
        vec![
            FunctionDecl::new(
                "is_avp_set",
                vec![name_arg()],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    if ctx.avps.count(avp_name(args)) > 0 {
                        1
                    } else {
                        -1
                    }
                },
            )
            .with_fixup(fixup_avp_name),
            FunctionDecl::new(
                "avp_check",
                vec![name_arg(), ParamSpec::req("op", ParamKind::Str)],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    if let Some(c) = args.custom::<check::Check>(1) {
                        return c.run(ctx.avps.all(avp_name(args)));
                    }
                    let op = args.str(ctx, 1).unwrap_or_default().into_owned();
                    match check::Check::parse(&op) {
                        Ok(c) => c.run(ctx.avps.all(avp_name(args))),
                        Err(e) => {
                            siplua_core::log::emit(
                                siplua_core::log::level::ERR,
                                "avpops",
                                &format!("avp_check: {e}"),
                            );
                            -1
                        }
                    }
                },
            )
            .with_fixup(fixup_avp_check),
            FunctionDecl::new(
                "avp_delete",
                vec![name_arg()],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    if ctx.avps.remove_all(avp_name(args)) > 0 {
                        1
                    } else {
                        -1
                    }
                },
            )
            .with_fixup(fixup_avp_name),
        ]
    }
}
