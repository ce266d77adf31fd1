//! `mi_fifo`, `mi_http` and `httpd`: the management interface modules. They load, with their
//! parameters, so that real OpenSIPS configurations run unchanged; the interface itself comes
//! with the management issue, and until then loading one logs a warning saying so.

use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

/// A management-interface module that is accepted but not served yet.
pub struct MiPlaceholder {
    name: &'static str,
    params: &'static [ModParamSpec],
}

const FIFO_PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "fifo_name",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "fifo_mode",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "fifo_group",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "fifo_user",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "reply_dir",
        kind: ModParamKind::Str,
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

const HTTP_PARAMS: &[ModParamSpec] = &[
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

const HTTPD_PARAMS: &[ModParamSpec] = &[
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

impl MiPlaceholder {
    /// `httpd`, the HTTP server `mi_http` and `prometheus` run on.
    pub fn httpd() -> MiPlaceholder {
        MiPlaceholder {
            name: "httpd",
            params: HTTPD_PARAMS,
        }
    }

    /// `mi_fifo`.
    pub fn fifo() -> MiPlaceholder {
        MiPlaceholder {
            name: "mi_fifo",
            params: FIFO_PARAMS,
        }
    }

    /// `mi_http`.
    pub fn http() -> MiPlaceholder {
        MiPlaceholder {
            name: "mi_http",
            params: HTTP_PARAMS,
        }
    }
}

impl Module for MiPlaceholder {
    fn name(&self) -> &'static str {
        self.name
    }

    fn params(&self) -> &'static [ModParamSpec] {
        self.params
    }

    fn set_param(&mut self, _name: &str, _value: ModParamValue) -> Result<(), String> {
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        tracing::warn!("module {} is loaded but the management interface is not implemented yet: no MI commands are served", self.name);
        Ok(())
    }
}
