//! One request in, one reply out: what every MI transport calls with the bytes it received.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use serde_json::Value;

use super::command::{MiContext, MiError};
use super::jsonrpc::{
    self, METHOD_NOT_FOUND, METHOD_NOT_FOUND_MSG, SERVER_ERROR, SERVER_ERROR_MSG,
};
use super::params;
use crate::engine::Core;
use crate::log::{self, level};

/// Runs one JSON-RPC request text and returns the reply text, or `None` for a notification
/// (no `id`), which gets no reply. Text that is not JSON gets a "Parse error" reply.
pub fn handle(core: &Arc<Core>, text: &[u8]) -> Option<String> {
    let request = match jsonrpc::parse(text) {
        Ok(r) => r,
        Err(rejected) => {
            log::emit(
                level::ERR,
                "mi",
                &format!(
                    "bad MI request: {}",
                    rejected.error.data.as_deref().unwrap_or("")
                ),
            );
            return rejected
                .id
                .map(|id| jsonrpc::error(&id, &rejected.error).to_string());
        }
    };
    let outcome = execute(core, &request.method, request.params.as_ref());
    if let Err(e) = &outcome {
        log::emit(
            level::INFO,
            "mi",
            &format!(
                "MI command {} failed: {} {}",
                request.method, e.code, e.message
            ),
        );
    }
    let id = request.id?;
    let reply = match outcome {
        Ok(v) => jsonrpc::result(&id, v),
        Err(e) => jsonrpc::error(&id, &e),
    };
    Some(reply.to_string())
}

/// Runs the command `method` with `params`. A handler that panics is a "Server error": the
/// management interface must outlive a bug in one command.
pub fn execute(core: &Arc<Core>, method: &str, params: Option<&Value>) -> Result<Value, MiError> {
    let registered = core
        .mi
        .get(method)
        .ok_or_else(|| MiError::new(METHOD_NOT_FOUND, METHOD_NOT_FOUND_MSG))?;
    let bound = params::bind(&registered.command, params)?;
    let ctx = MiContext { core };
    log::emit(level::DBG, "mi", &format!("running MI command {method}"));
    catch_unwind(AssertUnwindSafe(|| {
        (registered.command.handler)(&ctx, &bound)
    }))
    .unwrap_or_else(|_| {
        Err(MiError::new(SERVER_ERROR, SERVER_ERROR_MSG).with_data("Command handler failed"))
    })
}
