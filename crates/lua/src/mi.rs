//! The lua module's MI commands: `lua_reload` (siplua's own) and `watch` (OpenSIPS').

use std::sync::atomic::Ordering;
use std::sync::Arc;

use siplua_core::mi::{json, MiCommand, MiError, MiParam, Value};

use crate::state::{Shared, WorkerLua};
use crate::watch::WatchReply;

/// The commands.
pub fn commands(shared: &Arc<Shared>) -> Vec<MiCommand> {
    let reload = shared.clone();
    let watch = shared.watch.clone();
    vec![
        MiCommand::new(
            "lua_reload",
            "Loads the Lua script again into a fresh state in every worker (the old code keeps running when the file does not load)",
            vec![],
            move |_, _| lua_reload(&reload),
        ),
        MiCommand::new(
            "watch",
            "Lists the watched extensions, or adds/deletes one (action=add|delete extension=...)",
            vec![MiParam::opt("action"), MiParam::opt("extension")],
            move |_, p| match watch.command(p.str("action")?.as_deref(), p.str("extension")?.as_deref()) {
                Ok(WatchReply::Ok) => Ok(Value::from("OK")),
                Ok(WatchReply::List(list)) => Ok(json!(list)),
                Err(e) => Err(MiError::new(i64::from(e.code), e.message)),
            },
        ),
    ]
}

/// Checks that the file loads (on the MI thread, in a throw-away state), then asks every
/// worker for a fresh state: each builds it before its next `lua_exec`.
fn lua_reload(shared: &Arc<Shared>) -> Result<Value, MiError> {
    WorkerLua::load(shared).map_err(|e| MiError::new(500, e))?;
    shared.generation.fetch_add(1, Ordering::SeqCst);
    shared.stats.reloads.inc();
    Ok(Value::from("OK"))
}
