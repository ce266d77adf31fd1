//! `sst`: SIP Session Timers (RFC 4028) with OpenSIPS 3.x names — `sstCheckMin([send_reply])`
//! and, for dialogs whose INVITE carries the `sst_flag` message flag when `create_dialog()`
//! runs, the negotiation of the session interval and a dialog lifetime that follows it (see
//! `negotiate.rs`). The parameters `min_se`, `sst_interval`, `reject_to_small`, `sst_flag`,
//! `enable_stats` and the 1.x `timeout_avp` are taken.

mod check_min;
mod headers;
mod negotiate;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::flags::{flag_bit, FlagSet};
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, MessageHooks, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};

use crate::dialog::DialogApi;
use negotiate::Negotiator;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("enable_stats"),
    ModParamSpec::int("min_se"),
    ModParamSpec::int("sst_interval"),
    ModParamSpec::int("reject_to_small"),
    ModParamSpec::str("sst_flag"),
    ModParamSpec::str("timeout_avp"),
];

/// The module's settings, as the parameters left them.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// `min_se`: the smallest session interval this proxy accepts (and its 422's Min-SE).
    pub min_se: u64,
    /// `sst_interval`: the interval the proxy asks for when the caller asked for none.
    pub sst_interval: u64,
    /// `reject_to_small`: answer 422 to a too small interval of a caller supporting timers.
    pub reject: bool,
    /// The bit of `sst_flag` among the message flags.
    pub flag: Option<u32>,
}

/// The module.
pub struct Sst {
    settings: Settings,
    negotiator: Option<Arc<Negotiator>>,
}

impl Default for Sst {
    fn default() -> Self {
        Sst {
            settings: Settings {
                min_se: 90,
                sst_interval: 0,
                reject: true,
                flag: None,
            },
            negotiator: None,
        }
    }
}

fn seconds(name: &str, value: &ModParamValue) -> Result<u64, String> {
    let v = value.as_int();
    u64::try_from(v).map_err(|_| format!("{name} must be 0 or more seconds, got {v}"))
}

impl Module for Sst {
    fn name(&self) -> &'static str {
        "sst"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["dialog", "signaling"]
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "min_se" => self.settings.min_se = seconds(name, &value)?,
            "sst_interval" => self.settings.sst_interval = seconds(name, &value)?,
            "reject_to_small" => self.settings.reject = value.as_int() != 0,
            "sst_flag" => {
                let bit = flag_bit(FlagSet::Message, &value.as_str())
                    .map_err(|e| format!("sst_flag: {e}"))?;
                self.settings.flag = Some(bit);
            }
            "enable_stats" => {}
            "timeout_avp" => siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "sst",
                "timeout_avp is ignored: the dialog's lifetime is set directly, as in \
                 OpenSIPS 2.x and later",
            ),
            _ => return Err(format!("module sst has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let Some(flag) = self.settings.flag else {
            return Err("the sst_flag parameter is not set".into());
        };
        let dialogs = env
            .apis
            .get::<DialogApi>()
            .ok_or("the dialog module must be loaded before sst")?;
        let negotiator = Arc::new(Negotiator::new(self.settings, flag, dialogs.clone()));
        let hook = negotiator.clone();
        dialogs
            .table
            .on_created(Box::new(move |ctx, key| hook.created(ctx, key)));
        self.negotiator = Some(negotiator);
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let min_se = self.settings.min_se;
        vec![FunctionDecl::new(
            "sstCheckMin",
            vec![ParamSpec::opt("send_reply_flag", ParamKind::Int)],
            RouteMask::of(&[RouteType::Request, RouteType::OnReply]),
            move |ctx: &mut Context, args: &Args| {
                let send = args.int(ctx, 0).unwrap_or(0) != 0;
                check_min::check_min(ctx, min_se, send)
            },
        )]
    }

    fn message_hooks(&self) -> MessageHooks {
        MessageHooks {
            message: true,
            ..MessageHooks::default()
        }
    }

    fn on_message(&self, ctx: &mut Context) {
        if let Some(n) = &self.negotiator {
            n.follow(ctx);
        }
    }
}
