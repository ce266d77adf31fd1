//! The Contact rewrites: `fix_nated_contact`, `add_rcv_param` and `fix_nated_register`'s
//! received AVP, all built from the address the message came from.

use std::net::{IpAddr, SocketAddr};

use siplua_core::context::Context;
use siplua_core::value::Value;
use siplua_sip::headers::NameAddr;
use siplua_sip::HeaderKind;

use crate::registrar::nat::source_uri;

fn host_port(src: SocketAddr) -> String {
    match src.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", src.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", src.port()),
    }
}

/// The first Contact value: its header line, and the text of its URI.
fn first_contact(ctx: &Context) -> Option<(usize, String)> {
    let msg = ctx.msg.as_ref()?;
    let v = msg.values(HeaderKind::Contact).next()?;
    let addr = NameAddr::parse(v.text).ok()?;
    Some((v.index, addr.uri().as_str().to_owned()))
}

/// Replaces `old` (the first Contact's URI) with `new` in its header line.
fn replace_uri(ctx: &mut Context, line: usize, old: &str, new: &str) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let Some(value) = msg.header_value(line) else {
        return -1;
    };
    let Some(at) = value.find(old) else {
        return -1;
    };
    let rewritten = format!("{}{new}{}", &value[..at], &value[at + old.len()..]);
    match ctx.edits.replace_value(msg, line, &rewritten) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// `fix_nated_contact([uri_params])`: the first Contact's host and port become the source
/// address (user part and parameters kept), `uri_params` appended. -1 without a Contact.
pub fn fix_nated_contact(ctx: &mut Context, uri_params: Option<&str>) -> i32 {
    let Some(src) = ctx.origin.map(|o| o.src) else {
        return -1;
    };
    let Some((line, uri_text)) = first_contact(ctx) else {
        return -1;
    };
    let Ok(uri) = siplua_sip::Uri::parse(&uri_text) else {
        return -1;
    };
    let mut new = format!("{}:", uri.scheme_str());
    if let Some(user) = uri.user() {
        new.push_str(user);
        if let Some(pw) = uri.password() {
            new.push(':');
            new.push_str(pw);
        }
        new.push('@');
    }
    new.push_str(&host_port(src));
    new.push_str(uri.params().as_str());
    if let Some(p) = uri_params.map(str::trim).filter(|p| !p.is_empty()) {
        if !p.starts_with(';') {
            new.push(';');
        }
        new.push_str(p);
    }
    if let Some(h) = uri.headers_str() {
        new.push('?');
        new.push_str(h);
    }
    replace_uri(ctx, line, &uri_text, &new)
}

/// `add_rcv_param([flag])`: `;received="sip:ip:port"` on the first Contact — as a header
/// parameter, or inside the URI when `in_uri` (flag 1, then without quotes).
pub fn add_rcv_param(ctx: &mut Context, in_uri: bool) -> i32 {
    let Some(origin) = ctx.origin else {
        return -1;
    };
    let received = source_uri(origin.src, origin.proto);
    let Some((line, uri_text)) = first_contact(ctx) else {
        return -1;
    };
    if in_uri {
        let new = format!("{uri_text};received={received}");
        return replace_uri(ctx, line, &uri_text, &new);
    }
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let Some(first) = msg.values(HeaderKind::Contact).next() else {
        return -1;
    };
    let Some(value) = msg.header_value(line) else {
        return -1;
    };
    // Insert after the first value (before a comma that starts the next one).
    let Some(at) = value.find(first.text).map(|i| i + first.text.len()) else {
        return -1;
    };
    let rewritten = format!("{};received=\"{received}\"{}", &value[..at], &value[at..]);
    match ctx.edits.replace_value(msg, line, &rewritten) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// `fix_nated_register()`: stores `sip:ip:port[;transport=tcp]` of the source in
/// `received_avp` for the registrar. -1 when the parameter is not set or not a REGISTER.
pub fn fix_nated_register(ctx: &mut Context, avp: Option<&str>) -> i32 {
    let Some(avp) = avp else {
        siplua_core::log::emit(
            siplua_core::log::level::ERR,
            "nathelper",
            "fix_nated_register: modparam received_avp is not set",
        );
        return -1;
    };
    let is_register = ctx
        .msg
        .as_ref()
        .is_some_and(|m| m.method_str() == Some("REGISTER"));
    let Some(origin) = ctx.origin.filter(|_| is_register) else {
        return -1;
    };
    let uri = source_uri(origin.src, origin.proto);
    ctx.avps.set_only(avp, Value::Str(uri));
    1
}
