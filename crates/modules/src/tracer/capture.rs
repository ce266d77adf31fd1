//! The tracer's shared state and what it captures: received messages (the `on_message`
//! hook and `trace()` itself) and sent ones (the transports' send tap), each checked against
//! the [`Table`] of traced calls and sent to the trace id's destinations.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use siplua_core::context::Context;
use siplua_sip::Message;
use siplua_transport::{Proto, Sent};

use super::dest::{Outputs, TraceDest};
use super::scope::Scope;
use super::table::{Seen, Table, Targets};
use crate::proto_hep::encode::Capture;

/// Everything the hooks and `trace()` share.
pub struct Tracer {
    /// Trace ids by name.
    pub ids: HashMap<String, TraceId>,
    /// Where captures go.
    pub outputs: Outputs,
    /// The traced calls.
    pub table: Table,
    /// `trace_on` (global switch).
    pub on: AtomicBool,
    /// `trace_local_ip`: the source reported for the messages siplua sends.
    pub local_ip: Option<SocketAddr>,
    /// The scope of a `trace()` without one: dialog with the dialog module, else transaction
    /// with tm, else message.
    pub default_scope: Scope,
}

/// One trace id: its destinations and its own on/off switch (MI `trace`).
pub struct TraceId {
    /// Where its captures go.
    pub dests: Arc<[TraceDest]>,
    /// The destinations as configured (`hep:NAME`, `sip:ADDR`), for MI listings.
    pub uris: Vec<String>,
    /// Whether `trace()` with this id traces.
    pub on: AtomicBool,
}

/// Set on a message's context once it was captured, so a `trace()` after the hook (or a
/// second `trace()`) does not send it twice.
pub struct Captured;

impl Tracer {
    /// True when captures are to be sent now.
    pub fn enabled(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// The `on_message` hook: a received message of a traced call is captured.
    pub fn on_received(&self, ctx: &mut Context) {
        if self.table.is_empty() || !self.enabled() {
            return;
        }
        let Some(msg) = ctx.msg else { return };
        let Some(targets) = seen(msg, false).and_then(|s| self.table.matches(&s)) else {
            return;
        };
        self.capture_received(ctx, &targets);
    }

    /// Sends the message of `ctx`, as received, to `targets` (once per message).
    pub fn capture_received(&self, ctx: &mut Context, targets: &Targets) {
        if ctx.ext::<Captured>().is_some() {
            return;
        }
        let (Some(msg), Some(origin), Some(local)) =
            (ctx.msg, ctx.origin, ctx.received_on().map(|s| s.addr))
        else {
            return;
        };
        let call_id = msg.call_id().ok();
        self.outputs.send(
            &targets.dests,
            &Capture {
                ip_proto: ip_proto(origin.proto),
                src: origin.src,
                dst: local,
                time: SystemTime::now(),
                payload: msg.as_bytes(),
                correlation: targets.correlation.as_deref().or(call_id),
            },
        );
        ctx.set_ext(Captured);
    }

    /// The send tap: a sent message of a traced call is captured.
    pub fn on_sent(&self, sent: &Sent) {
        if self.table.is_empty() || !self.enabled() {
            return;
        }
        if !quick_call_id(sent.data).is_some_and(|id| self.table.contains(id)) {
            return;
        }
        let Ok(msg) = Message::parse_slice(sent.data) else {
            return;
        };
        let Some(targets) = seen(&msg, true).and_then(|s| self.table.matches(&s)) else {
            return;
        };
        let call_id = msg.call_id().ok();
        self.outputs.send(
            &targets.dests,
            &Capture {
                ip_proto: ip_proto(sent.proto),
                src: self.local_ip.unwrap_or(sent.local),
                dst: sent.peer,
                time: SystemTime::now(),
                payload: sent.data,
                correlation: targets.correlation.as_deref().or(call_id),
            },
        );
    }
}

/// The Call-ID of a message about to be parsed, found by a scan of its header lines (long
/// or compact name), so that sent messages of untraced calls are not parsed at all.
fn quick_call_id(data: &[u8]) -> Option<&str> {
    let head = data.split(|&b| b == b'\n');
    for line in head.skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if name.eq_ignore_ascii_case(b"call-id") || name.eq_ignore_ascii_case(b"i") {
            return std::str::from_utf8(line[colon + 1..].trim_ascii()).ok();
        }
    }
    None
}

/// How the table sees `msg`; `None` without a usable Call-ID or CSeq.
pub fn seen(msg: &Message, outgoing: bool) -> Option<Seen<'_>> {
    let cseq = msg.cseq().ok()?;
    Some(Seen {
        call_id: msg.call_id().ok()?,
        cseq: cseq.number,
        method: cseq.method,
        status: msg.status_code(),
        outgoing,
    })
}

/// HEP's IP protocol number for a SIP transport (17 UDP; 6 for the stream ones).
fn ip_proto(p: Proto) -> u8 {
    match p {
        Proto::Udp => 17,
        _ => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::quick_call_id;

    #[test]
    fn call_id_by_either_name() {
        let m = b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\nCall-ID:  abc@h \r\n\r\n";
        assert_eq!(quick_call_id(m), Some("abc@h"));
        let m = b"SIP/2.0 200 OK\r\ni: short\r\n\r\n";
        assert_eq!(quick_call_id(m), Some("short"));
        let m = b"SIP/2.0 200 OK\r\nVia: x\r\n\r\nCall-ID: in-body\r\n";
        assert_eq!(quick_call_id(m), None);
    }
}
