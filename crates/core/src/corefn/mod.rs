//! Core script functions (not part of any module): logging, flags, Request-URI rewriting,
//! branches and serial forking, `is_myself`, `force_rport`, `force_send_socket`, `set_advertised_address`/`_port`, stateless `forward`, the `cache_*` key-value functions, `raise_event`. Looked up before module functions, as in
//! OpenSIPS.

mod advertise;
mod branch;
mod cache;
mod event;
mod flags;
mod forward;
mod logging;
mod myself;
mod rport;
mod ruri;
mod send_socket;
mod serial;

use crate::function::FunctionDecl;

/// Every core function declaration.
pub fn functions() -> Vec<FunctionDecl> {
    let mut all = Vec::new();
    all.extend(logging::functions());
    all.extend(flags::functions());
    all.extend(ruri::functions());
    all.extend(branch::functions());
    all.extend(myself::functions());
    all.extend(forward::functions());
    all.extend(rport::functions());
    all.extend(cache::functions());
    all.extend(send_socket::functions());
    all.extend(advertise::functions());
    all.extend(serial::functions());
    all.extend(event::functions());
    all
}

pub use myself::is_myself;
