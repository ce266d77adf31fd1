//! `append_branch([uri[, q]])`: adds a destination for forking.

use crate::context::{Branch, Context};
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::{RouteMask, RouteType};

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    vec![FunctionDecl::new(
        "append_branch",
        vec![
            ParamSpec::opt("uri", ParamKind::Str),
            ParamSpec::opt("q", ParamKind::Str),
        ],
        RouteMask::of(&[RouteType::Request, RouteType::Failure]),
        append_branch,
    )]
}

/// Without a URI the current Request-URI (and `$du`) becomes a new branch, as in OpenSIPS.
fn append_branch(ctx: &mut Context, args: &Args) -> i32 {
    let (uri, dst) = match args.str(ctx, 0) {
        Some(u) if !u.is_empty() => (u.into_owned(), None),
        _ => match ctx.ruri() {
            Some(r) => (r.to_owned(), ctx.dst_uri.clone()),
            None => return -1,
        },
    };
    let q = args.str(ctx, 1).and_then(|q| parse_q(&q)).unwrap_or(-1);
    ctx.branches.push(Branch {
        uri,
        dst_uri: dst,
        q,
        flags: ctx.branch_flags,
        ..Branch::default()
    });
    1
}

/// A q-value (`0.5`, `1`, `1.0`) in thousandths.
pub fn parse_q(s: &str) -> Option<i32> {
    let v: f64 = s.trim().parse().ok()?;
    if (0.0..=1.0).contains(&v) {
        Some((v * 1000.0).round() as i32)
    } else {
        None
    }
}
