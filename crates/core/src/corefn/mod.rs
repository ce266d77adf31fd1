//! Core script functions (not part of any module): logging, flags, Request-URI rewriting,
//! branches and serial forking, `is_myself`, `force_rport`, `force_send_socket`, `set_advertised_address`/`_port`, stateless `forward` and `send`, the `cache_*` key-value functions, `script_trace`, `get_timestamp`, `construct_uri`, `raise_event`. Looked up before module functions, as in
//! OpenSIPS. (`assert` is a statement of the interpreter: its first argument is a condition.)

mod advertise;
mod branch;
mod cache;
mod construct_uri;
mod event;
mod flags;
mod forward;
mod logging;
mod myself;
mod rport;
mod ruri;
mod script_trace;
mod send;
mod send_socket;
mod serial;
mod timestamp;

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
    all.extend(send::functions());
    all.extend(script_trace::functions());
    all.extend(timestamp::functions());
    all.extend(construct_uri::functions());
    all.extend(event::functions());
    all
}

pub use branch::parse_q;
pub use myself::is_myself;
pub use send_socket::socket_named;
