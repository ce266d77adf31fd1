//! Runs compiled routes against a message context, with OpenSIPS' semantics: a function that
//! returns 0 stops the script, negative codes are false, `return(0)` is `exit`, `$retcode`
//! holds the last code, `switch` falls through until `break`, `while` is bounded.

use std::cmp::Ordering;

use siplua_script::{BinOp, Span};
use tracing::error;

use super::compile::script_regex;
use super::program::{Call, Expr, Ins, Program, Step};
use crate::context::{Context, RouteCall};
use crate::pv::ErrorInfo;
use crate::route_type::RouteType;
use crate::value::Value;

/// How far nested `route(...)` calls may go before the call fails (OpenSIPS uses 100 too).
const MAX_ROUTE_DEPTH: usize = 100;

/// How a route run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It ran to the end or returned this code.
    Returned(i32),
    /// `exit` (or a function returning 0, or `return(0)`).
    Exited,
    /// `drop`.
    Dropped,
}

/// Why evaluation stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Exit,
    Drop,
}

/// What a statement list did.
enum Flow {
    Next,
    Break,
    Return(i32),
    Stop(Stop),
}

/// Runs route `route` of `program` on `ctx`.
pub fn run(program: &Program, route: usize, ctx: &mut Context) -> Outcome {
    let mut vm = Vm { program, depth: 0 };
    let Some(r) = program.routes.get(route) else {
        return Outcome::Returned(-1);
    };
    let outer = ctx.top_route.replace((route, ctx.calls.len()));
    let flow = vm.block(&r.body, ctx);
    ctx.top_route = outer;
    match flow {
        Flow::Next | Flow::Break => Outcome::Returned(1),
        Flow::Return(0) => Outcome::Exited,
        Flow::Return(n) => Outcome::Returned(n),
        Flow::Stop(Stop::Exit) => Outcome::Exited,
        Flow::Stop(Stop::Drop) => Outcome::Dropped,
    }
}

/// Truth of a value in a condition: positive integers, non-empty strings.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Int(i) => *i > 0,
        Value::Str(s) => !s.is_empty(),
    }
}

struct Vm<'p> {
    program: &'p Program,
    depth: usize,
}

impl Vm<'_> {
    fn block(&mut self, body: &[Step], ctx: &mut Context) -> Flow {
        for step in body {
            if ctx.trace.is_some() {
                super::trace::step(self.program, step, ctx);
            }
            match self.ins(&step.ins, step.span, ctx) {
                Flow::Next => {}
                other => return other,
            }
        }
        Flow::Next
    }

    /// Runs one statement; `at` is where it is written.
    fn ins(&mut self, ins: &Ins, at: Span, ctx: &mut Context) -> Flow {
        match ins {
            Ins::If {
                cond,
                then,
                otherwise,
            } => match self.test(cond, ctx) {
                Ok(true) => self.block(then, ctx),
                Ok(false) => self.block(otherwise, ctx),
                Err(s) => Flow::Stop(s),
            },
            Ins::While { cond, body, span } => {
                let limit = ctx.core.config.max_while_loops.max(1);
                let mut n = 0;
                loop {
                    match self.test(cond, ctx) {
                        Ok(true) => {}
                        Ok(false) => return Flow::Next,
                        Err(s) => return Flow::Stop(s),
                    }
                    n += 1;
                    if n > limit {
                        error!(
                            "while loop at {} stopped after max_while_loops={limit} iterations",
                            self.program.position(*span)
                        );
                        return Flow::Next;
                    }
                    match self.block(body, ctx) {
                        Flow::Next => {}
                        Flow::Break => return Flow::Next,
                        other => return other,
                    }
                }
            }
            Ins::For { var, iter, body } => {
                let values: Vec<Value> = iter_values(iter, ctx);
                for v in values {
                    if let Err(e) = var.set(ctx, siplua_script::AssignOp::Set, v) {
                        error!("for loop: {e}");
                        return Flow::Next;
                    }
                    match self.block(body, ctx) {
                        Flow::Next => {}
                        Flow::Break => break,
                        other => return other,
                    }
                }
                Flow::Next
            }
            Ins::Switch {
                subject,
                cases,
                body,
            } => {
                let v = match self.eval(subject, ctx) {
                    Ok(v) => v,
                    Err(s) => return Flow::Stop(s),
                };
                let start = cases
                    .iter()
                    .find(|(c, _)| c.as_ref().is_some_and(|c| equal(&v, c)))
                    .or_else(|| cases.iter().find(|(c, _)| c.is_none()))
                    .map(|(_, at)| *at);
                match start {
                    None => Flow::Next,
                    Some(at) => match self.block(&body[at..], ctx) {
                        Flow::Break => Flow::Next,
                        other => other,
                    },
                }
            }
            Ins::Assign {
                target,
                op,
                value,
                span,
            } => {
                let v = match self.eval(value, ctx) {
                    Ok(v) => v,
                    Err(s) => return Flow::Stop(s),
                };
                if let Err(e) = target.set(ctx, *op, v) {
                    error!(
                        "{}: assignment to {} failed: {e}",
                        self.program.position(*span),
                        target.text
                    );
                }
                Flow::Next
            }
            Ins::Call(call) => match self.call(call, ctx) {
                Ok(_) => Flow::Next,
                Err(s) => Flow::Stop(s),
            },
            Ins::Exit => Flow::Stop(Stop::Exit),
            Ins::Drop => Flow::Stop(Stop::Drop),
            Ins::Return(e) => {
                let code = match e {
                    None => 1,
                    Some(e) => match self.eval(e, ctx) {
                        Ok(v) => v.as_int() as i32,
                        Err(s) => return Flow::Stop(s),
                    },
                };
                ctx.retcode = code;
                Flow::Return(code)
            }
            Ins::Break => Flow::Break,
            Ins::Async { call, resume } => self.async_stmt(call, *resume, ctx),
            Ins::Launch {
                call,
                report,
                param,
            } => self.launch(call, *report, param.as_ref(), ctx),
            Ins::Assert { cond, message } => {
                if !ctx.core.config.enable_asserts {
                    return Flow::Next;
                }
                match self.test(cond, ctx) {
                    Ok(true) => Flow::Next,
                    Ok(false) => self.assertion_failed(message, at, ctx),
                    Err(s) => Flow::Stop(s),
                }
            }
        }
    }

    /// A failed `assert`, as OpenSIPS handles it: logged, then `error_route` runs with
    /// `$err.class` 4 (assertion) and the script goes on unless that route exits. With
    /// `abort_on_assert` OpenSIPS aborts the whole server; siplua ends this message's
    /// processing instead (as `drop`), so that one message cannot stop the service.
    fn assertion_failed(&mut self, message: &str, span: Span, ctx: &mut Context) -> Flow {
        crate::log::emit(
            crate::log::level::ERR,
            "core",
            &format!(
                "ASSERTION FAILED at {}: {message}",
                self.program.position(span)
            ),
        );
        if ctx.core.config.abort_on_assert {
            return Flow::Stop(Stop::Drop);
        }
        let from = ctx.route_type;
        let Some(route) = self.program.error else {
            return Flow::Next;
        };
        if matches!(
            from,
            RouteType::Error | RouteType::OnReply | RouteType::Local
        ) {
            return Flow::Next;
        }
        ctx.set_ext(ErrorInfo {
            class: 4,
            level: 1,
            info: "assertion failed".into(),
            rcode: 500,
            rreason: "server error".into(),
        });
        ctx.route_type = RouteType::Error;
        let flow = self.block(&self.program.routes[route].body, ctx);
        ctx.route_type = from;
        ctx.take_ext::<ErrorInfo>();
        match flow {
            Flow::Stop(s) => Flow::Stop(s),
            Flow::Return(0) => Flow::Stop(Stop::Exit),
            _ => Flow::Next,
        }
    }

    /// `async(f, resume)`: `f` runs here (siplua workers are synchronous threads, so there is
    /// nothing to suspend), `$rc` gets its code, then `resume` runs as the rest of the
    /// script: the statements after `async` never run, as in OpenSIPS.
    fn async_stmt(&mut self, call: &Call, resume: usize, ctx: &mut Context) -> Flow {
        ctx.retcode = self.function_code(call, ctx);
        match self.detached_route(resume, Vec::new(), ctx) {
            Flow::Stop(Stop::Drop) => Flow::Stop(Stop::Drop),
            _ => Flow::Stop(Stop::Exit),
        }
    }

    /// `launch(f, report, param)`: `f` runs, then `report` with `$rc` = its code and
    /// `$param(1)` = `param`; the report route is detached from the script (its `exit` or
    /// `drop` ends only itself) and the script goes on with `$rc` = 1, the statement's own
    /// success.
    fn launch(
        &mut self,
        call: &Call,
        report: Option<usize>,
        param: Option<&Expr>,
        ctx: &mut Context,
    ) -> Flow {
        let param = match param.map(|p| self.eval(p, ctx)).transpose() {
            Ok(p) => p,
            Err(s) => return Flow::Stop(s),
        };
        ctx.retcode = self.function_code(call, ctx);
        if let Some(report) = report {
            self.detached_route(report, param.into_iter().collect(), ctx);
        }
        ctx.retcode = 1;
        Flow::Next
    }

    /// The code of an async-started function (never a route: the loader refuses those).
    fn function_code(&mut self, call: &Call, ctx: &mut Context) -> i32 {
        match call {
            Call::Function { decl, args, .. } => (decl.handler)(ctx, args),
            Call::Route { .. } => -1,
        }
    }

    /// Runs a resume/report route with its own `$param` frame.
    fn detached_route(&mut self, route: usize, params: Vec<Value>, ctx: &mut Context) -> Flow {
        self.enter_route(route, params, ctx).unwrap_or(Flow::Next)
    }

    /// Runs `route` on a frame of its own (`$param`, `$route`); `None`, with an error logged,
    /// when routes are already nested [`MAX_ROUTE_DEPTH`] deep.
    fn enter_route(&mut self, route: usize, args: Vec<Value>, ctx: &mut Context) -> Option<Flow> {
        if self.depth >= MAX_ROUTE_DEPTH {
            error!("route() nested deeper than {MAX_ROUTE_DEPTH} calls: call refused");
            return None;
        }
        ctx.calls.push(RouteCall { route, args });
        self.depth += 1;
        let flow = self.block(&self.program.routes[route].body, ctx);
        self.depth -= 1;
        ctx.calls.pop();
        Some(flow)
    }

    /// Calls a function or route; its code goes to `$retcode`; 0 stops the script.
    fn call(&mut self, call: &Call, ctx: &mut Context) -> Result<i32, Stop> {
        let code = match call {
            Call::Function { decl, args, .. } => (decl.handler)(ctx, args),
            Call::Route { route, args } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a, ctx)?);
                }
                match self.enter_route(*route, values, ctx) {
                    None => {
                        ctx.retcode = -1;
                        return Ok(-1);
                    }
                    Some(Flow::Next | Flow::Break) => 1,
                    Some(Flow::Return(n)) => n,
                    Some(Flow::Stop(s)) => return Err(s),
                }
            }
        };
        ctx.retcode = code;
        if code == 0 {
            return Err(Stop::Exit);
        }
        Ok(code)
    }

    /// The truth of a condition. Calls, `!` and `&&`/`||` (what most conditions are) are
    /// tested without building a `Value` for each step.
    fn test(&mut self, e: &Expr, ctx: &mut Context) -> Result<bool, Stop> {
        Ok(match e {
            Expr::Call(c) => self.call(c, ctx)? > 0,
            Expr::Not(inner) => !self.test(inner, ctx)?,
            Expr::Binary(BinOp::And, l, r) => self.test(l, ctx)? && self.test(r, ctx)?,
            Expr::Binary(BinOp::Or, l, r) => self.test(l, ctx)? || self.test(r, ctx)?,
            _ => truthy(&self.eval(e, ctx)?),
        })
    }

    fn eval(&mut self, e: &Expr, ctx: &mut Context) -> Result<Value, Stop> {
        Ok(match e {
            Expr::Const(v) => v.clone(),
            Expr::Format(f) => Value::Str(f.expand(ctx)),
            Expr::Pv(pv) => pv.get(ctx),
            Expr::Call(c) => Value::Int(self.call(c, ctx)? as i64),
            Expr::Not(_) => Value::Int(self.test(e, ctx)? as i64),
            Expr::Neg(inner) => Value::Int(self.eval(inner, ctx)?.as_int().wrapping_neg()),
            Expr::BitNot(inner) => Value::Int(!self.eval(inner, ctx)?.as_int()),
            Expr::Match {
                subject,
                re,
                negate,
            } => {
                let s = self.eval(subject, ctx)?;
                Value::Int((re.is_match(&s.as_str()) != *negate) as i64)
            }
            Expr::Binary(op, l, r) => match op {
                BinOp::And | BinOp::Or => Value::Int(self.test(e, ctx)? as i64),
                _ => {
                    let a = self.eval(l, ctx)?;
                    let b = self.eval(r, ctx)?;
                    binary(*op, a, b)
                }
            },
        })
    }
}

/// The values a `for` loop walks: every index of a multi-valued variable.
fn iter_values(iter: &crate::pv::CompiledPv, ctx: &Context) -> Vec<Value> {
    let mut values = Vec::new();
    let mut pv = iter.clone();
    for i in 0.. {
        pv.index = Some(crate::pv::Index::At(i));
        let v = pv.get(ctx);
        if v.is_null() || i > 10_000 {
            break;
        }
        values.push(v);
    }
    values
}

/// Equality as the script sees it: null equals only null, numbers compare as numbers when
/// both sides are numeric, otherwise the texts compare.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => match (a.to_int(), b.to_int()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_str() == b.as_str(),
        },
    }
}

fn order(a: &Value, b: &Value) -> Ordering {
    match (a.to_int(), b.to_int()) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.as_str().cmp(&b.as_str()),
    }
}

fn binary(op: BinOp, a: Value, b: Value) -> Value {
    let int = |x: bool| Value::Int(x as i64);
    match op {
        BinOp::Eq => int(equal(&a, &b)),
        BinOp::Ne => int(!equal(&a, &b)),
        BinOp::Lt => int(order(&a, &b) == Ordering::Less),
        BinOp::Gt => int(order(&a, &b) == Ordering::Greater),
        BinOp::Le => int(order(&a, &b) != Ordering::Greater),
        BinOp::Ge => int(order(&a, &b) != Ordering::Less),
        BinOp::Match | BinOp::NotMatch => {
            let m = match script_regex(&b.as_str()) {
                Ok(re) => re.is_match(&a.as_str()),
                Err(e) => {
                    error!("invalid regular expression {:?}: {e}", b.as_str());
                    false
                }
            };
            int(m == (op == BinOp::Match))
        }
        BinOp::Add => match (&a, &b) {
            (Value::Str(_), _) | (_, Value::Str(_)) => {
                Value::Str(format!("{}{}", a.as_str(), b.as_str()))
            }
            _ => Value::Int(a.as_int().wrapping_add(b.as_int())),
        },
        _ => {
            let (x, y) = (a.as_int(), b.as_int());
            match op {
                BinOp::Sub => Value::Int(x.wrapping_sub(y)),
                BinOp::Mul => Value::Int(x.wrapping_mul(y)),
                BinOp::Div => x.checked_div(y).map_or(Value::Null, Value::Int),
                BinOp::Mod => x.checked_rem(y).map_or(Value::Null, Value::Int),
                BinOp::BitAnd => Value::Int(x & y),
                BinOp::BitOr => Value::Int(x | y),
                BinOp::BitXor => Value::Int(x ^ y),
                BinOp::Shl => Value::Int(x.wrapping_shl(y as u32)),
                BinOp::Shr => Value::Int(x.wrapping_shr(y as u32)),
                _ => Value::Null,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        assert!(equal(&Value::Int(1), &Value::from("1")));
        assert!(!equal(&Value::Null, &Value::from("")));
        assert!(equal(&Value::Null, &Value::Null));
        assert_eq!(
            binary(BinOp::Lt, Value::Int(2), Value::from("10")),
            Value::Int(1)
        );
        assert_eq!(
            binary(BinOp::Lt, Value::from("b"), Value::from("a")),
            Value::Int(0)
        );
        assert_eq!(
            binary(BinOp::Add, Value::from("sip:"), Value::from("bob")),
            Value::from("sip:bob")
        );
        assert_eq!(
            binary(BinOp::Add, Value::Int(2), Value::Int(3)),
            Value::Int(5)
        );
        assert_eq!(
            binary(BinOp::Div, Value::Int(2), Value::Int(0)),
            Value::Null
        );
        assert_eq!(
            binary(BinOp::Match, Value::from("INVITE"), Value::from("^inv")),
            Value::Int(1)
        );
        assert!(!truthy(&Value::Int(-1)));
    }
}
