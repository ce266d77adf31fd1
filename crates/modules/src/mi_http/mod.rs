//! `mi_http`: the management interface over HTTP — JSON-RPC 2.0 requests POSTed to
//! `http://ip:port/mi` (the `httpd` module's address), answered as OpenSIPS 3.x answers, so
//! `opensips-cli` with `communication_type = http` works unchanged.
//!
//! Parameters: `root` (OpenSIPS 3.x) or `mi_http_root` (its 2.x name), default `mi`;
//! `mi_http_method`, `trace_destination` and `trace_bwlist` are accepted and have no effect.

use std::sync::Arc;

use siplua_core::engine::Core;
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

use crate::httpd::{HttpReply, HttpRequest, HttpdApi};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "root",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "mi_http_root",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "mi_http_method",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "trace_destination",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "trace_bwlist",
        kind: ModParamKind::Str,
    },
];

/// The module.
pub struct MiHttp {
    root: String,
}

impl Default for MiHttp {
    fn default() -> Self {
        MiHttp { root: "mi".into() }
    }
}

impl Module for MiHttp {
    fn name(&self) -> &'static str {
        "mi_http"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        if name == "root" || name == "mi_http_root" {
            self.root = value.as_str().trim_matches('/').to_owned();
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["httpd"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let httpd = env
            .apis
            .get::<HttpdApi>()
            .ok_or("the httpd module must be loaded before mi_http")?;
        httpd.register(&self.root, Arc::new(answer))
    }
}

/// One MI request: a POSTed JSON-RPC body in, the JSON-RPC reply out.
fn answer(core: &Arc<Core>, req: &HttpRequest) -> HttpReply {
    if req.method != "POST" {
        return HttpReply::text(405, "Method Not Allowed: POST a JSON-RPC 2.0 request");
    }
    let body = siplua_core::mi::handle(core, &req.body).unwrap_or_default();
    HttpReply {
        status: 200,
        content_type: "application/json",
        body: body.into_bytes(),
    }
}
