//! The siplua engine: the module API, the per-message [`context::Context`], pseudo-variables,
//! the script interpreter, and the workers that tie transports to the script.
//!
//! Data flow for one message: the transports hand bytes to a [`worker::Worker`]; it parses
//! them with `siplua-sip`, checks the request, builds a `Context` and runs the compiled
//! routes ([`interp`]); functions declared by modules ([`module`], [`function`]) read and
//! change the context and send through the transports. Everything loaded from the
//! configuration sits in [`engine::Core`], shared by all workers.

pub mod avp;
pub mod cachedb;
pub mod config;
pub mod context;
pub mod corefn;
pub mod dns;
pub mod engine;
pub mod events;
pub mod flags;
pub mod format;
pub mod forward;
pub mod function;
mod init_order;
pub mod interp;
pub mod load;
pub mod log;
pub mod mi;
pub mod module;
pub mod pv;
pub mod registry;
pub mod reply;
pub mod route_type;
pub mod sipview;
pub mod stats;
pub mod subst;
pub mod timer;
pub mod transform;
pub mod value;
pub mod worker;
