//! Requests siplua itself originates (presence's NOTIFYs, uac_registrant's REGISTERs), as
//! RFC 3261 §17.1.2 non-INVITE client transactions: tm adds the Via with a branch of its own,
//! sends the request, retransmits it over UDP (Timer E, doubling up to T2), ends it with a
//! local 408 after `fr_timeout` (Timer F), and hands the final status and reply to the
//! caller's callback once. Replies find the transaction by their top Via branch in tm's reply
//! hook.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use siplua_core::forward::{pick_socket, resolve, via_value, Advertised};
use siplua_core::timer::{TimerCtx, TimerHandle};
use siplua_sip::digits::Digits;
use siplua_sip::Message;
use siplua_transport::{Destination, Proto, SocketId, Transports};

use super::shared::TmShared;

/// Called once with the final status of a local request (a local 408 on timeout or when it
/// could not be sent) and the final reply when one was received.
pub type LocalCallback = Box<dyn FnOnce(u16, Option<&Message>) + Send>;

/// A request to originate: its text without any Via header and where it goes.
pub struct LocalRequest {
    /// The request line and headers (each line ending in CRLF, no Via), the blank line and
    /// the body: tm inserts its Via after the request line.
    pub text: String,
    /// The URI whose address the request is sent to (the first Route, or the Request-URI).
    pub next_hop: String,
    /// The local socket to send from, when it fits the next hop's transport.
    pub socket: Option<SocketId>,
}

/// One local client transaction.
struct LocalTx {
    bytes: Arc<Vec<u8>>,
    dst: Destination,
    state: Mutex<LocalState>,
}

#[derive(Default)]
struct LocalState {
    retransmit: Option<TimerHandle>,
    fr: Option<TimerHandle>,
    callback: Option<LocalCallback>,
}

/// The local client transactions still waiting for their final reply.
#[derive(Default)]
pub struct LocalTable {
    live: Mutex<HashMap<String, Arc<LocalTx>>>,
    next: AtomicU64,
}

/// The Via branch prefix of local requests.
const BRANCH: &str = "z9hG4bKtmL";

/// Sends `req` as a new client transaction; `callback` gets its final status. Returns the
/// address it was sent to. An error (no address, no socket, the send failed) is returned and
/// the callback is not called. No lock is held while sending (a TCP/TLS send may connect).
pub fn send(
    shared: &Arc<TmShared>,
    transports: &Arc<Transports>,
    req: LocalRequest,
    callback: LocalCallback,
) -> Result<SocketAddr, String> {
    let target = resolve(&req.next_hop)?;
    let socket = pick_socket(transports, &target, req.socket)
        .ok_or_else(|| format!("no {} socket to reach {}", target.proto, target.addr))?;
    let n = shared.local.next.fetch_add(1, Ordering::Relaxed);
    let mut branch = String::with_capacity(40);
    branch.push_str(BRANCH);
    branch.push_str(Digits::hex(u64::from(shared.salt)).as_str());
    branch.push('.');
    branch.push_str(itoa::Buffer::new().format(n));
    let via = via_value(socket, &Advertised::default(), &branch);
    let line_end = req
        .text
        .find("\r\n")
        .ok_or("the request has no request line")?;
    let mut text = String::with_capacity(req.text.len() + via.len() + 8);
    text.push_str(&req.text[..line_end + 2]);
    text.push_str("Via: ");
    text.push_str(&via);
    text.push_str("\r\n");
    text.push_str(&req.text[line_end + 2..]);
    let tx = Arc::new(LocalTx {
        bytes: Arc::new(text.into_bytes()),
        dst: Destination {
            proto: target.proto,
            addr: target.addr,
            socket: Some(socket.id),
            conn: None,
        },
        state: Mutex::new(LocalState {
            callback: Some(callback),
            ..LocalState::default()
        }),
    });
    shared.local.live.lock().insert(branch.clone(), tx.clone());
    if let Err(e) = transports.send(&tx.dst, &tx.bytes) {
        shared.local.live.lock().remove(&branch);
        return Err(format!("cannot send to {}: {e}", target.addr));
    }
    shared.stats.uac_transactions.inc();
    let mut state = tx.state.lock();
    if target.proto == Proto::Udp {
        state.retransmit = Some(arm_retransmit(shared, &branch, shared.params.t1));
    }
    let (s, id) = (shared.clone(), branch);
    state.fr = Some(shared.timers.schedule(
        shared.params.fr_timeout,
        Box::new(move |_: &mut TimerCtx| finish(&s, &id, 408, None)),
    ));
    Ok(target.addr)
}

/// Timer E: resends until the transaction ends, doubling the interval up to T2.
fn arm_retransmit(shared: &Arc<TmShared>, branch: &str, interval: Duration) -> TimerHandle {
    let (s, id) = (shared.clone(), branch.to_owned());
    shared.timers.schedule(
        interval,
        Box::new(move |ctx: &mut TimerCtx| {
            let Some(tx) = s.local.live.lock().get(&id).cloned() else {
                return;
            };
            if let Some(transports) = ctx.worker.transports.as_ref() {
                let _ = transports.send(&tx.dst, &tx.bytes);
            }
            let next = (interval * 2).min(s.params.t2);
            let handle = arm_retransmit(&s, &id, next);
            tx.state.lock().retransmit = Some(handle);
        }),
    )
}

/// Ends the transaction filed under `branch` with `code` (once: later calls find nothing).
fn finish(shared: &TmShared, branch: &str, code: u16, reply: Option<&Message>) {
    let Some(tx) = shared.local.live.lock().remove(branch) else {
        return;
    };
    let callback = {
        let mut state = tx.state.lock();
        for t in [state.retransmit.take(), state.fr.take()]
            .into_iter()
            .flatten()
        {
            t.cancel();
        }
        state.callback.take()
    };
    if let Some(cb) = callback {
        cb(code, reply);
    }
}

/// tm's reply hook for local requests: true when the reply belongs to one (it is consumed;
/// a final reply ends the transaction, a provisional one changes nothing).
pub fn on_reply(shared: &TmShared, branch: &str, reply: &Message) -> bool {
    if !branch.starts_with(BRANCH) {
        return false;
    }
    let code = reply.status_code().unwrap_or(0);
    if code >= 200 {
        finish(shared, branch, code, Some(reply));
    }
    true
}
