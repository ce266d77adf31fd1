//! `registered(domain[, aor])` and `is_registered(domain[, aor])`: whether an AOR has a
//! valid binding, without changing the message; `is_contact_registered(domain[, aor[,
//! contact[, callid]]])` and `is_ip_registered(domain[, aor], ip)`: whether one of its
//! bindings is that Contact, or was registered from (or names) that address; and
//! `add_sock_hdr(name)`, which tells a registrar behind this proxy where a REGISTER came in.

use siplua_core::context::Context;
use siplua_core::function::Args;
use siplua_sip::Method;

use super::Registrar;
use crate::usrloc::api::now;

/// Where the AOR comes from when the script gives none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAor {
    /// `registered()`: the Request-URI.
    RequestUri,
    /// `is_registered()` (OpenSIPS 3): the To URI of a REGISTER, the From URI otherwise.
    ToOrFrom,
}

/// 1 when the AOR has at least one valid binding, -1 otherwise.
pub fn registered(ctx: &mut Context, reg: &Registrar, args: &Args, default: DefaultAor) -> i32 {
    let text = match args.str(ctx, 1) {
        Some(a) => Some(a.into_owned()),
        None => default_aor(ctx, default),
    };
    let table = args.str(ctx, 0).unwrap_or_default();
    let found = text
        .and_then(|t| reg.settings.aor.key(&t))
        .zip(reg.usrloc.find_domain(&table))
        .and_then(|(key, domain)| domain.get(&key, now()))
        .is_some();
    if found {
        1
    } else {
        -1
    }
}

/// The valid bindings of the AOR given in argument 1, or by default the To URI of a
/// REGISTER and the From URI otherwise; `None` when there is no such AOR.
fn bindings(ctx: &Context, reg: &Registrar, args: &Args) -> Option<crate::usrloc::record::Aor> {
    let text = match args.str(ctx, 1) {
        Some(a) => Some(a.into_owned()),
        None => default_aor(ctx, DefaultAor::ToOrFrom),
    };
    let table = args.str(ctx, 0).unwrap_or_default();
    text.and_then(|t| reg.settings.aor.key(&t))
        .zip(reg.usrloc.find_domain(&table))
        .and_then(|(key, domain)| domain.get(&key, now()))
}

/// `is_contact_registered`: 1 when a binding's Contact URI is `contact` (by default the
/// message's first Contact) and, when given, it was registered with `callid`; -1 otherwise.
pub fn contact_registered(ctx: &mut Context, reg: &Registrar, args: &Args) -> i32 {
    let wanted = match args.str(ctx, 2) {
        Some(c) => Some(c.into_owned()),
        None => ctx.msg.and_then(|m| match m.contacts().next() {
            Some(Ok(siplua_sip::headers::name_addr::Contact::Addr(na))) => {
                Some(na.uri().as_str().to_owned())
            }
            _ => None,
        }),
    };
    let Some(wanted) = wanted else { return -1 };
    let callid = args.str(ctx, 3).map(|c| c.into_owned());
    let found = bindings(ctx, reg, args).is_some_and(|aor| {
        aor.contacts().iter().any(|c| {
            c.uri() == wanted.trim() && callid.as_deref().is_none_or(|id| c.callid() == id)
        })
    });
    if found {
        1
    } else {
        -1
    }
}

/// `is_ip_registered`: 1 when a binding was registered from `ip` (its `received` source) or,
/// without one, its Contact names that host; -1 otherwise.
pub fn ip_registered(ctx: &mut Context, reg: &Registrar, args: &Args) -> i32 {
    let Some(ip) = args.str(ctx, 2).map(|s| s.trim().to_owned()) else {
        return -1;
    };
    let host_of = |uri: &str| {
        siplua_sip::Uri::parse(uri.trim())
            .ok()
            .map(|u| u.host().trim_matches(|c| c == '[' || c == ']').to_owned())
    };
    let wanted = ip.trim_matches(|c| c == '[' || c == ']');
    let found = bindings(ctx, reg, args).is_some_and(|aor| {
        aor.contacts().iter().any(|c| {
            let source = c.received().unwrap_or(c.uri());
            host_of(source).is_some_and(|h| h.eq_ignore_ascii_case(wanted))
        })
    });
    if found {
        1
    } else {
        -1
    }
}

/// `add_sock_hdr(name)`: adds `name: proto:ip:port` naming the socket the request arrived
/// on (for a registrar behind this proxy); 1, -1 when the name or the socket is missing.
pub fn add_sock_hdr(ctx: &mut Context, name: &str) -> i32 {
    let name = name.trim();
    let (Some(msg), Some(socket)) = (ctx.msg, ctx.received_on()) else {
        return -1;
    };
    if name.is_empty() {
        return -1;
    }
    let value = format!(
        "{}:{}",
        socket.proto.as_str().to_ascii_lowercase(),
        socket.addr
    );
    match ctx
        .edits
        .add_header(msg, name, &value, siplua_sip::edit::Position::End)
    {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

fn default_aor(ctx: &Context, default: DefaultAor) -> Option<String> {
    match default {
        DefaultAor::RequestUri => ctx.ruri().map(str::to_owned),
        DefaultAor::ToOrFrom => {
            let msg = ctx.msg.as_ref()?;
            let header = if msg.method() == Some(Method::Register) {
                msg.to()
            } else {
                msg.from()
            };
            header.ok().map(|na| na.uri().as_str().to_owned())
        }
    }
}
