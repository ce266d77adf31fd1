//! `httpd`: the embedded HTTP server that `mi_http` (`/mi`) and `prometheus` (`/metrics`)
//! answer on, as in OpenSIPS. Parameters: `ip` (default every address), `port` (default
//! 8888); `buf_size` and `post_buf_size` are accepted (bodies are limited to 1 MiB).
//!
//! The module publishes an [`HttpdApi`] in `init`: other modules register a handler for the
//! first segment of the path (their "root"). The server thread starts in `Module::start`,
//! once the SIP transports are up, and stops at shutdown.

mod api;
mod server;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use parking_lot::Mutex;
use siplua_core::engine::Core;
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

pub use api::{HttpHandler, HttpReply, HttpRequest, HttpdApi};

use server::Running;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "ip",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "port",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "buf_size",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "post_buf_size",
        kind: ModParamKind::Int,
    },
];

/// The module.
pub struct Httpd {
    ip: IpAddr,
    port: u16,
    api: Arc<HttpdApi>,
    running: Mutex<Option<Running>>,
}

impl Default for Httpd {
    fn default() -> Self {
        Httpd {
            ip: IpAddr::from([0, 0, 0, 0]),
            port: 8888,
            api: Arc::default(),
            running: Mutex::new(None),
        }
    }
}

impl Module for Httpd {
    fn name(&self) -> &'static str {
        "httpd"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "ip" => {
                let text = value.as_str();
                self.ip = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("ip '{text}' is not an IP address"))?;
            }
            "port" => {
                let p = value.as_int();
                self.port = u16::try_from(p)
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("port {p} is not a TCP port"))?;
            }
            _ => {}
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        env.apis.publish(self.api.clone());
        Ok(())
    }

    fn start(&self, core: &Arc<Core>) -> Result<(), String> {
        let addr = SocketAddr::new(self.ip, self.port);
        let running = server::start(addr, self.api.clone(), core.clone())?;
        core.processes.register(format!("HTTPD {addr}"));
        *self.running.lock() = Some(running);
        Ok(())
    }

    fn shutdown(&self) {
        if let Some(r) = self.running.lock().take() {
            r.stop();
        }
    }
}
