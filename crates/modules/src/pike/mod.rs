//! `pike`: flood detection per source IP, as OpenSIPS' module: `pike_check_req()` counts the
//! request against its source address and says whether that address sends more than
//! `reqs_density_per_unit` requests per `sampling_time_unit` seconds. What to do with a
//! flooding source is the script's decision (usually `drop` or `exit`).
//!
//! With `check_route` set (automatic mode) every received message, request or reply, is
//! first run through that route with only its source known: a `drop` there exempts the
//! source; otherwise the message is counted and, from a flooding source, dropped before
//! anything else looks at it.
//!
//! Difference from OpenSIPS (see docs/security.md): the count is per whole address, not an
//! address-prefix tree, so a source is blocked after exactly `reqs_density_per_unit + 1`
//! requests in one unit (OpenSIPS: between 1x and 3x for IPv4).

mod table;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use siplua_core::context::{Context, Origin};
use siplua_core::engine::Core;
use siplua_core::function::{Args, FunctionDecl};
use siplua_core::interp::{self, Outcome};
use siplua_core::log;
use siplua_core::mi::{MiCommand, MiError, MiParam};
use siplua_core::module::{
    InitEnv, MessageHooks, ModParamKind, ModParamSpec, ModParamValue, Module,
};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::worker::WorkerState;
use siplua_script::RouteKind;

use table::{Limits, PikeTable, Verdict};

/// The module.
pub struct Pike {
    sampling_time_unit: u64,
    reqs_density_per_unit: u32,
    remove_latency: u64,
    log_level: i32,
    check_route: Option<String>,
    table: Option<Arc<PikeTable>>,
}

impl Default for Pike {
    fn default() -> Self {
        Pike {
            sampling_time_unit: 2,
            reqs_density_per_unit: 30,
            remove_latency: 120,
            log_level: 1,
            check_route: None,
            table: None,
        }
    }
}

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "sampling_time_unit",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "reqs_density_per_unit",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "remove_latency",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "check_route",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "pike_log_level",
        kind: ModParamKind::Int,
    },
];

impl Module for Pike {
    fn name(&self) -> &'static str {
        "pike"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let positive = |what: &str| {
            let v = value.as_int();
            if v < 1 {
                return Err(format!("{what} must be at least 1, got {v}"));
            }
            Ok(v)
        };
        match name {
            "sampling_time_unit" => self.sampling_time_unit = positive(name)? as u64,
            "reqs_density_per_unit" => {
                self.reqs_density_per_unit = u32::try_from(positive(name)?).unwrap_or(u32::MAX)
            }
            "remove_latency" => self.remove_latency = positive(name)? as u64,
            "pike_log_level" => self.log_level = value.as_int() as i32,
            "check_route" => {
                let name = value.as_str();
                if name.is_empty() {
                    return Err("check_route must name a route".into());
                }
                self.check_route = Some(name);
            }
            _ => {}
        }
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        // As OpenSIPS: a source must outlive one sampling unit, or it would be forgotten
        // (and unblocked) while still flooding.
        let remove_latency = self.remove_latency.max(self.sampling_time_unit + 1);
        self.table = Some(Arc::new(PikeTable::new(Limits {
            unit: Duration::from_secs(self.sampling_time_unit),
            density: self.reqs_density_per_unit,
            remove_latency: Duration::from_secs(remove_latency),
        })));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(table) = self.table.clone() else {
            return Vec::new();
        };
        let level = self.log_level;
        vec![FunctionDecl::new(
            "pike_check_req",
            vec![],
            RouteMask::of(&[RouteType::Request]),
            move |ctx: &mut Context, _: &Args| check(&table, ctx, level),
        )]
    }

    fn start(&self, core: &Arc<Core>) -> Result<(), String> {
        match &self.check_route {
            Some(name) if core.program().route(RouteKind::Request, name).is_none() => Err(format!(
                "pike: check_route \"{name}\" names no route[{name}] in the script"
            )),
            _ => Ok(()),
        }
    }

    fn message_hooks(&self) -> MessageHooks {
        // Only the automatic mode looks at every message.
        MessageHooks {
            receive: self.check_route.is_some(),
            ..MessageHooks::default()
        }
    }

    fn on_receive(&self, core: &Core, worker: &mut WorkerState, origin: Origin) -> bool {
        let (Some(name), Some(table)) = (&self.check_route, &self.table) else {
            return true;
        };
        let program = core.program();
        if let Some(route) = program.route(RouteKind::Request, name) {
            let mut ctx = Context::new(core, worker, RouteType::Request, None, Some(origin));
            if interp::run(&program, route, &mut ctx) == Outcome::Dropped {
                return true;
            }
        }
        verdict(table, origin.src.ip(), self.log_level) > 0
    }

    fn mi_commands(&self) -> Vec<siplua_core::mi::MiCommand> {
        let Some(table) = self.table.clone() else {
            return Vec::new();
        };
        let rm = table.clone();
        vec![
            MiCommand::new(
                "pike_list",
                "lists the source addresses blocked now",
                vec![],
                move |_, _| {
                    let ips: Vec<Value> = table
                        .blocked(Instant::now())
                        .into_iter()
                        .map(|ip| json!({ "ip": ip.to_string() }))
                        .collect();
                    Ok(json!({ "Blocked": ips }))
                },
            ),
            MiCommand::new(
                "pike_rm",
                "forgets a source address, unblocking it",
                vec![MiParam::req("ip")],
                move |_, p| {
                    let text = p.req_str("ip")?;
                    let ip: IpAddr = text
                        .parse()
                        .map_err(|_| MiError::bad_param("ip", "not an IP address"))?;
                    if rm.remove(ip) {
                        Ok(Value::from("OK"))
                    } else {
                        Err(MiError::new(404, "IP not found"))
                    }
                },
            ),
        ]
    }
}

/// `pike_check_req()`: 1 under the limit (or no source address), -1 flooding and already
/// known, -2 flooding detected now. The first detection and the unblock are logged at
/// `pike_log_level`.
fn check(table: &PikeTable, ctx: &mut Context, level: i32) -> i32 {
    match ctx.origin {
        Some(origin) => verdict(table, origin.src.ip(), level),
        None => 1,
    }
}

/// Counts one message from `ip`: 1, -1 or -2 as `pike_check_req`, logging changes.
fn verdict(table: &PikeTable, ip: IpAddr, level: i32) -> i32 {
    match table.check(ip, Instant::now()) {
        Verdict::Allowed => 1,
        Verdict::Unblocked => {
            log::emit(level, "pike", &format!("PIKE - UNBLOCKing ip {ip}"));
            1
        }
        Verdict::Blocked => -1,
        Verdict::NewlyBlocked => {
            log::emit(level, "pike", &format!("PIKE - BLOCKing ip {ip}"));
            -2
        }
    }
}
