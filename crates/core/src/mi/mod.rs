//! The management interface (MI): OpenSIPS 3.x's JSON-RPC 2.0 commands, so that
//! `opensips-cli` and other MI clients drive siplua unchanged.
//!
//! - [`command`]: what a command is ([`MiCommand`]: name, declared parameters, handler) and
//!   what a handler sees ([`MiContext`], [`MiParams`]) and returns ([`MiError`]);
//! - [`registry`]: every command by name, the core's and each module's
//!   (`Module::mi_commands`), built once at load time;
//! - [`params`]: matching the request's parameters to a command's declared ones, as
//!   OpenSIPS matches "recipes";
//! - [`jsonrpc`]: the JSON-RPC 2.0 framing and OpenSIPS' error codes;
//! - [`dispatch`]: one request text in, one reply text out — what every transport calls;
//! - [`commands`]: the core's own commands (`uptime`, `which`, `log_level`, statistics,
//!   `reload_routes`, ...);
//! - [`processes`]: the threads `ps` lists.
//!
//! The transports (`mi_fifo`, `mi_http`) are modules; they only move text.

pub mod command;
pub mod commands;
pub mod dispatch;
pub mod jsonrpc;
pub mod params;
pub mod processes;
pub mod registry;

pub use command::{MiCommand, MiContext, MiError, MiParam, MiParams};
pub use dispatch::handle;
pub use processes::Processes;
pub use registry::MiRegistry;
/// Results are JSON values; re-exported so that modules build them without depending on
/// `serde_json` themselves.
pub use serde_json::{json, Value};
