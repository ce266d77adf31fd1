//! `script_trace`: once a script turns it on, every statement run for the rest of the message
//! is logged with its `FILE:LINE` and, when asked, the values of a format string, like
//! OpenSIPS' `[line 578][me][module consume_credentials] -> (INVITE from 127.0.0.1)`. The
//! interpreter looks at [`Context::trace`] before each statement: one test of an `Option`
//! when tracing is off.

use super::program::{Call, Ins, Program, Step};
use crate::context::Context;
use crate::function::Args;
use crate::log;

/// What `script_trace(level, format, info)` asked for.
#[derive(Clone, Debug)]
pub struct ScriptTrace {
    /// The log level of the trace lines.
    pub level: i32,
    /// The call's prepared arguments: the format is argument 1, expanded per statement.
    pub args: Args,
    /// The tag put in each line (`info`), if given.
    pub info: Option<String>,
}

/// What a call is called in a trace line.
fn call_name(program: &Program, call: &Call) -> String {
    match call {
        Call::Function { decl, .. } => format!("function {}", decl.name),
        Call::Route { route, .. } => format!(
            "route {}",
            program.routes[*route].name.as_deref().unwrap_or("")
        ),
    }
}

/// What a statement is called in a trace line.
fn name(program: &Program, ins: &Ins) -> String {
    match ins {
        Ins::If { .. } => "if".into(),
        Ins::While { .. } => "while".into(),
        Ins::For { .. } => "for".into(),
        Ins::Switch { .. } => "switch".into(),
        Ins::Assign { target, .. } => format!("assign {}", target.text),
        Ins::Call(call) => call_name(program, call),
        Ins::Async { call, .. } => format!("async {}", call_name(program, call)),
        Ins::Launch { call, .. } => format!("launch {}", call_name(program, call)),
        Ins::Exit => "exit".into(),
        Ins::Drop => "drop".into(),
        Ins::Return(_) => "return".into(),
        Ins::Break => "break".into(),
        Ins::Assert { .. } => "assert".into(),
    }
}

/// Logs one statement about to run, when tracing is on.
pub fn step(program: &Program, step: &Step, ctx: &Context) {
    let Some(t) = &ctx.trace else { return };
    if !log::enabled(t.level) {
        return;
    }
    let mut line = format!("[{}]", program.position(step.span));
    if let Some(info) = &t.info {
        line.push_str(&format!("[{info}]"));
    }
    line.push_str(&format!("[{}]", name(program, &step.ins)));
    if let Some(values) = t.args.str(ctx, 1) {
        line.push_str(&format!(" -> ({values})"));
    }
    log::emit(t.level, "script_trace", &line);
}
