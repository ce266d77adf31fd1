//! `json_link($json(dest_id), $json(source_id))`: stores a reference to the object at the
//! source path instead of a copy, so later changes through either path show in both;
//! replacing or deleting the destination variable itself leaves the source alone. Where
//! OpenSIPS crashes on a circular reference, the link is refused.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::pv::{CompiledPv, PvKind};
use siplua_core::route_type::{RouteMask, RouteType};
use tracing::{error, info};

use super::pv::JsonPv;

/// The function's declaration: both arguments must be `$json` variables (a load error
/// otherwise). Returns 1, or -1 when the source path does not exist or the destination
/// cannot take it.
pub fn declaration() -> FunctionDecl {
    FunctionDecl::new(
        "json_link",
        vec![
            ParamSpec::req("dest", ParamKind::Var),
            ParamSpec::req("source", ParamKind::Var),
        ],
        RouteMask::of(&[
            RouteType::Request,
            RouteType::OnReply,
            RouteType::Failure,
            RouteType::Branch,
            RouteType::Local,
            RouteType::Startup,
            RouteType::Timer,
            RouteType::Event,
        ]),
        link,
    )
    .with_fixup(|args| {
        for a in args.iter() {
            if !matches!(a, PreparedArg::Pv(pv) if json_pv(pv).is_some()) {
                return Err("json_link parameters must be json variables ($json(...))".into());
            }
        }
        Ok(())
    })
}

/// The `$json` use behind a prepared variable argument, if it is one.
fn json_pv(pv: &CompiledPv) -> Option<&JsonPv> {
    match &pv.kind {
        PvKind::Class(instance) => instance.as_any().downcast_ref::<JsonPv>(),
        _ => None,
    }
}

fn link(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(dest), Some(source)) = (args.pv(0).and_then(json_pv), args.pv(1).and_then(json_pv))
    else {
        return -1;
    };
    let Some(node) = source.node(ctx) else {
        info!("json_link: could not find an object with the source path");
        return -1;
    };
    match dest.store(ctx, Some(node)) {
        Ok(()) => 1,
        Err(e) => {
            error!("json_link: {e}");
            -1
        }
    }
}
