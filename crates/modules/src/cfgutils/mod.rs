//! `cfgutils`: the script helpers of OpenSIPS 3.x that real configurations use most —
//! `rand_event()` and its probability functions, `sleep()`/`usleep()`, named locks,
//! `ts_usec_delta()`, `pkg_status()`/`shm_status()`, `check_time_rec()`, `abort()`, and the
//! `$shv(name)` / `$env(NAME)` variables, and the MI commands `get_config_hash` /
//! `check_config_hash` (with the `hash_file` parameter).
//!
//! Not done (docs/compatibility.md): `set_count`/`set_select_weight` (OpenSIPS 1.x–2.x) and
//! the `varset` parameter.

mod config_hash;
mod locks;
mod shared_vars;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::PvDecl;
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_script::AssignOp;

use crate::timerec::TimeRec;
use locks::Locks;
use shared_vars::SharedVars;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("initial_probability"),
    ModParamSpec::str("shvset"),
    ModParamSpec::int("lock_pool_size"),
    ModParamSpec::str("hash_file"),
];

/// The module.
pub struct Cfgutils {
    initial_probability: i64,
    probability: Arc<AtomicI64>,
    vars: Arc<SharedVars>,
    locks: Arc<Locks>,
    hash_file: Option<PathBuf>,
    config_hash: Option<Arc<config_hash::ConfigHash>>,
}

impl Default for Cfgutils {
    fn default() -> Self {
        Cfgutils {
            initial_probability: 10,
            probability: Arc::new(AtomicI64::new(10)),
            vars: Arc::default(),
            locks: Arc::default(),
            hash_file: None,
            config_hash: None,
        }
    }
}

fn log(level: i32, text: &str) {
    siplua_core::log::emit(level, "cfgutils", text);
}

/// A percentage from 0 to 100, or an error naming the function.
fn percent(n: Option<i64>, function: &str) -> Option<i64> {
    match n {
        Some(p) if (0..=100).contains(&p) => Some(p),
        _ => {
            log(
                siplua_core::log::level::ERR,
                &format!("{function}: the probability must be 0 to 100"),
            );
            None
        }
    }
}

/// The resident memory of the process, for `pkg_status()` / `shm_status()`.
fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

impl Module for Cfgutils {
    fn name(&self) -> &'static str {
        "cfgutils"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "initial_probability" => {
                let p = value.as_int();
                if !(0..=100).contains(&p) {
                    return Err(format!("initial_probability must be 0 to 100, got {p}"));
                }
                self.initial_probability = p;
                self.probability.store(p, Ordering::Relaxed);
            }
            "shvset" => {
                let (name, v) = shared_vars::parse_set(&value.as_str())?;
                self.vars.set(name, v);
            }
            "lock_pool_size" => {}
            "hash_file" => self.hash_file = Some(PathBuf::from(value.as_str())),
            _ => return Err(format!("module cfgutils has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        if let Some(path) = &self.hash_file {
            self.config_hash = Some(Arc::new(config_hash::ConfigHash::take(path)?));
        }
        Ok(())
    }

    fn pseudo_variables(&self) -> Vec<PvDecl> {
        self.vars.declarations()
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        config_hash::commands(self.config_hash.clone())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let all = RouteMask::ALL;
        let (p1, p2, p3, p4) = (
            self.probability.clone(),
            self.probability.clone(),
            self.probability.clone(),
            self.probability.clone(),
        );
        let initial = self.initial_probability;
        let mut out = vec![
            FunctionDecl::new(
                "rand_event",
                vec![ParamSpec::opt("probability", ParamKind::Int)],
                all,
                move |ctx: &mut Context, args: &Args| {
                    let p = if args.has(0) {
                        match percent(args.int(ctx, 0), "rand_event") {
                            Some(p) => p,
                            None => return -1,
                        }
                    } else {
                        p1.load(Ordering::Relaxed)
                    };
                    let roll = i64::from(getrandom::u32().unwrap_or(0) % 100);
                    if roll < p {
                        1
                    } else {
                        -1
                    }
                },
            ),
            FunctionDecl::new(
                "rand_set_prob",
                vec![ParamSpec::req("probability", ParamKind::Int)],
                all,
                move |ctx: &mut Context, args: &Args| match percent(
                    args.int(ctx, 0),
                    "rand_set_prob",
                ) {
                    Some(p) => {
                        p2.store(p, Ordering::Relaxed);
                        1
                    }
                    None => -1,
                },
            ),
            FunctionDecl::new(
                "rand_reset_prob",
                vec![],
                all,
                move |_: &mut Context, _: &Args| {
                    p3.store(initial, Ordering::Relaxed);
                    1
                },
            ),
            FunctionDecl::new(
                "rand_get_prob",
                vec![],
                all,
                move |_: &mut Context, _: &Args| {
                    log(
                        siplua_core::log::level::INFO,
                        &format!("the probability is {}%", p4.load(Ordering::Relaxed)),
                    );
                    1
                },
            ),
            FunctionDecl::new(
                "check_time_rec",
                vec![
                    ParamSpec::req("time_string", ParamKind::Str),
                    ParamSpec::opt("timestamp", ParamKind::Int),
                ],
                all,
                |ctx: &mut Context, args: &Args| {
                    let ts = args.int(ctx, 1);
                    match args.custom::<TimeRec>(0) {
                        Some(rec) => time_matches(rec, ts),
                        None => {
                            let rec = args.str(ctx, 0).unwrap_or_default().into_owned();
                            check_time_rec(&rec, ts)
                        }
                    }
                },
            )
            .with_fixup(time_rec_fixup),
            FunctionDecl::new(
                "sleep",
                vec![ParamSpec::req("seconds", ParamKind::Int)],
                all,
                |ctx: &mut Context, args: &Args| {
                    let s = args.int(ctx, 0).unwrap_or(0).max(0) as u64;
                    std::thread::sleep(Duration::from_secs(s));
                    1
                },
            )
            .async_capable(),
            FunctionDecl::new(
                "usleep",
                vec![ParamSpec::req("microseconds", ParamKind::Int)],
                all,
                |ctx: &mut Context, args: &Args| {
                    let us = args.int(ctx, 0).unwrap_or(0).max(0) as u64;
                    std::thread::sleep(Duration::from_micros(us));
                    1
                },
            )
            .async_capable(),
            FunctionDecl::new(
                "ts_usec_delta",
                vec![
                    ParamSpec::req("t1_sec", ParamKind::Int),
                    ParamSpec::req("t1_usec", ParamKind::Int),
                    ParamSpec::req("t2_sec", ParamKind::Int),
                    ParamSpec::req("t2_usec", ParamKind::Int),
                    ParamSpec::req("delta", ParamKind::Var),
                ],
                all,
                |ctx: &mut Context, args: &Args| {
                    let v = |i| i128::from(args.int(ctx, i).unwrap_or(0));
                    let delta = ((v(0) - v(2)) * 1_000_000 + (v(1) - v(3))).abs();
                    let delta = i64::try_from(delta).unwrap_or(i64::MAX);
                    match args
                        .pv(4)
                        .map(|pv| pv.set(ctx, AssignOp::Set, Value::Int(delta)))
                    {
                        Some(Ok(())) => 1,
                        _ => -1,
                    }
                },
            ),
        ];
        // OpenSIPS' debugging stop: the whole server aborts (a core dump where the system
        // keeps them), on purpose and only when the script says so.
        out.push(FunctionDecl::new("abort", vec![], all, |_, _| {
            log(
                siplua_core::log::level::CRIT,
                "abort() called from the script: stopping the server",
            );
            std::process::abort()
        }));
        for name in ["pkg_status", "shm_status"] {
            out.push(FunctionDecl::new(
                name,
                vec![],
                all,
                move |_: &mut Context, _: &Args| {
                    log(
                        siplua_core::log::level::NOTICE,
                        &format!(
                            "{name}: siplua has no separate memory pools; resident memory {} KiB",
                            resident_kib().unwrap_or(0)
                        ),
                    );
                    1
                },
            ));
        }
        for (get, release) in [
            ("get_static_lock", "release_static_lock"),
            ("get_dynamic_lock", "release_dynamic_lock"),
        ] {
            let (a, b) = (self.locks.clone(), self.locks.clone());
            out.push(FunctionDecl::new(
                get,
                vec![ParamSpec::req("key", ParamKind::Str)],
                all,
                move |ctx: &mut Context, args: &Args| {
                    a.get(&args.str(ctx, 0).unwrap_or_default());
                    1
                },
            ));
            out.push(FunctionDecl::new(
                release,
                vec![ParamSpec::req("key", ParamKind::Str)],
                all,
                move |ctx: &mut Context, args: &Args| {
                    if b.release(&args.str(ctx, 0).unwrap_or_default()) {
                        1
                    } else {
                        -1
                    }
                },
            ));
        }
        out
    }
}

/// A constant recurrence is parsed once, when the script loads (a bad one is a load error);
/// one built from variables is parsed per call.
fn time_rec_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(text)) = args.first() {
        let rec = TimeRec::parse(text).map_err(|e| format!("check_time_rec(\"{text}\"): {e}"))?;
        args[0] = PreparedArg::Custom(Arc::new(rec));
    }
    Ok(())
}

/// 1 when the time (now, or the Unix `ts`) falls in a window of `rec`, -1 otherwise.
fn time_matches(rec: &TimeRec, ts: Option<i64>) -> i32 {
    let ts = ts.unwrap_or_else(|| chrono::Utc::now().timestamp());
    if rec.matches(ts) {
        1
    } else {
        -1
    }
}

/// `check_time_rec(rec[, timestamp])` with a recurrence built per call: as [`time_matches`],
/// or -2 when the string does not parse (logged).
fn check_time_rec(rec: &str, ts: Option<i64>) -> i32 {
    match TimeRec::parse(rec) {
        Ok(r) => time_matches(&r, ts),
        Err(e) => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "cfgutils",
                &format!("check_time_rec(\"{rec}\"): {e}"),
            );
            -2
        }
    }
}
