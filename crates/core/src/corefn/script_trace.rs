//! `script_trace([log_level, "format"[, "info"]])` turns on tracing of every statement the
//! script runs for the rest of this message (see [`crate::interp::trace`]);
//! `script_trace()` turns it off. Always 1.

use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::interp::trace::ScriptTrace;
use crate::route_type::RouteMask;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "script_trace",
        vec![
            ParamSpec::opt("log_level", ParamKind::Int),
            ParamSpec::opt("format", ParamKind::Str),
            ParamSpec::opt("info", ParamKind::StaticStr),
        ],
        RouteMask::ALL,
        script_trace,
    )]
}

fn script_trace(ctx: &mut Context, args: &Args) -> i32 {
    ctx.trace = match args.int(ctx, 0) {
        None if !args.has(0) => None,
        level => Some(ScriptTrace {
            level: level.unwrap_or(crate::log::level::ERR as i64) as i32,
            args: args.clone(),
            info: args.str(ctx, 2).map(|s| s.into_owned()),
        }),
    };
    1
}
