//! `forward([destination])`: stateless forwarding of the request.

use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::{RouteMask, RouteType};

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "forward",
        vec![ParamSpec::opt("destination", ParamKind::Str)],
        RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Branch]),
        forward,
    )]
}

fn forward(ctx: &mut Context, args: &Args) -> i32 {
    let dest = args.str(ctx, 0).map(|d| d.into_owned());
    match crate::forward::forward_request(ctx, dest.as_deref()) {
        Ok(()) => 1,
        Err(e) => {
            crate::log::emit(crate::log::level::ERR, "core", &format!("forward: {e}"));
            -1
        }
    }
}
