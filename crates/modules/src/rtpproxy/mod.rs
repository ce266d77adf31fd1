//! `rtpproxy`: moves a call's media through an RTP proxy speaking the rtpproxy control
//! protocol (rtpproxy itself, or rtpengine's `--listen-udp` socket), as OpenSIPS 3.x's
//! module does: `rtpproxy_offer`, `rtpproxy_answer`, `rtpproxy_unforce`, `rtpproxy_engage`
//! (with the dialog module), sets of proxies from `rtpproxy_sock`, proxies that stop
//! answering skipped for `rtpproxy_disable_tout`.
//!
//! Not done (docs/compatibility.md): the `body_var`
//! argument, streaming, recording and statistics, proxies from a database, timeout
//! notifications, bridge-mode interface selection beyond passing `i`/`e` on.

mod engage;
mod flags;
mod sdp;
mod session;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use siplua_core::context::Context;
use siplua_core::engine::Core;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::mi::{MiCommand, MiError, MiParam};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};

use crate::dialog::DialogApi;
use crate::media_proxy::control::Timing;
use crate::media_proxy::pool::Pool;
use crate::media_proxy::proxies::{self, ProxySet};
use flags::Flags;
use session::{Outputs, Shared, Side};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("rtpproxy_sock"),
    ModParamSpec::int("rtpproxy_disable_tout"),
    ModParamSpec::str("rtpproxy_timeout"),
    ModParamSpec::int("rtpproxy_retr"),
    ModParamSpec::int("rtpproxy_autobridge"),
    ModParamSpec::int("default_set"),
    ModParamSpec::str("nortpproxy_str"),
    ModParamSpec::str("db_url"),
    ModParamSpec::str("db_table"),
    ModParamSpec::str("rtpp_socket_col"),
    ModParamSpec::str("set_id_col"),
    ModParamSpec::str("rtpp_notify_socket"),
    ModParamSpec::int("generated_sdp_port_min"),
    ModParamSpec::int("generated_sdp_port_max"),
    ModParamSpec::str("generated_sdp_media_ip"),
];

/// The module: parameters until `init`, then the shared state.
pub struct RtpProxy {
    sets: Vec<ProxySet>,
    timeout: Duration,
    retr: i64,
    disable_tout: i64,
    default_set: i64,
    marker: String,
    db_url: Option<String>,
    notify_socket: Option<String>,
    shared: Option<Arc<Shared>>,
    /// The dialog module's API, which `rtpproxy_engage` needs.
    dialogs: Option<Arc<DialogApi>>,
}

impl Default for RtpProxy {
    fn default() -> Self {
        RtpProxy {
            sets: Vec::new(),
            timeout: Duration::from_secs(1),
            retr: 5,
            disable_tout: 60,
            default_set: 0,
            marker: "a=nortpproxy:yes".to_owned(),
            db_url: None,
            notify_socket: None,
            shared: None,
            dialogs: None,
        }
    }
}

impl Module for RtpProxy {
    fn name(&self) -> &'static str {
        "rtpproxy"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn optional_dependencies(&self) -> &'static [&'static str] {
        &["dialog"]
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "rtpproxy_sock" => proxies::add_sockets(&mut self.sets, name, &value.as_str())?,
            "rtpproxy_timeout" => {
                let text = value.as_str();
                let secs: f64 = text
                    .trim()
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0 && *s <= 60.0)
                    .ok_or_else(|| {
                        format!("rtpproxy_timeout: expected seconds above 0, up to 60, got {text}")
                    })?;
                self.timeout = Duration::from_secs_f64(secs);
            }
            "rtpproxy_retr" => self.retr = value.as_int(),
            "rtpproxy_disable_tout" => self.disable_tout = value.as_int(),
            "default_set" => self.default_set = value.as_int(),
            "nortpproxy_str" => self.marker = value.as_str().trim_end().to_owned(),
            "db_url" => self.db_url = Some(value.as_str()),
            "rtpp_notify_socket" => self.notify_socket = Some(value.as_str()),
            _ if PARAMS.iter().any(|p| p.name == name) => {}
            _ => return Err(format!("module rtpproxy has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        self.dialogs = env.apis.get::<DialogApi>();
        let warn = |text: &str| {
            siplua_core::log::emit(siplua_core::log::level::WARN, "rtpproxy", text);
        };
        if self.db_url.is_some() {
            warn("db_url is set but siplua reads RTP proxies only from rtpproxy_sock");
        }
        if self.notify_socket.is_some() {
            warn("rtpp_notify_socket is set but siplua takes no timeout notifications");
        }
        if self.sets.is_empty() {
            warn("no rtpproxy_sock: rtpproxy_offer/answer/unforce will fail");
        }
        self.shared = Some(Arc::new(Shared {
            pool: Pool {
                sets: std::mem::take(&mut self.sets),
                timing: Timing {
                    timeout: self.timeout,
                    attempts: u32::try_from(self.retr.max(1)).unwrap_or(u32::MAX),
                },
                disable_for: Duration::from_secs(
                    u64::try_from(self.disable_tout.max(0)).unwrap_or(0),
                ),
                module: "rtpproxy",
            },
            marker: self.marker.clone(),
            default_set: self.default_set,
        }));
        Ok(())
    }

    fn start(&self, _core: &Arc<Core>) -> Result<(), String> {
        if let Some(shared) = &self.shared {
            shared.ping_all();
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let routes = crate::media_proxy::SDP_ROUTES;
        let engage_params = || {
            vec![
                ParamSpec::opt("flags", ParamKind::Str),
                ParamSpec::opt("ip_address", ParamKind::Str),
                ParamSpec::opt("set_id", ParamKind::Int),
                ParamSpec::opt("sock_var", ParamKind::Var),
                ParamSpec::opt("ret_var", ParamKind::Var),
            ]
        };
        let mut out = Vec::new();
        for (name, side) in [
            ("rtpproxy_offer", Side::Offer),
            ("rtpproxy_answer", Side::Answer),
        ] {
            let s = shared.clone();
            out.push(
                FunctionDecl::new(
                    name,
                    engage_params(),
                    routes,
                    move |ctx: &mut Context, args: &Args| engage(&s, ctx, args, side),
                )
                .with_fixup(prepare_flags),
            );
        }
        for name in ["rtpproxy_engage", "engage_rtp_proxy"] {
            let s = shared.clone();
            let dialogs = self.dialogs.clone();
            let loaded = dialogs.is_some();
            out.push(
                FunctionDecl::new(
                    name,
                    engage_params(),
                    RouteMask::of(&[RouteType::Request]),
                    move |ctx: &mut Context, args: &Args| match &dialogs {
                        Some(d) => engage_dialog(&s, d, ctx, args),
                        None => -1,
                    },
                )
                .with_fixup(move |args| {
                    if !loaded {
                        return Err(
                            "rtpproxy_engage needs the dialog module (loadmodule \"dialog.so\")"
                                .into(),
                        );
                    }
                    prepare_flags(args)
                }),
            );
        }
        for name in ["rtpproxy_unforce", "unforce_rtp_proxy"] {
            let s = shared.clone();
            out.push(FunctionDecl::new(
                name,
                vec![
                    ParamSpec::opt("set_id", ParamKind::Int),
                    ParamSpec::opt("sock_var", ParamKind::Var),
                ],
                routes,
                move |ctx: &mut Context, args: &Args| {
                    let set = args.has(0).then(|| args.int(ctx, 0)).flatten();
                    s.unforce(ctx, set, args.pv(1))
                },
            ));
        }
        out
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let enable = shared.clone();
        vec![
            MiCommand::new(
                "rtpproxy_show",
                "lists the RTP proxies by set, with their weight and whether they are in use",
                vec![],
                move |_, _| {
                    let sets: Vec<Value> = shared
                        .pool
                        .sets
                        .iter()
                        .map(|set| {
                            let nodes: Vec<Value> = set
                                .proxies
                                .iter()
                                .map(|p| {
                                    json!({
                                        "node": p.url,
                                        "weight": p.weight,
                                        "disabled": u8::from(!p.is_enabled()),
                                    })
                                })
                                .collect();
                            json!({ "Set": set.id, "Nodes": nodes })
                        })
                        .collect();
                    Ok(json!({ "Sets": sets }))
                },
            ),
            MiCommand::new(
                "rtpproxy_enable",
                "takes an RTP proxy back into use (1) or out of it (0)",
                vec![MiParam::req("url"), MiParam::req("enable")],
                move |_, p| {
                    let url = p.req_str("url")?;
                    let on = p.req_str("enable")? != "0";
                    let mut found = false;
                    for proxy in enable.pool.sets.iter().flat_map(|s| &s.proxies) {
                        if proxy.url == url {
                            found = true;
                            if on {
                                proxy.enable();
                            } else {
                                proxy.disable_for(proxies::FOREVER);
                            }
                        }
                    }
                    if found {
                        Ok(Value::from("OK"))
                    } else {
                        Err(MiError::new(404, "RTP proxy not found"))
                    }
                },
            ),
        ]
    }
}

/// A constant flags argument is read once, at load time (an unknown letter is refused).
fn prepare_flags(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(s)) = args.first() {
        args[0] = PreparedArg::Custom(Arc::new(flags::parse(s)?));
    }
    Ok(())
}

/// The flags argument: prepared at load time, or read from a variable now.
fn flags_of(ctx: &mut Context, args: &Args) -> Option<Flags> {
    Some(match args.get(0) {
        PreparedArg::Custom(c) => match c.downcast_ref::<Flags>() {
            Some(f) => f.clone(),
            None => Flags::default(),
        },
        PreparedArg::None => Flags::default(),
        _ => match flags::parse(&args.str(ctx, 0).unwrap_or_default()) {
            Ok(f) => f,
            Err(e) => {
                siplua_core::log::emit(siplua_core::log::level::ERR, "rtpproxy", &e);
                return None;
            }
        },
    })
}

/// The arguments every offer/answer function shares: `flags`, `ip_address`, `set_id`, and
/// the `sock_var`/`ret_var` outputs; None (logged) when the flags do not read.
fn call_args<'a>(
    ctx: &mut Context,
    args: &'a Args,
) -> Option<(Flags, Option<String>, Option<i64>, Outputs<'a>)> {
    let flags = flags_of(ctx, args)?;
    let ip = args.str(ctx, 1).map(|s| s.into_owned());
    let set = args.has(2).then(|| args.int(ctx, 2)).flatten();
    let outputs = Outputs {
        sock: args.pv(3),
        ret: args.pv(4),
    };
    Some((flags, ip, set, outputs))
}

/// `rtpproxy_engage`: the arguments read, the dialog engaged.
fn engage_dialog(shared: &Arc<Shared>, dialogs: &DialogApi, ctx: &mut Context, args: &Args) -> i32 {
    let Some((flags, ip, set, outputs)) = call_args(ctx, args) else {
        return -1;
    };
    engage::engage(shared, dialogs, ctx, flags, ip, set, &outputs)
}

fn engage(shared: &Shared, ctx: &mut Context, args: &Args, side: Side) -> i32 {
    let Some((flags, ip, set, outputs)) = call_args(ctx, args) else {
        return -1;
    };
    shared.engage(ctx, side, &flags, ip.as_deref(), set, &outputs)
}
