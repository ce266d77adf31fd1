//! The loaded engine: configuration, modules, functions and the compiled script, shared by
//! every worker and timer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use siplua_transport::Transports;

use crate::config::CoreConfig;
use crate::interp::Program;
use crate::mi::{MiRegistry, Processes};
use crate::module::{Apis, Module};
use crate::pv::{PvClass, PvDecl, PvLookup};
use crate::registry::FunctionTable;
use crate::stats::{CoreStats, Stats};
use crate::timer::TimerService;

/// Everything loaded from the configuration, shared (read-only but for the swappable script)
/// by all threads.
pub struct Core {
    /// Global parameters.
    pub config: CoreConfig,
    /// Loaded modules, in initialisation order.
    pub modules: Vec<Box<dyn Module>>,
    /// Indexes in `modules` of those whose `on_receive` runs on every message.
    pub receive_hooks: Vec<usize>,
    /// Indexes in `modules` of those whose `on_message` runs on every message.
    pub message_hooks: Vec<usize>,
    /// Published module APIs.
    pub apis: Apis,
    /// Callable functions.
    pub functions: FunctionTable,
    /// Module pseudo-variables by name.
    pub module_pvs: HashMap<&'static str, Arc<PvDecl>>,
    /// Module pseudo-variables with their own name syntax, by name.
    pub module_pv_classes: HashMap<&'static str, Arc<dyn PvClass>>,
    /// The compiled routes; replaced as a whole by a reload.
    pub program: ArcSwap<Program>,
    /// Sockets and senders, set once the transports are up.
    pub transports: OnceLock<Arc<Transports>>,
    /// Unix time of start-up (`$TS`).
    pub started_unix: i64,
    /// All statistics counters.
    pub stats: Stats,
    /// The core's own counters.
    pub core_stats: CoreStats,
    /// Delayed jobs (retransmissions, timeouts, expiry, timer routes).
    pub timers: Arc<TimerService>,
    /// The configuration file it was loaded from (`None` for a configuration given as text),
    /// which `reload_routes` re-reads.
    pub script_path: Option<PathBuf>,
    /// Every management command, the core's and the modules'.
    pub mi: MiRegistry,
    /// The running threads, as `ps` lists them.
    pub processes: Processes,
}

impl Core {
    /// The transports; `None` before they are started (start-up route, checks).
    pub fn transports(&self) -> Option<&Arc<Transports>> {
        self.transports.get()
    }

    /// The current compiled script.
    pub fn program(&self) -> Arc<Program> {
        self.program.load_full()
    }

    /// The modules whose `on_receive` hook runs on every received message, in load order.
    pub fn receivers(&self) -> impl Iterator<Item = &dyn Module> {
        self.receive_hooks.iter().map(|&i| &*self.modules[i])
    }

    /// The modules whose `on_message` hook runs on every received message, in load order.
    pub fn observers(&self) -> impl Iterator<Item = &dyn Module> {
        self.message_hooks.iter().map(|&i| &*self.modules[i])
    }

    /// Whether a loaded module has this name.
    pub fn has_module(&self, name: &str) -> bool {
        self.modules.iter().any(|m| m.name() == name)
    }
}

impl PvLookup for Core {
    fn module_pv(&self, name: &str) -> Option<Arc<PvDecl>> {
        self.module_pvs.get(name).cloned()
    }

    fn module_pv_class(&self, name: &str) -> Option<Arc<dyn PvClass>> {
        self.module_pv_classes.get(name).cloned()
    }
}

impl PvLookup for HashMap<&'static str, Arc<PvDecl>> {
    fn module_pv(&self, name: &str) -> Option<Arc<PvDecl>> {
        self.get(name).cloned()
    }

    fn module_pv_class(&self, _name: &str) -> Option<Arc<dyn PvClass>> {
        None
    }
}
