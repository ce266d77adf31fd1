//! `prometheus`: every statistic at `http://ip:port/metrics` (the `httpd` module's address)
//! in the Prometheus text format, named as OpenSIPS' prometheus module names them
//! (`opensips_rcv_requests`, or `opensips_core_rcv_requests` with `group_mode` 1).
//!
//! Parameters as in OpenSIPS: `root` (`metrics`), `prefix` (`opensips`), `delimiter` (`_`),
//! `group_prefix` (empty), `group_mode` (0: no group, 1: group in the name, 2: group as a
//! label), `group_label` (`group`), `statistics` (space-separated selectors, repeatable;
//! siplua exports `all` when the parameter is not given). `labels` and `script_route` are not
//! supported yet (a load error says so).

mod collector;
mod naming;

use std::sync::Arc;

use siplua_core::engine::Core;
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

use crate::httpd::{HttpReply, HttpRequest, HttpdApi};
use naming::{GroupMode, Naming};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "root",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "prefix",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "delimiter",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "group_prefix",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "group_label",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "group_mode",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "statistics",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "labels",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "script_route",
        kind: ModParamKind::Str,
    },
];

/// The module.
pub struct Prometheus {
    root: String,
    naming: Naming,
    statistics: Vec<String>,
}

impl Default for Prometheus {
    fn default() -> Self {
        Prometheus {
            root: "metrics".into(),
            naming: Naming::default(),
            statistics: Vec::new(),
        }
    }
}

impl Module for Prometheus {
    fn name(&self) -> &'static str {
        "prometheus"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let n = &mut self.naming;
        match name {
            "root" => self.root = value.as_str().trim_matches('/').to_owned(),
            "prefix" => n.prefix = value.as_str(),
            "delimiter" => n.delimiter = value.as_str(),
            "group_prefix" => n.group_prefix = value.as_str(),
            "group_label" => n.group_label = value.as_str(),
            "group_mode" => n.group_mode = GroupMode::from_param(value.as_int())?,
            "statistics" => self
                .statistics
                .extend(value.as_str().split_whitespace().map(str::to_owned)),
            other => return Err(format!("parameter {other} is not supported yet")),
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
            .ok_or("the httpd module must be loaded before prometheus")?;
        let selectors = if self.statistics.is_empty() {
            vec!["all".to_owned()]
        } else {
            self.statistics.clone()
        };
        let naming = self.naming.clone();
        httpd.register(
            &self.root,
            Arc::new(move |core: &Arc<Core>, req: &HttpRequest| {
                scrape(core, req, &naming, &selectors)
            }),
        )
    }
}

fn scrape(core: &Arc<Core>, req: &HttpRequest, naming: &Naming, selectors: &[String]) -> HttpReply {
    if req.method != "GET" && req.method != "HEAD" {
        return HttpReply::text(405, "Method Not Allowed");
    }
    let samples: Vec<_> = core
        .stats
        .samples()
        .into_iter()
        .filter(|s| selectors.iter().any(|sel| s.matches(sel)))
        .collect();
    match collector::encode(samples, naming) {
        Ok(text) => HttpReply {
            status: 200,
            content_type: prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            body: text.into_bytes(),
        },
        Err(_) => HttpReply::text(500, "cannot encode the metrics"),
    }
}
