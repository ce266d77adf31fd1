//! Sending replies to received requests without a transaction (what `sl_send_reply`,
//! `send_reply` outside tm, and the core's automatic 400s do).
//!
//! The reply is built from the request (RFC 3261 §8.2.6) with the headers the script queued
//! (`append_to_reply`, Lua's `add_lump_rpl`) and the configured `Server:` header, and sent
//! where RFC 3261 §18.2.2 and RFC 3581 say: back on the TCP connection the request came on,
//! or for UDP to the source address — at the source port when the Via asks for `rport` (or
//! the script called `force_rport()`), else at the Via's sent-by port. The top Via of the
//! reply says where the request came from (`received`, `rport`: [`via_stamp`]).

use siplua_sip::headers::Via;
use siplua_sip::partial::PartialMessage;
use siplua_sip::reply::ReplyBuilder;
use siplua_sip::via_stamp::ViaStamp;
use siplua_sip::{first_list_value, HeaderKind, Message};
use siplua_transport::{Destination, Proto, Received, Transports};

use crate::context::{Context, Origin};
use crate::engine::Core;
use crate::worker::WorkerState;

/// Sends a stateless reply to the request in `ctx`, recording the code in `ctx.replied`.
pub fn send_reply(ctx: &mut Context, code: u16, reason: &str) -> Result<(), String> {
    let msg = ctx.msg.ok_or("no request to reply to")?;
    if !msg.is_request() {
        return Err("the message is a reply; only requests can be answered".into());
    }
    let origin = ctx.origin.ok_or("the request has no origin to reply to")?;
    let WorkerState {
        transports,
        reply_buf: out,
        ..
    } = &mut *ctx.worker;
    let transports = transports.as_ref().ok_or("transports are not running")?;
    let mut builder = reply_builder(ctx.core, msg, &origin, ctx.force_rport, code, reason);
    if !ctx.reply_headers.is_empty() {
        builder = builder.extra_headers(&ctx.reply_headers);
    }
    out.clear();
    builder
        .build_into(out)
        .map_err(|e| format!("cannot build {code} reply: {e}"))?;
    let dst = reply_destination(msg, &origin, ctx.force_rport);
    transports
        .send(&dst, out)
        .map_err(|e| format!("cannot send {code} reply to {}: {e}", dst.addr))?;
    ctx.replied = Some(code);
    Ok(())
}

/// How every reply siplua builds to a request starts (stateless, tm's local ones, presence's):
/// the top Via stamped with the request's source ([`via_stamp`]) and the configured `Server:`
/// header; the caller adds its headers, To-tag or body.
pub fn reply_builder<'a>(
    core: &'a Core,
    msg: &'a Message,
    origin: &Origin,
    force_rport: bool,
    code: u16,
    reason: &'a str,
) -> ReplyBuilder<'a> {
    let mut builder = ReplyBuilder::new(msg, code, reason);
    if let Some(stamp) = via_stamp(msg, origin, force_rport) {
        builder = builder.stamp_via(stamp);
    }
    if let Some(server) = core.config.server_header.as_deref() {
        builder = builder.server(server);
    }
    builder
}

/// What the top Via of a reply to `msg` gains (RFC 3261 §18.2.1, RFC 3581): `received` when
/// the request's sent-by host is not its source address, the source port in an `rport` the
/// request asked for (or that `force_rport()` forced). OpenSIPS and Kamailio add both to every
/// reply; clients behind NAT learn their public address from them.
pub fn via_stamp(msg: &Message, origin: &Origin, force_rport: bool) -> Option<ViaStamp> {
    ViaStamp::for_message(msg, origin.src, force_rport)
}

/// Where a reply to `msg` goes (RFC 3261 §18.2.2, RFC 3581).
pub fn reply_destination(msg: &Message, origin: &Origin, force_rport: bool) -> Destination {
    let mut addr = origin.src;
    if origin.proto == Proto::Udp {
        if let Ok(port) = msg.top_via_port() {
            let sent_by = port.unwrap_or(5060);
            // When the Via names the source port, `rport` changes nothing: the whole Via (and
            // its parameters) is only looked at otherwise, which saves rebuilding it for most
            // replies.
            let rport = || msg.top_via().is_ok_and(|via| via.rport().is_some());
            if sent_by != addr.port() && !(force_rport || rport()) {
                addr.set_port(sent_by);
            }
        }
    }
    Destination {
        proto: origin.proto,
        addr,
        socket: Some(origin.socket),
        conn: origin.conn,
    }
}

/// Answers a request that did not parse with a 400 built from what could be read of it.
pub fn send_partial_400(
    core: &Core,
    transports: &Transports,
    rcv: &Received,
    origin: Origin,
    partial: &PartialMessage,
    reason: &str,
) -> Result<(), String> {
    let mut builder = ReplyBuilder::from_partial(partial, 400, reason);
    if let Some(stamp) = partial_via_stamp(partial, &origin) {
        builder = builder.stamp_via(stamp);
    }
    if let Some(server) = core.config.server_header.as_deref() {
        builder = builder.server(server);
    }
    let bytes = builder
        .build()
        .map_err(|e| format!("cannot build 400: {e}"))?;
    let mut dst = Destination::reply_to(rcv);
    dst.socket = Some(origin.socket);
    transports
        .send(&dst, &bytes)
        .map_err(|e| format!("cannot send 400 to {}: {e}", dst.addr))
}

/// [`via_stamp`] for a request that did not parse whole, when its first Via did.
fn partial_via_stamp(partial: &PartialMessage, origin: &Origin) -> Option<ViaStamp> {
    let header = partial
        .headers()
        .iter()
        .find(|h| h.kind() == HeaderKind::Via)?;
    let value = partial.buffer().get(header.value_span().range())?;
    let via = Via::parse(first_list_value(std::str::from_utf8(value).ok()?)).ok()?;
    ViaStamp::for_request(&via, origin.src, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use siplua_transport::SocketId;

    fn origin(proto: Proto, src: &str) -> Origin {
        Origin {
            src: src.parse().unwrap(),
            socket: SocketId(0),
            proto,
            conn: None,
        }
    }

    fn dest(via: &str, proto: Proto, force_rport: bool) -> u16 {
        let raw = format!(
            "OPTIONS sip:a@b SIP/2.0\r\nVia: {via}\r\nFrom: <sip:c@d>;tag=1\r\n\
             To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"
        );
        let mut msg = Message::parse_slice(raw.as_bytes()).unwrap();
        msg.remember_views();
        let o = origin(proto, "192.0.2.1:6000");
        reply_destination(&msg, &o, force_rport).addr.port()
    }

    #[test]
    fn udp_reply_port() {
        let udp = Proto::Udp;
        assert_eq!(dest("SIP/2.0/UDP h:5070;branch=z9hG4bK1", udp, false), 5070);
        assert_eq!(dest("SIP/2.0/UDP h;branch=z9hG4bK1", udp, false), 5060);
        assert_eq!(
            dest("SIP/2.0/UDP h:5070;rport;branch=z9hG4bK1", udp, false),
            6000
        );
        assert_eq!(dest("SIP/2.0/UDP h:5070;branch=z9hG4bK1", udp, true), 6000);
        assert_eq!(dest("SIP/2.0/UDP h:6000;branch=z9hG4bK1", udp, false), 6000);
        assert_eq!(
            dest("SIP/2.0/TCP h:5070;branch=z9hG4bK1", Proto::Tcp, false),
            6000
        );
    }
}
