//! `rtpengine`: moves a call's media through Sipwise rtpengine over its "ng" control
//! protocol (bencoded dictionaries over UDP), as OpenSIPS 3.x's module does:
//! `rtpengine_offer`, `rtpengine_answer`, `rtpengine_manage`, `rtpengine_delete`,
//! `rtpengine_use_set`, recording start/stop; sets from `rtpengine_sock`, engines that stop
//! answering skipped for `rtpengine_disable_tout`.
//!
//! Not done (docs/compatibility.md): statistics (`$rtpstat`, `rtpengine_stats`), media
//! playback, DTMF and timeout notifications, engines from a database.

mod flags;
mod session;

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};

use crate::media_proxy::control::Timing;
use crate::media_proxy::pool::Pool;
use crate::media_proxy::proxies::{self, ProxySet};
use flags::Flags;
use session::{ChosenSet, Io, Shared};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("rtpengine_sock"),
    ModParamSpec::int("rtpengine_disable_tout"),
    ModParamSpec::int("rtpengine_tout"),
    ModParamSpec::int("rtpengine_timeout"),
    ModParamSpec::int("rtpengine_retr"),
    ModParamSpec::str("extra_id_pv"),
    ModParamSpec::str("setid_avp"),
    ModParamSpec::int("setid_default"),
    ModParamSpec::str("notification_sock"),
    ModParamSpec::str("db_url"),
    ModParamSpec::str("db_table"),
    ModParamSpec::str("socket_column"),
    ModParamSpec::str("set_column"),
];

/// The module: parameters until `init`, then the shared state.
pub struct RtpEngine {
    sets: Vec<ProxySet>,
    timeout_secs: i64,
    retr: i64,
    disable_tout: i64,
    db_url: Option<String>,
    /// Parameters given that siplua does not act on, warned about at start-up.
    ignored: Vec<&'static str>,
    shared: Option<Arc<Shared>>,
}

impl Default for RtpEngine {
    fn default() -> Self {
        RtpEngine {
            sets: Vec::new(),
            timeout_secs: 1,
            retr: 5,
            disable_tout: 60,
            db_url: None,
            ignored: Vec::new(),
            shared: None,
        }
    }
}

impl Module for RtpEngine {
    fn name(&self) -> &'static str {
        "rtpengine"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "rtpengine_sock" => proxies::add_sockets(&mut self.sets, name, &value.as_str())?,
            "rtpengine_tout" | "rtpengine_timeout" => self.timeout_secs = value.as_int(),
            "rtpengine_retr" => self.retr = value.as_int(),
            "rtpengine_disable_tout" => self.disable_tout = value.as_int(),
            "db_url" => self.db_url = Some(value.as_str()),
            _ => match PARAMS.iter().find(|p| p.name == name) {
                Some(p) => self.ignored.push(p.name),
                None => return Err(format!("module rtpengine has no parameter {name}")),
            },
        }
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        let warn = |text: &str| {
            siplua_core::log::emit(siplua_core::log::level::WARN, "rtpengine", text);
        };
        if self.db_url.is_some() {
            warn("db_url is set but siplua reads rtpengines only from rtpengine_sock");
        }
        if self.sets.is_empty() {
            warn("no rtpengine_sock: the rtpengine functions will fail");
        }
        for name in &self.ignored {
            warn(&format!(
                "{name} is set but siplua does not use it (sets are chosen with rtpengine_use_set)"
            ));
        }
        self.shared = Some(Arc::new(Shared {
            pool: Pool {
                sets: std::mem::take(&mut self.sets),
                timing: Timing {
                    timeout: Duration::from_secs(self.timeout_secs.clamp(1, 60) as u64),
                    attempts: u32::try_from(self.retr.max(1)).unwrap_or(u32::MAX),
                },
                disable_for: Duration::from_secs(
                    u64::try_from(self.disable_tout.max(0)).unwrap_or(0),
                ),
                module: "rtpengine",
            },
        }));
        Ok(())
    }

    fn start(&self, _core: &Arc<siplua_core::engine::Core>) -> Result<(), String> {
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
        let sdp_params = || {
            vec![
                ParamSpec::opt("flags", ParamKind::Str),
                ParamSpec::opt("sock_var", ParamKind::Var),
                ParamSpec::opt("sdp_var", ParamKind::Var),
                ParamSpec::opt("body", ParamKind::Str),
            ]
        };
        let mut out = Vec::new();
        for name in ["rtpengine_offer", "rtpengine_answer", "rtpengine_manage"] {
            let s = shared.clone();
            out.push(
                FunctionDecl::new(
                    name,
                    sdp_params(),
                    routes,
                    move |ctx: &mut Context, args: &Args| {
                        let Some(flags) = flags_arg(ctx, args) else {
                            return -1;
                        };
                        let io = Io {
                            sock: args.pv(1),
                            sdp: args.pv(2),
                            body: args.str(ctx, 3).map(|b| b.into_owned()),
                        };
                        match name {
                            "rtpengine_offer" => s.offer_answer(ctx, "offer", &flags, &io),
                            "rtpengine_answer" => s.offer_answer(ctx, "answer", &flags, &io),
                            _ => s.manage(ctx, &flags, &io),
                        }
                    },
                )
                .with_fixup(prepare_flags),
            );
        }
        for (name, command) in [
            ("rtpengine_delete", "delete"),
            ("rtpengine_start_recording", "start recording"),
            ("rtpengine_stop_recording", "stop recording"),
        ] {
            let s = shared.clone();
            out.push(
                FunctionDecl::new(
                    name,
                    vec![
                        ParamSpec::opt("flags", ParamKind::Str),
                        ParamSpec::opt("sock_var", ParamKind::Var),
                    ],
                    routes,
                    move |ctx: &mut Context, args: &Args| match flags_arg(ctx, args) {
                        Some(flags) => s.simple(ctx, command, &flags, args.pv(1)),
                        None => -1,
                    },
                )
                .with_fixup(prepare_flags),
            );
        }
        let s = shared;
        out.push(FunctionDecl::new(
            "rtpengine_use_set",
            vec![ParamSpec::req("setid", ParamKind::Int)],
            routes,
            move |ctx: &mut Context, args: &Args| {
                let Some(id) = args.int(ctx, 0) else {
                    return -1;
                };
                if !s.pool.sets.iter().any(|set| set.id == id) {
                    siplua_core::log::emit(
                        siplua_core::log::level::ERR,
                        "rtpengine",
                        &format!("rtpengine_use_set: no set {id}"),
                    );
                    return -1;
                }
                ctx.set_ext(ChosenSet(id));
                1
            },
        ));
        out
    }
}

/// A constant flags argument is read once, at load time (a malformed one is refused).
fn prepare_flags(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(s)) = args.first() {
        args[0] = PreparedArg::Custom(Arc::new(flags::parse(s)?));
    }
    Ok(())
}

/// The flags of this call: prepared at load time, or read now from a variable.
fn flags_arg(ctx: &Context, args: &Args) -> Option<Flags> {
    match args.get(0) {
        PreparedArg::Custom(c) => Some(c.downcast_ref::<Flags>().cloned().unwrap_or_default()),
        PreparedArg::None => Some(Flags::default()),
        _ => match flags::parse(&args.str(ctx, 0).unwrap_or_default()) {
            Ok(f) => Some(f),
            Err(e) => {
                siplua_core::log::emit(siplua_core::log::level::ERR, "rtpengine", &e);
                None
            }
        },
    }
}
