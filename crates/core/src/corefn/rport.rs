//! `force_rport()`: treat the request as if its top Via carried `rport` (RFC 3581), so that
//! replies go back to the source port and a forwarded request records it.

use crate::context::Context;
use crate::function::{Args, FunctionDecl};
use crate::route_type::RouteMask;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "force_rport",
        vec![],
        RouteMask::REQUEST_LIKE,
        force_rport,
    )]
}

/// Sets the context's flag; the reply and forwarding code read it.
fn force_rport(ctx: &mut Context, _: &Args) -> i32 {
    ctx.force_rport = true;
    1
}
