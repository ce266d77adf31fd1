//! `tm`: the transaction layer (RFC 3261 §17) and stateful proxying (§16) — `t_relay`,
//! `t_newtran`, `t_reply`, `t_check_trans`, `t_on_failure`, `t_on_reply`, `t_on_branch`,
//! `t_was_cancelled`, `t_check_status`, `t_local_replied`, `t_cancel_branch`, `t_set_fr`,
//! `t_replicate`, `t_add_hdrs`, `t_new_request`.
//!
//! Layout: `tx` (a transaction), `table` (the shared, sharded table and the matching keys),
//! `relay` (creating transactions, forking), `uac` (branches, their timers, CANCEL/ACK),
//! `replicate` (`t_replicate`), `replies` (downstream replies), `completion` (failure route
//! and the best reply), `uas` (replies upstream, Timer G, cleanup), `select` (best-reply
//! rules), `local` (requests siplua originates), `new_request` (`t_new_request` on `local`),
//! `functions` (the script API), `api` (what other modules use).

pub mod api;
mod completion;
mod functions;
pub mod local;
mod new_request;
mod params;
mod relay;
mod replicate;
mod replies;
mod reply_pvs;
mod select;
mod shared;
mod table;
mod timer_pvs;
mod tx;
mod uac;
mod uas;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::FunctionDecl;
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module, ReplyVerdict};
use siplua_core::pv::PvDecl;
use siplua_core::value::Value;

pub use shared::{FinalCallback, FinalInfo};

use params::TmParams;
use shared::{TmShared, TmStats};

/// The module.
#[derive(Default)]
pub struct Tm {
    params: TmParams,
    shared: Option<Arc<TmShared>>,
}

impl Module for Tm {
    fn name(&self) -> &'static str {
        "tm"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        params::SPECS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        self.params.set(name, value)
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ d.as_secs() as u32);
        let shared = Arc::new(TmShared {
            params: self.params.clone(),
            table: table::TxTable::default(),
            timers: env.timers.clone(),
            stats: TmStats::register(env.stats),
            salt,
            local: local::LocalTable::default(),
        });
        env.apis.publish(Arc::new(api::TmApi::new(shared.clone())));
        self.shared = Some(shared);
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        self.shared
            .as_ref()
            .map(functions::functions)
            .unwrap_or_default()
    }

    /// `$T_branch_idx`: the branch a branch route builds or an onreply route's reply came
    /// on, 0 elsewhere (as OpenSIPS); `$T_fr_timeout`, `$T_fr_inv_timeout`, `$T_reply_reason`,
    /// `$T_ruri`.
    fn pseudo_variables(&self) -> Vec<PvDecl> {
        let mut pvs = self
            .shared
            .as_ref()
            .map(timer_pvs::declarations)
            .unwrap_or_default();
        pvs.extend(reply_pvs::declarations());
        pvs.push(PvDecl {
            name: "T_branch_idx",
            takes_inner: false,
            get: Arc::new(|ctx: &Context, _| {
                let branch = ctx.ext::<shared::TmMsg>().and_then(|m| m.branch);
                Value::Int(branch.unwrap_or(0) as i64)
            }),
            set: None,
        });
        pvs
    }

    fn on_reply(&self, ctx: &mut Context) -> ReplyVerdict {
        match &self.shared {
            Some(s) => replies::on_reply(s, ctx),
            None => ReplyVerdict::Continue,
        }
    }
}
