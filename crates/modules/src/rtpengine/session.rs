//! rtpengine's "ng" control protocol: a bencoded dictionary per command (`offer`, `answer`,
//! `delete`, `start recording`, ...) sent with the call's identifiers, the answer's SDP put
//! into the message (or a variable).

use std::collections::HashMap;

use serde_bencode::value::Value;
use siplua_core::context::Context;
use siplua_core::pv::CompiledPv;
use siplua_core::route_type::RouteType;
use siplua_core::value::Value as PvValue;
use siplua_script::AssignOp;
use siplua_sip::{Message, Method};

use super::flags::Flags;
use crate::media_proxy::pool::{Failure, Pool};
use crate::media_proxy::proxies::Proxy;
use crate::tm::api::TmApi;

/// The set `rtpengine_use_set` chose for the current message.
#[derive(Clone, Copy, Debug)]
pub struct ChosenSet(pub i64);

/// The module's shared state.
pub struct Shared {
    /// The engines of `rtpengine_sock`.
    pub pool: Pool,
}

/// Where the script wants results written, and the body to use instead of the message's.
#[derive(Default)]
pub struct Io<'a> {
    /// `sock_var`: the chosen rtpengine's control socket.
    pub sock: Option<&'a CompiledPv>,
    /// `sdp_var`: receives the new SDP instead of the message body.
    pub sdp: Option<&'a CompiledPv>,
    /// `body`: the SDP to send instead of the message's.
    pub body: Option<String>,
}

/// Whether a body is an SDP (has a `v=` line).
fn is_sdp(body: &[u8]) -> bool {
    std::str::from_utf8(body).is_ok_and(|b| b.lines().any(|l| l.starts_with("v=")))
}

fn error(text: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "rtpengine", text);
    -1
}

fn bytes(s: &str) -> Value {
    Value::Bytes(s.as_bytes().to_vec())
}

/// The branch of the Via that `via-branch` names (1: top, 2: second, auto: by direction).
fn via_branch(msg: &Message, which: &str) -> Option<String> {
    let index = match which {
        "1" => 0,
        "2" => 1,
        _ if msg.is_request() => 0,
        _ => 1,
    };
    let via = msg.vias().nth(index)?.ok()?;
    via.branch().map(str::to_owned)
}

impl Shared {
    /// Sends `dict` to the call's engine — in the set `rtpengine_use_set` chose, else set 0
    /// (or the first) — failing over to the next engine of the set while they do not
    /// answer; the engine and its answer when one took the command.
    fn run(
        &self,
        ctx: &Context,
        call_id: &str,
        dict: HashMap<Vec<u8>, Value>,
    ) -> Option<(&Proxy, HashMap<Vec<u8>, Value>)> {
        let payload = serde_bencode::to_bytes(&Value::Dict(dict))
            .map_err(|e| error(&format!("cannot encode the command: {e}")))
            .ok()?;
        let set = ctx.ext::<ChosenSet>().map(|c| c.0);
        self.pool
            .with_failover(set, call_id, |proxy| self.command(proxy, &payload))
    }

    /// Sends one command and returns the answer's dictionary when its result is ok.
    fn command(&self, proxy: &Proxy, payload: &[u8]) -> Result<HashMap<Vec<u8>, Value>, Failure> {
        let answer = self.pool.exchange(proxy, payload)?;
        let Ok(Value::Dict(reply)) = serde_bencode::from_bytes::<Value>(&answer) else {
            error(&format!(
                "rtpengine {} sent an answer that is not a dictionary",
                proxy.url
            ));
            return Err(Failure::Refused);
        };
        let field = |k: &str| match reply.get(k.as_bytes()) {
            Some(Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        match field("result").as_str() {
            "ok" | "pong" => {
                let warning = field("warning");
                if !warning.is_empty() {
                    siplua_core::log::emit(siplua_core::log::level::WARN, "rtpengine", &warning);
                }
                Ok(reply)
            }
            other => {
                error(&format!(
                    "rtpengine {} answered {other}: {}",
                    proxy.url,
                    field("error-reason")
                ));
                Err(Failure::Refused)
            }
        }
    }

    /// The command dictionary for this message: the flags' entries, then the call's
    /// identifiers and where the message came from (flags may override the tags).
    fn dictionary(ctx: &Context, command: &str, flags: &Flags) -> Option<HashMap<Vec<u8>, Value>> {
        let msg = ctx.msg.as_ref()?;
        let mut d = flags.entries.clone();
        d.insert(b"command".to_vec(), bytes(command));
        d.insert(b"call-id".to_vec(), bytes(msg.call_id().ok()?));
        let mut from_tag = msg.from().ok()?.tag().unwrap_or("").to_owned();
        let mut to_tag = msg.to().ok().and_then(|t| t.tag().map(str::to_owned));
        // rtpengine's from-tag is the offerer's: the callee's for an offer in a reply (late
        // offer) and for the answer in its ACK, as OpenSIPS swaps them.
        let swapped =
            (command == "offer" && !msg.is_request()) || (command == "answer" && msg.is_request());
        if swapped {
            let Some(callee) = to_tag.replace(from_tag) else {
                error(&format!("{command}: no To tag to name the other side"));
                return None;
            };
            from_tag = callee;
        }
        d.entry(b"from-tag".to_vec())
            .or_insert_with(|| bytes(&from_tag));
        if let Some(to_tag) = to_tag {
            d.entry(b"to-tag".to_vec())
                .or_insert_with(|| bytes(&to_tag));
        }
        if let Some(origin) = ctx.origin.as_ref() {
            let family = if origin.src.is_ipv6() { "IP6" } else { "IP4" };
            d.entry(b"received-from".to_vec()).or_insert_with(|| {
                Value::List(vec![bytes(family), bytes(&origin.src.ip().to_string())])
            });
        }
        if let Some(which) = &flags.via_branch {
            if let Some(branch) = via_branch(msg, which) {
                d.insert(b"via-branch".to_vec(), bytes(&branch));
            }
        }
        Some(d)
    }

    /// `rtpengine_offer` / `rtpengine_answer` (`command` is "offer" or "answer").
    pub fn offer_answer(&self, ctx: &mut Context, command: &str, flags: &Flags, io: &Io) -> i32 {
        let Some(msg) = ctx.msg.as_ref() else {
            return -1;
        };
        let sdp = match &io.body {
            Some(b) => b.clone(),
            None => String::from_utf8_lossy(ctx.edits.body(msg)).into_owned(),
        };
        if !sdp.lines().any(|l| l.starts_with("v=")) {
            return error(&format!("no SDP to {command}"));
        }
        if io.body.is_none() && crate::media_proxy::is_multipart(msg) {
            return error("multipart bodies are not supported: only a plain SDP body is");
        }
        let Some(mut dict) = Self::dictionary(ctx, command, flags) else {
            return error("no Call-ID or From tag");
        };
        dict.insert(b"sdp".to_vec(), bytes(&sdp));
        let call_id = msg.call_id().unwrap_or_default().to_owned();
        let Some((proxy, reply)) = self.run(ctx, &call_id, dict) else {
            return -1;
        };
        let Some(Value::Bytes(new_sdp)) = reply.get(&b"sdp"[..]) else {
            return error(&format!(
                "rtpengine {} answered the {command} without SDP",
                proxy.url
            ));
        };
        match io.sdp {
            Some(pv) => {
                let text = String::from_utf8_lossy(new_sdp).into_owned();
                let _ = pv.set(ctx, AssignOp::Set, PvValue::Str(text));
            }
            None => {
                if ctx.edits.replace_body(msg, new_sdp, None).is_err() {
                    return error(
                        "cannot replace the SDP body (already changed by another function?)",
                    );
                }
            }
        }
        if let Some(pv) = io.sock {
            let _ = pv.set(ctx, AssignOp::Set, PvValue::Str(proxy.url.clone()));
        }
        1
    }

    /// A command without SDP (`delete`, `start recording`, ...): 1 when rtpengine took it.
    pub fn simple(
        &self,
        ctx: &mut Context,
        command: &str,
        flags: &Flags,
        sock: Option<&CompiledPv>,
    ) -> i32 {
        let Some(dict) = Self::dictionary(ctx, command, flags) else {
            return error("no Call-ID or From tag");
        };
        let call_id = ctx
            .msg
            .as_ref()
            .and_then(|m| m.call_id().ok())
            .unwrap_or_default()
            .to_owned();
        let Some((proxy, _)) = self.run(ctx, &call_id, dict) else {
            return -1;
        };
        if let Some(pv) = sock {
            let _ = pv.set(ctx, AssignOp::Set, PvValue::Str(proxy.url.clone()));
        }
        1
    }

    /// `rtpengine_manage`: offer, answer or delete, chosen from the message as OpenSIPS does.
    pub fn manage(&self, ctx: &mut Context, flags: &Flags, io: &Io) -> i32 {
        let Some(msg) = ctx.msg.as_ref() else {
            return -1;
        };
        let has_sdp = io.body.is_some() || is_sdp(ctx.edits.body(msg));
        if msg.is_request() {
            // In a failure route the INVITE failed: its session goes, as in OpenSIPS.
            if ctx.route_type == RouteType::Failure {
                return self.simple(ctx, "delete", flags, io.sock);
            }
            match msg.method() {
                Some(Method::Bye | Method::Cancel) => self.simple(ctx, "delete", flags, io.sock),
                Some(Method::Invite | Method::Update) if has_sdp => {
                    self.offer_answer(ctx, "offer", flags, io)
                }
                Some(Method::Ack | Method::Prack) if has_sdp => {
                    self.offer_answer(ctx, "answer", flags, io)
                }
                _ => -1,
            }
        } else {
            let in_invite = msg
                .cseq()
                .is_ok_and(|c| matches!(c.method_kind(), Method::Invite | Method::Update));
            let code = msg.status_code().unwrap_or(0);
            match code {
                _ if !in_invite => -1,
                300.. if code != 401 && code != 407 => self.simple(ctx, "delete", flags, io.sock),
                100..=299 if has_sdp => {
                    // The reply carries the offer when the INVITE had no SDP (late offer).
                    let request_had_sdp = ctx
                        .core
                        .apis
                        .get::<TmApi>()
                        .and_then(|tm| tm.with_request(ctx, |r| is_sdp(r.body())))
                        .unwrap_or(true);
                    let command = if request_had_sdp { "answer" } else { "offer" };
                    self.offer_answer(ctx, command, flags, io)
                }
                _ => -1,
            }
        }
    }

    /// Pings every rtpengine once at start; the silent ones start disabled.
    pub fn ping_all(&self) {
        let ping = serde_bencode::to_bytes(&Value::Dict(HashMap::from([(
            b"command".to_vec(),
            bytes("ping"),
        )])))
        .unwrap_or_default();
        self.pool.ping_all(&ping);
    }
}
