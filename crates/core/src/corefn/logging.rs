//! `xlog([level,] format)`, `log([level,] text)` and `xdbg(format)` (xlog at L_DBG), filtered by
//! `xlog_level` (not `log_level`), at `xlog_print_level` when no level is given; and
//! OpenSIPS 1.x–2.x's `setdebug([level])` / `resetdebug()`, which give this worker a log level
//! of its own, for code and xlog lines alike as 2.x had one level (what `$log_level` and
//! `$xlog_level` do in 3.x).

use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use crate::log;
use crate::route_type::RouteMask;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let params = || {
        vec![
            ParamSpec::req("level_or_text", ParamKind::Str),
            ParamSpec::opt("text", ParamKind::Str),
        ]
    };
    vec![
        FunctionDecl::new("xlog", params(), RouteMask::ALL, xlog).with_fixup(level_fixup),
        FunctionDecl::new("log", params(), RouteMask::ALL, xlog).with_fixup(level_fixup),
        FunctionDecl::new(
            "setdebug",
            vec![ParamSpec::opt("level", ParamKind::Int)],
            RouteMask::ALL,
            |c, a| {
                // Without a level, OpenSIPS 2.x goes back to the global one. 2.x had one
                // level for code and xlog lines, so both follow.
                let level = a.int(c, 0).map(|l| l as i32);
                log::set_thread_level(level);
                log::set_thread_xlog_level(level);
                1
            },
        ),
        FunctionDecl::new("resetdebug", vec![], RouteMask::ALL, |_, _| {
            log::set_thread_level(None);
            log::set_thread_xlog_level(None);
            1
        }),
        FunctionDecl::new(
            "xdbg",
            vec![ParamSpec::req("text", ParamKind::Str)],
            RouteMask::ALL,
            xdbg,
        ),
    ]
}

/// With two arguments the first is a level: resolve it once (an unknown level is a load
/// error, as in OpenSIPS).
fn level_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if args.len() == 2 {
        if let PreparedArg::Str(s) = &args[0] {
            let l = log::parse_level(s).ok_or_else(|| format!("unknown log level '{s}'"))?;
            args[0] = PreparedArg::Int(l as i64);
        }
    }
    Ok(())
}

fn xlog(ctx: &mut Context, args: &Args) -> i32 {
    let (level, text_arg) = if args.has(1) {
        let l = match args.get(0) {
            PreparedArg::Int(l) => *l as i32,
            _ => args
                .str(ctx, 0)
                .and_then(|s| log::parse_level(&s))
                .unwrap_or(log::level::ERR),
        };
        (l, 1)
    } else {
        (ctx.core.config.xlog_print_level, 0)
    };
    if log::xlog_enabled(level) {
        let text = args.str(ctx, text_arg).unwrap_or_default();
        log::emit_xlog(level, &text);
    }
    1
}

fn xdbg(ctx: &mut Context, args: &Args) -> i32 {
    if log::xlog_enabled(log::level::DBG) {
        let text = args.str(ctx, 0).unwrap_or_default();
        log::emit_xlog(log::level::DBG, &text);
    }
    1
}
