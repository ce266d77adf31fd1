//! `dispatcher`: load balancing over sets of destinations read from the `dispatcher` table
//! (OpenSIPS 3.x names, parameters, algorithms and return codes) — `ds_select_dst`,
//! `ds_select_domain`, `ds_next_dst`, `ds_next_domain`, `ds_mark_dst`, `ds_is_in_list`,
//! `ds_count`, and the MI commands `ds_list`, `ds_reload`, `ds_set_state`.
//!
//! Destinations in probing state are probed with OPTIONS (`probe.rs`); state changes are not
//! written back to the table, and only the default partition exists; see docs/dispatcher.md.

mod algorithm;
mod mi;
mod params;
mod probe;
mod query;
mod select;
mod sets;
mod shared;
pub(crate) mod socket;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl};
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module, ReplyVerdict};

use crate::auth_db::store;
use params::Settings;
use probe::{ProbeSettings, Prober};
use shared::Shared;

/// The module.
#[derive(Default)]
pub struct Dispatcher {
    settings: Settings,
    shared: Option<Arc<Shared>>,
    prober: Option<Arc<Prober>>,
}

/// Logs an error of the module; returns -1 for the caller to return.
fn log_err(e: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "dispatcher", e);
    -1
}

/// True when the optional partition argument at `i` is absent or names the default
/// partition (the only one); logged otherwise.
fn partition_ok(ctx: &Context, args: &Args, i: usize) -> bool {
    crate::partition::default_only("dispatcher", ctx, args, i)
}

impl Module for Dispatcher {
    fn name(&self) -> &'static str {
        "dispatcher"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        params::PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        self.settings.set(name, value)
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let store = store::open(env, "dispatcher", &self.settings.db_url)?;
        let shared = Arc::new(Shared::new(store, self.settings.clone()));
        let st = &self.settings;
        if st.ping_interval > 0 {
            let probe = ProbeSettings {
                interval: st.ping_interval as u64,
                method: st.ping_method.clone(),
                from: st.ping_from.clone(),
                all: st.probing_mode == 1,
                codes: st.reply_codes.clone(),
            };
            self.prober = Some(Arc::new(Prober::new(
                shared.clone(),
                probe,
                env.timers.clone(),
            )));
        }
        self.shared = Some(shared);
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        if let Some(s) = &self.shared {
            s.load_once()?;
        }
        if let Some(p) = &self.prober {
            p.start_once();
        }
        Ok(())
    }

    fn on_reply(&self, ctx: &mut Context) -> ReplyVerdict {
        match &self.prober {
            Some(p) => p.on_reply(ctx),
            None => ReplyVerdict::Continue,
        }
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = &self.shared else {
            return Vec::new();
        };
        let mut all = select::functions(shared);
        all.extend(query::functions(shared));
        all
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        self.shared.as_ref().map(mi::commands).unwrap_or_default()
    }
}
