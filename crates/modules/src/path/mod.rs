//! `path` (RFC 3327): an edge proxy puts itself on the path of a REGISTER so that requests
//! for the registered contacts come back through it. `add_path([user[, params]])` and
//! `add_path_received([user[, params]])` add `Path: <sip:[user@]host:port;lr...>` above the
//! Path headers already there, with the address of the socket the REGISTER came in on (as
//! siplua's `record_route()`); `add_path_received` adds `;received=` with where the REGISTER
//! came from (`sip:ip:port`, `;transport=` escaped for TCP, TLS, WS, WSS), which registrar's
//! `save(..., "path-received")` stores as the contact's source. With `use_received` = 1 a
//! request routed back through us by such a Path (our Route URI carries `received`) goes to
//! that address (`$du`), as OpenSIPS' rr callback does.
//!
//! `enable_double_path` (default 1) is read: siplua puts a single Path, like its single
//! Record-Route, whatever the outgoing socket.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_sip::edit::Position;
use siplua_sip::HeaderKind;

use crate::rr::{own_uri, push_host};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "use_received",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "enable_double_path",
        kind: ModParamKind::Int,
    },
];

/// The module.
#[derive(Default)]
pub struct Path {
    use_received: bool,
}

impl Module for Path {
    fn name(&self) -> &'static str {
        "path"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        if name == "use_received" {
            self.use_received = value.as_int() != 0;
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["rr"]
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        crate::rr::route_to_path_received(self.use_received);
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let params = || {
            vec![
                ParamSpec::opt("user", ParamKind::Str),
                ParamSpec::opt("params", ParamKind::Str),
            ]
        };
        let routes = RouteMask::of(&[RouteType::Request]);
        vec![
            FunctionDecl::new("add_path", params(), routes, |ctx, args| {
                add_path(ctx, args, false)
            }),
            FunctionDecl::new("add_path_received", params(), routes, |ctx, args| {
                add_path(ctx, args, true)
            }),
        ]
    }
}

fn add_path(ctx: &mut Context, args: &Args, received: bool) -> i32 {
    let user = args.str(ctx, 0).map(|u| u.into_owned());
    let extra = args.str(ctx, 1).map(|p| p.into_owned());
    let (Some(msg), Some(origin), Some(uri)) = (ctx.msg, ctx.origin, own_uri(ctx, user.as_deref()))
    else {
        return -1;
    };
    let mut value = format!("<{uri};lr");
    if received {
        value.push_str(";received=sip:");
        push_host(&mut value, &origin.src.ip().to_string());
        value.push(':');
        value.push_str(itoa::Buffer::new().format(origin.src.port()));
        if let Some(t) = origin.proto.uri_transport() {
            value.push_str("%3Btransport%3D");
            value.push_str(t);
        }
    }
    if let Some(p) = extra.as_deref().map(|p| p.trim().trim_start_matches(';')) {
        if !p.is_empty() {
            value.push(';');
            value.push_str(p);
        }
    }
    value.push('>');
    let at = msg
        .find(HeaderKind::Path)
        .map_or(Position::Top, |(i, _)| Position::Before(i));
    match ctx.edits.add_header(msg, "Path", &value, at) {
        Ok(()) => 1,
        Err(e) => {
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "path",
                &format!("cannot add Path {value}: {e}"),
            );
            -1
        }
    }
}
