//! What other modules use of the dialog module: `load_balancer` creates the dialog of the
//! call it balances (as `create_dialog()` would) and counts calls per destination with a
//! profile, read back while the dialogs are active; `rtpproxy_engage` watches the messages
//! of the dialog it engaged and hears when it ends; `sst` hooks each dialog's creation
//! ([`Table::on_created`]) and sets its lifetime to the negotiated session interval.

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::engine::Core;
use siplua_sip::Message;

use super::table::{Current, Direction, EndWatcher, Key, MessageWatcher, Table};
use crate::tm::api::TmApi;
use crate::tm::FinalInfo;

/// Ends the dialog when its INVITE's transaction is dropped without a final reply (the
/// script answered statelessly or never relayed it).
struct EndUnlessAnswered {
    table: Arc<Table>,
    key: Option<Key>,
}

impl Drop for EndUnlessAnswered {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.table.end(&key);
        }
    }
}

/// Creates the dialog of the initial INVITE in `ctx` (or returns the one already made for
/// it), following its transaction's final reply.
pub fn create(ctx: &mut Context, table: &Arc<Table>, timeout: Duration) -> Result<Key, String> {
    let Some(msg) = ctx.msg.as_ref() else {
        return Err("no message".into());
    };
    if msg.method_str() != Some("INVITE") {
        return Err("only an INVITE creates a dialog".into());
    }
    if let Some(cur) = ctx.ext::<Current>() {
        return Ok(cur.key.clone());
    }
    let Some(key) = table.create(msg, timeout) else {
        return Err("the INVITE has no Call-ID or From tag, or has a To tag".into());
    };
    ctx.set_ext(Current {
        key: key.clone(),
        dir: Direction::Downstream,
    });
    if let Some(tm) = ctx.core.apis.get::<TmApi>() {
        let guard = EndUnlessAnswered {
            table: table.clone(),
            key: Some(key.clone()),
        };
        tm.on_final(
            ctx,
            Box::new(move |info: &FinalInfo| {
                let mut guard = guard;
                if let Some(key) = guard.key.take() {
                    guard.table.reply(&key, info.code, Some(info.to_tag));
                }
            }),
        );
    }
    table.run_created(ctx, &key);
    Ok(key)
}

/// The published API (see [`siplua_core::module::Apis`]).
pub struct DialogApi {
    /// Every dialog.
    pub table: Arc<Table>,
    /// `default_timeout`.
    pub timeout: Duration,
}

impl DialogApi {
    /// [`create`] with the module's table and lifetime.
    pub fn create(&self, ctx: &mut Context) -> Result<Key, String> {
        create(ctx, &self.table, self.timeout)
    }

    /// Has `watcher` (of module `module`) see every later message of dialog `key` and
    /// `on_end` run when it ends; false when the dialog does not exist, has ended, or the
    /// module watches it already (a retransmitted INVITE).
    pub fn watch(
        &self,
        key: &Key,
        module: &'static str,
        watcher: MessageWatcher,
        on_end: EndWatcher,
    ) -> bool {
        self.table
            .with(key, |d| {
                if !d.active() || d.watchers.iter().any(|(m, _)| *m == module) {
                    return false;
                }
                d.watchers.push((module, watcher));
                d.on_end.push(on_end);
                true
            })
            .unwrap_or(false)
    }

    /// Sets the lifetime of dialog `key` to `secs` from now, as `$DLG_timeout = secs` does
    /// (its timeout route, if any, runs then); false when there is no such dialog. `sst`
    /// sets the negotiated session interval this way.
    pub fn set_lifetime(&self, core: &Core, key: &Key, secs: u64) -> bool {
        let found = self
            .table
            .with(key, |d| {
                d.timeout = d.start.elapsed() + Duration::from_secs(secs);
            })
            .is_some();
        if found {
            super::timeout::rearm(core, &self.table, key);
        }
        found
    }

    /// The key of the dialog a request belongs to, going by its Call-ID and From tag (the
    /// INVITE and, in a failure route, the request being retried).
    pub fn key_of(msg: &Message) -> Option<Key> {
        let call_id = msg.call_id().ok()?.to_owned();
        let tag = msg.from().ok()?.tag()?.to_owned();
        Some((call_id, tag))
    }
}
