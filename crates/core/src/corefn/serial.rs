//! Serial forking: `serialize_branches(clean_before[, keep_order])` turns the Request-URI and
//! the branches added so far into groups to be tried one after the other, highest q first
//! (equal q: one parallel group); `next_branches()` makes the next group the Request-URI and
//! branches — typically in a failure route, before `t_relay()`. The groups wait in an AVP, so
//! they travel with the transaction as in OpenSIPS.

use crate::context::{Branch, Context};
use crate::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use crate::route_type::{RouteMask, RouteType};
use crate::value::Value;

/// The AVP holding the serialized branches, one value each.
const SERIAL_AVP: &str = "__serial_branch";

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let routes = RouteMask::of(&[RouteType::Request, RouteType::Failure]);
    vec![
        FunctionDecl::new(
            "serialize_branches",
            vec![
                ParamSpec::req("clean_before", ParamKind::Int),
                ParamSpec::opt("keep_order", ParamKind::Int),
            ],
            routes,
            serialize_branches,
        ),
        FunctionDecl::new("next_branches", vec![], routes, next_branches),
    ]
}

/// One serialized branch: its group (0 is tried first) and what it needs to be sent.
#[derive(Debug, PartialEq)]
struct Serial {
    group: usize,
    branch: Branch,
}

impl Serial {
    /// One line per field; URIs and paths cannot hold a line break.
    fn encode(&self) -> String {
        let b = &self.branch;
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.group,
            b.q,
            b.flags,
            b.uri,
            b.dst_uri.as_deref().unwrap_or(""),
            b.path.as_deref().unwrap_or("")
        )
    }

    fn decode(text: &str) -> Option<Serial> {
        let mut f = text.split('\n');
        let group = f.next()?.parse().ok()?;
        let q = f.next()?.parse().ok()?;
        let flags = f.next()?.parse().ok()?;
        let uri = f.next()?.to_owned();
        let opt = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        let dst_uri = opt(f.next());
        let path = opt(f.next());
        Some(Serial {
            group,
            branch: Branch {
                uri,
                dst_uri,
                q,
                path,
                flags,
                socket: None,
            },
        })
    }
}

/// 1 when there was something to serialize (the branches are then emptied), -1 otherwise.
fn serialize_branches(ctx: &mut Context, args: &Args) -> i32 {
    if args.int(ctx, 0).unwrap_or(0) != 0 {
        ctx.avps.remove_all(SERIAL_AVP);
    }
    let keep_order = args.int(ctx, 1).unwrap_or(0) != 0;
    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let mut all = vec![Branch {
        uri: ruri,
        dst_uri: ctx.dst_uri.clone(),
        q: -1,
        path: ctx.path.clone(),
        flags: ctx.branch_flags,
        socket: None,
    }];
    all.append(&mut ctx.branches);
    // Unspecified q counts as 1.0; a stable sort keeps the order of equal ones.
    let q = |b: &Branch| if b.q < 0 { 1000 } else { b.q };
    if !keep_order {
        all.sort_by_key(|b| std::cmp::Reverse(q(b)));
    }
    let mut group = 0;
    for (i, b) in all.iter().enumerate() {
        if i > 0 && (keep_order || q(b) != q(&all[i - 1])) {
            group += 1;
        }
        let s = Serial {
            group,
            branch: b.clone(),
        };
        ctx.avps.add(SERIAL_AVP, Value::Str(s.encode()));
    }
    1
}

/// 1 when a group was taken (Request-URI, `$du` and branches set from it), -1 when none is
/// left.
fn next_branches(ctx: &mut Context, _: &Args) -> i32 {
    // Stored newest first: reverse for the order they were serialized in.
    let mut waiting: Vec<Serial> = ctx
        .avps
        .all(SERIAL_AVP)
        .filter_map(|v| Serial::decode(&v.as_str()))
        .collect();
    waiting.reverse();
    let Some(first) = waiting.iter().map(|s| s.group).min() else {
        return -1;
    };
    let (now, later): (Vec<Serial>, Vec<Serial>) =
        waiting.into_iter().partition(|s| s.group == first);
    ctx.avps.remove_all(SERIAL_AVP);
    for s in &later {
        ctx.avps.add(SERIAL_AVP, Value::Str(s.encode()));
    }
    let mut now = now.into_iter().map(|s| s.branch);
    let Some(main) = now.next() else {
        return -1;
    };
    ctx.new_ruri = Some(main.uri);
    ctx.dst_uri = main.dst_uri;
    ctx.path = main.path;
    ctx.branch_flags = main.flags;
    ctx.branches = now.collect();
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_survives_its_encoding() {
        let s = Serial {
            group: 2,
            branch: Branch {
                uri: "sip:a@b;transport=tcp".into(),
                dst_uri: Some("sip:10.0.0.1:5070".into()),
                q: 500,
                path: None,
                flags: 6,
                socket: None,
            },
        };
        assert_eq!(Serial::decode(&s.encode()), Some(s));
        assert_eq!(Serial::decode("junk"), None);
    }
}
