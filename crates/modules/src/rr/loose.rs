//! `loose_route()`: routes a request by its Route headers (RFC 3261 §16.4, §16.12).
//!
//! 1. When the Request-URI is ours and looks like a Record-Route URI (no user part, or
//!    `;lr`), the previous hop was a strict router: our own Route values on top are
//!    dropped, and the last Route value becomes the Request-URI (§16.4).
//! 2. Otherwise our own Route values on top (one, or two with double record-routing) are
//!    removed (§16.4).
//! 3. If a Route value is left it is the next hop: with `;lr` it goes to `$du`; without
//!    (a strict router, §16.12) it becomes the Request-URI and the old Request-URI is
//!    appended as the last Route.
//!
//! A first Route that is not ours (a pre-loaded route set on an initial request) is simply
//! the next hop. Returns 1 when the request had Route headers, -1 otherwise.

use std::sync::atomic::{AtomicBool, Ordering};

use siplua_core::context::Context;
use siplua_core::corefn::is_myself;
use siplua_sip::params::Params;
use siplua_sip::{Scheme, Uri};

use super::routeset::{read, rewrite};

/// Set by the `path` module when its `use_received` is 1: a request whose Route to us carries
/// `received` (a Path added by `add_path_received`) is sent to that address.
static PATH_RECEIVED: AtomicBool = AtomicBool::new(false);

/// Turns on (or off) routing to the `received` parameter of our Route (`path`'s
/// `use_received`).
pub fn route_to_path_received(on: bool) {
    PATH_RECEIVED.store(on, Ordering::Relaxed);
}

/// The `received` parameter of our own Route URI, unescaped, when `path` asks for it.
fn path_received(own_params: Params<'_>) -> Option<String> {
    if !PATH_RECEIVED.load(Ordering::Relaxed) {
        return None;
    }
    let value = own_params.value("received")?;
    let value = siplua_sip::escape::decode(value.trim_matches('"')).into_owned();
    value.starts_with("sip").then_some(value)
}

/// The script function.
pub fn loose_route(ctx: &mut Context) -> i32 {
    match route(ctx) {
        Ok(true) => 1,
        Ok(false) => -1,
        Err(e) => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "rr",
                &format!("loose_route: {e}"),
            );
            -1
        }
    }
}

fn route(ctx: &mut Context) -> Result<bool, String> {
    let msg = ctx.msg.as_ref().ok_or("no message")?;
    if !msg.is_request() {
        return Ok(false);
    }
    let routes = read(msg)?;
    if routes.is_empty() {
        return Ok(false);
    }
    let ours = |uri: &Uri| {
        let default_port = if uri.scheme() == Scheme::Sips {
            5061
        } else {
            5060
        };
        is_myself(
            ctx.core,
            ctx.worker.transports.as_deref(),
            uri.host(),
            Some(uri.port().unwrap_or(default_port)),
        )
    };
    let own = routes
        .first()
        .map(|r| r.addr.uri())
        .filter(|uri| ours(uri))
        .map(|uri| uri.params());
    let own_params = own.map(|p| p.as_str().to_owned());
    let received = own.and_then(path_received);
    let mut ruri = ctx.ruri().ok_or("no Request-URI")?.to_owned();
    let ruri_is_rr = Uri::parse(&ruri).is_ok_and(|u| (u.user().is_none() || u.lr()) && ours(&u));

    let mut removed = Vec::new();
    let mut first = 0;
    while first < routes.len() && ours(&routes[first].addr.uri()) {
        removed.push(first);
        first += 1;
    }
    let mut end = routes.len();
    let mut new_ruri = None;
    if ruri_is_rr && first < end {
        end -= 1;
        removed.push(end);
        ruri = routes[end].addr.uri().as_str().to_owned();
        new_ruri = Some(ruri.clone());
    }
    let mut dst_uri = None;
    let mut append = None;
    if first < end {
        let next = routes[first].addr.uri();
        if next.lr() {
            dst_uri = Some(next.as_str().to_owned());
        } else {
            removed.push(first);
            append = Some(format!("<{ruri}>"));
            new_ruri = Some(next.as_str().to_owned());
        }
    }
    rewrite(msg, &mut ctx.edits, &routes, &removed, append.as_deref())?;
    // A Path of ours with `received` (path's `use_received`) wins over the next hop.
    let dst_uri = received.or(dst_uri);
    if let Some(p) = own_params {
        ctx.set_ext(super::params::RouteParams(p));
    }
    if new_ruri.is_some() {
        ctx.new_ruri = new_ruri;
    }
    if dst_uri.is_some() {
        ctx.dst_uri = dst_uri;
    }
    Ok(true)
}
