//! `get_timestamp(sec_var, usec_var)`: the current time as seconds since the epoch and the
//! microseconds within that second, read once (OpenSIPS core). Always 1, or -1 when a
//! variable cannot be written.

use siplua_script::AssignOp;

use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::RouteMask;
use crate::value::Value;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "get_timestamp",
        vec![
            ParamSpec::req("sec_var", ParamKind::Var),
            ParamSpec::req("usec_var", ParamKind::Var),
        ],
        RouteMask::ALL,
        get_timestamp,
    )]
}

fn get_timestamp(ctx: &mut Context, args: &Args) -> i32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let parts = [
        (0, now.as_secs() as i64),
        (1, i64::from(now.subsec_micros())),
    ];
    for (i, v) in parts {
        let Some(pv) = args.pv(i) else { return -1 };
        if let Err(e) = pv.set(ctx, AssignOp::Set, Value::Int(v)) {
            crate::log::emit(
                crate::log::level::ERR,
                "core",
                &format!("get_timestamp: {e}"),
            );
            return -1;
        }
    }
    1
}
