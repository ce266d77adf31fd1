//! From the parsed script to the [`Program`]: names resolved, arguments prepared, and every
//! check OpenSIPS makes at load time (unknown function or variable, wrong number or type of
//! arguments, a function not allowed in the route type that reaches it, an unknown route).
//! Each error is rendered `FILE:LINE:COL: message`.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use siplua_script::{
    BinOp, Block, Case, Expr as AstExpr, ExprKind, FmtPart, RouteDef, RouteKind, Script, SourceMap,
    Span, StmtKind,
};

use super::program::{Call, Expr, Ins, Program, Route, RouteNames, Step};
use crate::format::CompiledFormat;
use crate::function::{Args, FunctionDecl, ParamKind, PreparedArg};
use crate::pv::{CompiledPv, PvLookup};
use crate::registry::FunctionTable;
use crate::route_type::RouteType;
use crate::value::Value;

/// Compiles the routes of a parsed script. `Err` holds every error found, rendered.
pub fn compile(
    script: &Script,
    sources: Arc<SourceMap>,
    functions: &FunctionTable,
    pvs: &dyn PvLookup,
) -> Result<Program, Vec<String>> {
    let positioned = Positioned {
        inner: pvs,
        sources: &sources,
        at: Cell::new(None),
    };
    let mut c = Compiler {
        sources: &sources,
        functions,
        pvs: &positioned,
        by_name: HashMap::new(),
        errors: Vec::new(),
        calls: Vec::new(),
        current: 0,
    };
    let mut program = Program {
        routes: Vec::new(),
        by_name: HashMap::new(),
        main: None,
        onreply: None,
        local: None,
        startup: None,
        error: None,
        timers: Vec::new(),
        events: HashMap::new(),
        sources: sources.clone(),
    };
    c.index_routes(script, &mut program);
    c.by_name = program.by_name.clone();
    c.calls = vec![RouteCalls::default(); script.routes.len()];
    for (i, def) in script.routes.iter().enumerate() {
        c.current = i;
        let body = c.block(&def.body);
        program.routes.push(Route {
            kind: def.kind,
            name: def.name.clone(),
            body,
        });
    }
    c.check_route_types(script, &program);
    if c.errors.is_empty() {
        Ok(program)
    } else {
        Err(c.errors)
    }
}

/// What one route calls: functions (with the call position) and other routes.
#[derive(Clone, Default)]
struct RouteCalls {
    functions: Vec<(Arc<FunctionDecl>, Span)>,
    routes: Vec<usize>,
}

/// The engine's variable lookup, plus where the statement being compiled is written (what
/// `$cfg_line` and `$cfg_file` become).
struct Positioned<'a> {
    inner: &'a dyn PvLookup,
    sources: &'a SourceMap,
    at: Cell<Option<Span>>,
}

impl PvLookup for Positioned<'_> {
    fn module_pv(&self, name: &str) -> Option<Arc<crate::pv::PvDecl>> {
        self.inner.module_pv(name)
    }

    fn module_pv_class(&self, name: &str) -> Option<Arc<dyn crate::pv::PvClass>> {
        self.inner.module_pv_class(name)
    }

    fn position(&self) -> Option<(String, u32)> {
        let (file, line, _) = self.sources.line_col(self.at.get()?);
        Some((file.to_owned(), line))
    }
}

struct Compiler<'a> {
    sources: &'a SourceMap,
    functions: &'a FunctionTable,
    pvs: &'a Positioned<'a>,
    by_name: RouteNames,
    errors: Vec<String>,
    calls: Vec<RouteCalls>,
    current: usize,
}

impl Compiler<'_> {
    fn error(&mut self, span: Span, msg: impl AsRef<str>) {
        self.errors.push(self.sources.render(span, msg.as_ref()));
    }

    /// Gives every route its id and finds the entry points; duplicates are errors.
    fn index_routes(&mut self, script: &Script, p: &mut Program) {
        for (i, def) in script.routes.iter().enumerate() {
            let slot = match (def.kind, &def.name) {
                (RouteKind::Request, None) => Some(&mut p.main),
                (RouteKind::OnReply, None) => Some(&mut p.onreply),
                (RouteKind::Local, _) => Some(&mut p.local),
                (RouteKind::Startup, _) => Some(&mut p.startup),
                (RouteKind::Error, _) => Some(&mut p.error),
                _ => None,
            };
            if let Some(slot) = slot {
                if slot.replace(i).is_some() {
                    self.error(def.span, format!("{} defined twice", describe(def)));
                }
                continue;
            }
            let name = def.name.clone().unwrap_or_default();
            let named = p.by_name.entry(def.kind).or_default();
            if named.insert(name.clone(), i).is_some() {
                self.error(def.span, format!("{} defined twice", describe(def)));
            }
            match def.kind {
                RouteKind::Timer => p.timers.push((i, def.timer_interval.unwrap_or(1).max(1))),
                RouteKind::Event => {
                    p.events.insert(name, i);
                }
                _ => {}
            }
        }
    }

    fn block(&mut self, block: &Block) -> Vec<Step> {
        block
            .iter()
            .filter_map(|s| {
                self.pvs.at.set(Some(s.span));
                let ins = self.stmt(&s.kind, s.span)?;
                Some(Step { ins, span: s.span })
            })
            .collect()
    }

    fn stmt(&mut self, kind: &StmtKind, span: Span) -> Option<Ins> {
        Some(match kind {
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => Ins::If {
                cond: self.expr(cond)?,
                then: self.block(then),
                otherwise: otherwise
                    .as_ref()
                    .map(|b| self.block(b))
                    .unwrap_or_default(),
            },
            StmtKind::While { cond, body } => Ins::While {
                cond: self.expr(cond)?,
                body: self.block(body),
                span,
            },
            StmtKind::For { var, iter, body } => {
                let var = self.pv(var, span)?;
                if !var.is_writable() {
                    self.error(span, format!("{} cannot be assigned", var.text));
                }
                Ins::For {
                    var,
                    iter: self.pv(iter, span)?,
                    body: self.block(body),
                }
            }
            StmtKind::Switch { subject, cases } => self.switch(subject, cases)?,
            StmtKind::Assign { target, op, value } => {
                let target_pv = self.pv(target, target.span)?;
                if !target_pv.is_writable() {
                    self.error(
                        target.span,
                        format!("{} is read-only and cannot be assigned", target_pv.text),
                    );
                }
                Ins::Assign {
                    target: target_pv,
                    op: *op,
                    value: self.expr(value)?,
                    span,
                }
            }
            StmtKind::Call(call) => match call.name.as_str() {
                "exit" if call.args.is_empty() => Ins::Exit,
                "drop" if call.args.is_empty() => Ins::Drop,
                "break" if call.args.is_empty() => Ins::Break,
                "assert" => self.assert(call)?,
                _ => Ins::Call(self.call(call)?),
            },
            StmtKind::Exit => Ins::Exit,
            StmtKind::Drop => Ins::Drop,
            StmtKind::Return(e) => Ins::Return(match e {
                Some(e) => Some(self.expr(e)?),
                None => None,
            }),
            StmtKind::Break => Ins::Break,
            StmtKind::Async(a) => self.async_stmt(a)?,
            StmtKind::Launch(l) => self.launch_stmt(l)?,
        })
    }

    /// `assert(condition, "message")`: a statement of the core, its condition an expression
    /// as in `if`.
    fn assert(&mut self, call: &siplua_script::Call) -> Option<Ins> {
        let message = match call.args.as_slice() {
            [_, m] => match self.constant(m) {
                Some(Value::Str(s)) => Some(s),
                _ => None,
            },
            _ => None,
        };
        let Some(message) = message else {
            self.error(
                call.span,
                "assert() takes a condition and a constant message string",
            );
            return None;
        };
        Some(Ins::Assert {
            cond: self.expr(&call.args[0])?,
            message,
        })
    }

    fn switch(&mut self, subject: &AstExpr, cases: &[Case]) -> Option<Ins> {
        let subject = self.expr(subject)?;
        let mut body = Vec::new();
        let mut starts = Vec::new();
        let mut seen_default = false;
        for case in cases {
            let value = match &case.value {
                None => {
                    if seen_default {
                        self.error(case.span, "switch has two default cases");
                    }
                    seen_default = true;
                    None
                }
                Some(e) => match self.constant(e) {
                    Some(v) => Some(v),
                    None => {
                        self.error(e.span, "case value must be a constant string or integer");
                        continue;
                    }
                },
            };
            starts.push((value, body.len()));
            body.extend(self.block(&case.body));
        }
        Some(Ins::Switch {
            subject,
            cases: starts,
            body,
        })
    }

    fn constant(&self, e: &AstExpr) -> Option<Value> {
        match &e.kind {
            ExprKind::Int(i) => Some(Value::Int(*i)),
            ExprKind::Str(f) => {
                let compiled = CompiledFormat::compile(f, self.pvs).ok()?;
                compiled.as_constant().map(Value::from)
            }
            ExprKind::Null => Some(Value::Null),
            ExprKind::Neg(inner) => match self.constant(inner)? {
                Value::Int(i) => Some(Value::Int(-i)),
                _ => None,
            },
            _ => None,
        }
    }

    fn pv(&mut self, spec: &siplua_script::PvSpec, span: Span) -> Option<CompiledPv> {
        match CompiledPv::compile(spec, self.pvs) {
            Ok(pv) => Some(pv),
            Err(e) => {
                self.error(
                    if spec.span == Span::default() {
                        span
                    } else {
                        spec.span
                    },
                    e,
                );
                None
            }
        }
    }

    fn expr(&mut self, e: &AstExpr) -> Option<Expr> {
        Some(match &e.kind {
            ExprKind::Int(i) => Expr::Const(Value::Int(*i)),
            ExprKind::Null => Expr::Const(Value::Null),
            ExprKind::Str(f) => match CompiledFormat::compile(f, self.pvs) {
                Ok(c) => match c.as_constant() {
                    Some(t) => Expr::Const(Value::from(t)),
                    None => Expr::Format(c),
                },
                Err(err) => {
                    self.error(e.span, err);
                    return None;
                }
            },
            ExprKind::Ident(name) => match self.functions.get(name) {
                // A zero-argument function written without parentheses in a condition.
                Some(_) => Expr::Call(self.call(&siplua_script::Call {
                    name: name.clone(),
                    args: Vec::new(),
                    span: e.span,
                })?),
                None => Expr::Const(Value::from(name.as_str())),
            },
            ExprKind::Pv(spec) => Expr::Pv(self.pv(spec, e.span)?),
            ExprKind::Call(call) => Expr::Call(self.call(call)?),
            ExprKind::Not(inner) => Expr::Not(Box::new(self.expr(inner)?)),
            ExprKind::Neg(inner) => Expr::Neg(Box::new(self.expr(inner)?)),
            ExprKind::BitNot(inner) => Expr::BitNot(Box::new(self.expr(inner)?)),
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.expr(lhs)?;
                if matches!(op, BinOp::Match | BinOp::NotMatch) {
                    if let Some(Value::Str(pattern)) = self.constant(rhs) {
                        return match script_regex(&pattern) {
                            Ok(re) => Some(Expr::Match {
                                subject: Box::new(l),
                                re,
                                negate: *op == BinOp::NotMatch,
                            }),
                            Err(err) => {
                                self.error(rhs.span, format!("invalid regular expression: {err}"));
                                None
                            }
                        };
                    }
                }
                Expr::Binary(*op, Box::new(l), Box::new(self.expr(rhs)?))
            }
        })
    }

    fn call(&mut self, call: &siplua_script::Call) -> Option<Call> {
        if call.name == "route" {
            return self.route_call(call);
        }
        let Some(decl) = self.functions.get_for(&call.name, call.args.len()) else {
            self.error(call.span, format!("unknown function '{}'", call.name));
            return None;
        };
        let args = match prepare_args(&decl, &call.args, self.pvs, &self.by_name) {
            Ok(a) => a,
            Err((span, msg)) => {
                self.error(span.unwrap_or(call.span), msg);
                return None;
            }
        };
        self.calls[self.current]
            .functions
            .push((decl.clone(), call.span));
        Some(Call::Function {
            decl,
            args,
            span: call.span,
        })
    }

    /// The function of an `async(...)`/`launch(...)`: a module function that OpenSIPS also
    /// exports asynchronously (anything else is refused at load time, as OpenSIPS does).
    fn async_call(&mut self, call: &siplua_script::Call, statement: &str) -> Option<Call> {
        if call.name == "route" {
            self.error(
                call.span,
                format!("{statement}() takes a function, not route()"),
            );
            return None;
        }
        if self
            .functions
            .get(&call.name)
            .is_some_and(|d| !d.async_capable)
        {
            self.error(
                call.span,
                format!(
                    "function '{}' cannot be used in {statement}(): OpenSIPS has no \
                     asynchronous version of it",
                    call.name
                ),
            );
            return None;
        }
        self.call(call)
    }

    /// A resume/report route named by `async`/`launch`: a `route[name]` that must exist.
    fn named_route(&mut self, r: &siplua_script::RouteRef) -> Option<usize> {
        let found = self
            .by_name
            .get(&RouteKind::Request)
            .and_then(|routes| routes.get(&r.name))
            .copied();
        match found {
            Some(route) => {
                self.calls[self.current].routes.push(route);
                Some(route)
            }
            None => {
                self.error(
                    r.span,
                    format!(
                        "unknown route '{}' (no route[{}] is defined)",
                        r.name, r.name
                    ),
                );
                None
            }
        }
    }

    /// `async(f(args), resume[, timeout])`. The timeout must be a positive constant.
    fn async_stmt(&mut self, a: &siplua_script::AsyncStmt) -> Option<Ins> {
        let call = self.async_call(&a.call, "async");
        let resume = self.named_route(&a.resume);
        if let Some(t) = &a.timeout {
            if !matches!(self.constant(t), Some(Value::Int(n)) if n > 0) {
                self.error(
                    t.span,
                    "async() timeout must be a positive number of seconds",
                );
                return None;
            }
        }
        Some(Ins::Async {
            call: call?,
            resume: resume?,
        })
    }

    /// `launch(f(args)[, report[, param]])`.
    fn launch_stmt(&mut self, l: &siplua_script::LaunchStmt) -> Option<Ins> {
        let call = self.async_call(&l.call, "launch");
        let report = match &l.report {
            Some(r) => Some(self.named_route(r)?),
            None => None,
        };
        let param = match &l.param {
            Some(p) => Some(self.expr(p)?),
            None => None,
        };
        Some(Ins::Launch {
            call: call?,
            report,
            param,
        })
    }

    fn route_call(&mut self, call: &siplua_script::Call) -> Option<Call> {
        let Some(first) = call.args.first() else {
            self.error(call.span, "route() needs a route name");
            return None;
        };
        let name = match &first.kind {
            ExprKind::Ident(n) => n.clone(),
            _ => match self.constant(first) {
                Some(Value::Str(s)) => s,
                _ => {
                    self.error(first.span, "route() takes a route name");
                    return None;
                }
            },
        };
        let found = self
            .by_name
            .get(&RouteKind::Request)
            .and_then(|r| r.get(&name));
        let Some(&route) = found else {
            self.error(
                first.span,
                format!("unknown route '{name}' (no route[{name}] is defined)"),
            );
            return None;
        };
        let args = call.args[1..]
            .iter()
            .map(|a| self.expr(a))
            .collect::<Option<Vec<_>>>()?;
        self.calls[self.current].routes.push(route);
        Some(Call::Route { route, args })
    }

    /// Walks from every entry route through `route(...)` calls and checks each function
    /// against the route type it runs in.
    fn check_route_types(&mut self, script: &Script, program: &Program) {
        let mut reported = HashSet::new();
        for (entry, def) in script.routes.iter().enumerate() {
            let is_entry = !(def.kind == RouteKind::Request && def.name.is_some());
            if !is_entry {
                continue;
            }
            let rt = RouteType::of(def.kind);
            let mut seen = HashSet::new();
            let mut stack = vec![entry];
            while let Some(r) = stack.pop() {
                if !seen.insert(r) {
                    continue;
                }
                for (decl, span) in self.calls[r].functions.clone() {
                    if !decl.routes.allows(rt)
                        && reported.insert((span.start, span.file, rt as u16))
                    {
                        let via = if r == entry {
                            String::new()
                        } else {
                            format!(
                                " (reached from {} through route({}))",
                                describe(def),
                                program.routes[r].name.as_deref().unwrap_or("")
                            )
                        };
                        self.error(
                            span,
                            format!(
                                "function '{}' is not allowed in {}{via}",
                                decl.name,
                                rt.name()
                            ),
                        );
                    }
                }
                stack.extend(self.calls[r].routes.iter().copied());
            }
        }
    }
}

/// Regular expressions written in the script (`=~`) are POSIX extended and case-insensitive
/// in OpenSIPS; the `regex` crate's syntax covers what scripts use.
pub fn script_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).case_insensitive(true).build()
}

/// Prepares the arguments of a call to `decl` (load time, or `moduleFunc` at run time).
/// The error carries the position of the offending argument when there is one.
pub fn prepare_args(
    decl: &FunctionDecl,
    args: &[AstExpr],
    pvs: &dyn PvLookup,
    routes: &RouteNames,
) -> Result<Args, (Option<Span>, String)> {
    if args.len() < decl.min_args() || args.len() > decl.params.len() {
        let expected = if decl.min_args() == decl.params.len() {
            decl.params.len().to_string()
        } else {
            format!("{} to {}", decl.min_args(), decl.params.len())
        };
        return Err((
            None,
            format!(
                "function '{}' takes {expected} argument(s), {} given",
                decl.name,
                args.len()
            ),
        ));
    }
    let mut prepared = Vec::with_capacity(args.len());
    for (i, (arg, spec)) in args.iter().zip(&decl.params).enumerate() {
        let p = prepare_one(arg, spec.kind, pvs, routes).map_err(|m| {
            (
                Some(arg.span),
                format!("argument {} ({}) of '{}': {m}", i + 1, spec.name, decl.name),
            )
        })?;
        prepared.push(p);
    }
    if let Some(fixup) = &decl.fixup {
        fixup(&mut prepared).map_err(|m| (None, format!("function '{}': {m}", decl.name)))?;
    }
    Ok(Args(prepared))
}

fn prepare_one(
    arg: &AstExpr,
    kind: ParamKind,
    pvs: &dyn PvLookup,
    routes: &RouteNames,
) -> Result<PreparedArg, String> {
    let format = |f| CompiledFormat::compile(f, pvs);
    match (kind, &arg.kind) {
        (_, ExprKind::Null) => Ok(PreparedArg::None),
        (ParamKind::Int, ExprKind::Int(i)) => Ok(PreparedArg::Int(*i)),
        (ParamKind::Int, ExprKind::Neg(inner)) => match inner.kind {
            ExprKind::Int(i) => Ok(PreparedArg::Int(-i)),
            _ => Err("expected an integer".into()),
        },
        (ParamKind::Int, ExprKind::Str(f)) => {
            let c = format(f)?;
            match c.as_constant() {
                Some(t) => crate::value::parse_int(t)
                    .map(PreparedArg::Int)
                    .ok_or_else(|| format!("expected an integer, got \"{t}\"")),
                None => Ok(PreparedArg::Format(Arc::new(c))),
            }
        }
        (ParamKind::Int | ParamKind::Str | ParamKind::Var, ExprKind::Pv(spec)) => {
            let pv = CompiledPv::compile(spec, pvs)?;
            if kind == ParamKind::Var && !pv.is_writable() {
                return Err(format!("{} is read-only", pv.text));
            }
            Ok(PreparedArg::Pv(Arc::new(pv)))
        }
        (ParamKind::Str | ParamKind::StaticStr, ExprKind::Int(i)) => {
            Ok(PreparedArg::Str(i.to_string().into()))
        }
        (ParamKind::Str | ParamKind::StaticStr, ExprKind::Ident(s)) => {
            Ok(PreparedArg::Str(s.as_str().into()))
        }
        (ParamKind::Str, ExprKind::Str(f)) => {
            let c = format(f)?;
            Ok(match c.as_constant() {
                Some(t) => PreparedArg::Str(t.into()),
                None => PreparedArg::Format(Arc::new(c)),
            })
        }
        (ParamKind::StaticStr, ExprKind::Str(f)) => match format(f)?.as_constant() {
            Some(t) => Ok(PreparedArg::Str(t.into())),
            None => Err("must be a constant string (no variables)".into()),
        },
        // A quoted variable (`"$avp(x)"`, as OpenSIPS scripts often write it) is the variable.
        (ParamKind::Var, ExprKind::Str(f)) => {
            let pv = match f.parts.as_slice() {
                [FmtPart::Pv(spec)] => CompiledPv::compile(spec, pvs)?,
                _ => match format(f)?.as_constant() {
                    Some(t) => CompiledPv::parse(t, pvs)?,
                    None => return Err("expected a variable like \"$var(name)\"".into()),
                },
            };
            if !pv.is_writable() {
                return Err(format!("{} is read-only", pv.text));
            }
            Ok(PreparedArg::Pv(Arc::new(pv)))
        }
        (ParamKind::Regex, ExprKind::Str(f)) => {
            let c = format(f)?;
            match c.as_constant() {
                Some(t) => Regex::new(t)
                    .map(|r| PreparedArg::Regex(Arc::new(r)))
                    .map_err(|e| format!("invalid regular expression: {e}")),
                None => Ok(PreparedArg::DynRegex(Arc::new(c))),
            }
        }
        (ParamKind::Route(rk), ExprKind::Ident(name)) => route_arg(rk, name, routes),
        (ParamKind::Route(rk), ExprKind::Str(f)) => match format(f)?.as_constant() {
            Some(name) => route_arg(rk, name, routes),
            None => Err("route name must be a constant".into()),
        },
        (ParamKind::Int, _) => Err("expected an integer".into()),
        (ParamKind::Var, _) => Err("expected a variable".into()),
        (ParamKind::Regex, _) => Err("expected a regular expression string".into()),
        (ParamKind::Route(_), _) => Err("expected a route name".into()),
        (ParamKind::Str | ParamKind::StaticStr, _) => Err("expected a string".into()),
    }
}

fn route_arg(kind: RouteKind, name: &str, routes: &RouteNames) -> Result<PreparedArg, String> {
    routes
        .get(&kind)
        .and_then(|r| r.get(name))
        .map(|r| PreparedArg::Route(*r))
        .ok_or_else(|| format!("no {}[{name}] is defined", keyword(kind)))
}

/// The keyword a route of this kind is written with (`failure_route`), as `$route` shows it.
pub(crate) fn keyword(kind: RouteKind) -> &'static str {
    match kind {
        RouteKind::Request => "route",
        RouteKind::Failure => "failure_route",
        RouteKind::OnReply => "onreply_route",
        RouteKind::Branch => "branch_route",
        RouteKind::Local => "local_route",
        RouteKind::Startup => "startup_route",
        RouteKind::Timer => "timer_route",
        RouteKind::Error => "error_route",
        RouteKind::Event => "event_route",
    }
}

fn describe(def: &RouteDef) -> String {
    match &def.name {
        Some(n) => format!("{}[{n}]", keyword(def.kind)),
        None => keyword(def.kind).to_owned(),
    }
}
