//! `do_routing` (pick the rule, send to its first gateway, keep the others),
//! `use_next_gw`/`next_routing` (the next kept gateway, in a failure route), `route_to_gw`
//! and `route_to_carrier` (a given list instead of a rule).
//!
//! The kept gateways live in AVPs, as in OpenSIPS, so that tm's failure route sees what
//! the request route stored: `$avp(dr_ruri)` the R-URI for each gateway, `$avp(dr_gw_id)`,
//! `$avp(dr_carrier_id)` and `$avp(dr_rule_id)`; the value at index 0 is the one in use.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::sipview::{rewrite_uri, UriChange};
use siplua_core::value::Value;

use super::gateways::{split_list, Gateway, State};
use super::rules::{self, Entry};
use super::shared::{Shared, Tables};
use super::{log_err, partition_ok, set_var};

const RURI_AVP: &str = "dr_ruri";
const GW_AVP: &str = "dr_gw_id";
const CARRIER_AVP: &str = "dr_carrier_id";
const RULE_AVP: &str = "dr_rule_id";
const AVPS: [&str; 4] = [RURI_AVP, GW_AVP, CARRIER_AVP, RULE_AVP];

/// The `flags` of `do_routing`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags {
    /// `F`: when a rule's gateways are used up, go on with the next shorter prefix's rule.
    fallback: bool,
    /// `L`: the prefix must be the whole number.
    strict: bool,
    /// `C`: only tell whether a rule matches.
    check_only: bool,
    /// `W` (OpenSIPS 2.x): order the rule's list by weight whatever its sort_alg.
    weights: bool,
}

impl Flags {
    fn parse(text: &str) -> Result<Flags, String> {
        let mut f = Flags::default();
        for c in text.chars() {
            match c.to_ascii_uppercase() {
                'F' => f.fallback = true,
                'L' => f.strict = true,
                'C' => f.check_only = true,
                'W' => f.weights = true,
                ' ' => {}
                _ => {
                    return Err(format!(
                        "unknown do_routing flag '{c}' in {text:?} (F, L, C, W)"
                    ))
                }
            }
        }
        Ok(f)
    }

    /// Argument `i`: parsed at load time when constant (see `functions`), else per call.
    fn from_arg(ctx: &Context, args: &Args, i: usize) -> Result<Flags, String> {
        if let PreparedArg::Custom(c) = args.get(i) {
            if let Some(f) = c.downcast_ref::<Flags>() {
                return Ok(*f);
            }
        }
        Flags::parse(&args.str(ctx, i).unwrap_or_default())
    }
}

/// One gateway to try: its R-URI and where it came from.
struct Hop {
    uri: String,
    gw: usize,
    carrier: Option<usize>,
    rule: Option<i64>,
}

/// The declarations.
pub fn functions(shared: &Arc<Shared>) -> Vec<FunctionDecl> {
    let routes = RouteMask::of(&[RouteType::Request, RouteType::Branch, RouteType::Failure]);
    let var = |n| ParamSpec::opt(n, ParamKind::Var);
    let part = ParamSpec::opt("partition", ParamKind::Str);
    let s = shared.clone();
    let mut out = vec![FunctionDecl::new(
        "do_routing",
        vec![
            ParamSpec::opt("groupID", ParamKind::Str),
            ParamSpec::opt("flags", ParamKind::Str),
            ParamSpec::opt("gw_whitelist", ParamKind::Str),
            var("rule_attrs_pvar"),
            var("gw_attrs_pvar"),
            var("carrier_attrs_pvar"),
            part,
        ],
        routes,
        move |ctx: &mut Context, args: &Args| do_routing(&s, ctx, args),
    )
    .with_fixup(|args| {
        if let Some(PreparedArg::Str(f)) = args.get(1) {
            args[1] = PreparedArg::Custom(Arc::new(Flags::parse(f)?));
        }
        Ok(())
    })];
    for name in ["use_next_gw", "next_routing"] {
        let s = shared.clone();
        out.push(FunctionDecl::new(
            name,
            vec![
                var("rule_attrs_pvar"),
                var("gw_attrs_pvar"),
                var("carrier_attrs_pvar"),
                part,
            ],
            routes,
            move |ctx: &mut Context, args: &Args| {
                if !partition_ok(ctx, args, 3) {
                    return -1;
                }
                use_next_gw(&s, ctx, args)
            },
        ));
    }
    for (name, carriers) in [("route_to_gw", false), ("route_to_carrier", true)] {
        let s = shared.clone();
        out.push(FunctionDecl::new(
            name,
            vec![
                ParamSpec::req("list", ParamKind::Str),
                var("gw_attrs_pvar"),
                var("carrier_attrs_pvar"),
                part,
            ],
            routes,
            move |ctx: &mut Context, args: &Args| route_to_list(&s, ctx, args, carriers),
        ));
    }
    out
}

/// Takes out `items` in list order, or by weight (a weighted draw without replacement;
/// items of weight 0 come last, in list order).
fn order<T: Copy>(items: &[(T, u32)], weighted: bool) -> Vec<T> {
    if !weighted {
        return items.iter().map(|(t, _)| *t).collect();
    }
    let mut left: Vec<(T, u32)> = items.to_vec();
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let total: u64 = left.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            out.extend(left.iter().map(|(t, _)| *t));
            break;
        }
        let mut b = [0u8; 8];
        let r = match getrandom::fill(&mut b) {
            Ok(()) => u64::from_le_bytes(b) % total,
            Err(_) => 0,
        };
        let mut acc = 0;
        let pick = left
            .iter()
            .position(|(_, w)| {
                acc += u64::from(*w);
                r < acc
            })
            .unwrap_or(0);
        out.push(left.remove(pick).0);
    }
    out
}

/// The active gateways of `entries` (carriers expanded, inactive carriers skipped), in
/// order, each with the carrier it came from; only gateways in `only` when given.
fn expand(
    t: &Tables,
    entries: &[(Entry, u32)],
    weighted: bool,
    only: Option<&[usize]>,
) -> Vec<(usize, Option<usize>)> {
    let usable =
        |g: usize| t.gws[g].state.get() == State::Active && only.is_none_or(|o| o.contains(&g));
    let mut out = Vec::new();
    for e in order(entries, weighted) {
        match e {
            Entry::Gw(g) if usable(g) => out.push((g, None)),
            Entry::Gw(_) => {}
            Entry::Carrier(c) => {
                let cr = &t.carriers[c];
                if cr.state.get() != State::Active {
                    continue;
                }
                for g in order(&cr.gws, cr.sort_alg == 'W') {
                    if usable(g) {
                        out.push((g, Some(c)));
                    }
                }
            }
        }
    }
    out
}

/// The R-URI for `gw`: the number stripped and prefixed, the host and port the gateway's.
fn hop_uri(ruri: &str, gw: &Gateway) -> Result<String, String> {
    let mut u = ruri.to_owned();
    if gw.strip > 0 {
        u = rewrite_uri(&u, UriChange::Strip(gw.strip))?;
    }
    if !gw.pri_prefix.is_empty() {
        u = rewrite_uri(&u, UriChange::Prefix(&gw.pri_prefix))?;
    }
    rewrite_uri(&u, UriChange::HostPort(&gw.address))
}

/// Builds the hops from the current R-URI, stores them and applies the first; -1 when
/// there is none.
fn start(
    shared: &Shared,
    ctx: &mut Context,
    t: &Tables,
    list: Vec<(usize, Option<usize>, Option<i64>)>,
    args: &Args,
    outs: [Option<usize>; 3],
) -> i32 {
    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let mut hops = Vec::new();
    for (gw, carrier, rule) in list {
        match hop_uri(&ruri, &t.gws[gw]) {
            Ok(uri) => hops.push(Hop {
                uri,
                gw,
                carrier,
                rule,
            }),
            Err(e) => return log_err(&format!("gateway {}: {e}", t.gws[gw].id)),
        }
    }
    if hops.is_empty() {
        return -1;
    }
    for name in AVPS {
        ctx.avps.remove_all(name);
    }
    for h in hops.iter().rev() {
        ctx.avps.add(RURI_AVP, Value::Str(h.uri.clone()));
        ctx.avps.add(GW_AVP, Value::Str(t.gws[h.gw].id.clone()));
        let carrier = h.carrier.map(|c| t.carriers[c].id.clone());
        ctx.avps
            .add(CARRIER_AVP, Value::Str(carrier.unwrap_or_default()));
        ctx.avps.add(RULE_AVP, Value::Int(h.rule.unwrap_or(-1)));
    }
    apply_current(shared, ctx, args, outs)
}

/// Puts the current hop (index 0 of the AVPs) into the R-URI, with the gateway's socket,
/// and fills the attribute variables at `outs` (rule, gateway, carrier); -1 when none.
fn apply_current(shared: &Shared, ctx: &mut Context, args: &Args, outs: [Option<usize>; 3]) -> i32 {
    let text = |ctx: &Context, n: &str| ctx.avps.get(n, 0).map(|v| v.as_str().into_owned());
    let Some(uri) = text(ctx, RURI_AVP) else {
        return -1;
    };
    let t = shared.tables();
    let gw = text(ctx, GW_AVP)
        .and_then(|id| t.gw(&id))
        .map(|g| &t.gws[g]);
    let carrier = text(ctx, CARRIER_AVP)
        .and_then(|id| t.carrier(&id))
        .map(|c| &t.carriers[c]);
    let rule_id = ctx.avps.get(RULE_AVP, 0).and_then(Value::to_int);
    let rule = rule_id.and_then(|id| t.rules.iter().find(|r| r.id == id));
    ctx.new_ruri = Some(uri);
    ctx.dst_uri = None;
    if let Some(sock) = gw.and_then(|g| g.socket.as_deref()) {
        let found = ctx
            .worker
            .transports
            .as_ref()
            .and_then(|tr| crate::dispatcher::socket::find(tr, sock));
        match found {
            Some(id) => ctx.send_socket = Some(id),
            None => {
                log_err(&format!("{sock} is not a socket siplua listens on"));
            }
        }
    }
    let values = [
        rule.map(|r| r.attrs.clone()),
        gw.map(|g| g.attrs.clone()),
        carrier.map(|c| c.attrs.clone()),
    ];
    for (i, v) in outs.into_iter().zip(values) {
        if let Some(i) = i {
            set_var(ctx, args, i, v.unwrap_or_default());
        }
    }
    1
}

fn do_routing(shared: &Shared, ctx: &mut Context, args: &Args) -> i32 {
    if !partition_ok(ctx, args, 6) {
        return -1;
    }
    let flags = match Flags::from_arg(ctx, args, 1) {
        Ok(f) => f,
        Err(e) => return log_err(&e),
    };
    // No group (or an empty one): the caller's, from the groups table.
    let group = match args.str(ctx, 0).filter(|g| !g.trim().is_empty()) {
        Some(g) => g.trim().parse().ok(),
        None => caller_group(shared, ctx),
    };
    let Some(group) = group else {
        return log_err("do_routing: no routing group for this caller");
    };
    let Some(number) = ctx
        .ruri()
        .and_then(|u| siplua_sip::Uri::parse(u).ok())
        .and_then(|u| u.user().map(str::to_owned))
    else {
        return -1;
    };
    if !rules::valid_number(&number, &shared.settings.extra_prefix_chars) {
        return -1;
    }
    let t = shared.tables();
    let now = chrono::Utc::now().timestamp();
    let matched = rules::matching(&t.rules, group, &number, flags.strict, now);
    let Some(first) = matched.first() else {
        return -1;
    };
    if flags.check_only {
        set_var(ctx, args, 3, first.attrs.clone());
        return 1;
    }
    // An empty whitelist is no whitelist.
    let only: Option<Vec<usize>> = args.str(ctx, 2).filter(|w| !w.trim().is_empty()).map(|w| {
        split_list(&w)
            .into_iter()
            .filter_map(|(id, _)| t.gw(&id))
            .collect()
    });
    let take = if flags.fallback { matched.len() } else { 1 };
    let mut list = Vec::new();
    for r in &matched[..take] {
        let weighted = flags.weights || r.sort_alg == 'W';
        for (g, c) in expand(&t, &r.entries, weighted, only.as_deref()) {
            list.push((g, c, Some(r.id)));
        }
    }
    start(shared, ctx, &t, list, args, [Some(3), Some(4), Some(5)])
}

/// The caller's group from the groups table: From user and domain.
fn caller_group(shared: &Shared, ctx: &Context) -> Option<i64> {
    let from = ctx.msg.as_ref()?.from().ok()?;
    let uri = from.uri();
    shared.group_of(uri.user().unwrap_or_default(), uri.host())
}

fn use_next_gw(shared: &Shared, ctx: &mut Context, args: &Args) -> i32 {
    if !ctx.avps.remove_at(RURI_AVP, 0) {
        return -1;
    }
    for name in &AVPS[1..] {
        ctx.avps.remove_at(name, 0);
    }
    apply_current(shared, ctx, args, [Some(0), Some(1), Some(2)])
}

fn route_to_list(shared: &Shared, ctx: &mut Context, args: &Args, carriers: bool) -> i32 {
    if !partition_ok(ctx, args, 3) {
        return -1;
    }
    let t = shared.tables();
    let text = args.str(ctx, 0).unwrap_or_default().into_owned();
    let mut entries = Vec::new();
    for (id, w) in split_list(&text) {
        let id = id.trim_start_matches('#');
        let e = match carriers {
            true => t.carrier(id).map(Entry::Carrier),
            false => t.gw(id).map(Entry::Gw),
        };
        match e {
            Some(e) => entries.push((e, w)),
            None => return log_err(&format!("no gateway or carrier {id}")),
        }
    }
    let list = expand(&t, &entries, false, None)
        .into_iter()
        .map(|(g, c)| (g, c, None))
        .collect();
    start(shared, ctx, &t, list, args, [None, Some(1), Some(2)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_weighted_order() {
        let f = Flags::parse("fL").unwrap();
        assert!(f.fallback && f.strict && !f.check_only);
        assert!(Flags::parse("x").is_err());
        assert_eq!(order(&[(1, 5), (2, 5)], false), [1, 2]);
        let mut firsts = std::collections::BTreeSet::new();
        for _ in 0..64 {
            let o = order(&[(1, 1), (2, 1), (3, 0)], true);
            assert_eq!(o.len(), 3);
            assert_eq!(o[2], 3, "weight 0 comes last");
            firsts.insert(o[0]);
        }
        assert_eq!(firsts.len(), 2, "both weighted items come first sometimes");
    }
}
