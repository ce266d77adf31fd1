//! `record_route([params])` and `record_route_preset(addr[, params])`: put this proxy in the
//! dialog's route set (RFC 3261 §16.6 step 4) with a loose-routing URI.

use siplua_core::context::Context;

/// Options every Record-Route of the module gets.
#[derive(Clone, Copy, Debug, Default)]
pub struct RrOptions {
    /// `append_fromtag`: add `;ftag=` with the From tag, so that later requests tell which
    /// side of the dialog sent them.
    pub append_fromtag: bool,
}

/// `record_route([params])`: the address of the socket the request arrived on (its
/// advertised name and port), `;transport=tcp` for TCP (`tls`, `ws`, `wss` for those), `;lr`,
/// the From tag and `params`.
pub fn record_route(ctx: &mut Context, opts: RrOptions, params: Option<&str>) -> i32 {
    let Some(uri) = own_uri(ctx, None) else {
        return -1;
    };
    insert(ctx, &uri, opts, params)
}

/// This proxy's URI as the request's socket advertises it: `sip:[user@]host:port`, the host
/// of an IPv6 address in brackets, `;transport=` unless UDP. What `record_route()` and the
/// `path` module's `add_path()` put in their headers. `None` without a receiving socket.
pub fn own_uri(ctx: &Context, user: Option<&str>) -> Option<String> {
    let socket = ctx.received_on()?;
    let host = ctx.advertised.host(socket);
    let mut uri = String::with_capacity(host.len() + 32);
    uri.push_str("sip:");
    if let Some(user) = user.filter(|u| !u.is_empty()) {
        uri.push_str(user);
        uri.push('@');
    }
    push_host(&mut uri, host);
    uri.push(':');
    uri.push_str(itoa::Buffer::new().format(ctx.advertised.port(socket)));
    if let Some(t) = socket.proto.uri_transport() {
        uri.push_str(";transport=");
        uri.push_str(t);
    }
    Some(uri)
}

/// Appends `host` as a URI's host: an IPv6 address in brackets.
pub fn push_host(out: &mut String, host: &str) {
    if host.contains(':') && !host.starts_with('[') {
        out.push('[');
        out.push_str(host);
        out.push(']');
    } else {
        out.push_str(host);
    }
}

/// `record_route_preset(addr[, params])`: a Record-Route with a given address
/// (`host[:port][;uri-params]` or a whole `sip:` URI) instead of the socket's.
pub fn record_route_preset(
    ctx: &mut Context,
    opts: RrOptions,
    addr: &str,
    params: Option<&str>,
) -> i32 {
    let addr = addr.trim();
    if addr.is_empty() {
        return -1;
    }
    let uri = if addr.starts_with("sip:") || addr.starts_with("sips:") {
        addr.to_owned()
    } else {
        format!("sip:{addr}")
    };
    insert(ctx, &uri, opts, params)
}

/// Adds `<uri;lr[;ftag=..][;params]>` above the existing Record-Route headers.
fn insert(ctx: &mut Context, uri: &str, opts: RrOptions, params: Option<&str>) -> i32 {
    let pending = super::params::take_pending(ctx);
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let mut value = String::with_capacity(uri.len() + pending.len() + 48);
    value.push('<');
    value.push_str(uri);
    value.push_str(";lr");
    value.push_str(&pending);
    if opts.append_fromtag {
        if let Some(tag) = msg.from().ok().and_then(|f| f.tag()) {
            value.push_str(";ftag=");
            value.push_str(tag);
        }
    }
    if let Some(p) = params.map(|p| p.trim().trim_start_matches(';')) {
        if !p.is_empty() {
            value.push(';');
            value.push_str(p);
        }
    }
    let edit = ctx.edits.len();
    value.push('>');
    let inserted = ctx.edits.insert_record_route(msg, &value);
    value.pop();
    match inserted {
        Ok(()) => {
            super::params::note_inserted(ctx, edit, value);
            1
        }
        Err(e) => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "rr",
                &format!("cannot add Record-Route {value}: {e}"),
            );
            -1
        }
    }
}
