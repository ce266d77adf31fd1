//! `rr`: record-routing and loose routing (RFC 3261 §16.4, §16.6 step 4, §16.12) —
//! `record_route([params])`, `record_route_preset(addr[, params])`, `remove_record_route()`,
//! `loose_route()`,
//! `add_rr_param(param)`, `check_route_param(regex)`, `get_route_param(name, $var)`,
//! `is_direction(dir)`.
//!
//! Parameters: `append_fromtag` (add `;ftag=` to Record-Route), `enable_double_rr` and
//! `add_username` (accepted; siplua inserts one Record-Route and no user part).

mod loose;
mod params;
mod record;
mod routeset;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};

use record::RrOptions;

pub use loose::route_to_path_received;
pub use record::{own_uri, push_host};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "append_fromtag",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "enable_double_rr",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "add_username",
        kind: ModParamKind::Int,
    },
];

/// The module.
#[derive(Default)]
pub struct Rr {
    opts: RrOptions,
}

impl Module for Rr {
    fn name(&self) -> &'static str {
        "rr"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "append_fromtag" => self.opts.append_fromtag = value.as_int() != 0,
            "enable_double_rr" | "add_username" => {}
            _ => return Err(format!("module rr has no parameter {name}")),
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let opts = self.opts;
        let rr_routes = RouteMask::of(&[RouteType::Request, RouteType::Branch, RouteType::Failure]);
        vec![
            FunctionDecl::new(
                "record_route",
                vec![ParamSpec::opt("params", ParamKind::Str)],
                rr_routes,
                move |ctx: &mut Context, args: &Args| {
                    let params = args.str(ctx, 0).map(|p| p.into_owned());
                    record::record_route(ctx, opts, params.as_deref())
                },
            ),
            FunctionDecl::new(
                "record_route_preset",
                vec![
                    ParamSpec::req("address", ParamKind::Str),
                    ParamSpec::opt("params", ParamKind::Str),
                ],
                rr_routes,
                move |ctx: &mut Context, args: &Args| {
                    let addr = args.str(ctx, 0).unwrap_or_default().into_owned();
                    let params = args.str(ctx, 1).map(|p| p.into_owned());
                    record::record_route_preset(ctx, opts, &addr, params.as_deref())
                },
            ),
            FunctionDecl::new(
                "remove_record_route",
                vec![],
                RouteMask::of(&[RouteType::Request, RouteType::Failure]),
                |ctx: &mut Context, _: &Args| params::remove_record_route(ctx),
            ),
            FunctionDecl::new(
                "add_rr_param",
                vec![ParamSpec::req("param", ParamKind::Str)],
                rr_routes,
                |ctx: &mut Context, args: &Args| {
                    let p = args.str(ctx, 0).unwrap_or_default().into_owned();
                    params::add_rr_param(ctx, &p)
                },
            ),
            FunctionDecl::new(
                "check_route_param",
                vec![ParamSpec::req("regexp", ParamKind::Regex)],
                RouteMask::of(&[RouteType::Request]),
                |ctx: &mut Context, args: &Args| match args.regex(ctx, 0) {
                    Some(re) => params::check_route_param(ctx, &re),
                    None => -1,
                },
            ),
            FunctionDecl::new(
                "get_route_param",
                vec![
                    ParamSpec::req("name", ParamKind::Str),
                    ParamSpec::req("value", ParamKind::Var),
                ],
                RouteMask::of(&[RouteType::Request]),
                |ctx: &mut Context, args: &Args| {
                    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
                    match args.pv(1) {
                        Some(pv) => params::get_route_param(ctx, &name, pv),
                        None => -1,
                    }
                },
            ),
            FunctionDecl::new(
                "is_direction",
                vec![ParamSpec::req("dir", ParamKind::Str)],
                RouteMask::of(&[RouteType::Request]),
                |ctx: &mut Context, args: &Args| {
                    let dir = args.str(ctx, 0).unwrap_or_default().into_owned();
                    params::is_direction(ctx, &dir)
                },
            ),
            FunctionDecl::new(
                "loose_route",
                vec![],
                RouteMask::of(&[RouteType::Request]),
                |ctx: &mut Context, _: &Args| loose::loose_route(ctx),
            ),
        ]
    }
}
