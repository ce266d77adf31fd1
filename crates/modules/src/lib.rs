//! Built-in modules of siplua, one folder each, named as OpenSIPS names them.

pub mod maxfwd;
pub mod proto;
pub mod signaling;
pub mod sipmsgops;
pub mod sl;
pub mod tm;

use siplua_core::load::Catalogue;
use siplua_core::module::Module;

/// Every built-in module by the name `loadmodule` uses.
pub const CATALOGUE: Catalogue<'static> = &[
    ("proto_udp", || Box::new(proto::ProtoUdp) as Box<dyn Module>),
    ("proto_tcp", || Box::new(proto::ProtoTcp::default())),
    ("sl", || Box::new(sl::Sl::default())),
    ("signaling", || Box::new(signaling::Signaling)),
    ("sipmsgops", || Box::new(sipmsgops::SipMsgOps)),
    ("maxfwd", || Box::new(maxfwd::MaxFwd::default())),
    ("tm", || Box::new(tm::Tm::default())),
];
