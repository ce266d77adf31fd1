//! `uptime`, `version`, `which`, `help` and `ps`: what is running and what it offers.

use serde_json::{json, Value};

use crate::mi::command::{MiCommand, MiContext, MiError, MiParam, MiParams};

/// Text of `help` without a command (OpenSIPS' wording).
const HELP_USAGE: &str = "Usage: help mi_cmd - returns information about 'mi_cmd'";

/// The commands of this file.
pub fn commands() -> Vec<MiCommand> {
    vec![
        MiCommand::new(
            "uptime",
            "prints various time information about siplua - when it started to run, for how long it runs",
            vec![],
            uptime,
        ),
        MiCommand::new("version", "prints the version string of the running siplua", vec![], |_, _| {
            Ok(json!({ "Server": server_string() }))
        }),
        MiCommand::new(
            "which",
            "lists all available MI commands, or the parameter sets of one",
            vec![MiParam::opt("command")],
            which,
        ),
        MiCommand::new(
            "help",
            "prints information about MI commands usage",
            vec![MiParam::opt("mi_cmd")],
            help,
        ),
        MiCommand::new("ps", "lists all threads used by siplua", vec![], ps),
    ]
}

/// `siplua 0.1.0 (x86_64/linux)`, the way OpenSIPS prints its `Server` string.
pub fn server_string() -> String {
    format!(
        "siplua {} ({}/{})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// A Unix time as C's `ctime` prints it (local time), as OpenSIPS shows dates (modules'
/// MI listings use it too).
pub fn ctime(unix: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt(unix, 0)
        .single()
        .map(|t| t.format("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_default()
}

fn uptime(ctx: &MiContext, _: &MiParams) -> Result<Value, MiError> {
    let now = chrono::Utc::now().timestamp();
    let up = (now - ctx.core.started_unix).max(0);
    Ok(json!({
        "Now": ctime(now),
        "Up since": ctime(ctx.core.started_unix),
        "Up time": format!("{up} [sec]"),
    }))
}

fn which(ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    let registry = &ctx.core.mi;
    match p.str("command")? {
        None => Ok(Value::from(
            registry
                .all()
                .iter()
                .map(|r| r.command.name)
                .collect::<Vec<_>>(),
        )),
        Some(name) => {
            let r = registry
                .get(&name)
                .ok_or_else(|| MiError::new(404, "unknown MI command"))?;
            Ok(json!(r.command.recipes()))
        }
    }
}

fn help(ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    let Some(name) = p.str("mi_cmd")? else {
        return Ok(Value::from(HELP_USAGE));
    };
    let r = ctx
        .core
        .mi
        .get(&name)
        .ok_or_else(|| MiError::new(404, "unknown MI command"))?;
    Ok(json!({ "Help": r.command.help, "Exported by": r.module }))
}

fn ps(ctx: &MiContext, _: &MiParams) -> Result<Value, MiError> {
    let pid = std::process::id();
    let list: Vec<Value> = ctx
        .core
        .processes
        .list()
        .into_iter()
        .enumerate()
        .map(|(i, kind)| json!({ "ID": i, "PID": pid, "Type": kind }))
        .collect();
    Ok(json!({ "Processes": list }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_shape() {
        // "Thu Jan  1 00:00:00 1970" in UTC; only the shape is stable across time zones.
        let t = ctime(0);
        assert_eq!(t.len(), 24, "{t}");
        assert!(server_string().starts_with("siplua "));
    }
}
