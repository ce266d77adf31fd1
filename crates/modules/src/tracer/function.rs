//! `trace(trace_id[, scope[, type[, trace_attrs[, flags[, correlation_id]]]]])` (3.x) and
//! `sip_trace([trace_id[, scope[, type[, trace_attrs]]]])` (2.x): capture the current
//! message now and file its call in the table for what the scope follows.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::log::{emit, level};
use siplua_core::route_type::{RouteMask, RouteType};

use super::capture::{seen, Tracer};
use super::scope::{parse_scope, parse_types, Scope};
use super::table::{Kind, Targets};

/// The trace id `sip_trace()` uses without one (where OpenSIPS' old parameters go).
pub const DEFAULT_ID: &str = "default";

/// Declares the tracing function under `name`; `id_optional` for `sip_trace`.
pub fn decl(name: &'static str, id_optional: bool, tracer: Arc<Tracer>) -> FunctionDecl {
    let mut params = vec![
        if id_optional {
            ParamSpec::opt("trace_id", ParamKind::Str)
        } else {
            ParamSpec::req("trace_id", ParamKind::Str)
        },
        ParamSpec::opt("scope", ParamKind::Str),
        ParamSpec::opt("type", ParamKind::Str),
        ParamSpec::opt("trace_attrs", ParamKind::Str),
    ];
    if !id_optional {
        params.push(ParamSpec::opt("flags", ParamKind::Str));
        params.push(ParamSpec::opt("correlation_id", ParamKind::Str));
    }
    let known: HashSet<String> = tracer.ids.keys().cloned().collect();
    FunctionDecl::new(
        name,
        params,
        RouteMask::of(&[
            RouteType::Request,
            RouteType::Failure,
            RouteType::OnReply,
            RouteType::Branch,
        ]),
        move |ctx: &mut Context, args: &Args| trace(&tracer, ctx, args),
    )
    .with_fixup(move |args: &mut [PreparedArg]| fixup(&known, args))
}

/// Checks the constant arguments at load: a known trace id, a scope, types.
fn fixup(known: &HashSet<String>, args: &mut [PreparedArg]) -> Result<(), String> {
    let constant = |i: usize| match args.get(i) {
        Some(PreparedArg::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let id = match args.first() {
        None | Some(PreparedArg::None) => Some(Arc::from(DEFAULT_ID)),
        _ => constant(0),
    };
    if let Some(id) = id {
        if !known.contains(&*id) {
            return Err(format!(
                "unknown trace_id '{id}' (define it with modparam trace_id)"
            ));
        }
    }
    if let Some(s) = constant(1) {
        parse_scope(&s)?;
    }
    if let Some(t) = constant(2) {
        parse_types(&t)?;
    }
    Ok(())
}

fn trace(tracer: &Arc<Tracer>, ctx: &mut Context, args: &Args) -> i32 {
    if !tracer.enabled() {
        return 1;
    }
    let id = args
        .str(ctx, 0)
        .map_or(DEFAULT_ID.to_string(), |s| s.into_owned());
    let Some(trace_id) = tracer.ids.get(&id) else {
        emit(
            level::ERR,
            "tracer",
            &format!("trace(): unknown trace_id '{id}'"),
        );
        return -1;
    };
    if !trace_id.on.load(Ordering::Relaxed) {
        return 1;
    }
    let dests = trace_id.dests.clone();
    let scope = match args.str(ctx, 1).filter(|s| !s.is_empty()) {
        None => tracer.default_scope,
        Some(s) => match parse_scope(&s) {
            Ok(s) => s,
            Err(e) => {
                emit(level::ERR, "tracer", &format!("trace(): {e}"));
                return -1;
            }
        },
    };
    match args.str(ctx, 2).map(|t| parse_types(&t)) {
        Some(Ok(false)) => return 1,
        Some(Err(e)) => {
            emit(level::ERR, "tracer", &format!("trace(): {e}"));
            return -1;
        }
        _ => {}
    }
    let correlation = args
        .str(ctx, 5)
        .filter(|c| !c.is_empty())
        .map(|c| Arc::from(c.as_ref()));
    let Some(msg) = ctx.msg else { return -1 };
    let Some(s) = seen(msg, false) else {
        return -1;
    };
    let targets = Targets { dests, correlation };
    if matches!(ctx.route_type, RouteType::Request | RouteType::OnReply) {
        tracer.capture_received(ctx, &targets);
    }
    let kind = match scope {
        Scope::Message => Kind::Message { cseq: s.cseq },
        Scope::Transaction => Kind::Transaction {
            cseq: s.cseq,
            method: s.method.to_string(),
        },
        Scope::Dialog => Kind::Dialog { cseq: s.cseq },
    };
    let generation = tracer.table.insert(s.call_id, kind, targets);
    if scope == Scope::Message {
        ctx.set_ext(MessageGuard {
            call_id: s.call_id.to_string(),
            generation,
            tracer: tracer.clone(),
        });
    }
    1
}

/// Scope "m": removes the call's entry when the message's processing ends (its context, which
/// holds the guard, is dropped), so only the replies sent meanwhile are captured.
struct MessageGuard {
    call_id: String,
    generation: u64,
    tracer: Arc<Tracer>,
}

impl Drop for MessageGuard {
    fn drop(&mut self) {
        self.tracer.table.remove(&self.call_id, self.generation);
    }
}
