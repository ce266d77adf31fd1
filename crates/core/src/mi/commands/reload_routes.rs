//! `reload_routes`: re-reads the configuration file siplua was started with, compiles its
//! routes against the running modules, and swaps the compiled script in one atomic store.
//! Any error keeps the running script and is returned.
//!
//! As in OpenSIPS only the routes change: global parameters, `loadmodule` and `modparam`
//! stay as loaded. Transactions and timers refer to routes by position, so the reload is
//! refused when a route of the running script would move (routes may change freely and new
//! ones may be added after the existing ones) or when the `timer_route`s change.

use std::sync::Arc;

use serde_json::Value;

use crate::interp::Program;
use crate::log::{self, level};
use crate::mi::command::{MiCommand, MiContext, MiError, MiParams};

/// The command.
pub fn command() -> MiCommand {
    MiCommand::new(
        "reload_routes",
        "re-reads the script's routes (not its parameters or modules) and swaps them in",
        vec![],
        run,
    )
}

fn failed(detail: impl Into<String>) -> MiError {
    MiError::new(500, "Failed to reload").with_data(detail)
}

fn run(ctx: &MiContext, _: &MiParams) -> Result<Value, MiError> {
    let core = ctx.core;
    let path = core.script_path.as_deref().ok_or_else(|| {
        failed("siplua runs its embedded default configuration: there is no file to re-read")
    })?;
    let new =
        crate::load::compile_routes(path, core).map_err(|errors| failed(errors.join("\n")))?;
    check_layout(&core.program(), &new).map_err(failed)?;
    core.program.store(Arc::new(new));
    log::emit(
        level::NOTICE,
        "mi",
        &format!("routes reloaded from {}", path.display()),
    );
    Ok(Value::from("OK"))
}

/// Checks that every route of `old` keeps its position in `new` and that the timer routes
/// are the same, so that route ids held by transactions and timers stay right.
fn check_layout(old: &Program, new: &Program) -> Result<(), String> {
    for (i, route) in old.routes.iter().enumerate() {
        let same = new
            .routes
            .get(i)
            .is_some_and(|n| n.kind == route.kind && n.name == route.name);
        if !same {
            return Err(format!(
                "route #{} ({:?} {}) was moved, renamed or removed: add new routes after the \
                 existing ones, or restart siplua",
                i + 1,
                route.kind,
                route.name.as_deref().unwrap_or("(main)")
            ));
        }
    }
    if old.timers != new.timers {
        return Err("timer_route changes need a restart of siplua".into());
    }
    Ok(())
}
