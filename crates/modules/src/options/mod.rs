//! `options`: `options_reply()`, the keep-alive answer to an OPTIONS addressed to the
//! server itself (a Request-URI without a user part): a stateless 200 OK carrying the
//! `Accept`, `Accept-Encoding`, `Accept-Language` and `Supported` headers of the module
//! parameters `accept` (default `*/*`), `accept_encoding` (default empty), `accept_language`
//! (default `en`) and `support` (default empty); an empty value leaves its header out, as
//! OpenSIPS documents. Like OpenSIPS' it ends the script once the reply is sent (return 0)
//! and returns -1 for another method or a Request-URI with a user.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::FunctionDecl;
use siplua_core::log::{emit, level};
use siplua_core::module::{ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_sip::{Method, Uri};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("accept"),
    ModParamSpec::str("accept_encoding"),
    ModParamSpec::str("accept_language"),
    ModParamSpec::str("support"),
];

/// The module: the header values of the reply.
pub struct Options {
    accept: String,
    accept_encoding: String,
    accept_language: String,
    support: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            accept: "*/*".into(),
            accept_encoding: String::new(),
            accept_language: "en".into(),
            support: String::new(),
        }
    }
}

impl Options {
    /// The header lines of the reply (each ending in CRLF), empty values left out.
    fn header_lines(&self) -> String {
        [
            ("Accept", &self.accept),
            ("Accept-Encoding", &self.accept_encoding),
            ("Accept-Language", &self.accept_language),
            ("Supported", &self.support),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect()
    }
}

impl Module for Options {
    fn name(&self) -> &'static str {
        "options"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let v = value.as_str();
        if v.contains(['\r', '\n']) {
            return Err("a header value cannot contain a line break".into());
        }
        match name {
            "accept" => self.accept = v,
            "accept_encoding" => self.accept_encoding = v,
            "accept_language" => self.accept_language = v,
            "support" => self.support = v,
            _ => return Err(format!("module options has no parameter {name}")),
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["sl"]
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let headers: Arc<str> = self.header_lines().into();
        vec![FunctionDecl::new(
            "options_reply",
            vec![],
            RouteMask::of(&[RouteType::Request]),
            move |ctx, _| options_reply(ctx, &headers),
        )]
    }
}

fn options_reply(ctx: &mut Context, headers: &str) -> i32 {
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    if msg.method() != Some(Method::Options) {
        emit(
            level::ERR,
            "options",
            "options_reply called for a non-OPTIONS request",
        );
        return -1;
    }
    let has_user = ctx.ruri().and_then(|r| {
        Uri::parse(r)
            .ok()
            .map(|u| u.user().is_some_and(|u| !u.is_empty()))
    });
    match has_user {
        None => {
            emit(
                level::ERR,
                "options",
                "options_reply: the Request-URI does not parse",
            );
            return -1;
        }
        Some(true) => {
            emit(
                level::ERR,
                "options",
                "options_reply: the Request-URI has a user part",
            );
            return -1;
        }
        Some(false) => {}
    }
    let queued = ctx.reply_headers.len();
    ctx.reply_headers.push_str(headers);
    let rc = crate::sl::reply(ctx, 200, "OK", None);
    ctx.reply_headers.truncate(queued);
    if rc > 0 {
        0
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_leave_their_header_out() {
        let o = Options::default();
        assert_eq!(o.header_lines(), "Accept: */*\r\nAccept-Language: en\r\n");
        let o = Options {
            accept: String::new(),
            accept_encoding: "gzip".into(),
            accept_language: "de".into(),
            support: "100rel, path".into(),
        };
        assert_eq!(
            o.header_lines(),
            "Accept-Encoding: gzip\r\nAccept-Language: de\r\nSupported: 100rel, path\r\n"
        );
    }
}
