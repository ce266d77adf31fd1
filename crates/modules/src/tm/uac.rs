//! The client side: sending a branch, retransmitting it (Timers A and E), its final-response
//! timer (408 on timeout), and the CANCEL and ACK requests tm builds for a branch.
//!
//! Timer jobs hold the transaction weakly: a cancelled job waits in the timer queue until
//! its deadline (up to `fr_inv_timeout`), and must not keep a finished transaction alive.

use std::sync::Arc;
use std::time::Duration;

use siplua_core::forward::{
    mark_received, pick_socket, resolve_all, via_value, Advertised, Target,
};
use siplua_core::timer::TimerCtx;
use siplua_sip::digits::Digits;
use siplua_sip::edit::{Edits, Position};
use siplua_sip::{HeaderKind, Message};
use siplua_transport::{Destination, Proto, SocketId, Transports};

use super::completion;
use super::shared::TmShared;
use super::tx::{Branch, TxRef, TxState};

/// What one branch is to be: its Request-URI, next hop and the edits to apply.
#[derive(Clone)]
pub struct BranchSpec {
    /// Request-URI.
    pub uri: String,
    /// Next hop (`$du`), if not the URI.
    pub dst_uri: Option<String>,
    /// Explicit destination given to `t_relay(dest)`.
    pub dest: Option<String>,
    /// Branch flags.
    pub flags: u64,
    /// Edits of the request route (and of the branch route).
    pub edits: Edits,
    /// Forced local socket.
    pub socket: Option<SocketId>,
    /// Address and port advertised instead of the socket's (`set_advertised_*`).
    pub advertised: Advertised,
    /// A `t_replicate` copy (see [`Branch::replica`]).
    pub replica: bool,
}

/// Builds, sends and files one branch to the first target its destination resolves to
/// (RFC 3263); the other targets are kept for DNS failover. Starts its timers.
pub fn start_branch(
    shared: &Arc<TmShared>,
    transports: &Arc<Transports>,
    tx: &TxRef,
    spec: BranchSpec,
) -> Result<(), String> {
    let dest = spec
        .dest
        .as_deref()
        .or(spec.dst_uri.as_deref())
        .unwrap_or(&spec.uri);
    let mut targets = resolve_all(dest)?;
    let target = targets.remove(0);
    send_branch(shared, transports, tx, spec, target, targets)
}

/// DNS failover (OpenSIPS' default, off with `disable_dns_failover`): when branch `index`
/// ended with a 503 or a timeout and its destination resolved to more targets, the same
/// branch is sent again to the next one. True when a new branch went out.
pub fn failover(
    shared: &Arc<TmShared>,
    transports: &Arc<Transports>,
    tx: &TxRef,
    index: usize,
) -> bool {
    if !siplua_core::dns::failover_enabled() {
        return false;
    }
    let next = {
        let mut state = tx.state.lock();
        let Some(b) = state.branches.get_mut(index) else {
            return false;
        };
        if b.status != 503 && !(b.status == 408 && b.local) {
            return false;
        }
        b.failover.take()
    };
    let Some((spec, mut rest)) = next else {
        return false;
    };
    while !rest.is_empty() {
        let target = rest.remove(0);
        match send_branch(shared, transports, tx, spec.clone(), target, rest.clone()) {
            Ok(()) => return true,
            Err(e) => siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "tm",
                &format!("dns failover: {e}"),
            ),
        }
    }
    false
}

/// Sends `spec` to `target`, keeping `rest` for failover.
fn send_branch(
    shared: &Arc<TmShared>,
    transports: &Arc<Transports>,
    tx: &TxRef,
    spec: BranchSpec,
    target: Target,
    rest: Vec<Target>,
) -> Result<(), String> {
    let failover = (!rest.is_empty()).then(|| (spec.clone(), rest));
    let socket = pick_socket(transports, &target, spec.socket)
        .ok_or_else(|| format!("no {} socket to reach {}", target.proto, target.addr))?
        .clone();
    let mut state = tx.state.lock();
    let index = state.branches.len();
    let mut id = String::with_capacity(40);
    id.push_str("z9hG4bKtm");
    id.push_str(Digits::hex(u64::from(shared.salt)).as_str());
    id.push_str(Digits::hex(tx.id).as_str());
    id.push('.');
    id.push_str(itoa::Buffer::new().format(index));
    let replica = spec.replica;
    let mut edits = spec.edits;
    let mut extra_hdrs = String::new();
    for (name, value) in &state.extra_hdrs {
        edits
            .add_header(&tx.request, name, value, Position::End)
            .map_err(|e| format!("cannot add header {name}: {e}"))?;
        extra_hdrs.push_str(&format!("{name}: {value}\r\n"));
    }
    if tx.request.ruri_str() != Some(spec.uri.as_str()) {
        edits
            .set_ruri(&tx.request, &spec.uri)
            .map_err(|e| format!("cannot set Request-URI {}: {e}", spec.uri))?;
    }
    mark_received(&tx.request, tx.origin.src, tx.force_rport, &mut edits);
    edits
        .insert_via(&tx.request, &via_value(&socket, &spec.advertised, &id))
        .map_err(|e| format!("cannot add Via: {e}"))?;
    let bytes = edits.apply(&tx.request);
    let dst = Destination {
        proto: target.proto,
        addr: target.addr,
        socket: Some(socket.id),
        conn: None,
    };
    let sent = Arc::new(bytes);
    // Filed before it is sent: the reply may come back on another worker at once, and must
    // find its branch (it then waits for this lock until the branch is complete).
    shared.table.add_branch(id.clone(), tx.clone(), index);
    state.branches.push(Branch {
        id,
        target,
        socket: socket.id,
        sent: sent.clone(),
        status: 0,
        final_reply: None,
        local: false,
        cancel_sent: false,
        cancel_pending: false,
        retransmit: None,
        fr_timer: None,
        fr_generation: 0,
        failover,
        replica,
        extra_hdrs,
    });
    if let Err(e) = transports.send(&dst, &sent) {
        if let Some(branch) = state.branches.pop() {
            shared.table.remove_branch(&branch.id);
        }
        return Err(format!("cannot send to {}: {e}", target.addr));
    }
    shared.stats.uac_transactions.inc();
    if target.proto == Proto::Udp {
        arm_retransmit(shared, tx, &mut state, index, shared.params.t1);
    }
    let fr = state.fr;
    arm_fr(shared, tx, &mut state, index, fr);
    Ok(())
}

/// Timer A (INVITE, doubling) / Timer E (non-INVITE, doubling up to T2): resend until a reply
/// (for INVITE, a provisional one) or the final-response timer ends the branch.
fn arm_retransmit(
    shared: &Arc<TmShared>,
    tx: &TxRef,
    state: &mut TxState,
    index: usize,
    interval: Duration,
) {
    let (s, weak) = (shared.clone(), Arc::downgrade(tx));
    let handle = shared.timers.schedule(
        interval,
        Box::new(move |ctx: &mut TimerCtx| {
            let (Some(transports), Some(t)) = (ctx.worker.transports.clone(), weak.upgrade())
            else {
                return;
            };
            let mut state = t.state.lock();
            let Some(b) = state.branches.get(index) else {
                return;
            };
            if b.is_final() || (t.is_invite && b.status >= 100) {
                return;
            }
            let _ = transports.send(&b.destination(), &b.sent);
            let next = if t.is_invite {
                interval * 2
            } else {
                (interval * 2).min(s.params.t2)
            };
            arm_retransmit(&s, &t, &mut state, index, next);
        }),
    );
    if let Some(b) = state.branches.get_mut(index) {
        b.retransmit = Some(handle);
    }
}

/// (Re)starts the final-response timer of a branch.
pub fn arm_fr(
    shared: &Arc<TmShared>,
    tx: &TxRef,
    state: &mut TxState,
    index: usize,
    after: Duration,
) {
    let Some(b) = state.branches.get_mut(index) else {
        return;
    };
    if let Some(old) = b.fr_timer.take() {
        old.cancel();
    }
    b.fr_generation += 1;
    let generation = b.fr_generation;
    let (s, weak) = (shared.clone(), Arc::downgrade(tx));
    b.fr_timer = Some(shared.timers.schedule(
        after,
        Box::new(move |ctx: &mut TimerCtx| {
            if let Some(t) = weak.upgrade() {
                timeout(ctx, &s, &t, index, generation);
            }
        }),
    ));
}

/// No final reply in time: the branch ends with a local 408; a provisional branch of an
/// INVITE is cancelled downstream.
fn timeout(ctx: &mut TimerCtx, shared: &Arc<TmShared>, tx: &TxRef, index: usize, generation: u64) {
    let Some(transports) = ctx.worker.transports.clone() else {
        return;
    };
    {
        let mut state = tx.state.lock();
        let Some(b) = state.branches.get_mut(index) else {
            return;
        };
        if b.fr_generation != generation || b.is_final() {
            return;
        }
        let provisional = b.status >= 100;
        b.status = 408;
        b.local = true;
        b.stop_timers();
        if tx.is_invite && provisional && !b.cancel_sent {
            b.cancel_sent = true;
            send_cancel(&transports, b);
        }
    }
    if !failover(shared, &transports, tx, index) {
        completion::check(shared, ctx.core, ctx.worker, tx);
    }
}

/// Sends a CANCEL for a branch (RFC 3261 §9.1): same Request-URI, our Via with the branch's
/// id, From, To, Call-ID, CSeq number and Route as the INVITE sent.
pub fn send_cancel(transports: &Transports, b: &Branch) {
    if let Some(sent) = &b.sent_message() {
        let to = sent.get(HeaderKind::To).unwrap_or("");
        let bytes = hop_request(sent, "CANCEL", to, &b.extra_hdrs);
        let _ = transports.send(&b.destination(), &bytes);
    }
}

/// Sends the ACK for a negative final reply on a branch (RFC 3261 §17.1.1.3): hop by hop,
/// with the reply's To (and its tag).
pub fn send_ack(transports: &Transports, b: &Branch, reply: &Message) {
    if let Some(sent) = &b.sent_message() {
        let to = reply.get(HeaderKind::To).unwrap_or("");
        let bytes = hop_request(sent, "ACK", to, &b.extra_hdrs);
        let _ = transports.send(&b.destination(), &bytes);
    }
}

/// CANCEL or ACK derived from the request sent on a branch, with the branch's
/// `t_add_hdrs` lines (`extra`, each ending in CRLF).
fn hop_request(sent: &Message, method: &str, to: &str, extra: &str) -> Vec<u8> {
    let mut out = String::with_capacity(512);
    out.push_str(&format!(
        "{method} {} SIP/2.0\r\n",
        sent.ruri_str().unwrap_or("")
    ));
    if let Some(via) = sent.values(HeaderKind::Via).next() {
        out.push_str(&format!("Via: {}\r\n", via.text));
    }
    for (_, h) in sent.find_all(HeaderKind::Route) {
        out.push_str(&format!("Route: {}\r\n", sent.value_of(h)));
    }
    out.push_str(&format!(
        "From: {}\r\n",
        sent.get(HeaderKind::From).unwrap_or("")
    ));
    out.push_str(&format!("To: {to}\r\n"));
    out.push_str(&format!(
        "Call-ID: {}\r\n",
        sent.get(HeaderKind::CallId).unwrap_or("")
    ));
    let number = sent.cseq().map(|c| c.number).unwrap_or(1);
    out.push_str(extra);
    out.push_str(&format!(
        "CSeq: {number} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_keeps_branch_and_routes() {
        let raw = "INVITE sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKtm1.0\r\nVia: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKa\r\nRoute: <sip:r1;lr>\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:bob@h>\r\nCall-ID: cid\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
        let sent = Message::parse_slice(raw.as_bytes()).unwrap();
        let out =
            String::from_utf8(hop_request(&sent, "CANCEL", "<sip:bob@h>", "X-Org: 1\r\n")).unwrap();
        assert!(out.starts_with("CANCEL sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKtm1.0\r\nRoute: <sip:r1;lr>\r\n"), "{out}");
        assert!(out.contains("CSeq: 7 CANCEL\r\n"));
        assert!(out.contains("\r\nX-Org: 1\r\nCSeq: 7 CANCEL"), "{out}");
        assert!(!out.contains("z9hG4bKa"));
        let parsed = Message::parse_slice(out.as_bytes()).unwrap();
        assert!(siplua_sip::validate::check_request(&parsed).is_ok());
    }
}
