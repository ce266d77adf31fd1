//! The compiled script: routes turned into instructions with every name resolved.
//!
//! Compilation happens once per (re)load; the interpreter then walks these instructions
//! without any lookup by name, string parsing or regex compilation on the hot path.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;
use siplua_script::{AssignOp, BinOp, RouteKind, SourceMap, Span};

use crate::format::CompiledFormat;
use crate::function::{Args, FunctionDecl};
use crate::pv::CompiledPv;
use crate::value::Value;

/// Named routes by kind, then name.
pub type RouteNames = HashMap<RouteKind, HashMap<String, usize>>;

/// A whole compiled script.
pub struct Program {
    /// Every route, indexed by the ids the instructions use.
    pub routes: Vec<Route>,
    /// Named routes by kind, then name (`failure_route[missed]` is under `Failure`,
    /// `"missed"`): two levels so that a lookup by `&str` allocates nothing.
    pub by_name: RouteNames,
    /// The main request route, `route { }`.
    pub main: Option<usize>,
    /// The main reply route, `onreply_route { }`.
    pub onreply: Option<usize>,
    /// `local_route { }`.
    pub local: Option<usize>,
    /// `startup_route { }`.
    pub startup: Option<usize>,
    /// `error_route { }`.
    pub error: Option<usize>,
    /// `timer_route[name, seconds]` routes with their interval.
    pub timers: Vec<(usize, u32)>,
    /// `event_route[E_NAME]` routes.
    pub events: HashMap<String, usize>,
    /// Source texts, to print positions in run-time messages.
    pub sources: Arc<SourceMap>,
}

impl Program {
    /// The route of this kind and name, if the script defines it.
    pub fn route(&self, kind: RouteKind, name: &str) -> Option<usize> {
        self.by_name.get(&kind)?.get(name).copied()
    }

    /// `FILE:LINE` of a span, for run-time log lines.
    pub fn position(&self, span: Span) -> String {
        let (file, line, _) = self.sources.line_col(span);
        format!("{file}:{line}")
    }
}

/// One compiled route.
pub struct Route {
    /// Its kind.
    pub kind: RouteKind,
    /// Its name, if any.
    pub name: Option<String>,
    /// Its instructions.
    pub body: Vec<Step>,
}

/// A statement and where it is written (what `script_trace` prints).
pub struct Step {
    /// The statement.
    pub ins: Ins,
    /// Its position.
    pub span: Span,
}

/// A statement.
pub enum Ins {
    /// `if`.
    If {
        /// Condition.
        cond: Expr,
        /// Taken when true.
        then: Vec<Step>,
        /// Taken when false.
        otherwise: Vec<Step>,
    },
    /// `while`, bounded by `max_while_loops`.
    While {
        /// Condition.
        cond: Expr,
        /// Body.
        body: Vec<Step>,
        /// Where, for the "too many iterations" log line.
        span: Span,
    },
    /// `for ($var(v) in $(avp(x)[*]))`.
    For {
        /// The loop variable.
        var: CompiledPv,
        /// What is iterated over (read with every index).
        iter: CompiledPv,
        /// Body.
        body: Vec<Step>,
    },
    /// `switch`: the body of case `i` starts at `cases[i].1`; execution falls through to the
    /// end unless a `break` stops it.
    Switch {
        /// Value switched on.
        subject: Expr,
        /// Case values (`None` = default) and where their code starts in `body`.
        cases: Vec<(Option<Value>, usize)>,
        /// All case bodies, concatenated.
        body: Vec<Step>,
    },
    /// Assignment to a pseudo-variable.
    Assign {
        /// Target.
        target: CompiledPv,
        /// Operator.
        op: AssignOp,
        /// Value.
        value: Expr,
        /// Where, for error messages.
        span: Span,
    },
    /// A call used as a statement (its code goes to `$retcode`; 0 stops the script).
    Call(Call),
    /// `exit`.
    Exit,
    /// `drop`.
    Drop,
    /// `return` / `return(e)`.
    Return(Option<Expr>),
    /// `break`.
    Break,
    /// `async(f(args), resume_route[, timeout])`: `f` runs on the worker (siplua workers are
    /// synchronous), `$rc` gets its code, the script continues in `resume` and ends there:
    /// what follows the statement never runs, as in OpenSIPS.
    Async {
        /// The function (always a [`Call::Function`] of an async-capable function).
        call: Call,
        /// The resume route.
        resume: usize,
    },
    /// `launch(f(args)[, report_route[, param]])`: `f` runs, then the report route (with
    /// `$rc` = its code and `$param(1)` = `param`), and the script goes on after the statement.
    Launch {
        /// The function (always a [`Call::Function`] of an async-capable function).
        call: Call,
        /// The report route, if any.
        report: Option<usize>,
        /// The report route's `$param(1)`.
        param: Option<Expr>,
    },
    /// `assert(cond, "message")` (checked only with `enable_asserts`).
    Assert {
        /// The condition that must hold.
        cond: Expr,
        /// What is logged when it does not.
        message: String,
    },
}

/// An expression.
pub enum Expr {
    /// A constant.
    Const(Value),
    /// A string with variables.
    Format(CompiledFormat),
    /// A variable.
    Pv(CompiledPv),
    /// A call used for its return code.
    Call(Call),
    /// `!e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `~e`.
    BitNot(Box<Expr>),
    /// `a op b` (not matches).
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a =~ re` / `a !~ re` with a constant pattern, compiled once.
    Match {
        /// The text matched.
        subject: Box<Expr>,
        /// The compiled pattern.
        re: Regex,
        /// True for `!~`.
        negate: bool,
    },
}

/// A call site.
pub enum Call {
    /// A module or core function with its prepared arguments.
    Function {
        /// What is called.
        decl: Arc<FunctionDecl>,
        /// Its arguments, prepared at load time.
        args: Args,
        /// Where, for log lines.
        span: Span,
    },
    /// `route(name, args...)`.
    Route {
        /// The route called.
        route: usize,
        /// Its arguments (`$param(1)`...).
        args: Vec<Expr>,
    },
}
