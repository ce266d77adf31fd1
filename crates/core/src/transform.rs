//! Transformations (`{s.len}`, `{uri.user}`, `{param.value,name}`, ...): functions applied to a
//! pseudo-variable's value, left to right, as in `$(ru{uri.user}{s.toupper})`.
//!
//! Each is resolved at load time (an unknown one or a wrong argument count is a load error)
//! and its arguments may be constants or pseudo-variables read per message.

use std::net::IpAddr;

use md5::{Digest, Md5};
use siplua_script::{Transform, TransformArg};

use crate::context::Context;
use crate::pv::{CompiledPv, PvLookup};
use crate::sipview;
use crate::value::Value;

/// Which transformation, by `class.name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    IpIsIp,
    IpIsIp4,
    IpIsIp6,
    IpFamily,
    IpIsPrivate,
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
}

/// A transformation argument, prepared.
#[derive(Clone, Debug)]
enum Arg {
    Const(Value),
    Pv(Box<CompiledPv>),
}

impl Arg {
    fn value(&self, ctx: &Context) -> Value {
        match self {
            Arg::Const(v) => v.clone(),
            Arg::Pv(pv) => pv.get(ctx),
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
        }
    }
}

/// An IP address written bare or, for IPv6, in brackets (`[::1]`).
fn ip_of(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.parse().ok()
}

/// 1 or 0, as OpenSIPS' test transformations return.
fn flag(b: bool) -> Value {
    Value::Int(i64::from(b))
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `{s.int}` of a string that is not a whole integer: its leading digits, as `strtol` would.
fn leading_int(s: &str) -> i64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    crate::value::parse_int(&t[..end]).unwrap_or(0)
}

/// `{s.substr,offset,length}`: a negative offset counts from the end, length 0 means "to the
/// end"; out of range gives null.
fn substr(s: &str, offset: i64, len: i64) -> Value {
    let n = s.len() as i64;
    let start = if offset < 0 { n + offset } else { offset };
    if start < 0 || start > n || len < 0 {
        return Value::Null;
    }
    let end = if len == 0 { n } else { (start + len).min(n) };
    match s.get(start as usize..end as usize) {
        Some(t) => Value::Str(t.to_owned()),
        None => Value::Null,
    }
}

/// `{s.select,index,separator}`: the index-th field (negative from the end).
fn select(s: &str, index: i64, sep: &str) -> Value {
    let sep = sep.chars().next().unwrap_or(',');
    let fields: Vec<&str> = s.split(sep).collect();
    pick(&fields, index).map_or(Value::Null, |f| Value::Str((*f).to_owned()))
}

fn pick<T>(list: &[T], index: i64) -> Option<&T> {
    let i = if index < 0 {
        list.len() as i64 + index
    } else {
        index
    };
    if i < 0 {
        None
    } else {
        list.get(i as usize)
    }
}

fn separator(v: &Value) -> char {
    v.as_str().chars().next().unwrap_or(';')
}

/// The `name[=value]` pairs of a parameter list (`a=1;b;c=3`), a leading separator allowed.
fn params(s: &str, sep: char) -> impl Iterator<Item = (&str, &str)> {
    s.split(sep)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.trim(), v.trim()),
            None => (p, ""),
        })
}

fn param_find<'a>(s: &'a str, name: &str, sep: char) -> Option<&'a str> {
    params(s, sep)
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn param_value(s: &str, name: &str, sep: char) -> Value {
    param_find(s, name, sep).map_or(Value::Null, |v| Value::Str(v.to_owned()))
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

fn decode_hex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_helpers() {
        assert_eq!(ip_of("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_of(" 10.0.0.1 "), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(ip_of("example.com"), None);
        let private = |s: &str| matches!(ip_of(s), Some(IpAddr::V4(v4)) if v4.is_private());
        assert!(private("192.168.1.2") && private("172.16.0.1") && private("10.1.2.3"));
        assert!(!private("172.32.0.1") && !private("8.8.8.8") && !private("fd00::1"));
    }

    #[test]
    fn string_helpers() {
        assert_eq!(substr("abcdef", 1, 3), Value::from("bcd"));
        assert_eq!(substr("abcdef", -2, 0), Value::from("ef"));
        assert_eq!(substr("abc", 5, 1), Value::Null);
        assert_eq!(select("a,b,c", 1, ","), Value::from("b"));
        assert_eq!(select("a,b,c", -1, ","), Value::from("c"));
        assert_eq!(select("a,b,c", 3, ","), Value::Null);
        assert_eq!(leading_int("12ab"), 12);
        assert_eq!(leading_int("-3x"), -3);
        assert_eq!(param_value(";a=1;b=two", "b", ';'), Value::from("two"));
        assert_eq!(param_value("a=1", "c", ';'), Value::Null);
        assert_eq!(
            hex_lower(&Md5::digest(b"abc")),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(decode_hex("6869").as_deref(), Some("hi"));
    }
}
