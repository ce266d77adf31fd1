//! `lookup(domain[, flags[, aor]])`: turns the Request-URI's AOR into its registered
//! contacts — the best one in the R-URI (`$ru`, with `$du` set to its Path or NAT source),
//! the others as branches for parallel forking.
//!
//! Order: highest q first; among equal q the most recently refreshed first. Returns 1 when a
//! contact was found, -1 when the AOR has none, -2 when every contact was filtered out by
//! `method-filtering`, -3 on an internal error (OpenSIPS' codes).

use std::cmp::Reverse;

use siplua_core::context::{Branch, Context};

use super::flags::LookupFlags;
use super::Registrar;
use crate::usrloc::api::now;
use crate::usrloc::contact::UContact;

/// The script function.
pub fn lookup(
    ctx: &mut Context,
    reg: &Registrar,
    table: &str,
    flags: &LookupFlags,
    aor: Option<&str>,
) -> i32 {
    let Some(text) = aor
        .map(str::to_owned)
        .or_else(|| ctx.ruri().map(str::to_owned))
    else {
        return -3;
    };
    let Some(key) = reg.settings.aor.key(&text) else {
        return -1;
    };
    let Some(domain) = reg.usrloc.find_domain(table) else {
        return -1;
    };
    let Some(record) = domain.get(&key, now()) else {
        return -1;
    };
    let method = ctx
        .msg
        .as_ref()
        .and_then(|m| m.method_str())
        .unwrap_or("")
        .to_owned();
    let mut contacts: Vec<(usize, &UContact)> = record
        .contacts()
        .iter()
        .enumerate()
        .filter(|(_, c)| !flags.method_filtering || c.supports(&method))
        .collect();
    if contacts.is_empty() {
        return -2;
    }
    if reg.usrloc.desc_time_order() {
        contacts.sort_by_key(|(i, c)| (Reverse(c.last_modified), Reverse(*i)));
    } else {
        contacts.sort_by_key(|(i, c)| (Reverse(c.q), Reverse(c.last_modified), Reverse(*i)));
    }
    let nat_bit = reg.usrloc.nat_bflag().map_or(0, |b| 1u64 << b);
    let branch_flags = |c: &UContact| c.cflags | if c.received().is_some() { nat_bit } else { 0 };

    let mut rest = contacts.into_iter().map(|(_, c)| c);
    if !flags.branches_only {
        let Some(best) = rest.next() else { return -2 };
        ctx.new_ruri = Some(best.uri().to_owned());
        ctx.dst_uri = next_hop(best);
        ctx.branch_flags |= branch_flags(best);
        if best.socket.is_some() {
            ctx.send_socket = best.socket;
        }
        ctx.path = best.path().map(str::to_owned);
        if flags.no_branches {
            return 1;
        }
    }
    for c in rest {
        ctx.branches.push(Branch {
            uri: c.uri().to_owned(),
            dst_uri: next_hop(c),
            q: c.q,
            path: c.path().map(str::to_owned),
            flags: branch_flags(c),
            socket: c.socket,
        });
    }
    1
}

/// Where a request to this contact goes first: the first Path hop (the edge proxy handles
/// the NAT then), else the NAT source, else the contact itself (`None`).
fn next_hop(c: &UContact) -> Option<String> {
    if let Some(path) = c.path() {
        // Path values are name-addrs (RFC 3327 §4): the first URI is inside the first `<>`.
        let start = path.find('<')? + 1;
        let len = path[start..].find('>')?;
        return Some(path[start..start + len].to_owned());
    }
    c.received().map(str::to_owned)
}
