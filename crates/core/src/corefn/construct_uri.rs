//! `construct_uri(proto, user, domain, port, extra, result_var)`: builds
//! `proto:user@domain:port;extra` into `result_var` (OpenSIPS core). An empty user, port or
//! extra is left out with its separator; the scheme and the domain are required. 1, or -1
//! (logged) when one of them is empty or the result cannot be stored.

use siplua_script::AssignOp;

use crate::context::Context;
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::RouteMask;
use crate::value::Value;

/// The declaration.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "construct_uri",
        vec![
            ParamSpec::req("proto", ParamKind::Str),
            ParamSpec::req("user", ParamKind::Str),
            ParamSpec::req("domain", ParamKind::Str),
            ParamSpec::req("port", ParamKind::Str),
            ParamSpec::req("extra", ParamKind::Str),
            ParamSpec::req("result", ParamKind::Var),
        ],
        RouteMask::ALL,
        construct_uri,
    )]
}

/// The URI from its parts; `None` without a scheme or a domain.
pub fn build(proto: &str, user: &str, domain: &str, port: &str, extra: &str) -> Option<String> {
    if proto.is_empty() || domain.is_empty() {
        return None;
    }
    let mut uri = format!("{proto}:");
    if !user.is_empty() {
        uri.push_str(user);
        uri.push('@');
    }
    uri.push_str(domain);
    for (sep, part) in [(':', port), (';', extra)] {
        if !part.is_empty() {
            uri.push(sep);
            uri.push_str(part);
        }
    }
    Some(uri)
}

fn fail(what: &str) -> i32 {
    crate::log::emit(
        crate::log::level::ERR,
        "core",
        &format!("construct_uri: {what}"),
    );
    -1
}

fn construct_uri(ctx: &mut Context, args: &Args) -> i32 {
    let part = |i| args.str(ctx, i).map(|s| s.into_owned()).unwrap_or_default();
    let parts = [part(0), part(1), part(2), part(3), part(4)];
    let Some(uri) = build(&parts[0], &parts[1], &parts[2], &parts[3], &parts[4]) else {
        return fail("the protocol and the domain must not be empty");
    };
    let Some(pv) = args.pv(5) else { return -1 };
    match pv.set(ctx, AssignOp::Set, Value::Str(uri)) {
        Ok(()) => 1,
        Err(e) => fail(&e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::build;

    #[test]
    fn parts_and_separators() {
        assert_eq!(
            build("sip", "alice", "example.com", "5070", "transport=tcp").as_deref(),
            Some("sip:alice@example.com:5070;transport=tcp")
        );
        assert_eq!(
            build("sips", "", "10.0.0.1", "", "").as_deref(),
            Some("sips:10.0.0.1")
        );
        assert_eq!(build("", "a", "b", "", ""), None);
        assert_eq!(build("sip", "a", "", "", ""), None);
    }
}
