//! Built-in modules of siplua, one folder each, named as OpenSIPS names them.

pub mod acc;
pub mod alias_db;
pub mod auth;
pub mod auth_db;
pub mod avpops;
pub mod cachedb_local;
pub mod cachedb_memcached;
pub mod cachedb_redis;
pub mod cfgutils;
pub mod db_mysql;
pub mod db_sqlite;
pub mod db_text;
pub mod dialog;
pub mod dialplan;
pub mod dispatcher;
pub mod domain;
pub mod drouting;
pub mod event_route;
pub mod exec;
pub mod group;
pub mod httpd;
pub mod json;
pub mod load_balancer;
pub mod mathops;
pub mod maxfwd;
pub(crate) mod media_proxy;
pub mod mi_fifo;
pub mod mi_http;
pub mod nathelper;
pub mod options;
mod partition;
pub mod path;
pub mod permissions;
pub mod pike;
mod pool_threads;
pub mod presence;
pub mod presence_xml;
pub mod prometheus;
pub mod proto;
pub mod proto_hep;
pub mod ratelimit;
pub mod regex;
pub mod registrar;
pub mod rest_client;
pub mod rr;
pub mod rtpengine;
pub mod rtpproxy;
pub mod signaling;
pub mod sipmsgops;
pub mod sl;
pub(crate) mod snapshot;
pub mod sql;
pub mod sst;
pub mod statistics;
pub mod textops;
pub mod timerec;
pub mod tls_mgm;
pub mod tm;
pub mod topology_hiding;
pub mod tracer;
pub mod uac;
pub mod uac_redirect;
pub mod uac_registrant;
pub mod uri;
pub mod usrloc;
pub mod xcap;

use siplua_core::load::Catalogue;
use siplua_core::module::Module;

/// Every built-in module by the name `loadmodule` uses.
pub const CATALOGUE: Catalogue<'static> = &[
    ("proto_udp", || Box::new(proto::ProtoUdp) as Box<dyn Module>),
    ("proto_tcp", || Box::new(proto::ProtoTcp::default())),
    ("proto_tls", || Box::new(proto::ProtoTls::default())),
    ("proto_ws", || Box::new(proto::ProtoWebSocket::plain())),
    ("proto_wss", || Box::new(proto::ProtoWebSocket::secure())),
    ("tls_mgm", || Box::new(tls_mgm::TlsMgm::default())),
    ("tls_openssl", || {
        Box::new(tls_mgm::TlsLibrary {
            name: "tls_openssl",
        })
    }),
    ("tls_wolfssl", || {
        Box::new(tls_mgm::TlsLibrary {
            name: "tls_wolfssl",
        })
    }),
    ("sl", || Box::new(sl::Sl::default())),
    ("signaling", || Box::new(signaling::Signaling)),
    ("sipmsgops", || Box::new(sipmsgops::SipMsgOps)),
    ("textops", || Box::new(textops::TextOps)),
    ("options", || Box::new(options::Options::default())),
    ("regex", || Box::new(regex::RegexModule::default())),
    ("uri", || Box::new(uri::Uri::v2())),
    ("uri_db", || Box::new(uri::Uri::v1_db())),
    ("maxfwd", || Box::new(maxfwd::MaxFwd::default())),
    ("mathops", || Box::new(mathops::MathOps::default())),
    ("tm", || Box::new(tm::Tm::default())),
    ("acc", || Box::new(acc::Acc::default())),
    ("auth", || Box::new(auth::Auth::default())),
    ("auth_db", || Box::new(auth_db::AuthDb::default())),
    ("db_text", || Box::new(db_text::DbText)),
    ("db_mysql", || Box::new(db_mysql::DbMysql::default())),
    ("db_sqlite", || Box::new(db_sqlite::DbSqlite::default())),
    ("mi_fifo", || Box::new(mi_fifo::MiFifo::default())),
    ("mi_http", || Box::new(mi_http::MiHttp::default())),
    ("httpd", || Box::new(httpd::Httpd::default())),
    ("json", || Box::new(json::Json)),
    ("prometheus", || Box::new(prometheus::Prometheus::default())),
    ("rr", || Box::new(rr::Rr::default())),
    ("path", || Box::new(path::Path::default())),
    ("pike", || Box::new(pike::Pike::default())),
    ("ratelimit", || Box::new(ratelimit::RateLimit::default())),
    ("nathelper", || Box::new(nathelper::NatHelper::default())),
    ("cfgutils", || Box::new(cfgutils::Cfgutils::default())),
    ("event_route", || Box::new(event_route::EventRoute)),
    ("statistics", || Box::new(statistics::Statistics::default())),
    ("rtpproxy", || Box::new(rtpproxy::RtpProxy::default())),
    ("rtpengine", || Box::new(rtpengine::RtpEngine::default())),
    ("dialog", || Box::new(dialog::DialogModule::default())),
    ("sst", || Box::new(sst::Sst::default())),
    ("dialplan", || Box::new(dialplan::Dialplan::default())),
    ("domain", || Box::new(domain::Domain::default())),
    ("group", || Box::new(group::Group::default())),
    ("alias_db", || Box::new(alias_db::AliasDb::default())),
    ("permissions", || {
        Box::new(permissions::Permissions::default())
    }),
    ("avpops", || Box::new(avpops::AvpOps::default())),
    ("dispatcher", || Box::new(dispatcher::Dispatcher::default())),
    ("load_balancer", || {
        Box::new(load_balancer::LoadBalancer::default())
    }),
    ("drouting", || Box::new(drouting::Drouting::default())),
    ("usrloc", || Box::new(usrloc::UsrlocModule::default())),
    ("cachedb_local", || {
        Box::new(cachedb_local::CachedbLocal::default())
    }),
    ("cachedb_memcached", || {
        Box::new(cachedb_memcached::CachedbMemcached::default())
    }),
    ("cachedb_redis", || {
        Box::new(cachedb_redis::CachedbRedis::default())
    }),
    ("topology_hiding", || {
        Box::new(topology_hiding::TopologyHiding::default())
    }),
    ("uac_auth", || Box::new(uac::UacAuth::default())),
    ("uac", || Box::new(uac::Uac::default())),
    ("uac_redirect", || {
        Box::new(uac_redirect::UacRedirect::default())
    }),
    ("uac_registrant", || {
        Box::new(uac_registrant::UacRegistrant::default())
    }),
    ("registrar", || {
        Box::new(registrar::RegistrarModule::default())
    }),
    ("rest_client", || {
        Box::new(rest_client::RestClient::default())
    }),
    ("exec", || Box::new(exec::Exec::default())),
    ("presence", || Box::new(presence::PresenceModule::default())),
    ("proto_hep", || Box::new(proto_hep::ProtoHep::default())),
    ("tracer", || Box::new(tracer::TracerModule::v3())),
    ("siptrace", || Box::new(tracer::TracerModule::v2())),
    ("presence_xml", || {
        Box::new(presence_xml::PresenceXml::default())
    }),
    ("xcap", || Box::new(xcap::Xcap)),
];
