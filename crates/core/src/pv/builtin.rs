//! The core pseudo-variables: the name table, reading and writing.
//!
//! Message-derived values are read in [`super::message`]; this file holds the table from names
//! to kinds and the variables that live in the context or the worker.

use std::sync::Arc;

use siplua_script::AssignOp;

use super::branch;
use super::color;
use super::identity;
use super::message;
use super::route;
use super::socket;
use super::{CompiledPv, Inner, PvDecl, PvLookup, Resolved};
use crate::context::Context;
use crate::value::Value;

/// What a pseudo-variable refers to.
#[derive(Clone)]
pub enum PvKind {
    /// A value read from the message or its origin (`$ru`, `$fU`, `$si`, ...).
    Msg(message::MsgPv),
    /// `$ai`, `$re`, `$di`, `$dip`, `$dir`, `$rt`: identity and transfer headers.
    Identity(identity::IdentityPv),
    /// `$af`: the address family the message came over, `INET` or `INET6`.
    AddrFamily,
    /// `$C(fb)`: the terminal escape that colours later log text (foreground, background).
    Color,
    /// `$log_level`: the level in force for this worker; assigning gives the worker its own
    /// level, NULL gives it back the global one (OpenSIPS: per process).
    LogLevel,
    /// `$xlog_level`: the threshold of `xlog()` lines for this worker, set and reset as
    /// `$log_level`.
    XlogLevel,
    /// `$hdr(name)`: header bodies by name.
    Hdr,
    /// `$hdrcnt(name)`: how many headers have that name.
    HdrCount,
    /// `$ct.fields(part)`: a part of a Contact value (`uri`, `name`, `q`, `expires`...).
    ContactField,
    /// `$avp(name)`.
    Avp,
    /// `$var(name)`: worker-wide script variables.
    Var,
    /// `$du`: the destination URI.
    DstUri,
    /// `$retcode` / `$rc`.
    RetCode,
    /// `$param(n)`: argument `n` of the current `route(name, ...)` call.
    Param,
    /// `$pid`: the process id (siplua workers are threads of one process).
    Pid,
    /// `$Ts`: current Unix time, seconds.
    Ts,
    /// `$Tsm`: the microseconds of the current second (0-999999), to pair with `$Ts`.
    Tsm,
    /// `$Tf`: current time, formatted like ctime.
    Tf,
    /// `$TS`: start-up Unix time.
    StartTime,
    /// `$time(fmt)`: current local time, strftime format.
    Time,
    /// `$T_reply_code`: the code of the reply sent for or received by this transaction.
    ReplyCode,
    /// `$mf`, `$sf`: message flags as a number.
    MsgFlags,
    /// `$bf`: flags of the first branch as a number.
    BranchFlags,
    /// `$br`: URI of the most recent appended branch.
    Branch,
    /// `$err.class`, `$err.level`, `$err.info`, `$err.rcode`, `$err.rreason` in error_route.
    Err(&'static str),
    /// `$branch(field)`: a field of an appended branch.
    BranchField,
    /// `$RANDOM`.
    Random,
    /// `$socket_in(field)`, `$socket_out(field)`.
    Socket(socket::Which),
    /// `$route`, `$route.type`, `$route.name`: the stack of routes being run.
    Route(route::Field),
    /// `$cfg_line`, `$cfg_file`: where the statement reading it is written, known when the
    /// script is compiled.
    Fixed(Value),
    /// `$argv(name)`: the value of a `-o name=value` command-line option.
    Argv,
    /// A module's variable.
    Module(Arc<PvDecl>),
    /// A module's variable with its own name syntax, prepared at load (`$json(a/b)`).
    Class(Arc<dyn super::PvInstance>),
}

impl std::fmt::Debug for PvKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PvKind::Msg(m) => write!(f, "Msg({m:?})"),
            PvKind::Identity(i) => write!(f, "Identity({i:?})"),
            PvKind::Module(d) => write!(f, "Module({})", d.name),
            PvKind::Class(_) => f.write_str("Class"),
            PvKind::Err(e) => write!(f, "Err({e})"),
            PvKind::Socket(w) => write!(f, "Socket({w:?})"),
            PvKind::Route(r) => write!(f, "Route({r:?})"),
            PvKind::Fixed(v) => write!(f, "Fixed({v:?})"),
            other => f.write_str(match other {
                PvKind::Hdr => "Hdr",
                PvKind::HdrCount => "HdrCount",
                PvKind::ContactField => "ContactField",
                PvKind::Avp => "Avp",
                PvKind::Var => "Var",
                PvKind::DstUri => "DstUri",
                PvKind::RetCode => "RetCode",
                PvKind::Param => "Param",
                PvKind::Pid => "Pid",
                PvKind::AddrFamily => "AddrFamily",
                PvKind::Color => "Color",
                PvKind::LogLevel => "LogLevel",
                PvKind::XlogLevel => "XlogLevel",
                PvKind::Ts => "Ts",
                PvKind::Tsm => "Tsm",
                PvKind::Tf => "Tf",
                PvKind::StartTime => "StartTime",
                PvKind::Time => "Time",
                PvKind::ReplyCode => "ReplyCode",
                PvKind::MsgFlags => "MsgFlags",
                PvKind::BranchFlags => "BranchFlags",
                PvKind::Branch => "Branch",
                PvKind::BranchField => "BranchField",
                PvKind::Random => "Random",
                PvKind::Argv => "Argv",
                _ => "?",
            }),
        }
    }
}

/// Resolves `$name`, checking that an inner argument is given exactly when needed.
pub(super) fn resolve(name: &str, inner: &Inner, lookup: &dyn PvLookup) -> Result<PvKind, String> {
    let needs_inner = |k: PvKind| -> Result<PvKind, String> {
        match inner {
            Inner::None => Err(format!(
                "pseudo-variable ${name} needs a name: ${name}(...)"
            )),
            _ => Ok(k),
        }
    };
    if let Some(m) = message::MsgPv::by_name(name) {
        return Ok(PvKind::Msg(m));
    }
    if let Some(i) = identity::IdentityPv::by_name(name) {
        return Ok(PvKind::Identity(i));
    }
    if let Some(f) = route::Field::by_name(name) {
        return Ok(PvKind::Route(f));
    }
    let kind = match name {
        "hdr" => return needs_inner(PvKind::Hdr),
        "hdrcnt" => return needs_inner(PvKind::HdrCount),
        "ct.fields" => return needs_inner(PvKind::ContactField),
        "avp" => return needs_inner(PvKind::Avp),
        "var" => return needs_inner(PvKind::Var),
        "param" => return needs_inner(PvKind::Param),
        "time" => return needs_inner(PvKind::Time),
        "argv" => return needs_inner(PvKind::Argv),
        "cfg_line" => PvKind::Fixed(
            lookup
                .position()
                .map_or(Value::Null, |(_, line)| Value::Int(line.into())),
        ),
        "cfg_file" => PvKind::Fixed(
            lookup
                .position()
                .map_or(Value::Null, |(file, _)| Value::Str(file)),
        ),
        "C" => {
            color::check(inner)?;
            return needs_inner(PvKind::Color);
        }
        "branch" => {
            branch::check_field(inner)?;
            return needs_inner(PvKind::BranchField);
        }
        "RANDOM" => PvKind::Random,
        "socket_in" | "socket_out" => {
            socket::check_field(inner)?;
            PvKind::Socket(if name == "socket_in" {
                socket::Which::In
            } else {
                socket::Which::Out
            })
        }
        "du" | "duri" => PvKind::DstUri,
        "retcode" | "rc" => PvKind::RetCode,
        "pid" | "pp" => PvKind::Pid,
        "af" => PvKind::AddrFamily,
        "log_level" => PvKind::LogLevel,
        "xlog_level" => PvKind::XlogLevel,
        "Ts" => PvKind::Ts,
        "Tsm" => PvKind::Tsm,
        "Tf" => PvKind::Tf,
        "TS" => PvKind::StartTime,
        "T_reply_code" => PvKind::ReplyCode,
        "mf" | "sf" => PvKind::MsgFlags,
        "bf" => PvKind::BranchFlags,
        "br" => PvKind::Branch,
        "err.class" => PvKind::Err("class"),
        "err.level" => PvKind::Err("level"),
        "err.info" => PvKind::Err("info"),
        "err.rcode" => PvKind::Err("rcode"),
        "err.rreason" => PvKind::Err("rreason"),
        _ => match lookup.module_pv(name) {
            Some(decl) => {
                if decl.takes_inner {
                    return needs_inner(PvKind::Module(decl));
                }
                PvKind::Module(decl)
            }
            None => return Err(format!("unknown pseudo-variable ${name}")),
        },
    };
    Ok(kind)
}

/// True when the script may assign to this kind of variable.
pub(super) fn is_writable(kind: &PvKind) -> bool {
    match kind {
        PvKind::Msg(m) => m.is_writable(),
        PvKind::Avp
        | PvKind::Var
        | PvKind::DstUri
        | PvKind::MsgFlags
        | PvKind::BranchFlags
        | PvKind::LogLevel
        | PvKind::XlogLevel
        | PvKind::Class(_) => true,
        PvKind::Module(d) => d.set.is_some(),
        _ => false,
    }
}

/// The error data an error_route sees, set by the worker before running it.
#[derive(Clone, Debug, Default)]
pub struct ErrorInfo {
    /// `$err.class`: 1 for a parse error.
    pub class: i64,
    /// `$err.level`: severity (1 = error).
    pub level: i64,
    /// `$err.info`: what went wrong.
    pub info: String,
    /// `$err.rcode`: the reply code a server should send.
    pub rcode: i64,
    /// `$err.rreason`: the reply reason.
    pub rreason: String,
}

/// Reads a variable before transformations.
pub(super) fn get(pv: &CompiledPv, ctx: &Context) -> Value {
    let index = pv.resolved_index(ctx);
    match &pv.kind {
        PvKind::Msg(m) => message::get(*m, ctx),
        PvKind::Hdr => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            message::header(ctx, &name, index)
        }
        PvKind::HdrCount => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            Value::Int(message::header_count(ctx, &name) as i64)
        }
        PvKind::ContactField => {
            let part = pv.inner_text(ctx).unwrap_or_default();
            message::contact_field(ctx, &part, index)
        }
        PvKind::Avp => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            match index {
                Some(Resolved::All) => join(ctx.avps.all(&name).cloned()),
                Some(Resolved::At(i)) => ctx.avps.get(&name, i).cloned().unwrap_or_default(),
                None => ctx.avps.get(&name, 0).cloned().unwrap_or_default(),
            }
        }
        PvKind::Var => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            ctx.worker.vars.get(&name).cloned().unwrap_or_default()
        }
        PvKind::DstUri => ctx.dst_uri.clone().into(),
        PvKind::RetCode => Value::Int(ctx.retcode as i64),
        PvKind::Param => {
            let inner = pv.inner_text(ctx).unwrap_or_default();
            // In a route called with arguments: the n-th argument; in an event route: the
            // event's parameter of that name.
            match (ctx.calls.last(), ctx.ext::<crate::events::EventParams>()) {
                (Some(call), _) => match crate::value::parse_int(&inner) {
                    Some(n) if n >= 1 => call.args.get(n as usize - 1).cloned().unwrap_or_default(),
                    _ => Value::Null,
                },
                (None, Some(event)) => event.get(&inner).cloned().unwrap_or_default(),
                (None, None) => Value::Null,
            }
        }
        PvKind::Pid => Value::Int(std::process::id() as i64),
        PvKind::Identity(i) => ctx.message().map_or(Value::Null, |m| i.get(m)),
        PvKind::AddrFamily => ctx.origin.map_or(Value::Null, |o| {
            Value::from(if o.src.is_ipv4() { "INET" } else { "INET6" })
        }),
        PvKind::Color => color::escape(&pv.inner_text(ctx).unwrap_or_default()).into(),
        PvKind::LogLevel => Value::Int(crate::log::current_level() as i64),
        PvKind::XlogLevel => Value::Int(crate::log::current_xlog_level() as i64),
        PvKind::Socket(which) => socket::get(ctx, *which, pv.inner_text(ctx).as_deref()),
        PvKind::Ts => Value::Int(chrono::Utc::now().timestamp()),
        PvKind::Tsm => Value::Int(i64::from(chrono::Utc::now().timestamp_subsec_micros())),
        PvKind::Tf => Value::Str(
            chrono::Local::now()
                .format("%a %b %e %H:%M:%S %Y")
                .to_string(),
        ),
        PvKind::StartTime => Value::Int(ctx.core.started_unix),
        PvKind::Time => {
            let fmt = pv.inner_text(ctx).unwrap_or_default();
            strftime_local(&fmt)
        }
        PvKind::ReplyCode => message::reply_code(ctx),
        PvKind::MsgFlags => Value::Int(ctx.flags as i64),
        PvKind::BranchFlags => Value::Int(ctx.branch_flags as i64),
        PvKind::Branch => ctx.branches.last().map(|b| b.uri.clone()).into(),
        PvKind::BranchField => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            branch::get(ctx, &name, index)
        }
        PvKind::Random => branch::random(),
        PvKind::Route(field) => route::get(ctx, *field, index),
        PvKind::Fixed(v) => v.clone(),
        PvKind::Argv => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            let argv = &ctx.core.config.argv;
            // The last `-o` given for a name wins, as a later option overrides an earlier one.
            argv.iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map_or(Value::Null, |(_, v)| Value::from(v.as_str()))
        }
        PvKind::Err(field) => match ctx.ext::<ErrorInfo>() {
            None => Value::Null,
            Some(e) => match *field {
                "class" => Value::Int(e.class),
                "level" => Value::Int(e.level),
                "info" => Value::Str(e.info.clone()),
                "rcode" => Value::Int(e.rcode),
                _ => Value::Str(e.rreason.clone()),
            },
        },
        PvKind::Module(decl) => {
            let inner = pv.inner_text(ctx);
            (decl.get)(ctx, inner.as_deref())
        }
        PvKind::Class(instance) => instance.get(ctx, index),
    }
}

/// `$time(fmt)`: local time formatted with strftime; an invalid format gives null instead of
/// stopping the worker.
fn strftime_local(fmt: &str) -> Value {
    use std::fmt::Write;
    let mut out = String::new();
    match write!(out, "{}", chrono::Local::now().format(fmt)) {
        Ok(()) => Value::Str(out),
        Err(_) => Value::Null,
    }
}

/// Joins several values with "," as OpenSIPS prints `[*]` indexes.
pub(super) fn join(values: impl Iterator<Item = Value>) -> Value {
    let parts: Vec<String> = values.map(|v| v.as_str().into_owned()).collect();
    if parts.is_empty() {
        Value::Null
    } else {
        Value::Str(parts.join(","))
    }
}

/// Writes a variable with the operator's semantics.
pub(super) fn set(
    pv: &CompiledPv,
    ctx: &mut Context,
    op: AssignOp,
    value: Value,
) -> Result<(), String> {
    let value = match op {
        AssignOp::Set | AssignOp::ColonSet => value,
        arith => {
            let old = pv.get(ctx).as_int();
            let rhs = value.as_int();
            Value::Int(match arith {
                AssignOp::Add => old.wrapping_add(rhs),
                AssignOp::Sub => old.wrapping_sub(rhs),
                AssignOp::Mul => old.wrapping_mul(rhs),
                AssignOp::Div => old.checked_div(rhs).ok_or("division by zero")?,
                AssignOp::Mod => old.checked_rem(rhs).ok_or("division by zero")?,
                AssignOp::BitOr => old | rhs,
                AssignOp::BitAnd => old & rhs,
                AssignOp::BitXor => old ^ rhs,
                AssignOp::Set | AssignOp::ColonSet => unreachable!("handled above"),
            })
        }
    };
    let index = pv.resolved_index(ctx);
    match &pv.kind {
        PvKind::Avp => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            set_avp(ctx, &name, index, op, value);
            Ok(())
        }
        PvKind::Var => {
            let name = pv.inner_text(ctx).unwrap_or_default();
            ctx.worker.vars.insert(name, value);
            Ok(())
        }
        PvKind::DstUri => {
            ctx.dst_uri = match value {
                Value::Null => None,
                v if v.as_str().is_empty() => None,
                v => Some(v.as_str().into_owned()),
            };
            Ok(())
        }
        PvKind::MsgFlags => {
            ctx.flags = value.as_int() as u64;
            Ok(())
        }
        PvKind::BranchFlags => {
            ctx.branch_flags = value.as_int() as u64;
            Ok(())
        }
        PvKind::LogLevel => {
            crate::log::set_thread_level(level_or_null(&value)?);
            Ok(())
        }
        PvKind::XlogLevel => {
            crate::log::set_thread_xlog_level(level_or_null(&value)?);
            Ok(())
        }
        PvKind::Msg(m) => message::set(*m, ctx, value),
        PvKind::Socket(socket::Which::Out) => socket::set_out(ctx, value),
        PvKind::Module(decl) => match &decl.set {
            Some(setter) => {
                let inner = pv.inner_text(ctx);
                setter(ctx, inner.as_deref(), value)
            }
            None => Err(format!("{} is read-only", pv.text)),
        },
        PvKind::Class(instance) => instance.set(ctx, op, value),
        _ => Err(format!("{} is read-only", pv.text)),
    }
}

/// AVP assignment as OpenSIPS does it: `=` adds a value (or overwrites an indexed one), `:=`
/// replaces all values; `= NULL` deletes the newest (or the indexed) value, `:= NULL` and
/// `[*] = NULL` delete them all.
fn set_avp(ctx: &mut Context, name: &str, index: Option<Resolved>, op: AssignOp, value: Value) {
    match (index, value.is_null()) {
        (Some(Resolved::At(i)), true) => {
            ctx.avps.remove_at(name, i);
        }
        (Some(Resolved::At(i)), false) => {
            if !ctx.avps.replace(name, i, value.clone()) {
                ctx.avps.add(name, value);
            }
        }
        (None, true) if op != AssignOp::ColonSet => {
            ctx.avps.remove_at(name, 0);
        }
        (_, true) => {
            ctx.avps.remove_all(name);
        }
        (Some(Resolved::All), false) => ctx.avps.set_only(name, value),
        (None, false) => match op {
            AssignOp::ColonSet => ctx.avps.set_only(name, value),
            AssignOp::Set => ctx.avps.add(name, value),
            _ => {
                if !ctx.avps.replace(name, 0, value.clone()) {
                    ctx.avps.add(name, value);
                }
            }
        },
    }
}

/// A level assigned to `$log_level` / `$xlog_level`: a number, or NULL for the global one.
fn level_or_null(value: &Value) -> Result<Option<i32>, String> {
    match value {
        Value::Null => Ok(None),
        v => Ok(Some(
            i32::try_from(v.as_int()).map_err(|_| format!("bad log level {v}"))?,
        )),
    }
}
