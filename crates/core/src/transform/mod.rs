//! Transformations (`{s.len}`, `{uri.user}`, `{param.value,name}`, ...): functions applied to a
//! pseudo-variable's value, left to right, as in `$(ru{uri.user}{s.toupper})`.
//!
//! Each is resolved at load time (an unknown one or a wrong argument count is a load error)
//! and its arguments may be constants or pseudo-variables read per message. The helpers are
//! in [`strings`] (text), [`sip`] (parameters, addresses, header bodies) and [`sdp`] (SDP
//! bodies).

mod sdp;
mod sip;
mod strings;

use std::net::IpAddr;
use std::sync::Arc;

use md5::{Digest, Md5};
use siplua_script::{Transform, TransformArg};

use crate::context::Context;
use crate::pv::{CompiledPv, PvLookup};
use crate::sipview;
use crate::subst::Subst;
use crate::value::Value;
use sip::{ip_of, param_find, param_value, params, separator, ToBodyPart, ViaPart};
use strings::{decode_hex, hex_lower, is_ws, leading_int, pick, select, substr, EscapeSet};

/// Which transformation, by `class.name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    IpIsIp,
    IpIsIp4,
    IpIsIp6,
    IpFamily,
    IpIsPrivate,
    IpResolve,
    SLen,
    SInt,
    SSubstr,
    SSelect,
    SToLower,
    SToUpper,
    SMd5,
    STrim,
    STrimL,
    STrimR,
    SEncodeHexa,
    SDecodeHexa,
    SDec2Hex,
    SHex2Dec,
    SReverse,
    SEscape(EscapeSet),
    SUnescape(EscapeSet),
    SIndex,
    SRIndex,
    SFillLeft,
    SFillRight,
    SWidth,
    SB64Encode,
    SB64Decode,
    ReSubst,
    CsvCount,
    CsvValue,
    ToBody(ToBodyPart),
    Via(ViaPart),
    ViaParam,
    UriUser,
    UriHost,
    UriPort,
    UriPasswd,
    UriParams,
    UriParam,
    UriHeaders,
    UriTransport,
    UriScheme,
    NameAddrName,
    NameAddrUri,
    NameAddrParam,
    NameAddrParams,
    ParamValue,
    ParamExist,
    ParamCount,
    ParamName,
    SdpLine,
    SdpStream,
    SdpStreamDelete,
}

/// A transformation argument, prepared.
#[derive(Clone, Debug)]
enum Arg {
    Const(Value),
    Pv(Box<CompiledPv>),
    /// `{re.subst}`'s expression, parsed (and its regex compiled) at load time.
    Subst(Arc<Subst>),
}

impl Arg {
    fn value(&self, ctx: &Context) -> Value {
        match self {
            Arg::Const(v) => v.clone(),
            Arg::Pv(pv) => pv.get(ctx),
            Arg::Subst(_) => Value::Null,
        }
    }
}

/// A transformation ready to apply.
#[derive(Clone, Debug)]
pub struct CompiledTransform {
    op: Op,
    args: Vec<Arg>,
}

/// (class, name, op, min args, max args): the table the loader checks against.
const TABLE: &[(&str, &str, Op, usize, usize)] = &[
    ("s", "len", Op::SLen, 0, 0),
    ("s", "int", Op::SInt, 0, 0),
    ("s", "substr", Op::SSubstr, 2, 2),
    ("s", "select", Op::SSelect, 2, 2),
    ("s", "tolower", Op::SToLower, 0, 0),
    ("s", "toupper", Op::SToUpper, 0, 0),
    ("s", "md5", Op::SMd5, 0, 0),
    ("s", "trim", Op::STrim, 0, 0),
    ("s", "triml", Op::STrimL, 0, 0),
    ("s", "trimr", Op::STrimR, 0, 0),
    ("s", "encode.hexa", Op::SEncodeHexa, 0, 0),
    ("s", "decode.hexa", Op::SDecodeHexa, 0, 0),
    ("s", "dec2hex", Op::SDec2Hex, 0, 0),
    ("s", "hex2dec", Op::SHex2Dec, 0, 0),
    ("s", "reverse", Op::SReverse, 0, 0),
    ("s", "escape.common", Op::SEscape(EscapeSet::Common), 0, 0),
    (
        "s",
        "unescape.common",
        Op::SUnescape(EscapeSet::Common),
        0,
        0,
    ),
    ("s", "escape.user", Op::SEscape(EscapeSet::User), 0, 0),
    ("s", "unescape.user", Op::SUnescape(EscapeSet::User), 0, 0),
    ("s", "escape.param", Op::SEscape(EscapeSet::Param), 0, 0),
    ("s", "unescape.param", Op::SUnescape(EscapeSet::Param), 0, 0),
    ("s", "index", Op::SIndex, 1, 2),
    ("s", "rindex", Op::SRIndex, 1, 2),
    ("s", "fill.left", Op::SFillLeft, 2, 2),
    ("s", "fill.right", Op::SFillRight, 2, 2),
    ("s", "width", Op::SWidth, 1, 1),
    ("s", "b64encode", Op::SB64Encode, 0, 0),
    ("s", "b64decode", Op::SB64Decode, 0, 0),
    ("re", "subst", Op::ReSubst, 1, 1),
    ("csv", "count", Op::CsvCount, 0, 0),
    ("csv", "value", Op::CsvValue, 1, 1),
    ("tobody", "uri", Op::ToBody(ToBodyPart::Uri), 0, 0),
    ("tobody", "display", Op::ToBody(ToBodyPart::Display), 0, 0),
    ("tobody", "tag", Op::ToBody(ToBodyPart::Tag), 0, 0),
    ("tobody", "user", Op::ToBody(ToBodyPart::User), 0, 0),
    ("tobody", "host", Op::ToBody(ToBodyPart::Host), 0, 0),
    ("tobody", "params", Op::ToBody(ToBodyPart::Params), 0, 0),
    ("via", "name", Op::Via(ViaPart::Name), 0, 0),
    ("via", "version", Op::Via(ViaPart::Version), 0, 0),
    ("via", "transport", Op::Via(ViaPart::Transport), 0, 0),
    ("via", "host", Op::Via(ViaPart::Host), 0, 0),
    ("via", "port", Op::Via(ViaPart::Port), 0, 0),
    ("via", "params", Op::Via(ViaPart::Params), 0, 0),
    ("via", "param", Op::ViaParam, 1, 1),
    ("via", "branch", Op::Via(ViaPart::Branch), 0, 0),
    ("via", "received", Op::Via(ViaPart::Received), 0, 0),
    ("via", "rport", Op::Via(ViaPart::Rport), 0, 0),
    ("uri", "user", Op::UriUser, 0, 0),
    ("uri", "host", Op::UriHost, 0, 0),
    ("uri", "domain", Op::UriHost, 0, 0),
    ("uri", "port", Op::UriPort, 0, 0),
    ("uri", "passwd", Op::UriPasswd, 0, 0),
    ("uri", "params", Op::UriParams, 0, 0),
    ("uri", "param", Op::UriParam, 1, 1),
    ("uri", "headers", Op::UriHeaders, 0, 0),
    ("uri", "transport", Op::UriTransport, 0, 0),
    ("uri", "schema", Op::UriScheme, 0, 0),
    ("uri", "scheme", Op::UriScheme, 0, 0),
    ("nameaddr", "name", Op::NameAddrName, 0, 0),
    ("nameaddr", "uri", Op::NameAddrUri, 0, 0),
    ("nameaddr", "param", Op::NameAddrParam, 1, 1),
    ("nameaddr", "params", Op::NameAddrParams, 0, 0),
    ("param", "value", Op::ParamValue, 1, 2),
    ("param", "exist", Op::ParamExist, 1, 2),
    ("param", "count", Op::ParamCount, 0, 1),
    ("param", "name", Op::ParamName, 1, 2),
    ("ip", "isip", Op::IpIsIp, 0, 0),
    ("ip", "isip4", Op::IpIsIp4, 0, 0),
    ("ip", "isip6", Op::IpIsIp6, 0, 0),
    ("ip", "family", Op::IpFamily, 0, 0),
    ("ip", "isprivate", Op::IpIsPrivate, 0, 0),
    ("ip", "resolve", Op::IpResolve, 0, 0),
    ("sdp", "line", Op::SdpLine, 1, 2),
    ("sdp", "stream", Op::SdpStream, 1, 1),
    ("sdp", "stream-delete", Op::SdpStreamDelete, 1, 1),
];

impl CompiledTransform {
    /// Resolves a parsed transformation; the error names it and says what is wrong.
    pub fn compile(t: &Transform, lookup: &dyn PvLookup) -> Result<CompiledTransform, String> {
        let (_, _, op, min, max) = TABLE
            .iter()
            .find(|(c, n, ..)| *c == t.class && *n == t.name)
            .ok_or_else(|| format!("unknown transformation {{{}.{}}}", t.class, t.name))?;
        if t.args.len() < *min || t.args.len() > *max {
            return Err(format!(
                "transformation {{{}.{}}} takes {} argument(s), got {}",
                t.class,
                t.name,
                if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                },
                t.args.len()
            ));
        }
        let args = t
            .args
            .iter()
            .map(|a| match a {
                TransformArg::Str(s) => Ok(Arg::Const(Value::Str(s.clone()))),
                TransformArg::Int(i) => Ok(Arg::Const(Value::Int(*i))),
                TransformArg::Pv(spec) => {
                    CompiledPv::compile(spec, lookup).map(|p| Arg::Pv(Box::new(p)))
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        let args = match (op, args.as_slice()) {
            (Op::ReSubst, [Arg::Const(v)]) => vec![Arg::Subst(Arc::new(
                Subst::parse(&v.as_str()).map_err(|e| format!("{{re.subst}}: {e}"))?,
            ))],
            (Op::ReSubst, _) => {
                return Err("{re.subst} takes a constant /regex/replacement/flags".into())
            }
            _ => args,
        };
        check_sdp_args(*op, &args)?;
        Ok(CompiledTransform { op: *op, args })
    }

    /// Applies the transformation. A null input stays null, except `{s.len}` (0) and
    /// `{s.int}` (0), as in OpenSIPS.
    pub fn apply(&self, ctx: &Context, v: Value) -> Value {
        if v.is_null() {
            return match self.op {
                Op::SLen | Op::SInt => Value::Int(0),
                _ => Value::Null,
            };
        }
        let arg = |i: usize| self.args.get(i).map(|a| a.value(ctx)).unwrap_or_default();
        let s = v.as_str();
        match self.op {
            Op::SLen => Value::Int(s.len() as i64),
            Op::SInt => Value::Int(v.to_int().unwrap_or_else(|| leading_int(&s))),
            Op::SSubstr => substr(&s, arg(0).as_int(), arg(1).as_int()),
            Op::SSelect => select(&s, arg(0).as_int(), &arg(1).as_str()),
            Op::SToLower => Value::Str(s.to_lowercase()),
            Op::SToUpper => Value::Str(s.to_uppercase()),
            Op::SMd5 => Value::Str(hex_lower(&Md5::digest(s.as_bytes()))),
            Op::STrim => Value::Str(s.trim_matches(is_ws).to_owned()),
            Op::STrimL => Value::Str(s.trim_start_matches(is_ws).to_owned()),
            Op::STrimR => Value::Str(s.trim_end_matches(is_ws).to_owned()),
            Op::SEncodeHexa => Value::Str(hex_lower(s.as_bytes())),
            Op::SDecodeHexa => decode_hex(&s).map_or(Value::Null, Value::Str),
            Op::SDec2Hex => Value::Str(format!("{:x}", v.as_int())),
            Op::SHex2Dec => {
                i64::from_str_radix(s.trim_start_matches("0x"), 16).map_or(Value::Null, Value::Int)
            }
            Op::SReverse => Value::Str(s.chars().rev().collect()),
            Op::SEscape(set) => Value::Str(strings::escape(&s, set)),
            Op::SUnescape(set) => strings::unescape(&s, set).map_or(Value::Null, Value::Str),
            Op::SIndex => strings::index(&s, &arg(0).as_str(), arg(1).as_int(), false),
            Op::SRIndex => strings::index(&s, &arg(0).as_str(), arg(1).as_int(), true),
            Op::SFillLeft => Value::Str(strings::fill(&s, &arg(0).as_str(), arg(1).as_int(), true)),
            Op::SFillRight => {
                Value::Str(strings::fill(&s, &arg(0).as_str(), arg(1).as_int(), false))
            }
            Op::SWidth => Value::Str(strings::width(&s, arg(0).as_int())),
            Op::SB64Encode => Value::Str(strings::b64encode(&s)),
            Op::SB64Decode => strings::b64decode(&s).map_or(Value::Null, Value::Str),
            Op::ReSubst => match self.args.first() {
                // No match leaves the value as it was, as in OpenSIPS.
                Some(Arg::Subst(subst)) => {
                    Value::Str(subst.apply(&s).unwrap_or_else(|| s.into_owned()))
                }
                _ => Value::Null,
            },
            Op::CsvCount => Value::Int(sip::csv(&s).len() as i64),
            Op::CsvValue => pick(&sip::csv(&s), arg(0).as_int())
                .map_or(Value::Null, |f| Value::Str((*f).to_owned())),
            Op::ToBody(part) => sip::tobody(&s, part),
            Op::Via(part) => sip::via(&s, part),
            Op::ViaParam => sip::via_param(&s, &arg(0).as_str()),
            Op::UriUser => sipview::uri_part(&s, sipview::UriPart::User),
            Op::UriHost => sipview::uri_part(&s, sipview::UriPart::Host),
            Op::UriPort => sipview::uri_part(&s, sipview::UriPart::Port),
            Op::UriPasswd => sipview::uri_part(&s, sipview::UriPart::Password),
            Op::UriParams => sipview::uri_part(&s, sipview::UriPart::Params),
            Op::UriHeaders => sipview::uri_part(&s, sipview::UriPart::Headers),
            Op::UriTransport => sipview::uri_part(&s, sipview::UriPart::Transport),
            Op::UriScheme => sipview::uri_part(&s, sipview::UriPart::Scheme),
            Op::UriParam => sipview::uri_param(&s, &arg(0).as_str()),
            Op::NameAddrName => sipview::nameaddr_part(&s, sipview::NameAddrPart::Name),
            Op::NameAddrUri => sipview::nameaddr_part(&s, sipview::NameAddrPart::Uri),
            Op::NameAddrParams => sipview::nameaddr_part(&s, sipview::NameAddrPart::Params),
            Op::NameAddrParam => sipview::nameaddr_param(&s, &arg(0).as_str()),
            Op::ParamValue => param_value(&s, &arg(0).as_str(), separator(&arg(1))),
            Op::ParamExist => {
                Value::Int(param_find(&s, &arg(0).as_str(), separator(&arg(1))).is_some() as i64)
            }
            Op::ParamCount => Value::Int(params(&s, separator(&arg(0))).count() as i64),
            Op::ParamName => {
                let idx = arg(0).as_int();
                let list: Vec<_> = params(&s, separator(&arg(1))).collect();
                pick(&list, idx).map_or(Value::Null, |(n, _)| Value::Str((*n).to_owned()))
            }
            Op::IpIsIp => flag(ip_of(&s).is_some()),
            Op::IpIsIp4 => flag(ip_of(&s).is_some_and(|ip| ip.is_ipv4())),
            Op::IpIsIp6 => flag(ip_of(&s).is_some_and(|ip| ip.is_ipv6())),
            Op::IpFamily => match ip_of(&s) {
                Some(IpAddr::V4(_)) => Value::from("INET"),
                Some(IpAddr::V6(_)) => Value::from("INET6"),
                None => Value::Null,
            },
            Op::IpIsPrivate => flag(matches!(ip_of(&s), Some(IpAddr::V4(v4)) if v4.is_private())),
            // An address is kept as it is; a name is resolved (blocking, as OpenSIPS does,
            // bounded by dns_retr_time * dns_retr_no and cached); null when it does not.
            Op::IpResolve => match ip_of(&s) {
                Some(_) => v,
                None => {
                    crate::dns::resolve_host(&s).map_or(Value::Null, |ip| ip.to_string().into())
                }
            },
            Op::SdpLine => {
                let ty = arg(0).as_str().chars().next();
                // The index is 0 when absent; one read per message must be a whole,
                // non-negative integer, or the result is null as in OpenSIPS.
                let nth = self.args.get(1).map_or(Some(0), |a| a.value(ctx).to_int());
                match (ty, nth.and_then(|n| usize::try_from(n).ok())) {
                    (Some(ty), Some(nth)) => {
                        sdp::line(&s, ty, nth).map_or(Value::Null, Value::from)
                    }
                    _ => Value::Null,
                }
            }
            Op::SdpStream => {
                sdp::stream(&s, &sdp::StreamSel::of(&arg(0))).map_or(Value::Null, Value::from)
            }
            Op::SdpStreamDelete => {
                sdp::stream_delete(&s, &sdp::StreamSel::of(&arg(0))).map_or(Value::Null, Value::Str)
            }
        }
    }
}

/// The load-time checks of the SDP transformations' constant arguments: a line type is one
/// character, a line index a non-negative integer, a stream selector not empty.
fn check_sdp_args(op: Op, args: &[Arg]) -> Result<(), String> {
    match (op, args) {
        (Op::SdpLine, [ty, rest @ ..]) => {
            if let Arg::Const(t) = ty {
                if t.as_str().chars().count() != 1 {
                    return Err(format!(
                        "{{sdp.line}}: the line type must be one character, got {:?}",
                        t.as_str()
                    ));
                }
            }
            if let [Arg::Const(n)] = rest {
                if n.to_int().is_none_or(|n| n < 0) {
                    return Err(format!(
                        "{{sdp.line}}: the line index must be a non-negative integer, got {:?}",
                        n.as_str()
                    ));
                }
            }
            Ok(())
        }
        (Op::SdpStream | Op::SdpStreamDelete, [Arg::Const(v)]) if v.as_str().is_empty() => {
            Err("{sdp.stream}: the media type or index is empty".into())
        }
        _ => Ok(()),
    }
}

/// 1 or 0, as OpenSIPS' test transformations return.
fn flag(b: bool) -> Value {
    Value::Int(i64::from(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        let private = |s: &str| matches!(ip_of(s), Some(IpAddr::V4(v4)) if v4.is_private());
        assert!(private("192.168.1.2") && private("172.16.0.1") && private("10.1.2.3"));
        assert!(!private("172.32.0.1") && !private("8.8.8.8") && !private("fd00::1"));
    }
}
