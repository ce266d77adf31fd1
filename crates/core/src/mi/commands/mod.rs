//! The core's own MI commands, named and shaped as OpenSIPS 3.x's core exports them.

mod info;
mod log_level;
mod reload_routes;
mod statistics;

use super::command::MiCommand;

pub use info::ctime;

/// Every core command, in the order `which` lists them.
pub fn all() -> Vec<MiCommand> {
    let mut v = info::commands();
    v.push(log_level::command());
    v.push(reload_routes::command());
    v.extend(statistics::commands());
    v
}
