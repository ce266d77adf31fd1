//! Engaging the proxy for one call: the `U`/`L` commands of an offer or answer, one per
//! media stream, and the `D` of `rtpproxy_unforce`.

use std::net::IpAddr;

use siplua_core::context::Context;
use siplua_core::pv::CompiledPv;
use siplua_core::value::Value;
use siplua_script::AssignOp;

use super::flags::Flags;
use super::sdp;
use crate::media_proxy::pool::{Failure, Pool};
use crate::media_proxy::proxies::Proxy;

/// The module's shared state: the proxies and how to talk to them.
pub struct Shared {
    /// The proxies of `rtpproxy_sock`.
    pub pool: Pool,
    /// The SDP line marking a body already moved to a proxy (`nortpproxy_str`).
    pub marker: String,
    /// The set used when the script names none (`default_set`).
    pub default_set: i64,
}

/// Which half of the exchange the message carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `rtpproxy_offer`: create (or update) the session.
    Offer,
    /// `rtpproxy_answer`: complete it.
    Answer,
}

/// Where the script wants the chosen proxy and the media address written.
pub struct Outputs<'a> {
    /// `sock_var`: the proxy's control socket (`udp:127.0.0.1:12221`).
    pub sock: Option<&'a CompiledPv>,
    /// `ret_var`: `IP:port` the proxy gave the first stream.
    pub ret: Option<&'a CompiledPv>,
}

fn error(text: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "rtpproxy", text);
    -1
}

/// Call-ID, the tag of the side that sent this message, and the other side's tag.
fn dialog_ids(ctx: &Context) -> Option<(String, String, String)> {
    let msg = ctx.msg.as_ref()?;
    let call_id = msg.call_id().ok()?.to_owned();
    let from = msg.from().ok()?.tag().unwrap_or("").to_owned();
    let to = msg.to().ok()?.tag().unwrap_or("").to_owned();
    Some(if msg.is_request() {
        (call_id, from, to)
    } else {
        (call_id, to, from)
    })
}

impl Shared {
    /// Sends one command; an error answer (`E...`) is logged and refused.
    fn command(&self, proxy: &Proxy, command: &str) -> Result<String, Failure> {
        let answer = self.pool.exchange(proxy, command.as_bytes())?;
        let answer = String::from_utf8_lossy(&answer).trim_end().to_owned();
        if answer.starts_with('E') {
            error(&format!(
                "RTP proxy {} refused '{command}': {answer}",
                proxy.url
            ));
            return Err(Failure::Refused);
        }
        Ok(answer)
    }

    /// Sends the stream commands to one proxy: the port it gave each stream and the address
    /// of the first.
    fn send_streams(
        &self,
        proxy: &Proxy,
        commands: &[(usize, String)],
    ) -> Result<(Vec<(usize, u16)>, String), Failure> {
        let mut ports = Vec::with_capacity(commands.len());
        let mut media_ip = None;
        for (n, command) in commands {
            let answer = self.command(proxy, command)?;
            let mut fields = answer.split_whitespace();
            let port = match fields.next().and_then(|p| p.parse::<u16>().ok()) {
                Some(0) => {
                    error(&format!(
                        "RTP proxy {} has no session for '{command}'",
                        proxy.url
                    ));
                    return Err(Failure::Refused);
                }
                Some(p) => p,
                None => {
                    error(&format!("RTP proxy {} answered '{answer}'", proxy.url));
                    return Err(Failure::Refused);
                }
            };
            let ip = fields
                .next()
                .map_or_else(|| proxy.addr.ip().to_string(), str::to_owned);
            media_ip.get_or_insert(ip);
            ports.push((*n, port));
        }
        Ok((ports, media_ip.unwrap_or_default()))
    }

    /// `rtpproxy_offer` / `rtpproxy_answer`: 1 when every stream goes through the proxy.
    pub fn engage(
        &self,
        ctx: &mut Context,
        side: Side,
        flags: &Flags,
        new_ip: Option<&str>,
        set_id: Option<i64>,
        outputs: &Outputs,
    ) -> i32 {
        let Some(msg) = ctx.msg.as_ref() else {
            return -1;
        };
        // The body as earlier functions of the route left it.
        let current = ctx.edits.body(msg).to_vec();
        let Ok(body) = std::str::from_utf8(&current) else {
            return -1;
        };
        if !sdp::is_sdp(body) {
            return error("no SDP body to send through the RTP proxy");
        }
        if crate::media_proxy::is_multipart(msg) {
            return error("multipart bodies are not supported: only a plain SDP body is");
        }
        if sdp::has_marker(body, &self.marker) && !flags.force {
            siplua_core::log::emit(
                siplua_core::log::level::DBG,
                "rtpproxy",
                "the SDP already goes through an RTP proxy (nortpproxy_str found)",
            );
            return -1;
        }
        let Some((call_id, own_tag, other_tag)) = dialog_ids(ctx) else {
            return error("no Call-ID or From tag");
        };
        let is_request = msg.is_request();
        let Some(source) = ctx.origin.as_ref().map(|o| o.src.ip()) else {
            return -1;
        };
        let letter = if side == Side::Offer && !flags.lookup {
            'U'
        } else {
            'L'
        };
        let mut commands = Vec::new();
        for stream in sdp::streams(body).into_iter().filter(|s| s.port != 0) {
            let address = match (&stream.address, flags.trust_address) {
                (Some(a), true) => a.clone(),
                _ => source.to_string(),
            };
            let six = if address.parse::<IpAddr>().is_ok_and(|a| a.is_ipv6()) {
                "6"
            } else {
                ""
            };
            let n = stream.number;
            // An offer names the sender's side first; an answer names the offerer first —
            // with the `l` flag the dialog's own order (From, then To), as OpenSIPS does.
            let (first, second) = match (side, flags.lookup) {
                (Side::Offer, _) => (own_tag.as_str(), other_tag.as_str()),
                (Side::Answer, false) => (other_tag.as_str(), own_tag.as_str()),
                (Side::Answer, true) if is_request => (own_tag.as_str(), other_tag.as_str()),
                (Side::Answer, true) => (other_tag.as_str(), own_tag.as_str()),
            };
            let tags = match (first.is_empty(), second.is_empty()) {
                (false, false) => format!("{first};{n} {second};{n}"),
                (false, true) => format!("{first};{n}"),
                (true, _) => format!("{second};{n}"),
            };
            let command = format!(
                "{letter}{}{six} {call_id} {address} {} {tags}",
                flags.modifiers, stream.port
            );
            commands.push((n, command));
        }
        if commands.is_empty() {
            return error("no active media stream in the SDP");
        }
        let set = Some(set_id.unwrap_or(self.default_set));
        let Some((proxy, (ports, proxy_ip))) = self
            .pool
            .with_failover(set, &call_id, |proxy| self.send_streams(proxy, &commands))
        else {
            return -1;
        };
        let sdp_ip = new_ip
            .filter(|s| !s.is_empty())
            .unwrap_or(&proxy_ip)
            .to_owned();
        if !flags.keep_sdp {
            let new_body = sdp::rewrite(body, &ports, &sdp_ip, flags, &self.marker);
            if ctx
                .edits
                .replace_body(msg, new_body.as_bytes(), None)
                .is_err()
            {
                return error("cannot replace the SDP body (already changed by another function?)");
            }
        }
        if let Some(pv) = outputs.sock {
            let _ = pv.set(ctx, AssignOp::Set, Value::Str(proxy.url.clone()));
        }
        if let Some(pv) = outputs.ret {
            let _ = pv.set(
                ctx,
                AssignOp::Set,
                Value::Str(format!("{sdp_ip}:{}", ports[0].1)),
            );
        }
        1
    }

    /// `rtpproxy_unforce`: the call's session is torn down (1), or the proxy failed (-1).
    pub fn unforce(
        &self,
        ctx: &mut Context,
        set_id: Option<i64>,
        sock: Option<&CompiledPv>,
    ) -> i32 {
        let Some((call_id, own_tag, other_tag)) = dialog_ids(ctx) else {
            return error("no Call-ID or From tag");
        };
        let Some(proxy) = self.delete(&call_id, &own_tag, &other_tag, set_id) else {
            return -1;
        };
        if let Some(pv) = sock {
            let _ = pv.set(ctx, AssignOp::Set, Value::Str(proxy.url.clone()));
        }
        1
    }

    /// Sends `D` for a call's session (the other tag may be empty); the proxy it went to,
    /// or `None` when none of the set is available or it refused.
    pub fn delete(
        &self,
        call_id: &str,
        tag: &str,
        other_tag: &str,
        set_id: Option<i64>,
    ) -> Option<&Proxy> {
        let proxy = self
            .pool
            .pick(Some(set_id.unwrap_or(self.default_set)), call_id)?;
        let mut command = format!("D {call_id} {tag}");
        if !other_tag.is_empty() {
            command.push(' ');
            command.push_str(other_tag);
        }
        self.command(proxy, &command).ok()?;
        Some(proxy)
    }

    /// Asks every proxy for its protocol version once; the silent ones start disabled.
    pub fn ping_all(&self) {
        self.pool.ping_all(b"V");
    }
}
