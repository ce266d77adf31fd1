//! `rtpproxy_engage`: one call on the initial INVITE moves the whole dialog's media through
//! the proxy. The dialog module shows the engagement every later message of the dialog;
//! each one carrying SDP becomes an offer or an answer, and the session is deleted when the
//! dialog ends (BYE, failed call, lifetime).

use std::sync::Arc;

use parking_lot::Mutex;
use siplua_core::context::Context;
use siplua_sip::Message;

use super::flags::Flags;
use super::sdp;
use super::session::{Outputs, Shared, Side};
use crate::dialog::{DialogApi, Direction};

/// What an INVITE without SDP leaves pending: the reply to it carries the offer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// The From tag and CSeq number of that INVITE (`None`: no late offer pending).
    late: Option<(String, u32)>,
}

/// Whether a message of an engaged dialog is an offer, an answer, or neither; `has_sdp`
/// says whether its body is an SDP. An INVITE without SDP makes its reply the offer (a late
/// offer) and the ACK or PRACK the answer; a request with SDP is otherwise an offer and a
/// 1xx/2xx reply with SDP an answer.
pub fn side_of(msg: &Message, has_sdp: bool, pending: &mut Pending) -> Option<Side> {
    let cseq = msg.cseq().ok()?;
    let from_tag = msg.from().ok()?.tag().unwrap_or("").to_owned();
    if msg.is_request() {
        let method = msg.method_str()?;
        if method == "INVITE" && !has_sdp {
            pending.late = Some((from_tag, cseq.number));
            return None;
        }
        if !has_sdp {
            return None;
        }
        return Some(match method {
            "ACK" | "PRACK" => Side::Answer,
            _ => Side::Offer,
        });
    }
    let code = msg.status_code()?;
    if !has_sdp || !(101..300).contains(&code) {
        return None;
    }
    let late = pending.late.as_ref() == Some(&(from_tag, cseq.number)) && cseq.method == "INVITE";
    Some(if late { Side::Offer } else { Side::Answer })
}

/// One engaged dialog: the script's arguments, kept for every later message.
pub struct Engaged {
    shared: Arc<Shared>,
    flags: Flags,
    ip: Option<String>,
    set: Option<i64>,
    call_id: String,
    caller_tag: String,
    /// The late offer pending, and the callee's tag once a message carried it.
    state: Mutex<(Pending, String)>,
}

impl Engaged {
    /// Offer or answer for one message; the callee's tag is noted for the final `D`.
    fn on_message(&self, ctx: &mut Context, outputs: &Outputs) -> i32 {
        let Some(msg) = ctx.msg.as_ref() else {
            return -1;
        };
        let body = ctx.edits.body(msg);
        let has_sdp = std::str::from_utf8(body).is_ok_and(sdp::is_sdp);
        let side = {
            let mut state = self.state.lock();
            let tags = [
                msg.from().ok().and_then(|f| f.tag()),
                msg.to().ok().and_then(|t| t.tag()),
            ];
            if let Some(callee) = tags
                .into_iter()
                .flatten()
                .find(|t| !t.is_empty() && *t != self.caller_tag)
            {
                callee.clone_into(&mut state.1);
            }
            side_of(msg, has_sdp, &mut state.0)
        };
        match side {
            Some(side) => self.shared.engage(
                ctx,
                side,
                &self.flags,
                self.ip.as_deref(),
                self.set,
                outputs,
            ),
            None => 1,
        }
    }

    /// The dialog ended: the session is deleted.
    fn ended(&self) {
        let callee = self.state.lock().1.clone();
        if self
            .shared
            .delete(&self.call_id, &self.caller_tag, &callee, self.set)
            .is_some()
        {
            siplua_core::log::emit(
                siplua_core::log::level::DBG,
                "rtpproxy",
                &format!(
                    "dialog of {} ended: RTP proxy session deleted",
                    self.call_id
                ),
            );
        }
    }
}

/// `rtpproxy_engage(...)` on an initial INVITE: its offer (when it has SDP) goes to the
/// proxy now, and the dialog (created when the script did not) is followed from here on.
/// 1; -1 outside an initial INVITE, when the offer failed or no dialog could be made.
/// Engaging the same dialog again (a retransmitted INVITE) offers again but watches once.
pub fn engage(
    shared: &Arc<Shared>,
    dialogs: &DialogApi,
    ctx: &mut Context,
    flags: Flags,
    ip: Option<String>,
    set: Option<i64>,
    outputs: &Outputs,
) -> i32 {
    let fail = |text: &str| {
        siplua_core::log::emit(siplua_core::log::level::ERR, "rtpproxy", text);
        -1
    };
    let key = match dialogs.create(ctx) {
        Ok(key) => key,
        Err(e) => return fail(&format!("rtpproxy_engage: {e}")),
    };
    let engaged = Arc::new(Engaged {
        shared: shared.clone(),
        flags,
        ip,
        set,
        call_id: key.0.clone(),
        caller_tag: key.1.clone(),
        state: Mutex::new((Pending::default(), String::new())),
    });
    if engaged.on_message(ctx, outputs) < 0 {
        return -1;
    }
    let on_end = engaged.clone();
    // A retransmitted INVITE's offer was sent again above; the dialog is watched already.
    dialogs.watch(
        &key,
        "rtpproxy",
        Arc::new(move |ctx: &mut Context, _: Direction| {
            engaged.on_message(
                ctx,
                &Outputs {
                    sock: None,
                    ret: None,
                },
            );
        }),
        Box::new(move || on_end.ended()),
    );
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(start: &str, from_tag: &str, cseq: &str) -> Message {
        let text = format!(
            "{start}\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
             From: <sip:a@x>;tag={from_tag}\r\nTo: <sip:b@y>;tag=tt\r\n\
             Call-ID: c1\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
        );
        Message::parse_slice(text.as_bytes()).unwrap()
    }

    #[test]
    fn an_early_offer_is_answered_by_the_reply() {
        let mut p = Pending::default();
        let invite = msg("INVITE sip:b@y SIP/2.0", "ft", "1 INVITE");
        assert_eq!(side_of(&invite, true, &mut p), Some(Side::Offer));
        let ok = msg("SIP/2.0 200 OK", "ft", "1 INVITE");
        assert_eq!(side_of(&ok, true, &mut p), Some(Side::Answer));
        // No SDP, or a 100 or a failure: nothing to do.
        assert_eq!(side_of(&ok, false, &mut p), None);
        let trying = msg("SIP/2.0 100 Trying", "ft", "1 INVITE");
        assert_eq!(side_of(&trying, true, &mut p), None);
        let busy = msg("SIP/2.0 486 Busy", "ft", "1 INVITE");
        assert_eq!(side_of(&busy, true, &mut p), None);
    }

    #[test]
    fn a_late_offer_comes_in_the_reply_and_is_answered_by_the_ack() {
        let mut p = Pending::default();
        let invite = msg("INVITE sip:b@y SIP/2.0", "ft", "1 INVITE");
        assert_eq!(side_of(&invite, false, &mut p), None);
        let ok = msg("SIP/2.0 200 OK", "ft", "1 INVITE");
        assert_eq!(side_of(&ok, true, &mut p), Some(Side::Offer));
        let ack = msg("ACK sip:b@y SIP/2.0", "ft", "1 ACK");
        assert_eq!(side_of(&ack, true, &mut p), Some(Side::Answer));
        // The callee's re-INVITE with SDP is an offer again; its 200 the answer.
        let reinvite = msg("INVITE sip:a@x SIP/2.0", "tt", "7 INVITE");
        assert_eq!(side_of(&reinvite, true, &mut p), Some(Side::Offer));
        let ok = msg("SIP/2.0 200 OK", "tt", "7 INVITE");
        assert_eq!(side_of(&ok, true, &mut p), Some(Side::Answer));
    }
}
