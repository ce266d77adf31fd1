//! Questions about the sets: `ds_is_in_list(ip, port[, set[, partition[, active_only]]])`
//! (is this address a destination?) and `ds_count(set, filter, result[, partition])` (how
//! many destinations are in these states?).

use std::net::IpAddr;
use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_script::AssignOp;

use super::sets::DsState;
use super::shared::Shared;
use super::{log_err, partition_ok};

/// The declarations.
pub fn functions(shared: &Arc<Shared>) -> Vec<FunctionDecl> {
    let (s1, s2) = (shared.clone(), shared.clone());
    vec![
        FunctionDecl::new(
            "ds_is_in_list",
            vec![
                ParamSpec::req("ip", ParamKind::Str),
                ParamSpec::req("port", ParamKind::Int),
                ParamSpec::opt("set", ParamKind::Int),
                ParamSpec::opt("partition", ParamKind::Str),
                ParamSpec::opt("active_only", ParamKind::Int),
            ],
            RouteMask::WITH_MESSAGE,
            move |ctx: &mut Context, args: &Args| {
                if !partition_ok(ctx, args, 3) {
                    return -1;
                }
                let ip = args.str(ctx, 0).unwrap_or_default();
                let Ok(ip) = ip.trim().trim_matches(['[', ']']).parse::<IpAddr>() else {
                    return -1;
                };
                let port = args.int(ctx, 1).unwrap_or(0).clamp(0, 65535) as u16;
                let set = args.int(ctx, 2).unwrap_or(-1);
                let active_only = args.int(ctx, 4).unwrap_or(0) != 0;
                let sets = s1.sets();
                let hit = sets
                    .sets
                    .iter()
                    .filter(|s| set == -1 || s.id == set)
                    .flat_map(|s| &s.dests)
                    .any(|d| d.matches(ip, port) && (!active_only || d.is_active()));
                if hit {
                    1
                } else {
                    -1
                }
            },
        ),
        FunctionDecl::new(
            "ds_count",
            vec![
                ParamSpec::req("set", ParamKind::Int),
                ParamSpec::req("state_filter", ParamKind::Str),
                ParamSpec::req("res_var", ParamKind::Var),
                ParamSpec::opt("partition", ParamKind::Str),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| {
                if !partition_ok(ctx, args, 3) {
                    return -1;
                }
                let Some(id) = args.int(ctx, 0) else {
                    return -1;
                };
                let filter = args.str(ctx, 1).unwrap_or_default().into_owned();
                let mut wanted = Vec::new();
                for c in filter.chars() {
                    match DsState::from_letter(&c.to_string()) {
                        Some(s) => wanted.push(s),
                        None => return log_err(&format!("ds_count: bad filter {filter:?}")),
                    }
                }
                let sets = s2.sets();
                let Some(set) = sets.get(id) else { return -1 };
                let n = set
                    .dests
                    .iter()
                    .filter(|d| wanted.contains(&d.state()))
                    .count();
                let Some(pv) = args.pv(2) else { return -1 };
                match pv.set(ctx, AssignOp::Set, Value::Int(n as i64)) {
                    Ok(()) => 1,
                    Err(e) => log_err(&format!("ds_count: {e}")),
                }
            },
        ),
    ]
}
