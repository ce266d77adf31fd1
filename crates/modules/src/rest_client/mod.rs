//! `rest_client`: HTTP requests from the script, as OpenSIPS 3.x's module does them —
//! `rest_get()`, `rest_post()`, `rest_put()` and `rest_append_hf()`, with the return codes of
//! [`transfer`]. Requests are blocking on the worker (also under `async()`, which siplua runs
//! synchronously). Connections are kept and reused across requests, as OpenSIPS does.
//!
//! Not done (docs/compatibility.md): `rest_init_client_tls()` (client certificates from a
//! tls_mgm domain), the `{rest.escape}`/`{rest.unescape}` transformations, the
//! `curl_http_version` and `enable_expect_100` parameters.

mod headers;
mod tls;
mod transfer;

use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::log::{self, level};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_script::AssignOp;
use ureq::Agent;

use transfer::{Method, Request, RCL_INTERNAL_ERR, RCL_OK};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("connection_timeout"),
    ModParamSpec::int("curl_timeout"),
    ModParamSpec::int("ssl_verifypeer"),
    ModParamSpec::int("ssl_verifyhost"),
    ModParamSpec::str("ssl_capath"),
    ModParamSpec::int("max_transfer_size"),
    ModParamSpec::int("connect_poll_interval"),
    ModParamSpec::int("max_async_transfers"),
];

/// The module: its parameters, then the HTTP agent built from them at start-up.
pub struct RestClient {
    connection_timeout: u64,
    curl_timeout: u64,
    ssl_verifypeer: bool,
    ssl_verifyhost: bool,
    ssl_capath: Option<String>,
    max_transfer_kib: u64,
    agent: Option<Agent>,
}

impl Default for RestClient {
    fn default() -> Self {
        RestClient {
            connection_timeout: 20,
            curl_timeout: 20,
            ssl_verifypeer: true,
            ssl_verifyhost: true,
            ssl_capath: None,
            max_transfer_kib: 10240,
            agent: None,
        }
    }
}

fn positive(name: &str, value: &ModParamValue) -> Result<u64, String> {
    match value.as_int() {
        n if n > 0 => Ok(n as u64),
        n => Err(format!("{name} must be a positive integer, got {n}")),
    }
}

impl Module for RestClient {
    fn name(&self) -> &'static str {
        "rest_client"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "connection_timeout" => self.connection_timeout = positive(name, &value)?,
            "curl_timeout" => self.curl_timeout = positive(name, &value)?,
            "ssl_verifypeer" => self.ssl_verifypeer = value.as_int() != 0,
            "ssl_verifyhost" => self.ssl_verifyhost = value.as_int() != 0,
            "ssl_capath" => self.ssl_capath = Some(value.as_str()),
            "max_transfer_size" => self.max_transfer_kib = positive(name, &value)?,
            // Tune OpenSIPS' reactor-driven async transfers; siplua runs them on the worker.
            "connect_poll_interval" | "max_async_transfers" => {
                positive(name, &value)?;
            }
            _ => return Err(format!("module rest_client has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        if self.curl_timeout < self.connection_timeout {
            // OpenSIPS warns and lowers connection_timeout to curl_timeout.
            siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "rest_client",
                &format!(
                    "connection_timeout ({}s) must be at most curl_timeout: set to {}s",
                    self.connection_timeout, self.curl_timeout
                ),
            );
            self.connection_timeout = self.curl_timeout;
        }
        if self.ssl_verifypeer && !self.ssl_verifyhost {
            log::emit(
                level::WARN,
                "rest_client",
                "ssl_verifyhost=0 has no effect while ssl_verifypeer=1: the certificate is \
                 checked against the host name too (set ssl_verifypeer=0 to check nothing)",
            );
        }
        let tls = tls::config(self.ssl_verifypeer, self.ssl_capath.as_deref())?;
        let config = Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(self.connection_timeout)))
            .timeout_global(Some(Duration::from_secs(self.curl_timeout)))
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .user_agent(ureq::config::AutoHeaderValue::None)
            .tls_config(tls)
            .build();
        self.agent = Some(config.new_agent());
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(agent) = self.agent.clone() else {
            return Vec::new();
        };
        let max_body = self.max_transfer_kib * 1024;
        let var = |name| ParamSpec::req(name, ParamKind::Var);
        let opt_var = |name| ParamSpec::opt(name, ParamKind::Var);
        let get = agent.clone();
        let mut out = vec![FunctionDecl::new(
            "rest_get",
            vec![
                ParamSpec::req("url", ParamKind::Str),
                var("body_pv"),
                opt_var("ctype_pv"),
                opt_var("retcode_pv"),
            ],
            RouteMask::ALL,
            move |ctx: &mut Context, args: &Args| {
                transfer_from_script(&get, max_body, ctx, args, Method::Get)
            },
        )
        .async_capable()];
        for (name, method) in [("rest_post", Method::Post), ("rest_put", Method::Put)] {
            let agent = agent.clone();
            out.push(
                FunctionDecl::new(
                    name,
                    vec![
                        ParamSpec::req("url", ParamKind::Str),
                        ParamSpec::req("send_body", ParamKind::Str),
                        ParamSpec::opt("send_ctype", ParamKind::Str),
                        var("recv_body_pv"),
                        opt_var("recv_ctype_pv"),
                        opt_var("retcode_pv"),
                    ],
                    RouteMask::ALL,
                    move |ctx: &mut Context, args: &Args| {
                        transfer_from_script(&agent, max_body, ctx, args, method)
                    },
                )
                .async_capable(),
            );
        }
        out.push(FunctionDecl::new(
            "rest_append_hf",
            vec![ParamSpec::req("txt", ParamKind::Str)],
            RouteMask::ALL,
            |ctx: &mut Context, args: &Args| {
                let txt = args.str(ctx, 0).unwrap_or_default().into_owned();
                match headers::parse(&txt) {
                    Some(h) => {
                        headers::append(ctx, h);
                        1
                    }
                    None => {
                        error(&format!("rest_append_hf: not an HTTP header: {txt:?}"));
                        -1
                    }
                }
            },
        ));
        out
    }
}

fn error(text: &str) {
    log::emit(level::ERR, "rest_client", text);
}

/// `rest_get(url, body[, ctype[, code]])` (arguments from 0) and
/// `rest_post/put(url, send_body[, send_ctype], body[, ctype[, code]])` (output variables
/// from 3).
fn transfer_from_script(
    agent: &Agent,
    max_body: u64,
    ctx: &mut Context,
    args: &Args,
    method: Method,
) -> i32 {
    let url = args.str(ctx, 0).unwrap_or_default().into_owned();
    let out = if method == Method::Get { 1 } else { 3 };
    let send = (method != Method::Get).then(|| {
        let body = args.str(ctx, 1).unwrap_or_default().into_owned();
        let ctype = args
            .str(ctx, 2)
            .map(|c| c.into_owned())
            .unwrap_or_else(|| "application/x-www-form-urlencoded".to_string());
        (body, ctype)
    });
    let headers = headers::take(ctx);
    let request = Request {
        method,
        url: &url,
        body: send.as_ref().map(|(b, c)| (b.as_str(), c.as_str())),
        headers: &headers,
    };
    let (code, reply) = match transfer::perform(agent, &request, max_body) {
        Ok(reply) => (RCL_OK, reply),
        Err((code, status)) => {
            error(&format!("{method:?} {url} failed with {code}"));
            (
                code,
                transfer::Reply {
                    status,
                    ..Default::default()
                },
            )
        }
    };
    let mut set = |i: usize, v: Value| match args.pv(i) {
        Some(pv) => pv.set(ctx, AssignOp::Set, v).is_ok(),
        None => true,
    };
    if !set(out + 2, Value::Int(i64::from(reply.status))) {
        return RCL_INTERNAL_ERR;
    }
    if code != RCL_OK {
        return code;
    }
    if !set(out, Value::Str(reply.body)) || !set(out + 1, Value::Str(reply.ctype)) {
        return RCL_INTERNAL_ERR;
    }
    RCL_OK
}
