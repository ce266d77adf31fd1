//! `set_advertised_address(host)` and `set_advertised_port(port)`: what the current request's
//! forwarded copies advertise in their Via and Record-Route instead of the sending socket's
//! address (OpenSIPS' per-message form of the `advertised_address` / `advertised_port`
//! globals, which it overrides).

use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::log::{self, level};
use crate::route_type::RouteMask;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    vec![
        FunctionDecl::new(
            "set_advertised_address",
            vec![ParamSpec::req("address", ParamKind::Str)],
            RouteMask::REQUEST_LIKE,
            set_address,
        ),
        FunctionDecl::new(
            "set_advertised_port",
            vec![ParamSpec::req("port", ParamKind::Int)],
            RouteMask::REQUEST_LIKE,
            set_port,
        ),
    ]
}

fn set_address(ctx: &mut Context, args: &Args) -> i32 {
    match args.str(ctx, 0).map(|a| a.trim().to_owned()) {
        Some(host) if !host.is_empty() => {
            ctx.advertised.host = Some(host);
            1
        }
        _ => {
            log::emit(level::ERR, "core", "set_advertised_address: empty address");
            -1
        }
    }
}

fn set_port(ctx: &mut Context, args: &Args) -> i32 {
    match args.int(ctx, 0).and_then(|p| u16::try_from(p).ok()) {
        Some(port) if port > 0 => {
            ctx.advertised.port = Some(port);
            1
        }
        _ => {
            log::emit(level::ERR, "core", "set_advertised_port: not a port number");
            -1
        }
    }
}
