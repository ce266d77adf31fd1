//! `tracer` (OpenSIPS 3.x) and `siptrace` (2.x, the same module under its old name with
//! `sip_trace()`): SIP capture to Homer. `trace_id` names destinations (`uri=hep:HEP_ID` of
//! `proto_hep`, or `uri=sip:host:port` for plain copies); `trace()` captures the current
//! message and, by scope, what follows it: the replies sent to it ("m"), its transaction
//! ("t"), its dialog ("d") — received messages through the `on_message` hook, sent ones
//! through the transports' send tap ([`capture`]). Parameters `trace_on`, `trace_local_ip`;
//! `syslog_default_facility`, `syslog_default_level`, `file_mode` and 1.x–2.x leftovers
//! (`trace_flag`, `enable_ack_trace`, `traced_user_avp`, `trace_table_avp`, `hep_version`,
//! `hep_capture_id`, `duplicate_with_hep` = 0, `trace_to_database` = 0) are accepted without
//! effect; `duplicate_uri` adds a plain copy destination to the trace id `default`.

mod capture;
mod dest;
mod function;
mod mi;
mod scope;
mod table;
mod trace_id;

use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::engine::Core;
use siplua_core::function::FunctionDecl;
use siplua_core::log::{emit, level};
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, MessageHooks, ModParamSpec, ModParamValue, Module};

use crate::proto_hep::api::HepApi;
use capture::{TraceId, Tracer};
use dest::{Outputs, TraceDest};
use scope::Scope;
use trace_id::TraceUri;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("trace_id"),
    ModParamSpec::int("trace_on"),
    ModParamSpec::str("trace_local_ip"),
    ModParamSpec::str("syslog_default_facility"),
    ModParamSpec::int("syslog_default_level"),
    ModParamSpec::int("file_mode"),
    ModParamSpec::str("duplicate_uri"),
    ModParamSpec::int("duplicate_with_hep"),
    ModParamSpec::int("trace_to_database"),
    ModParamSpec::str("db_url"),
    ModParamSpec::str("table"),
    ModParamSpec::str("trace_flag"),
    ModParamSpec::int("enable_ack_trace"),
    ModParamSpec::str("traced_user_avp"),
    ModParamSpec::str("trace_table_avp"),
    ModParamSpec::int("hep_version"),
    ModParamSpec::int("hep_capture_id"),
];

/// The module, under either name.
pub struct TracerModule {
    name: &'static str,
    function: &'static str,
    /// `trace_id` values in order: (name, destination).
    ids: Vec<(String, TraceUri)>,
    on: bool,
    local_ip: Option<SocketAddr>,
    duplicate_with_hep: bool,
    to_database: bool,
    db_url: Option<String>,
    tracer: Option<Arc<Tracer>>,
}

impl TracerModule {
    /// OpenSIPS 3.x's `tracer` with `trace()`.
    pub fn v3() -> TracerModule {
        TracerModule::named("tracer", "trace")
    }

    /// OpenSIPS 2.x's `siptrace` with `sip_trace()`.
    pub fn v2() -> TracerModule {
        TracerModule::named("siptrace", "sip_trace")
    }

    fn named(name: &'static str, function: &'static str) -> TracerModule {
        TracerModule {
            name,
            function,
            ids: Vec::new(),
            on: true,
            local_ip: None,
            duplicate_with_hep: false,
            to_database: true,
            db_url: None,
            tracer: None,
        }
    }
}

impl Module for TracerModule {
    fn name(&self) -> &'static str {
        self.name
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "trace_id" => self.ids.push(trace_id::parse(&value.as_str())?),
            "trace_on" => self.on = value.as_int() != 0,
            "trace_local_ip" => self.local_ip = Some(local_ip(&value.as_str())?),
            "duplicate_uri" => {
                let uri = trace_id::parse_uri(&value.as_str())
                    .map_err(|e| format!("duplicate_uri: {e}"))?;
                self.ids.push((function::DEFAULT_ID.to_string(), uri));
            }
            "duplicate_with_hep" => self.duplicate_with_hep = value.as_int() != 0,
            "trace_to_database" => self.to_database = value.as_int() != 0,
            "db_url" => self.db_url = Some(value.as_str()),
            _ => emit(
                level::WARN,
                self.name,
                &format!("parameter {name} has no effect in siplua (accepted, ignored)"),
            ),
        }
        Ok(())
    }

    fn optional_dependencies(&self) -> &'static [&'static str] {
        &["proto_hep", "tm", "dialog"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        if self.duplicate_with_hep {
            return Err("duplicate_with_hep: HEP goes through proto_hep in siplua: define \
                 modparam(\"proto_hep\", \"hep_id\", \"[h]host:port\") and trace_id \"[default]uri=hep:h\""
                .into());
        }
        if self.db_url.is_some() && self.to_database {
            return Err(
                "db_url: tracing to a database (the sip_trace table) is not supported by siplua; \
                 use HEP (proto_hep)"
                    .into(),
            );
        }
        let hep = env.apis.get::<HepApi>();
        let mut ids: HashMap<String, (Vec<TraceDest>, Vec<String>)> = HashMap::new();
        let mut duplicate = false;
        for (name, uri) in &self.ids {
            let shown = match uri {
                TraceUri::Hep(h) => format!("hep:{h}"),
                TraceUri::Sip(a) => format!("sip:{a}"),
            };
            let dest = match uri {
                TraceUri::Hep(h) => {
                    let api = hep.as_ref().ok_or_else(|| {
                        format!("trace_id {name}: uri=hep:{h} needs loadmodule \"proto_hep.so\"")
                    })?;
                    TraceDest::Hep(
                        api.find(h).ok_or_else(|| {
                            format!("trace_id {name}: no hep_id '{h}' in proto_hep")
                        })?,
                    )
                }
                TraceUri::Sip(a) => {
                    duplicate = true;
                    TraceDest::Sip(*a)
                }
            };
            let entry = ids.entry(name.clone()).or_default();
            entry.0.push(dest);
            entry.1.push(shown);
        }
        let default_scope = if env.loaded.iter().any(|m| m == "dialog") {
            Scope::Dialog
        } else if env.loaded.iter().any(|m| m == "tm") {
            Scope::Transaction
        } else {
            Scope::Message
        };
        self.tracer = Some(Arc::new(Tracer {
            ids: ids
                .into_iter()
                .map(|(name, (dests, uris))| {
                    let id = TraceId {
                        dests: Arc::from(dests),
                        uris,
                        on: AtomicBool::new(true),
                    };
                    (name, id)
                })
                .collect(),
            outputs: Outputs::new(hep, duplicate),
            table: Default::default(),
            on: AtomicBool::new(self.on),
            local_ip: self.local_ip,
            default_scope,
        }));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(tracer) = self.tracer.clone() else {
            return Vec::new();
        };
        vec![function::decl(
            self.function,
            self.function == "sip_trace",
            tracer,
        )]
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(tracer) = self.tracer.clone() else {
            return Vec::new();
        };
        let names: &[&'static str] = if self.name == "siptrace" {
            &["sip_trace"]
        } else {
            &["trace", "tracer:trace"]
        };
        names
            .iter()
            .map(|n| mi::command(n, tracer.clone()))
            .collect()
    }

    fn message_hooks(&self) -> MessageHooks {
        MessageHooks {
            message: true,
            ..MessageHooks::default()
        }
    }

    fn on_message(&self, ctx: &mut Context) {
        if let Some(t) = &self.tracer {
            t.on_received(ctx);
        }
    }

    fn start(&self, core: &Arc<Core>) -> Result<(), String> {
        let (Some(tracer), Some(transports)) = (self.tracer.clone(), core.transports()) else {
            return Ok(());
        };
        if !transports.set_send_tap(Arc::new(move |sent| tracer.on_sent(sent))) {
            emit(
                level::WARN,
                self.name,
                "another capture module already observes sent messages: this one captures received messages only",
            );
        }
        Ok(())
    }
}

/// `trace_local_ip`: `[proto:]ip[:port]` (port 5060 by default; the protocol is not kept:
/// the captured transport is the real one).
fn local_ip(v: &str) -> Result<SocketAddr, String> {
    let v = v.trim();
    let rest = ["udp:", "tcp:", "tls:", "ws:", "wss:"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v);
    if let Ok(a) = rest.parse::<SocketAddr>() {
        return Ok(a);
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("trace_local_ip '{v}': bad port '{p}'"))?,
        ),
        _ => (rest, 5060),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| format!("trace_local_ip '{v}': not an address"))
}
