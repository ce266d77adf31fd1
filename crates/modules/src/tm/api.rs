//! What tm offers other modules: `signaling`'s `send_reply` replies through the transaction
//! when the request has one; `uac`'s `uac_auth` reads the challenge a branch received;
//! `rtpengine_manage` looks at the request a reply answers; `uac_redirect` reads the 3xx
//! replies of the latest round of branches; `presence` replies with the To-tag of its
//! subscription dialogs and originates its NOTIFYs as client transactions, as
//! `uac_registrant` does its REGISTERs.

use std::net::SocketAddr;
use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::reply::reply_builder;

use siplua_sip::Message;
use siplua_transport::Transports;

use super::local::{LocalCallback, LocalRequest};
use super::shared::{current_tx, msg_state, FinalCallback, TmShared};

/// tm's published API.
pub struct TmApi {
    shared: Arc<TmShared>,
}

impl TmApi {
    pub(super) fn new(shared: Arc<TmShared>) -> TmApi {
        TmApi { shared }
    }

    /// True when the message in `ctx` belongs to a transaction (after `t_newtran`/`t_relay`,
    /// or in a failure route).
    pub fn has_transaction(&self, ctx: &Context) -> bool {
        current_tx(ctx).is_some()
    }

    /// Registers a callback for the final reply of the message's transaction (now, or once
    /// `t_relay` creates it).
    pub fn on_final(&self, ctx: &mut Context, callback: FinalCallback) {
        match current_tx(ctx) {
            Some(tx) => tx.state.lock().on_final.push(callback),
            None => msg_state(ctx).on_final.push(callback),
        }
    }

    /// Runs `f` on the request of the message's transaction (the INVITE a reply answers in
    /// an onreply route); `None` without a transaction.
    pub fn with_request<T>(&self, ctx: &Context, f: impl FnOnce(&Message) -> T) -> Option<T> {
        current_tx(ctx).map(|tx| f(&tx.request))
    }

    /// Replies through the transaction (`t_reply`).
    pub fn reply(&self, ctx: &mut Context, code: i64, reason: &str) -> i32 {
        super::functions::t_reply(&self.shared, ctx, code, reason)
    }

    /// Replies through the message's transaction with `to_tag` as the To-tag (when the
    /// request has none), the script's queued reply headers and `headers` (lines ending in
    /// CRLF). Err without a transaction or when it could not be sent.
    pub fn reply_tagged(
        &self,
        ctx: &mut Context,
        code: u16,
        reason: &str,
        to_tag: &str,
        headers: &str,
    ) -> Result<(), String> {
        let tx = current_tx(ctx).ok_or("no transaction")?;
        let transports = ctx.worker.transports.clone().ok_or("no transports")?;
        let extra = format!("{}{headers}", ctx.reply_headers);
        let mut b = reply_builder(
            ctx.core,
            &tx.request,
            &tx.origin,
            tx.force_rport,
            code,
            reason,
        )
        .to_tag(to_tag);
        if !extra.is_empty() {
            b = b.extra_headers(&extra);
        }
        let bytes = b
            .build()
            .map_err(|e| format!("cannot build {code} reply: {e}"))?;
        super::uas::send_built(&self.shared, &transports, &tx, code, bytes)?;
        ctx.replied = Some(code);
        Ok(())
    }

    /// Originates a request as a non-INVITE client transaction (Via, retransmissions over
    /// UDP, a local 408 after `fr_timeout`); `callback` gets its final status and reply once.
    /// The caller writes the rest of the request (Call-ID, CSeq, From tag, credentials) and
    /// may name the socket to send from; over TCP/TLS a connection is opened when none is.
    /// Returns the address the request went to; Err when it could not be sent (the callback
    /// is then never called). Call it holding no lock the callback takes: the final reply
    /// may arrive on another thread before this returns.
    pub fn send_request(
        &self,
        transports: &Arc<Transports>,
        request: LocalRequest,
        callback: LocalCallback,
    ) -> Result<SocketAddr, String> {
        super::local::send(&self.shared, transports, request, callback)
    }

    /// In a failure route: the final reply received on the branch whose status the route
    /// runs for (the last such branch), with the Request-URI that branch was sent to. `None`
    /// when that status was generated here (a timeout) or outside a failure route.
    pub fn failed_reply(&self, ctx: &Context) -> Option<(Message, String)> {
        let code = ctx.replied?;
        let tx = current_tx(ctx)?;
        let state = tx.state.lock();
        let (_, b) = state
            .relayed()
            .filter(|(_, b)| b.status == code && !b.local && b.final_reply.is_some())
            .last()?;
        let uri = b.sent_message()?.ruri_str()?.to_owned();
        Some((b.final_reply.clone()?, uri))
    }

    /// In a failure route: the 3xx final replies received on the branches of the latest round
    /// (those the last `t_relay` sent), oldest branch first.
    pub fn redirect_replies(&self, ctx: &Context) -> Vec<Message> {
        let Some(tx) = current_tx(ctx) else {
            return Vec::new();
        };
        let state = tx.state.lock();
        state
            .relayed()
            .filter(|(i, b)| *i >= state.first_branch && (300..400).contains(&b.status) && !b.local)
            .filter_map(|(_, b)| b.final_reply.clone())
            .collect()
    }
}
