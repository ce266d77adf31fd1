//! `is_myself(uri|host[:port])`: whether a URI or host names this server — one of its
//! listening sockets (bound or advertised address) or a configured `alias`.

use std::net::IpAddr;

use siplua_sip::Uri;

use crate::context::Context;
use crate::engine::Core;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::RouteMask;
use crate::sipview::split_host_port;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "is_myself",
        vec![ParamSpec::req("uri_or_host", ParamKind::Str)],
        RouteMask::ALL,
        check,
    )]
}

fn check(ctx: &mut Context, args: &Args) -> i32 {
    let Some(text) = args.str(ctx, 0) else {
        return -1;
    };
    let (host, port) = match Uri::parse(text.trim()) {
        Ok(u) if u.scheme() != siplua_sip::Scheme::Other => (u.host().to_owned(), u.port()),
        _ => match split_host_port(&text) {
            Ok((h, p)) => (h.to_owned(), p),
            Err(_) => return -1,
        },
    };
    if is_myself(ctx.core, ctx.worker.transports.as_deref(), &host, port) {
        1
    } else {
        -1
    }
}

/// True when `host` (and `port`, when given) is one of ours. A socket bound to a wildcard
/// address matches the loopback addresses and the advertised name.
pub fn is_myself(
    core: &Core,
    transports: Option<&siplua_transport::Transports>,
    host: &str,
    port: Option<u16>,
) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: Option<IpAddr> = host.parse().ok();
    let port_ok = |p: u16| port.is_none_or(|want| want == p);
    let sockets = transports.map(|t| t.sockets()).unwrap_or(&[]);
    for s in sockets {
        let bound = s.addr.ip();
        let host_ok = ip == Some(bound)
            || (bound.is_unspecified() && ip.is_some_and(|i| i.is_loopback()))
            || s.advertised_host.eq_ignore_ascii_case(host);
        if host_ok && (port_ok(s.addr.port()) || port_ok(s.advertised_port)) {
            return true;
        }
    }
    if transports.is_none() {
        for l in &core.config.listen {
            if ip == Some(l.addr.ip()) && port_ok(l.addr.port()) {
                return true;
            }
        }
    }
    core.config.aliases.iter().any(|(name, p)| {
        name.eq_ignore_ascii_case(host) && (p.is_none() || port.is_none() || *p == port)
    })
}
