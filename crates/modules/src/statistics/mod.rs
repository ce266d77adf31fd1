//! `statistics`: statistics the script keeps — `update_stat(name, value)`,
//! `reset_stat(name)`, `$stat(name)` — next to the server's own, so `get_statistics` and the
//! Prometheus exporter show them too. A name without a group is in the `dynamic` group, as
//! in OpenSIPS; `variable` declares one at start-up (`name` or `group:name`, with an optional
//! `/no_reset`), `update_stat` creates it on first use. `$stat(name)` also reads the server's
//! statistics by their plain name (`$stat(rcv_requests)`); assigning 0 to it resets it.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::PvDecl;
use siplua_core::route_type::RouteMask;
use siplua_core::stats::Stats;
use siplua_core::value::Value;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("variable"),
    ModParamSpec::str("stat_groups"),
];

/// The group of script statistics named without one.
const DEFAULT_GROUP: &str = "dynamic";

/// `group:name` for a script's name.
fn full_name(name: &str) -> String {
    match name.split_once(':') {
        Some(_) => name.to_owned(),
        None => format!("{DEFAULT_GROUP}:{name}"),
    }
}

/// The registered statistic a script's name refers to: its own group first, then any
/// group's statistic of that plain name.
fn find(stats: &Stats, name: &str) -> Option<(String, i64)> {
    let full = full_name(name);
    let all = stats.snapshot();
    all.iter()
        .find(|(k, _)| *k == full)
        .or_else(|| {
            all.iter()
                .find(|(k, _)| k.split_once(':').is_some_and(|(_, n)| n == name))
        })
        .cloned()
}

/// The module.
#[derive(Default)]
pub struct Statistics {
    declared: Vec<String>,
}

impl Module for Statistics {
    fn name(&self) -> &'static str {
        "statistics"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "variable" => {
                let text = value.as_str();
                let stat = text.split('/').next().unwrap_or("").trim();
                if stat.is_empty() {
                    return Err(format!("statistics variable '{text}' has no name"));
                }
                self.declared.push(stat.to_owned());
            }
            "stat_groups" => {}
            _ => return Err(format!("module statistics has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        for name in &self.declared {
            let full = full_name(name);
            let (group, stat) = full.split_once(':').unwrap_or((DEFAULT_GROUP, &full));
            env.stats.counter(group, stat);
        }
        Ok(())
    }

    fn pseudo_variables(&self) -> Vec<PvDecl> {
        vec![PvDecl {
            name: "stat",
            takes_inner: true,
            get: Arc::new(|ctx: &Context, name| {
                name.and_then(|n| find(&ctx.core.stats, n))
                    .map_or(Value::Null, |(_, v)| Value::Int(v))
            }),
            set: Some(Arc::new(|ctx: &mut Context, name, value| {
                let name = name.ok_or("$stat needs a name")?;
                if value.to_int() != Some(0) {
                    return Err("$stat can only be reset, by assigning 0".into());
                }
                let (full, _) =
                    find(&ctx.core.stats, name).ok_or_else(|| format!("no statistic {name}"))?;
                ctx.core.stats.reset(&full);
                Ok(())
            })),
        }]
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        vec![
            FunctionDecl::new(
                "update_stat",
                vec![
                    ParamSpec::req("variable", ParamKind::Str),
                    ParamSpec::req("value", ParamKind::Int),
                ],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
                    let Some(delta) = args.int(ctx, 1) else {
                        siplua_core::log::emit(
                            siplua_core::log::level::ERR,
                            "statistics",
                            "update_stat: the value is not a number",
                        );
                        return -1;
                    };
                    // An existing statistic of that name (declared in another group, or
                    // the server's own), else the script's own, created on first use.
                    let full = match name.contains(':') {
                        true => name.clone(),
                        false => find(&ctx.core.stats, &name)
                            .map_or_else(|| full_name(&name), |(k, _)| k),
                    };
                    let (group, stat) = full.split_once(':').unwrap_or((DEFAULT_GROUP, &full));
                    ctx.core.stats.counter(group, stat).add(delta);
                    1
                },
            ),
            FunctionDecl::new(
                "reset_stat",
                vec![ParamSpec::req("variable", ParamKind::Str)],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
                    match find(&ctx.core.stats, &name) {
                        Some((full, _)) if ctx.core.stats.reset(&full) => 1,
                        _ => -1,
                    }
                },
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_lookup() {
        let stats = Stats::default();
        stats.counter("core", "rcv_requests").add(5);
        stats.counter(DEFAULT_GROUP, "calls").add(2);
        assert_eq!(find(&stats, "calls"), Some(("dynamic:calls".into(), 2)));
        assert_eq!(
            find(&stats, "rcv_requests"),
            Some(("core:rcv_requests".into(), 5))
        );
        assert_eq!(find(&stats, "core:rcv_requests").map(|x| x.1), Some(5));
        assert!(find(&stats, "nothing").is_none());
        assert_eq!(full_name("x"), "dynamic:x");
        assert_eq!(full_name("g:x"), "g:x");
    }
}
