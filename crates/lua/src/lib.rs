//! The siplua `lua` module: OpenSIPS' Lua scripting API on an embedded Lua (5.4 by default,
//! LuaJIT or 5.1 by cargo feature). The only crate of siplua that links Lua.
//!
//! - [`module`]: what the engine sees (parameters, `lua_exec`, `lua_meminfo`, worker start);
//! - [`worker`], [`state`], [`reload`]: one Lua state per worker thread, built from the file,
//!   replaced whole on auto-reload;
//! - [`exec`]: `lua_exec` and its return rule;
//! - [`current`]: how API functions reach the message of the running call;
//! - [`api`]: the Lua globals, one file per group;
//! - [`budget`], [`compat`], [`watch`]: instruction budget, 5.1 shims, the watch list.
//!
//! See `docs/lua.md` for the API reference and `docs/differences.md` for where siplua
//! deliberately differs from OpenSIPS.

pub mod api;
pub mod budget;
pub mod compat;
pub mod current;
pub mod exec;
mod mi;
mod module;
pub mod params;
pub mod reload;
pub mod sandbox;
mod source;
pub mod state;
pub mod watch;
pub mod worker;

use siplua_core::load::Catalogue;
use siplua_core::module::Module;

pub use module::LuaModule;
pub use watch::{WatchError, WatchList, WatchReply};

/// The module this crate offers to `loadmodule`.
pub const CATALOGUE: Catalogue<'static> =
    &[("lua", || Box::new(LuaModule::default()) as Box<dyn Module>)];
