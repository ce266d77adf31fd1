//! `load_balancer`: sends each call to the destination of a group with the most capacity
//! left for the resources it needs — `lb_start(1, "pstn")`, `lb_next()` in the failure
//! route — as the OpenSIPS 3.x load-balancer template does. Destinations and their resource
//! capacities come from the `load_balancer` table (db_text or MySQL); the load is the
//! number of active dialogs that hold a destination's resource, so the `dialog` module must
//! be loaded (lb_start creates the call's dialog).
//!
//! Not done (docs/compatibility.md): probing (destinations change state through MI
//! `lb_status` only; a warning says so), `lb_count_call`, FreeSWITCH load fetching,
//! clustering.

mod select;
mod table;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Value};
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::mi::{MiCommand, MiError, MiParam};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_sip::Uri;

use crate::auth_db::store;
use crate::dialog::DialogApi;
use select::{Flags, Shared};
use table::Columns;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("db_table"),
    ModParamSpec::str("id_col"),
    ModParamSpec::str("grp_id_col"),
    ModParamSpec::str("dst_uri_col"),
    ModParamSpec::str("resources_col"),
    ModParamSpec::str("probe_mode_col"),
    ModParamSpec::str("attrs_col"),
    ModParamSpec::int("probing_interval"),
    ModParamSpec::str("probing_method"),
    ModParamSpec::str("probing_from"),
    ModParamSpec::str("probing_reply_codes"),
    ModParamSpec::int("probing_verbose"),
    ModParamSpec::str("lb_define_blacklist"),
    ModParamSpec::int("cluster_id"),
    ModParamSpec::str("cluster_sharing_tag"),
    ModParamSpec::int("use_cpu_factor"),
    ModParamSpec::int("fetch_freeswitch_stats"),
    ModParamSpec::int("initial_freeswitch_load"),
];

/// The module.
#[derive(Default)]
pub struct LoadBalancer {
    db_url: Option<String>,
    columns: Columns,
    probing_interval: i64,
    shared: Option<Arc<Shared>>,
}

impl Module for LoadBalancer {
    fn name(&self) -> &'static str {
        "load_balancer"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["dialog"]
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let cols = &mut self.columns.names;
        match name {
            "db_url" => self.db_url = Some(value.as_str()),
            "db_table" => self.columns.table = value.as_str(),
            "id_col" => cols[0] = value.as_str(),
            "grp_id_col" => cols[1] = value.as_str(),
            "dst_uri_col" => cols[2] = value.as_str(),
            "resources_col" => cols[3] = value.as_str(),
            "attrs_col" => cols[4] = value.as_str(),
            "probing_interval" => self.probing_interval = value.as_int(),
            _ if PARAMS.iter().any(|p| p.name == name) => {}
            _ => return Err(format!("module load_balancer has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let dialogs = env
            .apis
            .get::<DialogApi>()
            .ok_or("load_balancer needs the dialog module (loadmodule \"dialog.so\" first)")?;
        let url = crate::db_mysql::url_or_default(env, self.db_url.as_deref());
        if self.probing_interval > 0 {
            siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "load_balancer",
                "probing_interval is set but destinations are not probed: their state changes \
                 through MI lb_status only",
            );
        }
        let store = store::open(env, "load_balancer", &url)?;
        self.shared = Some(Arc::new(Shared::new(store, self.columns.clone(), dialogs)));
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        match &self.shared {
            Some(s) => s.load_once(),
            None => Ok(()),
        }
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let routes = RouteMask::of(&[RouteType::Request, RouteType::Branch, RouteType::Failure]);
        let start_params = || {
            vec![
                ParamSpec::req("group", ParamKind::Int),
                ParamSpec::req("resources", ParamKind::Str),
                ParamSpec::opt("flags", ParamKind::Str),
            ]
        };
        let (a, b, c, d, e) = (
            shared.clone(),
            shared.clone(),
            shared.clone(),
            shared.clone(),
            shared.clone(),
        );
        vec![
            FunctionDecl::new(
                "lb_start",
                start_params(),
                routes,
                move |ctx: &mut Context, args: &Args| match start_args(ctx, args) {
                    Some((g, r, f)) => a.start(ctx, g, &r, f),
                    None => -1,
                },
            )
            .with_fixup(prepare_flags),
            FunctionDecl::new(
                "lb_start_or_next",
                start_params(),
                routes,
                move |ctx: &mut Context, args: &Args| {
                    if b.is_started(ctx) {
                        return b.next(ctx);
                    }
                    match start_args(ctx, args) {
                        Some((g, r, f)) => b.start(ctx, g, &r, f),
                        None => -1,
                    }
                },
            )
            .with_fixup(prepare_flags),
            FunctionDecl::new(
                "lb_next",
                vec![],
                routes,
                move |ctx: &mut Context, _: &Args| c.next(ctx),
            ),
            FunctionDecl::new(
                "lb_reset",
                vec![],
                routes,
                move |ctx: &mut Context, _: &Args| d.reset(ctx),
            ),
            FunctionDecl::new(
                "lb_is_started",
                vec![],
                routes,
                move |ctx: &mut Context, _: &Args| if e.is_started(ctx) { 1 } else { -1 },
            ),
            FunctionDecl::new(
                "lb_is_destination",
                vec![
                    ParamSpec::req("ip", ParamKind::Str),
                    ParamSpec::req("port", ParamKind::Int),
                    ParamSpec::opt("group", ParamKind::Int),
                    ParamSpec::opt("active", ParamKind::Int),
                ],
                RouteMask::ALL,
                move |ctx: &mut Context, args: &Args| is_destination(&shared, ctx, args),
            ),
        ]
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let (a, b, c) = (shared.clone(), shared.clone(), shared);
        vec![
            MiCommand::new(
                "lb_reload",
                "reads the load_balancer table again",
                vec![],
                move |_, _| {
                    a.reload()
                        .map_err(|e| MiError::new(500, format!("Failed to reload: {e}")))?;
                    Ok(Value::from("OK"))
                },
            ),
            MiCommand::new(
                "lb_list",
                "lists the destinations with their resources, capacities and current load",
                vec![],
                move |_, _| {
                    let loads = b.loads();
                    let list: Vec<Value> = b
                        .destinations()
                        .iter()
                        .map(|d| {
                            let res: Vec<Value> = d
                                .resources
                                .iter()
                                .map(|r| {
                                    let load = loads
                                        .get(&format!("{}/{}", d.id, r.name))
                                        .copied()
                                        .unwrap_or(0);
                                    json!({
                                        "name": r.name,
                                        "max": r.capacity,
                                        "load": load,
                                    })
                                })
                                .collect();
                            json!({
                                "id": d.id,
                                "group": d.group,
                                "uri": d.uri,
                                "attrs": d.attrs,
                                "enabled": if d.enabled.load(Ordering::Relaxed) { "yes" } else { "no" },
                                "auto-re": "off",
                                "Resources": res,
                            })
                        })
                        .collect();
                    Ok(json!({ "Destinations": list }))
                },
            ),
            MiCommand::new(
                "lb_status",
                "shows (or with new_status 0/1 sets) whether a destination is in use",
                vec![MiParam::req("destination_id"), MiParam::opt("new_status")],
                move |_, p| {
                    let id: i64 = p
                        .req_str("destination_id")?
                        .trim()
                        .parse()
                        .map_err(|_| MiError::bad_param("destination_id", "not a number"))?;
                    let dsts = c.destinations();
                    let dst = dsts
                        .iter()
                        .find(|d| d.id == id)
                        .ok_or_else(|| MiError::new(404, "Destination ID not found"))?;
                    match p.str("new_status")? {
                        None => Ok(json!({
                            "enable": if dst.enabled.load(Ordering::Relaxed) { "yes" } else { "no" }
                        })),
                        Some(s) => {
                            dst.enabled.store(s.trim() != "0", Ordering::Relaxed);
                            Ok(Value::from("OK"))
                        }
                    }
                },
            ),
        ]
    }
}

/// A constant flags argument is read once, at load time.
fn prepare_flags(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(s)) = args.get(2) {
        args[2] = PreparedArg::Custom(Arc::new(Flags::parse(s)?));
    }
    Ok(())
}

fn start_args(ctx: &Context, args: &Args) -> Option<(i64, String, Flags)> {
    let group = args.int(ctx, 0)?;
    let resources = args.str(ctx, 1)?.into_owned();
    let flags = match args.get(2) {
        PreparedArg::Custom(c) => c.downcast_ref::<Flags>().copied().unwrap_or_default(),
        PreparedArg::None => Flags::default(),
        _ => match Flags::parse(&args.str(ctx, 2).unwrap_or_default()) {
            Ok(f) => f,
            Err(e) => {
                siplua_core::log::emit(siplua_core::log::level::ERR, "load_balancer", &e);
                return None;
            }
        },
    };
    Some((group, resources, flags))
}

/// `lb_is_destination(ip, port[, group[, active]])`: a destination's URI names `ip` and
/// `port` (port 0: any), in `group` (-1 or absent: any), enabled when `active` is 1. A
/// destination given by host name is compared as written (not resolved).
fn is_destination(shared: &Shared, ctx: &Context, args: &Args) -> i32 {
    let ip = args.str(ctx, 0).unwrap_or_default().into_owned();
    let port = args.int(ctx, 1).unwrap_or(0);
    let group = args
        .has(2)
        .then(|| args.int(ctx, 2))
        .flatten()
        .unwrap_or(-1);
    let active = args.has(3).then(|| args.int(ctx, 3)).flatten().unwrap_or(0) == 1;
    let found = shared.destinations().iter().any(|d| {
        let Ok(uri) = Uri::parse(&d.uri) else {
            return false;
        };
        let host = uri.host().trim_start_matches('[').trim_end_matches(']');
        host == ip
            && (port == 0 || i64::from(uri.port().unwrap_or(default_port(&uri))) == port)
            && (group == -1 || d.group == group)
            && (!active || d.enabled.load(Ordering::Relaxed))
    });
    if found {
        1
    } else {
        -1
    }
}

/// The port a URI without one means: 5061 for `sips:`, else 5060.
fn default_port(uri: &Uri) -> u16 {
    if uri.scheme() == siplua_sip::Scheme::Sips {
        5061
    } else {
        5060
    }
}
