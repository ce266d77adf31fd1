//! The script functions of the rule files: `allow_routing([basename | allow_file, deny_file])`,
//! `allow_register(basename | allow_file, deny_file)` and `allow_uri(basename, uri)`. The
//! files a call names are read when the call is loaded (a bad file is a load error naming
//! `file:line`); at run time a call only matches.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::route_type::{RouteMask, RouteType};

use super::checks;
use super::files::{RuleFiles, RulePair};

/// The declarations, sharing the files read so far.
pub fn functions(files: &Arc<RuleFiles>, check_all_branches: bool) -> Vec<FunctionDecl> {
    let routes = RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Local]);
    let uri_routes = RouteMask::of(&[
        RouteType::Request,
        RouteType::Failure,
        RouteType::Local,
        RouteType::Branch,
        RouteType::Startup,
        RouteType::Timer,
        RouteType::Event,
    ]);
    let default = files.default.clone();
    vec![
        FunctionDecl::new(
            "allow_routing",
            vec![
                ParamSpec::opt("basename_or_allow_file", ParamKind::StaticStr),
                ParamSpec::opt("deny_file", ParamKind::StaticStr),
            ],
            routes,
            move |ctx: &mut Context, args: &Args| {
                let pair = args.custom::<Arc<RulePair>>(0).unwrap_or(&default);
                checks::routing(ctx, pair, check_all_branches)
            },
        )
        .with_fixup(file_fixup(files)),
        FunctionDecl::new(
            "allow_register",
            vec![
                ParamSpec::req("basename_or_allow_file", ParamKind::StaticStr),
                ParamSpec::opt("deny_file", ParamKind::StaticStr),
            ],
            routes,
            |ctx: &mut Context, args: &Args| match args.custom::<Arc<RulePair>>(0) {
                Some(pair) => checks::register(ctx, pair),
                None => -1,
            },
        )
        .with_fixup(file_fixup(files)),
        FunctionDecl::new(
            "allow_uri",
            vec![
                ParamSpec::req("basename", ParamKind::StaticStr),
                ParamSpec::req("uri", ParamKind::Str),
            ],
            uri_routes,
            |ctx: &mut Context, args: &Args| {
                let (Some(pair), Some(uri)) = (args.custom::<Arc<RulePair>>(0), args.str(ctx, 1))
                else {
                    return -1;
                };
                checks::uri(ctx, pair, &uri)
            },
        )
        .with_fixup(basename_fixup(files)),
    ]
}

fn constant(arg: &PreparedArg) -> Option<&str> {
    match arg {
        PreparedArg::Str(s) => Some(s),
        _ => None,
    }
}

/// One argument is a basename, two are the allow and the deny file; the pair read replaces
/// the first argument.
fn file_fixup(
    files: &Arc<RuleFiles>,
) -> impl Fn(&mut [PreparedArg]) -> Result<(), String> + Send + Sync + 'static {
    let files = files.clone();
    move |args: &mut [PreparedArg]| {
        let first = args.first().and_then(constant);
        let second = args.get(1).and_then(constant);
        let pair = match (first, second) {
            (Some(allow), Some(deny)) => files.pair(allow, deny)?,
            (Some(base), None) => files.basename(base)?,
            _ => return Ok(()),
        };
        args[0] = PreparedArg::Custom(Arc::new(pair));
        Ok(())
    }
}

/// The first argument is a basename.
fn basename_fixup(
    files: &Arc<RuleFiles>,
) -> impl Fn(&mut [PreparedArg]) -> Result<(), String> + Send + Sync + 'static {
    let files = files.clone();
    move |args: &mut [PreparedArg]| {
        if let Some(base) = args.first().and_then(constant) {
            let pair = files.basename(base)?;
            args[0] = PreparedArg::Custom(Arc::new(pair));
        }
        Ok(())
    }
}
