//! `proto_ws` and `proto_wss`: the modules OpenSIPS 3 requires before a `socket=ws:...` or
//! `socket=wss:...` (SIP over WebSocket, RFC 7118), with their parameters. The WSS
//! certificates come from `tls_mgm`, as for `proto_tls`.

use std::time::Duration;

use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_transport::{Proto, WsOptions};

/// `proto_ws` (`secure` false) or `proto_wss` (`secure` true).
#[derive(Default)]
pub struct ProtoWebSocket {
    secure: bool,
    /// `ws_port` / `wss_port`, when set.
    port: Option<i64>,
    handshake_timeout: Option<Duration>,
    send_timeout: Option<Duration>,
    max_msg_chunks: Option<usize>,
    require_origin: Option<bool>,
    /// Tracing was asked for (`trace_on`, `trace_destination`).
    tracing: bool,
}

const WS_PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("ws_port"),
    ModParamSpec::int("ws_max_msg_chunks"),
    ModParamSpec::int("ws_send_timeout"),
    ModParamSpec::str("ws_resource"),
    ModParamSpec::int("ws_handshake_timeout"),
    ModParamSpec::int("require_origin"),
    ModParamSpec::str("trace_destination"),
    ModParamSpec::int("trace_on"),
    ModParamSpec::str("trace_filter_route"),
];

const WSS_PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("wss_port"),
    ModParamSpec::int("wss_max_msg_chunks"),
    ModParamSpec::int("wss_send_timeout"),
    ModParamSpec::str("wss_resource"),
    ModParamSpec::int("wss_handshake_timeout"),
    ModParamSpec::int("wss_tls_handshake_timeout"),
    ModParamSpec::int("cert_check_on_conn_reusage"),
    ModParamSpec::int("require_origin"),
    ModParamSpec::str("trace_destination"),
    ModParamSpec::int("trace_on"),
    ModParamSpec::str("trace_filter_route"),
];

impl ProtoWebSocket {
    /// `proto_ws`.
    pub fn plain() -> Self {
        ProtoWebSocket::default()
    }

    /// `proto_wss`.
    pub fn secure() -> Self {
        ProtoWebSocket {
            secure: true,
            ..ProtoWebSocket::default()
        }
    }

    fn proto(&self) -> Proto {
        if self.secure {
            Proto::Wss
        } else {
            Proto::Ws
        }
    }

    /// OpenSIPS' default port of the transport (`ws_port` 80, `wss_port` 443).
    fn default_port(&self) -> u16 {
        siplua_core::forward::default_port(self.proto())
    }
}

/// A positive number of milliseconds.
fn millis(name: &str, value: &ModParamValue) -> Result<Duration, String> {
    match value.as_int() {
        v if v > 0 => Ok(Duration::from_millis(v as u64)),
        v => Err(format!(
            "{name} must be a positive number of milliseconds, not {v}"
        )),
    }
}

impl Module for ProtoWebSocket {
    fn name(&self) -> &'static str {
        if self.secure {
            "proto_wss"
        } else {
            "proto_ws"
        }
    }

    fn params(&self) -> &'static [ModParamSpec] {
        if self.secure {
            WSS_PARAMS
        } else {
            WS_PARAMS
        }
    }

    fn dependencies(&self) -> &'static [&'static str] {
        if self.secure {
            &["tls_mgm"]
        } else {
            &[]
        }
    }

    /// `*_handshake_timeout`, `*_send_timeout` (milliseconds), `*_max_msg_chunks` (frames of
    /// one fragmented message) and `require_origin` take effect; `*_port` is checked against
    /// the sockets; `*_resource`, `wss_tls_handshake_timeout` (the TLS handshake follows
    /// `proto_tls`' `tls_handshake_timeout`), `cert_check_on_conn_reusage` and the tracing
    /// parameters are accepted without effect (tracing with a warning).
    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let base = name.strip_prefix("wss_").or(name.strip_prefix("ws_"));
        match base.unwrap_or(name) {
            "port" => match value.as_int() {
                p if (1..=65535).contains(&p) => self.port = Some(p),
                p => return Err(format!("{name} must be a port number, not {p}")),
            },
            "handshake_timeout" => self.handshake_timeout = Some(millis(name, &value)?),
            "send_timeout" => self.send_timeout = Some(millis(name, &value)?),
            "max_msg_chunks" => match value.as_int() {
                n if n > 0 => self.max_msg_chunks = Some(n as usize),
                n => return Err(format!("{name} must be at least 1, not {n}")),
            },
            "require_origin" => self.require_origin = Some(value.as_int() != 0),
            "trace_on" => self.tracing |= value.as_int() != 0,
            "trace_destination" => self.tracing = true,
            _ => {}
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let name = self.name();
        if self.tracing {
            tracing::warn!("{name}: connection tracing (HEP) is not supported; ignored");
        }
        let default = self.default_port();
        if let Some(port) = self.port.filter(|&p| p != i64::from(default)) {
            let proto = self.proto();
            if env
                .config
                .listen
                .iter()
                .any(|l| l.proto == proto && l.addr.port() == default)
            {
                tracing::warn!(
                    "{name}: {proto} sockets written without a port listen on {default}, \
                     not on the {name} port {port}: write the port in the socket line"
                );
            }
        }
        let opts: &mut WsOptions = if self.secure {
            &mut env.config.wss
        } else {
            &mut env.config.ws
        };
        if let Some(v) = self.handshake_timeout {
            opts.handshake_timeout = v;
        }
        if let Some(v) = self.send_timeout {
            opts.send_timeout = v;
        }
        if let Some(v) = self.max_msg_chunks {
            opts.max_msg_chunks = v;
        }
        if let Some(v) = self.require_origin {
            opts.require_origin = v;
        }
        Ok(())
    }
}
