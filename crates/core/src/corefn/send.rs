//! `send(destination[, headers])`: sends the message as it was received, statelessly, to
//! `[proto:]host[:port]` (or a SIP URI), as OpenSIPS' core does: no Via is added and the
//! script's changes are not applied; `headers` (ending in CRLF, variables expanded) are
//! added after the last header. Not for proxying (that is `forward()`). 1 sent, -1 not
//! (logged).

use crate::context::Context;
use crate::forward::{pick_socket, resolve};
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::RouteMask;
use siplua_transport::Destination;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "send",
        vec![
            ParamSpec::req("destination", ParamKind::Str),
            ParamSpec::opt("headers", ParamKind::Str),
        ],
        RouteMask::ALL,
        |ctx: &mut Context, args: &Args| match send(ctx, args) {
            Ok(()) => 1,
            Err(e) => {
                crate::log::emit(crate::log::level::ERR, "core", &format!("send: {e}"));
                -1
            }
        },
    )]
}

/// The received bytes with `headers` put where the header section ends.
fn with_headers(msg: &siplua_sip::Message, headers: &str) -> Vec<u8> {
    let raw = msg.as_bytes();
    if headers.is_empty() {
        return raw.to_vec();
    }
    let at = msg.head_end().min(raw.len());
    let mut out = Vec::with_capacity(raw.len() + headers.len() + 2);
    out.extend_from_slice(&raw[..at]);
    out.extend_from_slice(headers.as_bytes());
    if !msg.has_blank_line() {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&raw[at..]);
    out
}

fn send(ctx: &mut Context, args: &Args) -> Result<(), String> {
    let msg = ctx.msg.ok_or("no message to send")?;
    let dest = args.str(ctx, 0).unwrap_or_default().into_owned();
    let headers = args.str(ctx, 1).map(|h| h.into_owned()).unwrap_or_default();
    let transports = ctx
        .worker
        .transports
        .clone()
        .ok_or("transports are not running")?;
    let target = resolve(&dest)?;
    let socket = pick_socket(&transports, &target, ctx.send_socket).ok_or_else(|| {
        format!(
            "no {} socket to send to {}",
            target.proto.as_str(),
            target.addr
        )
    })?;
    let dst = Destination {
        proto: target.proto,
        addr: target.addr,
        socket: Some(socket.id),
        conn: None,
    };
    transports
        .send(&dst, &with_headers(msg, &headers))
        .map_err(|e| format!("cannot send to {}: {e}", target.addr))
}
