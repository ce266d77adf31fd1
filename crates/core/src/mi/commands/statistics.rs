//! `get_statistics`, `list_statistics`, `reset_statistics`: the statistics by OpenSIPS name.
//!
//! Selectors are those of [`StatSample::matches`]: `all`, `tm:`, `core:rcv_requests`,
//! `rcv_requests`.

use serde_json::{Map, Value};

use crate::mi::command::{MiCommand, MiContext, MiError, MiParam, MiParams};
use crate::stats::{StatKind, StatSample};

/// The commands of this file.
pub fn commands() -> Vec<MiCommand> {
    vec![
        MiCommand::new(
            "get_statistics",
            "prints the values of statistics: all, group: or group:name",
            vec![MiParam::req("statistics")],
            get,
        ),
        MiCommand::new(
            "list_statistics",
            "lists statistics and whether they are incremental (counters) or not (gauges)",
            vec![MiParam::opt("statistics")],
            list,
        ),
        MiCommand::new(
            "reset_statistics",
            "resets counters to 0 (gauges are left alone)",
            vec![MiParam::req("statistics")],
            reset,
        ),
    ]
}

/// The statistics chosen by the call's `statistics` (every one when absent); an error when
/// nothing matches, as OpenSIPS answers.
fn chosen(ctx: &MiContext, p: &MiParams) -> Result<Vec<StatSample>, MiError> {
    let selectors = p.str_list("statistics")?;
    let all = ctx.core.stats.samples();
    let picked: Vec<StatSample> = match &selectors {
        None => all,
        Some(sel) => all
            .into_iter()
            .filter(|s| sel.iter().any(|x| s.matches(x)))
            .collect(),
    };
    if picked.is_empty() {
        return Err(MiError::new(404, "Statistics Not Found"));
    }
    Ok(picked)
}

fn get(ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    let mut out = Map::new();
    for s in chosen(ctx, p)? {
        out.insert(s.full_name(), Value::from(s.value));
    }
    Ok(Value::Object(out))
}

fn list(ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    let mut out = Map::new();
    for s in chosen(ctx, p)? {
        let kind = match s.kind {
            StatKind::Counter => "incremental",
            StatKind::Gauge => "non-incremental",
        };
        out.insert(s.full_name(), Value::from(kind));
    }
    Ok(Value::Object(out))
}

fn reset(ctx: &MiContext, p: &MiParams) -> Result<Value, MiError> {
    for s in chosen(ctx, p)? {
        ctx.core.stats.reset(&s.full_name());
    }
    Ok(Value::from("OK"))
}
