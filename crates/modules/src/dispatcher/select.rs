//! `ds_select_dst`/`ds_select_domain` (choose a destination, keep the rest for failover),
//! `ds_next_dst`/`ds_next_domain` (take the next one, in a failure route) and `ds_mark_dst`
//! (change the current one's state).
//!
//! The failover list lives in AVPs, as in OpenSIPS (`$avp(ds_dst_failover)` and friends,
//! renamed by `dst_avp`, `grp_avp`, `cnt_avp`, `sock_avp`, `attrs_avp`): the destination in
//! use is the newest value, the next ones follow. AVPs travel with the transaction, so a
//! failure route sees what the request route stored.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::sipview::{rewrite_uri, UriChange};
use siplua_core::value::Value;

use super::algorithm::{self, candidates, Alg, Choice};
use super::sets::{DsSet, DsState};
use super::shared::Shared;
use super::{log_err, partition_ok};

/// The `flags` argument of `ds_select_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flags {
    failover: bool,
    user_only: bool,
    use_default: bool,
    append: bool,
}

impl Flags {
    fn parse(text: &str) -> Result<Flags, String> {
        let mut f = Flags::default();
        for c in text.chars() {
            match c.to_ascii_lowercase() {
                'f' => f.failover = true,
                'u' => f.user_only = true,
                'd' => f.use_default = true,
                'a' => f.append = true,
                // 's' (use the stored socket) is what siplua always does.
                's' | ' ' => {}
                _ => {
                    return Err(format!(
                        "unknown dispatcher flag '{c}' in {text:?} (f, u, d, a, s)"
                    ))
                }
            }
        }
        Ok(f)
    }

    /// Argument `i`: parsed at load time when constant (see `check_constants`), else per call.
    fn from_arg(ctx: &Context, args: &Args, i: usize) -> Result<Flags, String> {
        if let PreparedArg::Custom(c) = args.get(i) {
            if let Some(f) = c.downcast_ref::<Flags>() {
                return Ok(*f);
            }
        }
        Flags::parse(&args.str(ctx, i).unwrap_or_default())
    }
}

/// Rejects a constant bad algorithm or flag string when the script is loaded, and keeps a
/// constant flag string parsed.
fn check_constants(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Int(n)) = args.get(1) {
        Alg::from_number(*n)?;
    }
    if let Some(PreparedArg::Str(s)) = args.get(1) {
        let n = s
            .trim()
            .parse()
            .map_err(|_| format!("bad dispatcher algorithm {s:?}"))?;
        Alg::from_number(n)?;
    }
    if let Some(PreparedArg::Str(s)) = args.get(2) {
        args[2] = PreparedArg::Custom(Arc::new(Flags::parse(s)?));
    }
    Ok(())
}

/// Where a selection is applied.
#[derive(Clone, Copy)]
enum Target {
    /// `$du`.
    DstUri,
    /// The R-URI's host and port.
    Domain,
}

/// The declarations.
pub fn functions(shared: &Arc<Shared>) -> Vec<FunctionDecl> {
    let select_routes = RouteMask::of(&[RouteType::Request, RouteType::Branch, RouteType::Failure]);
    let next_routes = RouteMask::of(&[RouteType::Request, RouteType::Failure]);
    let select_params = vec![
        ParamSpec::req("set", ParamKind::Int),
        ParamSpec::req("alg", ParamKind::Int),
        ParamSpec::opt("flags", ParamKind::Str),
        ParamSpec::opt("partition", ParamKind::Str),
        ParamSpec::opt("max_res", ParamKind::Int),
    ];
    let mut out = Vec::new();
    for (name, target) in [
        ("ds_select_dst", Target::DstUri),
        ("ds_select_domain", Target::Domain),
    ] {
        let s = shared.clone();
        out.push(
            FunctionDecl::new(
                name,
                select_params.clone(),
                select_routes,
                move |ctx, args| select(&s, ctx, args, target),
            )
            .with_fixup(check_constants),
        );
    }
    for (name, target) in [
        ("ds_next_dst", Target::DstUri),
        ("ds_next_domain", Target::Domain),
    ] {
        let s = shared.clone();
        out.push(FunctionDecl::new(
            name,
            vec![ParamSpec::opt("partition", ParamKind::Str)],
            next_routes,
            move |ctx: &mut Context, args: &Args| {
                if !partition_ok(ctx, args, 0) {
                    return -1;
                }
                next(&s, ctx, target)
            },
        ));
    }
    let s = shared.clone();
    out.push(FunctionDecl::new(
        "ds_mark_dst",
        vec![
            ParamSpec::opt("state", ParamKind::Str),
            ParamSpec::opt("partition", ParamKind::Str),
        ],
        next_routes,
        move |ctx: &mut Context, args: &Args| {
            if !partition_ok(ctx, args, 1) {
                return -1;
            }
            let letter = args.str(ctx, 0).map_or("i".into(), |s| s.into_owned());
            mark(&s, ctx, &letter)
        },
    ));
    out
}

fn select(shared: &Shared, ctx: &mut Context, args: &Args, target: Target) -> i32 {
    if !partition_ok(ctx, args, 3) {
        return -1;
    }
    let Some(setid) = args.int(ctx, 0) else {
        return log_err("ds_select: the set is not an integer");
    };
    let alg = match args.int(ctx, 1).map(Alg::from_number) {
        Some(Ok(a)) => a,
        Some(Err(e)) => return log_err(&e),
        None => return log_err("ds_select: the algorithm is not an integer"),
    };
    let flags = match Flags::from_arg(ctx, args, 2) {
        Ok(f) => f,
        Err(e) => return log_err(&e),
    };
    let max = args
        .int(ctx, 4)
        .filter(|&m| m > 0)
        .map_or(usize::MAX, |m| m as usize);
    let sets = shared.sets();
    let Some(set) = sets.get(setid) else {
        return log_err(&format!("ds_select: no destination set {setid}"));
    };
    let Some(choice) = choice(shared, ctx, alg, flags) else {
        return -1;
    };
    let picked = candidates(set, choice, flags.failover, flags.use_default, max);
    if picked.is_empty() {
        return -1;
    }
    set.dests[picked[0]]
        .hits
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    store_list(shared, ctx, set, &picked, flags.append);
    apply_current(shared, ctx, target)
}

/// The algorithm's way to the first destination; `None` (logged) when it cannot run.
fn choice(shared: &Shared, ctx: &Context, alg: Alg, flags: Flags) -> Option<Choice> {
    let key = match alg {
        Alg::CallId => ctx
            .msg
            .as_ref()
            .and_then(|m| m.call_id().ok())
            .map(str::to_owned),
        Alg::FromUri | Alg::ToUri => algorithm::from_to_uri(ctx, alg == Alg::FromUri)
            .and_then(|u| algorithm::uri_key(&u, flags.user_only)),
        Alg::RequestUri => ctx
            .ruri()
            .and_then(|u| algorithm::uri_key(u, flags.user_only)),
        Alg::AuthUser => {
            let user = ctx
                .msg
                .and_then(crate::auth::credentials::first_any)
                .map(|c| c.username);
            match user {
                Some(u) => Some(u),
                None => return Some(Choice::RoundRobin),
            }
        }
        Alg::HashPvar => match shared.hash_pvar(ctx) {
            Some(v) => Some(v),
            None => {
                log_err("ds_select: algorithm 7 needs the hash_pvar parameter");
                return None;
            }
        },
        Alg::RoundRobin => return Some(Choice::RoundRobin),
        Alg::Random | Alg::Weight => {
            let mut b = [0u8; 8];
            if getrandom::fill(&mut b).is_err() {
                log_err("ds_select: no random source");
                return None;
            }
            return Some(Choice::Hash(u64::from_le_bytes(b)));
        }
        Alg::First | Alg::PvarLoad => return Some(Choice::First),
    };
    // A message without the hashed part hashes the empty text, as OpenSIPS hashes an
    // empty string: the selection still succeeds.
    Some(Choice::Hash(algorithm::hash(&key.unwrap_or_default())))
}

/// Writes the chosen destinations into the failover AVPs (current first).
fn store_list(shared: &Shared, ctx: &mut Context, set: &DsSet, picked: &[usize], append: bool) {
    let st = &shared.settings;
    let mut names = vec![st.dst_avp.as_str(), st.sock_avp.as_str()];
    names.extend(st.attrs_avp.as_deref());
    let mut lists: Vec<Vec<Value>> = names
        .iter()
        .map(|n| {
            if append {
                ctx.avps.all(n).cloned().collect()
            } else {
                Vec::new()
            }
        })
        .collect();
    for &i in picked {
        let d = &set.dests[i];
        lists[0].push(Value::Str(d.uri.clone()));
        lists[1].push(Value::Str(d.socket.clone().unwrap_or_default()));
        if let Some(l) = lists.get_mut(2) {
            l.push(Value::Str(d.attrs.clone()));
        }
    }
    for (name, values) in names.iter().zip(lists) {
        ctx.avps.remove_all(name);
        for v in values.into_iter().rev() {
            ctx.avps.add(name, v);
        }
    }
    ctx.avps.set_only(&st.grp_avp, Value::Int(set.id));
    let count = ctx.avps.count(&st.dst_avp) as i64;
    ctx.avps.set_only(&st.cnt_avp, Value::Int(count));
}

/// Puts the current destination (the newest `dst_avp` value) into `$du` or the R-URI,
/// with its socket; -1 when there is none.
fn apply_current(shared: &Shared, ctx: &mut Context, target: Target) -> i32 {
    let st = &shared.settings;
    let Some(uri) = ctx
        .avps
        .get(&st.dst_avp, 0)
        .map(|v| v.as_str().into_owned())
    else {
        return -1;
    };
    match target {
        Target::DstUri => ctx.dst_uri = Some(uri.clone()),
        Target::Domain => {
            let Some(hostport) = siplua_sip::Uri::parse(&uri).ok().map(|u| match u.port() {
                Some(p) => format!("{}:{p}", u.host()),
                None => u.host().to_owned(),
            }) else {
                return log_err(&format!("ds_select_domain: bad destination {uri}"));
            };
            let Some(current) = ctx.ruri().map(str::to_owned) else {
                return -1;
            };
            match rewrite_uri(&current, UriChange::HostPort(&hostport)) {
                Ok(new) => ctx.new_ruri = Some(new),
                Err(e) => return log_err(&e),
            }
        }
    }
    let socket = ctx
        .avps
        .get(&st.sock_avp, 0)
        .map(|v| v.as_str().into_owned())
        .filter(|s| !s.is_empty());
    if let Some(text) = socket {
        let found = ctx
            .worker
            .transports
            .as_ref()
            .and_then(|t| super::socket::find(t, &text));
        match found {
            Some(id) => ctx.send_socket = Some(id),
            None => {
                log_err(&format!(
                    "dispatcher: {text} is not a socket siplua listens on"
                ));
            }
        }
    }
    1
}

fn next(shared: &Shared, ctx: &mut Context, target: Target) -> i32 {
    let st = &shared.settings;
    if !ctx.avps.remove_at(&st.dst_avp, 0) {
        return -1;
    }
    ctx.avps.remove_at(&st.sock_avp, 0);
    if let Some(a) = &st.attrs_avp {
        ctx.avps.remove_at(a, 0);
    }
    apply_current(shared, ctx, target)
}

fn mark(shared: &Shared, ctx: &mut Context, letter: &str) -> i32 {
    let Some(state) = DsState::from_letter(letter) else {
        return log_err(&format!("ds_mark_dst: unknown state {letter:?} (a, i, p)"));
    };
    let st = &shared.settings;
    let Some(uri) = ctx
        .avps
        .get(&st.dst_avp, 0)
        .map(|v| v.as_str().into_owned())
    else {
        return -1;
    };
    let setid = ctx.avps.get(&st.grp_avp, 0).and_then(Value::to_int);
    let threshold = st.probing_threshold;
    let found = shared.with_dest(setid, &uri, |d| match state {
        DsState::Probing => d.fail_towards_probing(threshold),
        s => d.set_state(s),
    });
    if found {
        1
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_constant_arguments() {
        let f = Flags::parse("fUd").unwrap();
        assert!(f.failover && f.user_only && f.use_default && !f.append);
        assert!(Flags::parse("x").is_err());
        let mut bad = [PreparedArg::Int(1), PreparedArg::Int(42)];
        assert!(check_constants(&mut bad).is_err());
        let mut ok = [
            PreparedArg::Int(1),
            PreparedArg::Int(4),
            PreparedArg::Str("f".into()),
        ];
        assert!(check_constants(&mut ok).is_ok());
    }
}
