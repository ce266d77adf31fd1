//! State shared by every worker and timer job of tm, and the per-message tm state.

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::stats::{Counter, Stats};
use siplua_core::timer::TimerService;

use super::params::TmParams;
use super::table::TxTable;
use super::tx::TxRef;

/// Everything tm shares across threads.
pub struct TmShared {
    /// Timers and behaviour.
    pub params: TmParams,
    /// Live transactions.
    pub table: TxTable,
    /// Where retransmissions and timeouts are scheduled.
    pub timers: Arc<TimerService>,
    /// Statistics.
    pub stats: TmStats,
    /// A per-start salt in branch ids, so ids of a restarted siplua do not collide.
    pub salt: u32,
    /// The requests siplua originates, waiting for their final reply.
    pub local: super::local::LocalTable,
}

/// tm's counters, with OpenSIPS' names.
pub struct TmStats {
    /// Server transactions created.
    pub uas_transactions: Counter,
    /// Client branches created.
    pub uac_transactions: Counter,
    /// Transactions in the table now.
    pub inuse: Counter,
    /// Final replies sent upstream, by class (2xx..6xx).
    pub by_class: [Counter; 5],
    /// Replies received from downstream.
    pub received_replies: Counter,
    /// Replies relayed upstream.
    pub relayed_replies: Counter,
    /// Replies generated locally.
    pub local_replies: Counter,
}

impl TmStats {
    /// Registers the counters.
    pub fn register(stats: &Stats) -> TmStats {
        let c = |n: &str| stats.counter("tm", n);
        TmStats {
            uas_transactions: c("UAS_transactions"),
            uac_transactions: c("UAC_transactions"),
            inuse: stats.gauge("tm", "inuse_transactions"),
            by_class: [
                c("2xx_transactions"),
                c("3xx_transactions"),
                c("4xx_transactions"),
                c("5xx_transactions"),
                c("6xx_transactions"),
            ],
            received_replies: c("received_replies"),
            relayed_replies: c("relayed_replies"),
            local_replies: c("local_replies"),
        }
    }

    /// Counts a final reply sent upstream.
    pub fn final_sent(&self, code: u16) {
        if let Some(c) = self.by_class.get((code / 100).saturating_sub(2) as usize) {
            c.inc();
        }
    }
}

/// What tm knows about the message being processed: its transaction, and what the script
/// armed for it before (or while) relaying.
#[derive(Default)]
pub struct TmMsg {
    /// The transaction of this message (after `t_newtran`/`t_relay`, or in tm's routes).
    pub tx: Option<TxRef>,
    /// Branch of the reply being processed (in an onreply route).
    pub branch: Option<usize>,
    /// `t_on_failure`.
    pub on_failure: Option<usize>,
    /// `t_on_reply`.
    pub on_reply: Option<usize>,
    /// `t_on_branch`.
    pub on_branch: Option<usize>,
    /// `t_set_fr`: (INVITE, non-INVITE) timeouts.
    pub fr: Option<(Option<Duration>, Option<Duration>)>,
    /// Callbacks for the final reply, registered before the transaction exists (`acc`).
    pub on_final: Vec<FinalCallback>,
}

/// What a final-reply callback learns about the transaction.
pub struct FinalInfo<'a> {
    /// The request.
    pub request: &'a siplua_sip::Message,
    /// The final status sent upstream.
    pub code: u16,
    /// Its reason phrase.
    pub reason: &'a str,
    /// The To-tag of the final reply.
    pub to_tag: &'a str,
    /// How long after the request arrived the final reply went out.
    pub elapsed: Duration,
    /// The request was cancelled by the caller.
    pub cancelled: bool,
}

/// Called once with the final reply of a transaction (statistics, accounting).
pub type FinalCallback = Box<dyn FnOnce(&FinalInfo) + Send>;

/// The tm state of the message in `ctx`, created empty on first use.
pub fn msg_state<'c>(ctx: &'c mut Context) -> &'c mut TmMsg {
    if ctx.ext::<TmMsg>().is_none() {
        ctx.set_ext(TmMsg::default());
    }
    ctx.ext_mut::<TmMsg>().expect("just set")
}

/// The transaction of the message in `ctx`, if any.
pub fn current_tx(ctx: &Context) -> Option<TxRef> {
    ctx.ext::<TmMsg>().and_then(|m| m.tx.clone())
}
