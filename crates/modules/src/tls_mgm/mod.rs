//! `tls_mgm`: the TLS certificates, CA lists and checks `proto_tls` uses (OpenSIPS 3.x
//! parameters). It fills the `tls` part of the core configuration and loads every file at
//! start-up so a bad certificate stops the start with the module's name.

mod domains;
mod library;
mod method;

pub use library::TlsLibrary;

use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_transport::TlsContext;

use domains::{flag, Domains, Side};

/// `tls_mgm`.
#[derive(Default)]
pub struct TlsMgm {
    domains: Domains,
}

const fn string(name: &'static str) -> ModParamSpec {
    ModParamSpec {
        name,
        kind: ModParamKind::Str,
    }
}

const PARAMS: &[ModParamSpec] = &[
    string("server_domain"),
    string("client_domain"),
    string("certificate"),
    string("private_key"),
    string("ca_list"),
    string("ca_dir"),
    string("verify_cert"),
    string("require_cert"),
    string("tls_method"),
    string("ciphers_list"),
    string("dh_params"),
    string("ec_curve"),
    string("crl_dir"),
    string("crl_check_all"),
    string("match_ip_address"),
    string("match_sip_domain"),
    string("client_tls_domain_avp"),
    string("client_sip_domain_avp"),
    string("tls_library"),
    string("db_url"),
    string("db_table"),
    // Older releases set these here; `proto_tls` has them in 3.x.
    string("tls_handshake_timeout"),
    string("tls_send_timeout"),
];

impl Module for TlsMgm {
    fn name(&self) -> &'static str {
        "tls_mgm"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    /// Certificate, key, CA list/dir, `verify_cert`, `require_cert` and `tls_method` take
    /// effect (per `[domain]` prefix, see [`domains`]); the OpenSSL tuning knobs (ciphers,
    /// DH parameters, curves, CRLs) and the domain matching/database parameters are accepted
    /// without effect: rustls chooses its own cipher suites and curves.
    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let v = value.as_str();
        let d = &mut self.domains;
        match name {
            "server_domain" => d.declare(Side::Server, &v),
            "client_domain" => d.declare(Side::Client, &v),
            "certificate" => d.set(&v, |s, v| {
                s.certificate = Some(v.into());
                Ok(())
            }),
            "private_key" => d.set(&v, |s, v| {
                s.private_key = Some(v.into());
                Ok(())
            }),
            "ca_list" => d.set(&v, |s, v| {
                s.ca_list = Some(v.into());
                Ok(())
            }),
            "ca_dir" => d.set(&v, |s, v| {
                s.ca_dir = Some(v.into());
                Ok(())
            }),
            "verify_cert" => d.set(&v, |s, v| {
                s.verify_cert = Some(flag(v)?);
                Ok(())
            }),
            "require_cert" => d.set(&v, |s, v| {
                s.require_cert = Some(flag(v)?);
                Ok(())
            }),
            "tls_method" => d.set(&v, |s, v| {
                let m = method::parse(v)?;
                if let Some(w) = &m.warning {
                    tracing::warn!("{w}");
                }
                s.method = Some(m);
                Ok(())
            }),
            "ciphers_list" | "dh_params" | "ec_curve" | "crl_dir" | "crl_check_all" => {
                d.set(&v, |_, _| Ok(()))
            }
            _ => Ok(()),
        }
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let (server, extra_server) = self.domains.resolve(Side::Server);
        let (client, extra_client) = self.domains.resolve(Side::Client);
        for name in extra_server.iter().chain(&extra_client) {
            tracing::warn!(
                "tls_mgm: TLS domain '{name}' is ignored: siplua uses one server and one client domain"
            );
        }
        let tls = env.config.tls.get_or_insert_with(Default::default);
        tls.server = server;
        tls.client = client;
        let serves = env.config.listen.iter().any(|l| l.proto.is_secure());
        TlsContext::build(tls, serves).map(|_| ())
    }
}
