//! `drouting`: dynamic routing to gateways and carriers by number prefix, from the
//! `dr_gateways`, `dr_rules`, `dr_carriers` (and `dr_groups`) tables, with OpenSIPS 3.x
//! names, parameters and return codes — `do_routing`, `use_next_gw`/`next_routing`,
//! `route_to_gw`, `route_to_carrier`, `is_from_gw`, `goes_to_gw`, `dr_is_gw`, and the MI
//! commands `dr_reload`, `dr_gw_status`, `dr_carrier_status`.
//!
//! Not done (see docs/drouting.md): probing, partitions, blacklists,
//! clustering.

mod check;
mod gateways;
mod mi;
mod params;
mod route;
mod rules;
mod shared;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl};
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::value::Value;
use siplua_script::AssignOp;

use crate::auth_db::store;
use params::Settings;
use shared::Shared;

/// The module.
#[derive(Default)]
pub struct Drouting {
    settings: Settings,
    shared: Option<Arc<Shared>>,
    probing_noted: bool,
}

/// Logs an error of the module; returns -1 for the caller to return.
fn log_err(e: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "drouting", e);
    -1
}

/// Logs a warning of the module.
fn log_warn(e: &str) {
    siplua_core::log::emit(siplua_core::log::level::WARN, "drouting", e);
}

/// True when the optional partition argument at `i` is absent or names the default
/// partition (the only one); logged otherwise.
fn partition_ok(ctx: &Context, args: &Args, i: usize) -> bool {
    crate::partition::default_only("drouting", ctx, args, i)
}

/// Stores `text` into the variable argument `i` when the script gave one.
fn set_var(ctx: &mut Context, args: &Args, i: usize, text: String) {
    if let Some(pv) = args.pv(i) {
        if let Err(e) = pv.set(ctx, AssignOp::Set, Value::Str(text)) {
            log_err(&format!("cannot store attributes: {e}"));
        }
    }
}

impl Module for Drouting {
    fn name(&self) -> &'static str {
        "drouting"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        params::PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        if name == "probing_interval" {
            self.probing_noted = true;
        }
        self.settings.set(name, value)
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let store = store::open(env, "drouting", &self.settings.db_url)?;
        if self.probing_noted && self.settings.probing_interval > 0 {
            log_warn("probing_interval is set but gateway probing is not implemented: gateway states change only through the tables and MI");
        }
        self.shared = Some(Arc::new(Shared::new(store, self.settings.clone())));
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        match &self.shared {
            Some(s) => s.load_once(),
            None => Ok(()),
        }
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = &self.shared else {
            return Vec::new();
        };
        let mut all = route::functions(shared);
        all.extend(check::functions(shared));
        all
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        self.shared.as_ref().map(mi::commands).unwrap_or_default()
    }
}
