//! `uac_redirect`: following 3xx replies from a failure route, as OpenSIPS 3.x does it.
//! `get_redirects([max_total], [max_branch])` reads the contacts of the 3xx replies that the
//! latest round of branches received and makes them the new targets: the first (highest q)
//! becomes the Request-URI, the others new branches, so the next `t_relay()` forks to them.
//! `set_accept_filter` / `set_deny_filter` and the `*_filter` parameters choose which
//! contacts may be used (see [`filters`]).

mod collect;
mod filters;

use std::sync::Arc;

use regex::Regex;
use siplua_core::context::{Branch, Context};
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::log::{self, level};
use siplua_core::module::{ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};

use crate::tm::api::TmApi;
use filters::{Filters, Kind, Reset};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("default_filter"),
    ModParamSpec::str("deny_filter"),
    ModParamSpec::str("accept_filter"),
];

/// The module: the filters its parameters set.
#[derive(Default)]
pub struct UacRedirect {
    defaults: Filters,
    /// `default_filter` was set to `deny`.
    deny_by_default: bool,
}

fn compile(name: &str, text: &str) -> Result<Arc<Regex>, String> {
    Regex::new(text)
        .map(Arc::new)
        .map_err(|e| format!("{name}: bad regular expression {text:?}: {e}"))
}

impl Module for UacRedirect {
    fn name(&self) -> &'static str {
        "uac_redirect"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let text = value.as_str();
        match name {
            "default_filter" => {
                self.deny_by_default = match text.trim() {
                    "accept" => false,
                    "deny" => true,
                    other => {
                        return Err(format!(
                            "default_filter must be accept or deny, not {other:?}"
                        ))
                    }
                }
            }
            "deny_filter" => self.defaults.default_deny = Some(compile(name, &text)?),
            "accept_filter" => self.defaults.default_accept = Some(compile(name, &text)?),
            _ => return Err(format!("module uac_redirect has no parameter {name}")),
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let mut defaults = self.defaults.clone();
        defaults.default_rule_accepts = !self.deny_by_default;
        let routes = RouteMask::of(&[RouteType::Request, RouteType::Failure]);
        let filter_params = || {
            vec![
                ParamSpec::req("filter", ParamKind::Regex),
                ParamSpec::opt("flags", ParamKind::StaticStr),
            ]
        };
        let (d1, d2, d3) = (defaults.clone(), defaults.clone(), defaults);
        vec![
            FunctionDecl::new(
                "set_accept_filter",
                filter_params(),
                routes,
                move |ctx, args| set_filter(ctx, args, Kind::Accept, &d1),
            )
            .with_fixup(check_flags),
            FunctionDecl::new(
                "set_deny_filter",
                filter_params(),
                routes,
                move |ctx, args| set_filter(ctx, args, Kind::Deny, &d2),
            )
            .with_fixup(check_flags),
            FunctionDecl::new(
                "get_redirects",
                vec![
                    ParamSpec::opt("max_total", ParamKind::Str),
                    ParamSpec::opt("max_branch", ParamKind::Str),
                ],
                RouteMask::of(&[RouteType::Failure]),
                move |ctx, args| get_redirects(ctx, args, &d3),
            ),
        ]
    }
}

/// A constant `flags` argument is checked when the script loads.
fn check_flags(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(flags)) = args.get(1) {
        Reset::parse(flags)?;
    }
    Ok(())
}

/// `set_accept_filter(re[, flags])`, `set_deny_filter(re[, flags])`: for this message; 1.
fn set_filter(ctx: &mut Context, args: &Args, kind: Kind, defaults: &Filters) -> i32 {
    let Some(re) = args.regex(ctx, 0).map(|r| Arc::new(r.into_owned())) else {
        return -1;
    };
    let reset = match Reset::parse(&args.str(ctx, 1).unwrap_or_default()) {
        Ok(r) => r,
        Err(e) => {
            log::emit(level::ERR, "uac_redirect", &e);
            return -1;
        }
    };
    let mut filters = ctx
        .take_ext::<Filters>()
        .unwrap_or_else(|| defaults.clone());
    filters.add(kind, re, reset);
    ctx.set_ext(filters);
    1
}

/// The limits: `get_redirects(max_total, max_branch)` (3.x) or the older
/// `get_redirects("max_total:max_branch"[, reason])`; missing or 0 is no limit.
fn limits(ctx: &Context, args: &Args) -> Result<(usize, usize), String> {
    let number = |text: &str| {
        let t = text.trim();
        if t.is_empty() {
            return Ok(0);
        }
        t.parse::<usize>()
            .map_err(|_| format!("get_redirects: {t:?} is not a number of contacts"))
    };
    let first = args.str(ctx, 0).unwrap_or_default();
    let second = args.str(ctx, 1).unwrap_or_default();
    match first.split_once(':') {
        // The second argument of the old form is the reason for accounting.
        Some((total, branch)) => Ok((number(total)?, number(branch)?)),
        None => Ok((number(&first)?, number(&second).unwrap_or(0))),
    }
}

/// `get_redirects(...)`: the number of contacts that became targets, -1 when none did.
fn get_redirects(ctx: &mut Context, args: &Args, defaults: &Filters) -> i32 {
    let Some(tm) = ctx.core.apis.get::<TmApi>() else {
        log::emit(
            level::ERR,
            "uac_redirect",
            "get_redirects() needs the tm module",
        );
        return -1;
    };
    let (max_total, max_branch) = match limits(ctx, args) {
        Ok(l) => l,
        Err(e) => {
            log::emit(level::ERR, "uac_redirect", &e);
            return -1;
        }
    };
    let replies = tm.redirect_replies(ctx);
    let chosen = {
        let filters = ctx.ext::<Filters>().unwrap_or(defaults);
        collect::targets(&replies, filters, max_total, max_branch)
    };
    let mut chosen = chosen.into_iter();
    let Some(first) = chosen.next() else {
        return -1;
    };
    let count = 1 + chosen.len();
    ctx.new_ruri = Some(first.uri);
    ctx.dst_uri = None;
    for t in chosen {
        ctx.branches.push(Branch {
            uri: t.uri,
            q: t.q,
            ..Branch::default()
        });
    }
    i32::try_from(count).unwrap_or(i32::MAX)
}
