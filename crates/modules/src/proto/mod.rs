//! `proto_udp`, `proto_tcp`, `proto_tls`, `proto_ws` and `proto_wss`: the transport modules
//! OpenSIPS 3 requires before a `socket=` of that protocol. They carry the transport
//! parameters users set with `modparam`.

mod tls;
mod ws;

pub use tls::ProtoTls;
pub use ws::ProtoWebSocket;

use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

/// `proto_udp`.
#[derive(Default)]
pub struct ProtoUdp;

const UDP_PARAMS: &[ModParamSpec] = &[ModParamSpec {
    name: "udp_port",
    kind: ModParamKind::Int,
}];

impl Module for ProtoUdp {
    fn name(&self) -> &'static str {
        "proto_udp"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        UDP_PARAMS
    }

    /// `udp_port` (the default port for sockets written without one) is accepted; siplua's
    /// default is already 5060.
    fn set_param(&mut self, _name: &str, _value: ModParamValue) -> Result<(), String> {
        Ok(())
    }
}

/// `proto_tcp`, with OpenSIPS' connection parameters.
#[derive(Default)]
pub struct ProtoTcp {
    connection_lifetime: Option<i64>,
    max_connections: Option<i64>,
}

const TCP_PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "tcp_port",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_connection_lifetime",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_max_connections",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_send_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_max_msg_chunks",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_crlf_pingpong",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_crlf_drop",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_async",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_async_max_postponed_chunks",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_async_local_connect_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_async_local_write_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "tcp_parallel_read_on_workers",
        kind: ModParamKind::Int,
    },
];

impl Module for ProtoTcp {
    fn name(&self) -> &'static str {
        "proto_tcp"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        TCP_PARAMS
    }

    /// `tcp_connection_lifetime` (seconds) and `tcp_max_connections` take effect; the others
    /// tune OpenSIPS' own I/O model and are accepted without effect.
    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "tcp_connection_lifetime" => self.connection_lifetime = Some(value.as_int()),
            "tcp_max_connections" => self.max_connections = Some(value.as_int()),
            _ => {}
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        if let Some(s) = self.connection_lifetime {
            env.config.tcp_connection_lifetime = s.max(1) as u64;
        }
        if let Some(n) = self.max_connections {
            env.config.tcp_max_connections = n.max(1) as usize;
        }
        Ok(())
    }
}
