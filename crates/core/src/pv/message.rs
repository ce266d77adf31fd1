//! Pseudo-variables read from the SIP message and where it came from: `$ru $rU $fu $tt $ci
//! $si $hdr(...)` and the rest of OpenSIPS' core set.

use siplua_sip::{HeaderKind, Message, Uri};

use super::Resolved;
use crate::context::Context;
use crate::sipview::{rewrite_uri, UriChange};
use crate::value::Value;

/// A message-derived variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgPv {
    Ruri,
    RuriUser,
    RuriDomain,
    RuriPort,
    RuriTransport,
    RuriScheme,
    OrigRuri,
    OrigRuriUser,
    OrigRuriDomain,
    OrigRuriPort,
    DstDomain,
    DstPort,
    FromUri,
    FromUser,
    FromDomain,
    FromName,
    FromTag,
    ToUri,
    ToUser,
    ToDomain,
    ToName,
    ToTag,
    CallId,
    CSeq,
    Method,
    Status,
    Reason,
    SrcIp,
    SrcPort,
    RcvIp,
    RcvPort,
    Proto,
    UserAgent,
    Contact,
    ContentLength,
    ContentType,
    MsgLen,
    MsgBuf,
    Body,
    Version,
}

/// (name, variable) for every message variable.
const NAMES: &[(&str, MsgPv)] = &[
    ("ru", MsgPv::Ruri),
    ("ruri", MsgPv::Ruri),
    ("rU", MsgPv::RuriUser),
    ("ruri.user", MsgPv::RuriUser),
    ("rd", MsgPv::RuriDomain),
    ("ruri.domain", MsgPv::RuriDomain),
    ("rp", MsgPv::RuriPort),
    ("rP", MsgPv::RuriTransport),
    ("rz", MsgPv::RuriScheme),
    ("ou", MsgPv::OrigRuri),
    ("ouri", MsgPv::OrigRuri),
    ("oU", MsgPv::OrigRuriUser),
    ("od", MsgPv::OrigRuriDomain),
    ("op", MsgPv::OrigRuriPort),
    ("dd", MsgPv::DstDomain),
    ("dp", MsgPv::DstPort),
    ("fu", MsgPv::FromUri),
    ("from", MsgPv::FromUri),
    ("fU", MsgPv::FromUser),
    ("from.user", MsgPv::FromUser),
    ("fd", MsgPv::FromDomain),
    ("from.domain", MsgPv::FromDomain),
    ("fn", MsgPv::FromName),
    ("ft", MsgPv::FromTag),
    ("tu", MsgPv::ToUri),
    ("to", MsgPv::ToUri),
    ("tU", MsgPv::ToUser),
    ("to.user", MsgPv::ToUser),
    ("td", MsgPv::ToDomain),
    ("to.domain", MsgPv::ToDomain),
    ("tn", MsgPv::ToName),
    ("tt", MsgPv::ToTag),
    ("ci", MsgPv::CallId),
    ("cs", MsgPv::CSeq),
    ("rm", MsgPv::Method),
    ("rs", MsgPv::Status),
    ("rr", MsgPv::Reason),
    ("si", MsgPv::SrcIp),
    ("src_ip", MsgPv::SrcIp),
    ("sp", MsgPv::SrcPort),
    ("Ri", MsgPv::RcvIp),
    ("Rp", MsgPv::RcvPort),
    ("pr", MsgPv::Proto),
    ("proto", MsgPv::Proto),
    ("ua", MsgPv::UserAgent),
    ("ct", MsgPv::Contact),
    ("cl", MsgPv::ContentLength),
    ("cT", MsgPv::ContentType),
    ("ml", MsgPv::MsgLen),
    ("mb", MsgPv::MsgBuf),
    ("rb", MsgPv::Body),
    ("rv", MsgPv::Version),
];

impl MsgPv {
    /// The variable called `$name`, if it is a message variable.
    pub fn by_name(name: &str) -> Option<MsgPv> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Whether the script may assign to it (`$ru`, `$rU`, `$rd`, `$rp`).
    pub fn is_writable(self) -> bool {
        matches!(
            self,
            MsgPv::Ruri | MsgPv::RuriUser | MsgPv::RuriDomain | MsgPv::RuriPort
        )
    }
}

fn text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

fn uri_user(u: &Uri) -> Value {
    text(u.user())
}

fn port_or_default(u: &Uri) -> Value {
    Value::Int(
        u.port()
            .unwrap_or(if u.scheme() == siplua_sip::Scheme::Sips {
                5061
            } else {
                5060
            }) as i64,
    )
}

/// Reads a message variable.
pub fn get(pv: MsgPv, ctx: &Context) -> Value {
    if let Some(v) = origin_value(pv, ctx) {
        return v;
    }
    let Some(msg) = ctx.message() else {
        return Value::Null;
    };
    match pv {
        MsgPv::Ruri => text(ctx.ruri()),
        MsgPv::RuriUser
        | MsgPv::RuriDomain
        | MsgPv::RuriPort
        | MsgPv::RuriTransport
        | MsgPv::RuriScheme => {
            let Some(r) = ctx.ruri() else {
                return Value::Null;
            };
            uri_value(pv, r)
        }
        MsgPv::OrigRuri => text(msg.ruri_str()),
        MsgPv::OrigRuriUser => msg.ruri().map_or(Value::Null, |u| uri_user(&u)),
        MsgPv::OrigRuriDomain => msg.ruri().map_or(Value::Null, |u| Value::from(u.host())),
        MsgPv::OrigRuriPort => msg.ruri().map_or(Value::Null, |u| port_or_default(&u)),
        MsgPv::DstDomain | MsgPv::DstPort => {
            let target = ctx.dst_uri.as_deref().or(ctx.ruri());
            match target.and_then(|t| Uri::parse(t).ok()) {
                Some(u) if pv == MsgPv::DstDomain => Value::from(u.host()),
                Some(u) => port_or_default(&u),
                None => Value::Null,
            }
        }
        MsgPv::FromUri | MsgPv::FromUser | MsgPv::FromDomain | MsgPv::FromName | MsgPv::FromTag => {
            match msg.from() {
                Ok(na) => name_addr_value(pv, &na),
                Err(_) => Value::Null,
            }
        }
        MsgPv::ToUri | MsgPv::ToUser | MsgPv::ToDomain | MsgPv::ToName | MsgPv::ToTag => {
            match msg.to() {
                Ok(na) => name_addr_value(pv, &na),
                Err(_) => Value::Null,
            }
        }
        MsgPv::CallId => msg.call_id().map_or(Value::Null, Value::from),
        MsgPv::CSeq => msg
            .cseq()
            .map_or(Value::Null, |c| Value::Int(c.number as i64)),
        MsgPv::Method => match msg.method_str() {
            Some(m) => Value::from(m),
            None => msg.cseq().map_or(Value::Null, |c| Value::from(c.method)),
        },
        MsgPv::Status => msg
            .status_code()
            .map_or(Value::Null, |c| Value::Int(c as i64)),
        MsgPv::Reason => text(msg.reason()),
        MsgPv::UserAgent => text(msg.get(HeaderKind::UserAgent)),
        MsgPv::Contact => text(msg.get(HeaderKind::Contact)),
        MsgPv::ContentLength => {
            Value::Int(msg.content_length().unwrap_or(msg.body().len() as u32) as i64)
        }
        MsgPv::ContentType => text(msg.get(HeaderKind::ContentType)),
        MsgPv::MsgLen => Value::Int(msg.as_bytes().len() as i64),
        MsgPv::MsgBuf => Value::Str(String::from_utf8_lossy(msg.as_bytes()).into_owned()),
        MsgPv::Body => Value::Str(String::from_utf8_lossy(msg.body()).into_owned()),
        MsgPv::Version => Value::from(msg.version()),
        MsgPv::SrcIp | MsgPv::SrcPort | MsgPv::RcvIp | MsgPv::RcvPort | MsgPv::Proto => Value::Null,
    }
}

/// Variables about where the message came from (available without a message too).
fn origin_value(pv: MsgPv, ctx: &Context) -> Option<Value> {
    let o = ctx.origin.as_ref();
    Some(match pv {
        MsgPv::SrcIp => o.map_or(Value::Null, |o| Value::Str(o.src.ip().to_string())),
        MsgPv::SrcPort => o.map_or(Value::Null, |o| Value::Int(o.src.port() as i64)),
        MsgPv::RcvIp | MsgPv::RcvPort => {
            let sock = ctx.received_on().cloned();
            match (sock, pv) {
                (Some(s), MsgPv::RcvIp) => Value::Str(s.addr.ip().to_string()),
                (Some(s), _) => Value::Int(s.addr.port() as i64),
                (None, _) => Value::Null,
            }
        }
        // OpenSIPS prints the protocol module's name: "udp", "tcp".
        MsgPv::Proto => o.map_or(Value::Null, |o| {
            Value::Str(o.proto.as_str().to_ascii_lowercase())
        }),
        _ => return None,
    })
}

fn uri_value(pv: MsgPv, uri: &str) -> Value {
    let Ok(u) = Uri::parse(uri) else {
        return Value::Null;
    };
    match pv {
        MsgPv::RuriUser => uri_user(&u),
        MsgPv::RuriDomain => Value::from(u.host()),
        MsgPv::RuriPort => u.port().map_or(Value::Null, |p| Value::Int(p as i64)),
        MsgPv::RuriTransport => text(u.transport()),
        _ => Value::from(u.scheme_str()),
    }
}

fn name_addr_value(pv: MsgPv, na: &siplua_sip::headers::NameAddr) -> Value {
    let u = na.uri();
    match pv {
        MsgPv::FromUri | MsgPv::ToUri => Value::from(u.as_str()),
        MsgPv::FromUser | MsgPv::ToUser => uri_user(&u),
        MsgPv::FromDomain | MsgPv::ToDomain => Value::from(u.host()),
        MsgPv::FromName | MsgPv::ToName => na
            .display_name()
            .map_or(Value::Null, |d| Value::from(d.as_ref())),
        _ => text(na.tag()),
    }
}

/// Writes `$ru`, `$rU`, `$rd` or `$rp` (the new Request-URI is used when forwarding).
pub fn set(pv: MsgPv, ctx: &mut Context, value: Value) -> Result<(), String> {
    if pv == MsgPv::Ruri {
        if value.is_null() {
            return Err("$ru cannot be set to NULL".into());
        }
        let text = value.as_str().into_owned();
        Uri::parse(&text).map_err(|e| format!("invalid Request-URI '{text}': {e}"))?;
        ctx.new_ruri = Some(text);
        return Ok(());
    }
    let current = ctx.ruri().ok_or("no Request-URI to change")?.to_owned();
    let s = value.as_str();
    let change = match pv {
        MsgPv::RuriUser => UriChange::User(if value.is_null() { None } else { Some(&s) }),
        MsgPv::RuriDomain => UriChange::Host(&s),
        MsgPv::RuriPort => UriChange::Port(match value {
            Value::Null => None,
            ref v => Some(u16::try_from(v.as_int()).map_err(|_| format!("invalid port {v}"))?)
                .filter(|p| *p != 0),
        }),
        _ => return Err("read-only variable".into()),
    };
    ctx.new_ruri = Some(rewrite_uri(&current, change)?);
    Ok(())
}

/// `$hdr(name)`, `$hdr(name)[i]`, `$(hdr(name)[*])`: header bodies by name (compact forms
/// match their long names). Without an index the first header; negative indexes count from
/// the last; `[*]` joins all bodies with ",".
pub fn header(ctx: &Context, name: &str, index: Option<Resolved>) -> Value {
    let Some(msg) = ctx.message() else {
        return Value::Null;
    };
    let values: Vec<&str> = headers_named(msg, name).collect();
    match index {
        None => text(values.first().copied()),
        Some(Resolved::All) => {
            if values.is_empty() {
                Value::Null
            } else {
                Value::Str(values.join(","))
            }
        }
        Some(Resolved::At(i)) => {
            let pos = if i < 0 { values.len() as i64 + i } else { i };
            if pos < 0 {
                Value::Null
            } else {
                text(values.get(pos as usize).copied())
            }
        }
    }
}

/// `$ct.fields(part)`: one part of a Contact value — the first, or the `[i]`-th across all
/// Contact headers (negative counts from the last): `uri`, `name`, `params`, or a parameter
/// (`q`, `expires`, `methods`, `received`, any other name). Null for `Contact: *`, a missing
/// Contact or parameter.
pub fn contact_field(ctx: &Context, part: &str, index: Option<Resolved>) -> Value {
    let Some(msg) = ctx.message() else {
        return Value::Null;
    };
    let contacts: Vec<_> = msg.contacts().collect();
    let pos = match index {
        None | Some(Resolved::All) => 0,
        Some(Resolved::At(i)) if i < 0 => contacts.len() as i64 + i,
        Some(Resolved::At(i)) => i,
    };
    let Some(Ok(siplua_sip::headers::Contact::Addr(na))) =
        usize::try_from(pos).ok().and_then(|p| contacts.get(p))
    else {
        return Value::Null;
    };
    match part {
        "uri" => Value::from(na.uri().as_str()),
        "name" => Value::from(na.display_name().as_deref().unwrap_or("")),
        "params" => Value::from(na.params().as_str().trim_start_matches(';')),
        param => match na.params().get(param) {
            None => Value::Null,
            Some(v) => Value::from(v.unwrap_or("")),
        },
    }
}

/// `$hdrcnt(name)`.
pub fn header_count(ctx: &Context, name: &str) -> usize {
    ctx.message().map_or(0, |m| headers_named(m, name).count())
}

fn headers_named<'m>(msg: &'m Message, name: &'m str) -> impl Iterator<Item = &'m str> + 'm {
    let kind = HeaderKind::from_name(name.as_bytes());
    msg.headers().iter().filter_map(move |h| {
        let matches = if kind == HeaderKind::Other {
            h.kind() == HeaderKind::Other && msg.text(h.name_span()).eq_ignore_ascii_case(name)
        } else {
            h.kind() == kind
        };
        matches.then(|| msg.value_of(h))
    })
}

/// `$T_reply_code`: in a reply route the received code, otherwise the code of the reply sent
/// (or selected by tm) for this request.
pub fn reply_code(ctx: &Context) -> Value {
    if let Some(code) = ctx.message().and_then(Message::status_code) {
        return Value::Int(code as i64);
    }
    ctx.replied.map_or(Value::Null, |c| Value::Int(c as i64))
}
