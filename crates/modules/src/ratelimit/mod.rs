//! `ratelimit`: named pipes that limit request rates, as OpenSIPS' module:
//! `rl_check(name, limit[, algorithm])` counts the request in pipe `name` and says whether
//! it is within `limit` (per second, or per `timer_interval` with `limit_per_interval`);
//! `rl_dec_count(name)` and `rl_reset_count(name)` correct the count; `$rl_count(name)`
//! reads it; the MI command `rl_list` shows the pipes.
//!
//! Algorithms: TAILDROP, RED, SBT, NETWORK, FEEDBACK (see `algorithm.rs`). Pipes are shared
//! by all workers in `hash_size` locked shards. Not implemented: the distributed modes
//! (`cachedb_url`, replication parameters), refused at load time.

mod algorithm;
mod load;
mod pipes;
mod sampler;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::mi::{MiCommand, MiParam};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::PvDecl;
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;

use algorithm::Algorithm;
use pipes::{Pipes, Settings};
use sampler::Sampler;

/// Upper bound on `hash_size`: more locks than this buys nothing.
const MAX_SHARDS: usize = 4096;

/// The module.
pub struct RateLimit {
    timer_interval: u64,
    limit_per_interval: bool,
    expire_time: u64,
    hash_size: usize,
    default_algorithm: Algorithm,
    window_size: u64,
    slot_period: u64,
    state: Option<Arc<State>>,
}

/// What the functions share.
struct State {
    pipes: Pipes,
    sampler: Sampler,
    default_algorithm: Algorithm,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            timer_interval: 10,
            limit_per_interval: false,
            expire_time: 3600,
            hash_size: 1024,
            default_algorithm: Algorithm::Taildrop,
            window_size: 10,
            slot_period: 200,
            state: None,
        }
    }
}

const fn int(name: &'static str) -> ModParamSpec {
    ModParamSpec {
        name,
        kind: ModParamKind::Int,
    }
}

const fn text(name: &'static str) -> ModParamSpec {
    ModParamSpec {
        name,
        kind: ModParamKind::Str,
    }
}

const PARAMS: &[ModParamSpec] = &[
    int("timer_interval"),
    int("limit_per_interval"),
    int("expire_time"),
    int("hash_size"),
    text("default_algorithm"),
    int("window_size"),
    int("slot_period"),
    text("cachedb_url"),
    int("pipe_replication_cluster"),
];

impl Module for RateLimit {
    fn name(&self) -> &'static str {
        "ratelimit"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let positive = || {
            let v = value.as_int();
            if v < 1 {
                return Err(format!("{name} must be at least 1, got {v}"));
            }
            Ok(v as u64)
        };
        match name {
            "timer_interval" => self.timer_interval = positive()?,
            "limit_per_interval" => self.limit_per_interval = value.as_int() != 0,
            "expire_time" => self.expire_time = positive()?,
            "hash_size" => {
                let v = positive()? as usize;
                if !v.is_power_of_two() {
                    return Err(format!("hash_size must be a power of 2, got {v}"));
                }
                self.hash_size = v.min(MAX_SHARDS);
            }
            "default_algorithm" => {
                let s = value.as_str();
                self.default_algorithm = Algorithm::parse(&s)
                    .ok_or_else(|| format!("unknown ratelimit algorithm '{s}'"))?;
            }
            "window_size" => self.window_size = positive()?,
            "slot_period" => self.slot_period = positive()?,
            other => {
                return Err(format!(
                    "{other}: distributed rate limiting is not supported by siplua \
                     (pipes are local to this server)"
                ))
            }
        }
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        let settings = Settings {
            interval: Duration::from_secs(self.timer_interval),
            limit_per_interval: self.limit_per_interval,
            expire: Duration::from_secs(self.expire_time),
            window: Duration::from_secs(self.window_size),
            slot: Duration::from_millis(self.slot_period),
        };
        self.state = Some(Arc::new(State {
            pipes: Pipes::new(self.hash_size, settings),
            sampler: Sampler::default(),
            default_algorithm: self.default_algorithm,
        }));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(state) = self.state.clone() else {
            return Vec::new();
        };
        let (dec, reset) = (state.clone(), state.clone());
        vec![
            FunctionDecl::new(
                "rl_check",
                vec![
                    ParamSpec::req("name", ParamKind::Str),
                    ParamSpec::req("limit", ParamKind::Int),
                    ParamSpec::opt("algorithm", ParamKind::Str),
                ],
                RouteMask::ALL,
                move |ctx: &mut Context, args: &Args| check(&state, ctx, args),
            ),
            FunctionDecl::new(
                "rl_dec_count",
                vec![ParamSpec::req("name", ParamKind::Str)],
                RouteMask::ALL,
                move |ctx: &mut Context, args: &Args| change(&dec, ctx, args, -1),
            ),
            FunctionDecl::new(
                "rl_reset_count",
                vec![ParamSpec::req("name", ParamKind::Str)],
                RouteMask::ALL,
                move |ctx: &mut Context, args: &Args| change(&reset, ctx, args, 0),
            ),
        ]
    }

    fn pseudo_variables(&self) -> Vec<PvDecl> {
        let Some(state) = self.state.clone() else {
            return Vec::new();
        };
        vec![PvDecl {
            name: "rl_count",
            takes_inner: true,
            get: Arc::new(move |_, name| {
                name.and_then(|n| state.pipes.count(n, Instant::now()))
                    .map_or(Value::Null, Value::Int)
            }),
            set: None,
        }]
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(state) = self.state.clone() else {
            return Vec::new();
        };
        vec![MiCommand::new(
            "rl_list",
            "lists the pipes with their algorithm, limit and last interval's count",
            vec![MiParam::opt("pipe")],
            move |_, p| {
                let only = p.str("pipe")?;
                let pipes: Vec<Json> = state
                    .pipes
                    .list(Instant::now())
                    .into_iter()
                    .filter(|i| only.as_deref().is_none_or(|n| n == i.name))
                    .map(|i| {
                        json!({
                            "id": i.name,
                            "algorithm": i.algorithm.name(),
                            "limit": i.limit,
                            "counter": i.counter,
                        })
                    })
                    .collect();
                Ok(json!({ "Pipes": pipes }))
            },
        )]
    }
}

/// `rl_check(name, limit[, algorithm])`: 1 within the limit, -1 over it. An unknown
/// algorithm name falls back to `default_algorithm`, as in OpenSIPS.
fn check(state: &State, ctx: &mut Context, args: &Args) -> i32 {
    let Some(name) = args.str(ctx, 0) else {
        return -1;
    };
    let limit = args.int(ctx, 1).unwrap_or(0);
    let algorithm = args
        .str(ctx, 2)
        .and_then(|a| Algorithm::parse(&a))
        .unwrap_or(state.default_algorithm);
    let limit = match algorithm {
        Algorithm::Feedback => i64::from(state.sampler.feedback_limit(limit)),
        Algorithm::Network => {
            state.sampler.want_network();
            limit
        }
        _ => limit,
    };
    let now = Instant::now();
    let measures = state
        .sampler
        .measures(state.pipes.interval_at(now), || listen_ports(ctx));
    state.pipes.check(&name, limit, algorithm, measures, now)
}

/// `rl_dec_count` / `rl_reset_count`: 1, or -1 when there is no such pipe.
fn change(state: &State, ctx: &mut Context, args: &Args, delta: i64) -> i32 {
    let Some(name) = args.str(ctx, 0) else {
        return -1;
    };
    if state.pipes.change(&name, delta, Instant::now()) {
        1
    } else {
        -1
    }
}

/// Ports of siplua's own sockets, whose receive queues NETWORK watches.
fn listen_ports(ctx: &Context) -> HashSet<u16> {
    ctx.core
        .transports()
        .map(|t| t.sockets().iter().map(|s| s.addr.port()).collect())
        .unwrap_or_default()
}
