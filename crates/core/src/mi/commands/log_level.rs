//! `log_level [level [pid]]`: reads or sets the log level. siplua's threads share one level,
//! so the per-process form accepts only siplua's own PID.

use serde_json::{json, Value};

use crate::log;
use crate::mi::command::{MiCommand, MiContext, MiError, MiParam, MiParams};
use crate::mi::jsonrpc::{INVALID_PARAMS, INVALID_PARAMS_MSG};

/// The command.
pub fn command() -> MiCommand {
    MiCommand::new(
        "log_level",
        "gets/sets the log level of siplua (-3 ALERT ... 4 DBG)",
        vec![MiParam::opt("level"), MiParam::opt("pid")],
        run,
    )
}

fn run(ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    let Some(level) = p.int("level")? else {
        let pid = std::process::id();
        let current = log::current_level();
        let list: Vec<Value> = ctx
            .core
            .processes
            .list()
            .into_iter()
            .map(|kind| json!({ "PID": pid, "Log level": current, "Type": kind }))
            .collect();
        return Ok(json!({ "Processes": list }));
    };
    let level = level.clamp(log::level::ALERT as i64, log::level::DBG as i64) as i32;
    match p.int("pid")? {
        None => {
            log::set_level(level);
            Ok(json!({ "New global log level": level }))
        }
        Some(pid) if pid == i64::from(std::process::id()) => {
            log::set_level(level);
            Ok(json!({ "Log level": level }))
        }
        Some(_) => Err(MiError::new(INVALID_PARAMS, INVALID_PARAMS_MSG).with_data("Bad PID")),
    }
}
