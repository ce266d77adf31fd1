//! `proto_tls`: the module OpenSIPS 3 requires before a `socket=tls:...`, with its connection
//! parameters. The certificates come from `tls_mgm`.

use std::time::Duration;

use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

/// `proto_tls`.
#[derive(Default)]
pub struct ProtoTls {
    handshake_timeout: Option<i64>,
    send_timeout: Option<i64>,
}

const fn int(name: &'static str) -> ModParamSpec {
    ModParamSpec {
        name,
        kind: ModParamKind::Int,
    }
}

const PARAMS: &[ModParamSpec] = &[
    int("tls_port"),
    int("tls_handshake_timeout"),
    int("tls_send_timeout"),
    int("tls_max_msg_chunks"),
    int("tls_crlf_pingpong"),
    int("tls_crlf_drop"),
    int("tls_async"),
    int("tls_async_max_postponed_chunks"),
    int("tls_async_local_connect_timeout"),
    int("tls_async_local_write_timeout"),
    int("trace_on"),
    ModParamSpec {
        name: "trace_destination",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "trace_filter_route",
        kind: ModParamKind::Str,
    },
];

impl Module for ProtoTls {
    fn name(&self) -> &'static str {
        "proto_tls"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["tls_mgm"]
    }

    /// `tls_handshake_timeout` and `tls_send_timeout` (milliseconds) take effect; `tls_port`
    /// is accepted (a `tls:` socket without a port listens on 5061, its default); the others
    /// tune OpenSIPS' own I/O model or tracing and are accepted without effect.
    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "tls_handshake_timeout" => self.handshake_timeout = Some(value.as_int()),
            "tls_send_timeout" => self.send_timeout = Some(value.as_int()),
            _ => {}
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let tls = env.config.tls.get_or_insert_with(Default::default);
        let ms = |v: i64| Duration::from_millis(v.max(1) as u64);
        if let Some(v) = self.handshake_timeout {
            tls.handshake_timeout = ms(v);
        }
        if let Some(v) = self.send_timeout {
            tls.send_timeout = ms(v);
        }
        Ok(())
    }
}
