//! `raise_event(name[, $avp(attrs)], $avp(vals))`: raises an event of the script's own
//! (see [`crate::events`]). With one AVP its values are the (unnamed) parameters; with two,
//! the first holds the names and the second the values, paired by position.

use crate::context::Context;
use crate::events::{self, EventParams};
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use crate::pv::{CompiledPv, PvKind};
use crate::route_type::RouteMask;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "raise_event",
        vec![
            ParamSpec::req("event", ParamKind::Str),
            ParamSpec::opt("attrs_avp", ParamKind::Var),
            ParamSpec::opt("vals_avp", ParamKind::Var),
        ],
        RouteMask::ALL,
        raise,
    )
    .with_fixup(avps_only)]
}

/// The optional arguments must be AVPs (they hold lists).
fn avps_only(args: &mut [PreparedArg]) -> Result<(), String> {
    for arg in args.iter().skip(1) {
        match arg {
            PreparedArg::None => {}
            PreparedArg::Pv(pv) if matches!(pv.kind, PvKind::Avp) => {}
            PreparedArg::Pv(pv) => return Err(format!("{} must be an AVP", pv.text)),
            _ => return Err("the parameters must be given as AVPs".into()),
        }
    }
    Ok(())
}

fn avp_values(ctx: &Context, pv: &CompiledPv) -> Vec<crate::value::Value> {
    let name = pv.inner_text(ctx).unwrap_or_default();
    ctx.avps.all(&name).cloned().collect()
}

/// 1 when raised (delivered, or dropped for want of a subscriber, as in OpenSIPS); -1 for
/// an empty name or when a value has no name.
fn raise(ctx: &mut Context, args: &Args) -> i32 {
    let name = args.str(ctx, 0).unwrap_or_default().trim().to_owned();
    if name.is_empty() {
        crate::log::emit(
            crate::log::level::ERR,
            "core",
            "raise_event: empty event name",
        );
        return -1;
    }
    let (names, values) = match (args.pv(1), args.pv(2)) {
        (Some(attrs), Some(vals)) => (Some(avp_values(ctx, attrs)), avp_values(ctx, vals)),
        (Some(vals), None) => (None, avp_values(ctx, vals)),
        _ => (None, Vec::new()),
    };
    if let Some(names) = &names {
        if names.len() < values.len() {
            crate::log::emit(
                crate::log::level::ERR,
                "core",
                &format!(
                    "raise_event({name}): {} values but {} attribute names",
                    values.len(),
                    names.len()
                ),
            );
            return -1;
        }
    }
    let params = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let n = names.as_ref().map(|n| n[i].as_str().into_owned());
            (n, v)
        })
        .collect();
    events::raise(ctx.core, &name, EventParams(params));
    1
}
