//! `dialog`: in-memory dialog tracking with OpenSIPS 3.x names — `create_dialog()`,
//! `validate_dialog()`, `match_dialog()`, dialog profiles (`set_dlg_profile`,
//! `unset_dlg_profile`, `is_in_profile`, `get_profile_size`), dialog values
//! (`store_dlg_value`, `fetch_dlg_value`, `$dlg_val`), other dialogs (`get_dialog_info`,
//! `get_dialog_vals`, `load_dialog_ctx`, `unload_dialog_ctx`), `dlg_on_timeout` and
//! `$DLG_status`, `$DLG_dir`,
//! `$DLG_lifetime`, `$DLG_timeout`, `$DLG_count`, `$DLG_did`.
//!
//! Dialogs live in memory only; their states follow the INVITE's replies, the ACK and the
//! BYE seen by siplua, and a dialog ends when its lifetime (`default_timeout`) runs out —
//! without sending BYEs (see docs/compatibility.md).

mod api;
mod functions;
mod jobs;
mod lookup;
mod pv;
mod table;
mod timeout;

pub use api::DialogApi;
pub use table::{Current, Direction, EndWatcher, Key, MessageWatcher};

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, MessageHooks, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::PvDecl;
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_script::RouteKind;

use table::Table;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("default_timeout"),
    ModParamSpec::str("profiles_with_value"),
    ModParamSpec::str("profiles_no_value"),
    ModParamSpec::int("dlg_match_mode"),
    ModParamSpec::int("db_mode"),
    ModParamSpec::str("db_url"),
    ModParamSpec::str("table_name"),
    ModParamSpec::int("db_update_period"),
    ModParamSpec::str("timeout_avp"),
    ModParamSpec::str("dlg_extra_hdrs"),
    ModParamSpec::int("options_ping_interval"),
    ModParamSpec::int("reinvite_ping_interval"),
    ModParamSpec::str("rr_param"),
    ModParamSpec::int("cluster_id"),
    ModParamSpec::str("dlg_sharing_tag"),
    ModParamSpec::int("race_condition_timeout"),
];

/// The declared profiles: name and whether it takes values.
#[derive(Clone, Debug, Default)]
pub struct Profiles(Vec<(String, bool)>);

impl Profiles {
    /// Whether `name` was declared, and with values.
    pub fn lookup(&self, name: &str) -> Option<bool> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    fn add(&mut self, list: &str, with_value: bool) {
        for name in list.split(';').map(str::trim).filter(|n| !n.is_empty()) {
            // `name/s` (a profile shared over a cluster) is a plain local profile here.
            let name = name.split('/').next().unwrap_or(name).trim();
            self.0.push((name.to_owned(), with_value));
        }
    }
}

/// The module.
pub struct DialogModule {
    table: Arc<Table>,
    timeout: Duration,
    profiles: Arc<Profiles>,
    db_mode: i64,
}

impl Default for DialogModule {
    fn default() -> Self {
        DialogModule {
            table: Arc::default(),
            // OpenSIPS' default lifetime: 12 hours.
            timeout: Duration::from_secs(43200),
            profiles: Arc::default(),
            db_mode: 0,
        }
    }
}

impl Module for DialogModule {
    fn name(&self) -> &'static str {
        "dialog"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["tm"]
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "default_timeout" => {
                let secs = value.as_int();
                if secs <= 0 {
                    return Err(format!("default_timeout must be positive, got {secs}"));
                }
                self.timeout = Duration::from_secs(secs as u64);
            }
            "profiles_with_value" => Arc::make_mut(&mut self.profiles).add(&value.as_str(), true),
            "profiles_no_value" => Arc::make_mut(&mut self.profiles).add(&value.as_str(), false),
            "db_mode" => self.db_mode = value.as_int(),
            _ if PARAMS.iter().any(|p| p.name == name) => {}
            _ => return Err(format!("module dialog has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        env.apis.publish(Arc::new(DialogApi {
            table: self.table.clone(),
            timeout: self.timeout,
        }));
        if self.db_mode != 0 {
            siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "dialog",
                &format!(
                    "db_mode {} is not supported: dialogs are kept in memory only and do not \
                     survive a restart",
                    self.db_mode
                ),
            );
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let mut decls =
            functions::declarations(self.table.clone(), self.profiles.clone(), self.timeout);
        decls.extend(lookup::declarations(&self.table));
        let table = self.table.clone();
        decls.push(FunctionDecl::new(
            "dlg_on_timeout",
            vec![ParamSpec::opt(
                "route",
                ParamKind::Route(RouteKind::Request),
            )],
            RouteMask::of(&[
                RouteType::Request,
                RouteType::Failure,
                RouteType::OnReply,
                RouteType::Branch,
            ]),
            move |ctx: &mut Context, args: &Args| timeout::dlg_on_timeout(ctx, args, &table),
        ));
        decls
    }

    fn pseudo_variables(&self) -> Vec<PvDecl> {
        pv::declarations(self.table.clone())
    }

    fn message_hooks(&self) -> MessageHooks {
        MessageHooks {
            message: true,
            ..MessageHooks::default()
        }
    }

    fn on_message(&self, ctx: &mut Context) {
        let current = ctx.msg.as_ref().and_then(|msg| self.table.follow(msg));
        if let Some(cur) = current {
            let watchers = self
                .table
                .with(&cur.key, |d| d.watchers.clone())
                .unwrap_or_default();
            let dir = cur.dir;
            ctx.set_ext(cur);
            for (_, watch) in watchers {
                watch(ctx, dir);
            }
        }
    }
}
