//! `force_rport()`: treat the request as if its top Via carried `rport` (RFC 3581), so that
//! replies go back to the source port and a forwarded request records it.
//! `force_local_rport()` / `add_local_rport()`: the other way round, our own Via on the
//! request's forwarded copies carries `rport`, asking the next hop to answer to our port.

use crate::context::Context;
use crate::function::{Args, FunctionDecl};
use crate::route_type::RouteMask;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    let mut v = vec![FunctionDecl::new(
        "force_rport",
        vec![],
        RouteMask::REQUEST_LIKE,
        force_rport,
    )];
    for name in ["force_local_rport", "add_local_rport"] {
        v.push(FunctionDecl::new(
            name,
            vec![],
            RouteMask::REQUEST_LIKE,
            local_rport,
        ));
    }
    v
}

/// Sets the context's flag; the reply and forwarding code read it.
fn force_rport(ctx: &mut Context, _: &Args) -> i32 {
    ctx.force_rport = true;
    1
}

/// Marks the copies forwarded from here on (stateless or through tm) for `;rport` in our Via.
fn local_rport(ctx: &mut Context, _: &Args) -> i32 {
    ctx.advertised.rport = true;
    1
}
