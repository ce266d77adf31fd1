//! Is this a gateway? `is_from_gw` (the request's source address), `goes_to_gw` (the
//! R-URI's host) and `dr_is_gw` (any SIP URI), each optionally of one gateway type.

use std::net::IpAddr;
use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::RouteMask;
use siplua_core::sipview::{rewrite_uri, UriChange};

use super::gateways::Gateway;
use super::shared::{Shared, Tables};
use super::{log_err, partition_ok, set_var};

/// Where the address to check comes from.
#[derive(Clone, Copy)]
enum Source {
    /// The request's source IP and port.
    Received,
    /// The R-URI's host and port.
    RequestUri,
    /// A SIP URI given as the first argument.
    Argument,
}

/// The declarations.
pub fn functions(shared: &Arc<Shared>) -> Vec<FunctionDecl> {
    let common = [
        ParamSpec::opt("type", ParamKind::Int),
        ParamSpec::opt("flags", ParamKind::Str),
        ParamSpec::opt("gw_attrs_pvar", ParamKind::Var),
        ParamSpec::opt("carrier_attrs_pvar", ParamKind::Var),
        ParamSpec::opt("partition", ParamKind::Str),
    ];
    let mut out = Vec::new();
    for (name, source) in [
        ("is_from_gw", Source::Received),
        ("goes_to_gw", Source::RequestUri),
        ("dr_is_gw", Source::Argument),
    ] {
        let mut params = Vec::new();
        if let Source::Argument = source {
            params.push(ParamSpec::req("sip_uri", ParamKind::Str));
        }
        params.extend(common);
        let s = shared.clone();
        out.push(FunctionDecl::new(
            name,
            params,
            RouteMask::WITH_MESSAGE,
            move |ctx: &mut Context, args: &Args| check(&s, ctx, args, source),
        ));
    }
    out
}

/// The IP and port of a SIP URI (the port only when written); `None` when the host is not
/// an IP address.
fn uri_addr(text: &str) -> Option<(IpAddr, Option<u16>)> {
    let u = siplua_sip::Uri::parse(text).ok()?;
    let ip = u.host().trim_matches(['[', ']']).parse().ok()?;
    Some((ip, u.port()))
}

/// The first gateway (of `gw_type`, when not -1) at `ip`/`port`.
fn find(t: &Tables, ip: IpAddr, port: Option<u16>, gw_type: i64) -> Option<&Gateway> {
    t.gws
        .iter()
        .find(|g| (gw_type < 0 || g.gw_type == gw_type) && g.matches(ip, port))
}

fn check(shared: &Shared, ctx: &mut Context, args: &Args, source: Source) -> i32 {
    // The arguments after the optional leading URI.
    let base = usize::from(matches!(source, Source::Argument));
    if !partition_ok(ctx, args, base + 4) {
        return -1;
    }
    let flags = args
        .str(ctx, base + 1)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if let Some(c) = flags.chars().find(|c| !"spnic ".contains(*c)) {
        return log_err(&format!("unknown gateway check flag '{c}' (s, p, n, i, c)"));
    }
    let addr = match source {
        Source::Received => ctx.origin.map(|o| (o.src.ip(), Some(o.src.port()))),
        Source::RequestUri => ctx.ruri().and_then(uri_addr),
        Source::Argument => args.str(ctx, 0).and_then(|u| uri_addr(&u)),
    };
    let Some((ip, port)) = addr else {
        return -1;
    };
    let port = if flags.contains('n') { None } else { port };
    let gw_type = args.int(ctx, base).unwrap_or(-1);
    let t = shared.tables();
    let Some(gw) = find(&t, ip, port, gw_type) else {
        return -1;
    };
    set_var(ctx, args, base + 2, gw.attrs.clone());
    let gi = t.gw(&gw.id);
    let carrier = t
        .carriers
        .iter()
        .find(|c| c.gws.iter().any(|(g, _)| Some(*g) == gi));
    set_var(
        ctx,
        args,
        base + 3,
        carrier.map(|c| c.attrs.clone()).unwrap_or_default(),
    );
    // 's' and 'p': the gateway's strip and prefix applied to the R-URI's user.
    if flags.contains('s') || flags.contains('p') {
        let Some(mut u) = ctx.ruri().map(str::to_owned) else {
            return 1;
        };
        if flags.contains('s') && gw.strip > 0 {
            u = rewrite_uri(&u, UriChange::Strip(gw.strip)).unwrap_or(u);
        }
        if flags.contains('p') && !gw.pri_prefix.is_empty() {
            u = rewrite_uri(&u, UriChange::Prefix(&gw.pri_prefix)).unwrap_or(u);
        }
        ctx.new_ruri = Some(u);
    }
    1
}
