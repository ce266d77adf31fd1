//! The auth pseudo-variables OpenSIPS users read: `$au $aU $ad $ar $adu $aa $an` and the
//! `$auth.*` family, taken from the first Proxy-Authorization header, else the first
//! Authorization header; null when there is none (or for ACK and CANCEL).

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::pv::PvDecl;
use siplua_core::value::Value;
use siplua_sip::Method;

use super::credentials::{first_any, Credentials};

fn field(name: &'static str, read: fn(&Credentials) -> &str) -> PvDecl {
    PvDecl {
        name,
        takes_inner: false,
        get: Arc::new(move |ctx: &Context, _| {
            let Some(msg) = ctx.msg.as_ref() else {
                return Value::Null;
            };
            if matches!(msg.method(), Some(Method::Ack | Method::Cancel)) {
                return Value::Null;
            }
            match first_any(msg) {
                Some(c) if !read(&c).is_empty() => Value::Str(read(&c).to_owned()),
                _ => Value::Null,
            }
        }),
        set: None,
    }
}

/// Every auth pseudo-variable.
pub fn declarations() -> Vec<PvDecl> {
    vec![
        field("au", |c| c.user()),
        field("aU", |c| &c.username),
        field("ad", |c| c.domain()),
        field("ar", |c| &c.realm),
        field("adu", |c| &c.uri),
        field("aa", |c| &c.algorithm),
        field("an", |c| &c.nonce),
        field("auth.nonce", |c| &c.nonce),
        field("auth.resp", |c| &c.response),
        field("auth.cnonce", |c| &c.cnonce),
        field("auth.opaque", |c| &c.opaque),
        field("auth.alg", |c| &c.algorithm),
        field("auth.qop", |c| &c.qop),
        field("auth.nc", |c| &c.nc),
        field("auth.realm", |c| &c.realm),
        field("auth.uri", |c| &c.uri),
    ]
}
