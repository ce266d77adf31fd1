//! Request-URI and destination rewriting: `seturi`/`rewriteuri`, `sethost`/`rewritehost`,
//! `sethostport`/`rewritehostport`, `setuser`/`rewriteuser`, `setuserpass`/`rewriteuserpass`,
//! `setport`/`rewriteport`, `prefix`, `strip`, `strip_tail`,
//! `revert_uri`, `setdsturi`, `resetdsturi`, `isdsturiset`.

use siplua_sip::Uri;

use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::{RouteMask, RouteType};
use crate::sipview::{rewrite_uri, UriChange};

/// Routes where the Request-URI can be changed.
const RURI_ROUTES: RouteMask = RouteMask::of(&[
    RouteType::Request,
    RouteType::Failure,
    RouteType::Branch,
    RouteType::Local,
]);

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let s = |n| vec![ParamSpec::req(n, ParamKind::Str)];
    let i = |n| vec![ParamSpec::req(n, ParamKind::Int)];
    let mut v = Vec::new();
    for name in ["seturi", "rewriteuri"] {
        v.push(FunctionDecl::new(name, s("uri"), RURI_ROUTES, set_uri));
    }
    for name in ["sethost", "rewritehost"] {
        v.push(FunctionDecl::new(name, s("host"), RURI_ROUTES, |c, a| {
            change(c, a, |t| UriChange::Host(t))
        }));
    }
    for name in ["sethostport", "rewritehostport"] {
        v.push(FunctionDecl::new(
            name,
            s("hostport"),
            RURI_ROUTES,
            |c, a| change(c, a, |t| UriChange::HostPort(t)),
        ));
    }
    for name in ["setuser", "rewriteuser"] {
        v.push(FunctionDecl::new(name, s("user"), RURI_ROUTES, |c, a| {
            change(c, a, |t| UriChange::User(Some(t)))
        }));
    }
    for name in ["setuserpass", "rewriteuserpass"] {
        v.push(FunctionDecl::new(
            name,
            s("userpass"),
            RURI_ROUTES,
            |c, a| change(c, a, |t| UriChange::UserPass(t)),
        ));
    }
    for name in ["setport", "rewriteport"] {
        v.push(FunctionDecl::new(name, s("port"), RURI_ROUTES, set_port));
    }
    v.push(FunctionDecl::new(
        "prefix",
        s("prefix"),
        RURI_ROUTES,
        |c, a| change(c, a, |t| UriChange::Prefix(t)),
    ));
    v.push(FunctionDecl::new(
        "strip",
        i("count"),
        RURI_ROUTES,
        |c, a| strip(c, a, false),
    ));
    v.push(FunctionDecl::new(
        "strip_tail",
        i("count"),
        RURI_ROUTES,
        |c, a| strip(c, a, true),
    ));
    v.push(FunctionDecl::new(
        "revert_uri",
        vec![],
        RURI_ROUTES,
        |c, _| {
            c.new_ruri = None;
            1
        },
    ));
    v.push(FunctionDecl::new(
        "setdsturi",
        s("uri"),
        RURI_ROUTES,
        set_dst,
    ));
    v.push(FunctionDecl::new(
        "resetdsturi",
        vec![],
        RURI_ROUTES,
        |c, _| {
            c.dst_uri = None;
            1
        },
    ));
    v.push(FunctionDecl::new(
        "isdsturiset",
        vec![],
        RURI_ROUTES,
        |c, _| if c.dst_uri.is_some() { 1 } else { -1 },
    ));
    v
}

fn set_uri(ctx: &mut Context, args: &Args) -> i32 {
    let Some(uri) = args.str(ctx, 0) else {
        return -1;
    };
    if Uri::parse(&uri).is_err() {
        crate::log::emit(
            crate::log::level::ERR,
            "core",
            &format!("seturi: invalid URI '{uri}'"),
        );
        return -1;
    }
    ctx.new_ruri = Some(uri.into_owned());
    1
}

fn set_dst(ctx: &mut Context, args: &Args) -> i32 {
    let Some(uri) = args.str(ctx, 0) else {
        return -1;
    };
    if Uri::parse(&uri).is_err() {
        return -1;
    }
    ctx.dst_uri = Some(uri.into_owned());
    1
}

fn change(ctx: &mut Context, args: &Args, make: impl for<'a> Fn(&'a str) -> UriChange<'a>) -> i32 {
    let Some(arg) = args.str(ctx, 0) else {
        return -1;
    };
    let Some(current) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    match rewrite_uri(&current, make(&arg)) {
        Ok(new) => {
            ctx.new_ruri = Some(new);
            1
        }
        Err(e) => {
            crate::log::emit(crate::log::level::ERR, "core", &e);
            -1
        }
    }
}

/// `setport("5070")`; an empty port removes it from the URI, as in OpenSIPS.
fn set_port(ctx: &mut Context, args: &Args) -> i32 {
    let Some(arg) = args.str(ctx, 0) else {
        return -1;
    };
    let port = match arg.trim() {
        "" => None,
        p => match p.parse::<u16>() {
            Ok(p) if p > 0 => Some(p),
            _ => {
                crate::log::emit(
                    crate::log::level::ERR,
                    "core",
                    &format!("setport: invalid port '{p}'"),
                );
                return -1;
            }
        },
    };
    let Some(current) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    match rewrite_uri(&current, UriChange::Port(port)) {
        Ok(new) => {
            ctx.new_ruri = Some(new);
            1
        }
        Err(_) => -1,
    }
}

fn strip(ctx: &mut Context, args: &Args, tail: bool) -> i32 {
    let n = args.int(ctx, 0).unwrap_or(0).max(0) as usize;
    let Some(current) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let c = if tail {
        UriChange::StripTail(n)
    } else {
        UriChange::Strip(n)
    };
    match rewrite_uri(&current, c) {
        Ok(new) => {
            ctx.new_ruri = Some(new);
            1
        }
        Err(_) => -1,
    }
}
