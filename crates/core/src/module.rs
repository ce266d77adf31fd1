//! The module API: what a built-in module (sl, tm, lua, ...) exports to the engine.
//!
//! A module is what OpenSIPS users know: a name for `loadmodule`, typed parameters for
//! `modparam`, script functions, pseudo-variables, and hooks into start-up, each worker, and
//! reply processing. The engine drives every module through this one trait, so the loader,
//! `moduleFunc`, the checker and the documentation all read the same declarations.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use crate::context::Context;
use crate::engine::Core;
use crate::function::FunctionDecl;
use crate::mi::MiCommand;
use crate::pv::{PvClass, PvDecl};

/// The declared type of a module parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModParamKind {
    /// An integer (a string spelling an integer is accepted too).
    Int,
    /// A string (an integer is accepted and printed).
    Str,
}

/// A module parameter declaration: name and type.
#[derive(Clone, Copy, Debug)]
pub struct ModParamSpec {
    /// The name used in `modparam("module", "name", value)`.
    pub name: &'static str,
    /// Its type.
    pub kind: ModParamKind,
}

impl ModParamSpec {
    /// An integer parameter (the `PARAMS` tables of the modules list them this way).
    pub const fn int(name: &'static str) -> ModParamSpec {
        ModParamSpec {
            name,
            kind: ModParamKind::Int,
        }
    }

    /// A string parameter.
    pub const fn str(name: &'static str) -> ModParamSpec {
        ModParamSpec {
            name,
            kind: ModParamKind::Str,
        }
    }
}

/// A value given to `modparam`, already checked against the declared type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModParamValue {
    /// An integer parameter's value.
    Int(i64),
    /// A string parameter's value.
    Str(String),
}

impl ModParamValue {
    /// The integer (0 for a string that does not spell one).
    pub fn as_int(&self) -> i64 {
        match self {
            ModParamValue::Int(i) => *i,
            ModParamValue::Str(s) => crate::value::parse_int(s).unwrap_or(0),
        }
    }

    /// The text.
    pub fn as_str(&self) -> String {
        match self {
            ModParamValue::Int(i) => i.to_string(),
            ModParamValue::Str(s) => s.clone(),
        }
    }
}

/// What a reply hook decided about a received reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyVerdict {
    /// Not ours: go on with the main `onreply_route` and stateless forwarding.
    Continue,
    /// Handled (e.g. matched a transaction): the engine does nothing more with it.
    Consumed,
}

/// Shared published APIs of modules, by type: how one module uses another (`registrar` uses
/// `usrloc`) without reaching into its internals.
#[derive(Default)]
pub struct Apis {
    map: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Apis {
    /// Publishes an API object.
    pub fn publish<T: Any + Send + Sync>(&mut self, api: Arc<T>) {
        self.map.insert(TypeId::of::<T>(), api);
    }

    /// Looks an API up by type.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.map
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|a| a.downcast::<T>().ok())
    }
}

/// What `Module::init` may read and publish.
pub struct InitEnv<'a> {
    /// APIs published by modules initialised earlier (dependencies first, then load order).
    pub apis: &'a mut Apis,
    /// The global configuration; transport modules (`proto_tcp`) may adjust their part.
    pub config: &'a mut crate::config::CoreConfig,
    /// Names of every loaded module (to check optional dependencies).
    pub loaded: &'a [String],
    /// Where the module registers its statistics counters.
    pub stats: &'a crate::stats::Stats,
    /// The timer service, for the module's delayed jobs.
    pub timers: &'a std::sync::Arc<crate::timer::TimerService>,
    /// The directory of the main configuration file, which OpenSIPS modules resolve relative
    /// file names against (empty: the current directory, for a script without a path).
    pub script_dir: &'a std::path::Path,
}

/// A built-in module.
pub trait Module: Send + Sync {
    /// The name `loadmodule` and `modparam` use.
    fn name(&self) -> &'static str;

    /// Declared parameters.
    fn params(&self) -> &'static [ModParamSpec] {
        &[]
    }

    /// Stores one parameter value (already type-checked); an error stops loading with the
    /// `modparam` line's position.
    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let _ = value;
        Err(format!("module {} has no parameter {name}", self.name()))
    }

    /// Modules that must be loaded with this one (e.g. `registrar` needs `usrloc`); they are
    /// initialised first whatever the order of the `loadmodule` lines.
    fn dependencies(&self) -> &'static [&'static str] {
        &[]
    }

    /// Modules initialised before this one when the script loads them too, which it uses if
    /// present (`topology_hiding` uses `dialog`); unlike [`Module::dependencies`] they need
    /// not be loaded.
    fn optional_dependencies(&self) -> &'static [&'static str] {
        &[]
    }

    /// Prepares shared state once, after all parameters are set and before the script is
    /// compiled. A module publishes its API here for the modules after it.
    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let _ = env;
        Ok(())
    }

    /// The script functions it exports (called after `init`, so handlers may capture the
    /// module's shared state).
    fn functions(&self) -> Vec<FunctionDecl> {
        Vec::new()
    }

    /// The pseudo-variables it exports.
    fn pseudo_variables(&self) -> Vec<PvDecl> {
        Vec::new()
    }

    /// The pseudo-variables it exports whose name has a syntax of its own, parsed at load
    /// (`$json(obj/key[1])`).
    fn pv_classes(&self) -> Vec<Arc<dyn PvClass>> {
        Vec::new()
    }

    /// Runs in each worker thread before it takes traffic (the lua module loads its script
    /// here); an error stops start-up.
    fn worker_init(&self, worker_id: usize) -> Result<(), String> {
        let _ = worker_id;
        Ok(())
    }

    /// Which of the per-message hooks ([`Module::on_receive`], [`Module::on_message`]) this
    /// module uses once initialised. The core calls a hook only for the modules that said so
    /// here, from lists made once at load: a module that overrides a hook must claim it.
    fn message_hooks(&self) -> MessageHooks {
        MessageHooks::default()
    }

    /// Sees every received message first, request or reply, parsed or not, before the
    /// overload check and the script; false drops it silently (`pike`'s automatic mode).
    /// Called only when [`Module::message_hooks`] claims `receive`.
    fn on_receive(
        &self,
        core: &Core,
        worker: &mut crate::worker::WorkerState,
        origin: crate::context::Origin,
    ) -> bool {
        let _ = (core, worker, origin);
        true
    }

    /// Observes every received request and reply before the script runs for it (the dialog
    /// module follows its dialogs' state here); it cannot stop the message. Called only when
    /// [`Module::message_hooks`] claims `message`.
    fn on_message(&self, ctx: &mut Context) {
        let _ = ctx;
    }

    /// Sees every received reply before the script does (tm matches its transactions here).
    fn on_reply(&self, ctx: &mut Context) -> ReplyVerdict {
        let _ = ctx;
        ReplyVerdict::Continue
    }

    /// The management commands it exports (`ul_dump`, ...), declared like its script
    /// functions and served by every MI transport (called after `init`, so handlers may
    /// capture the module's shared state).
    fn mi_commands(&self) -> Vec<MiCommand> {
        Vec::new()
    }

    /// Starts what needs the running engine (the MI transports' threads), once the SIP
    /// transports are up; an error stops start-up. What it starts, `shutdown` stops.
    fn start(&self, core: &Arc<Core>) -> Result<(), String> {
        let _ = core;
        Ok(())
    }

    /// Called once at clean shutdown.
    fn shutdown(&self) {}
}

/// The per-message hooks a module uses (see [`Module::message_hooks`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageHooks {
    /// [`Module::on_receive`]: admit or drop every received message.
    pub receive: bool,
    /// [`Module::on_message`]: observe every received request and reply.
    pub message: bool,
}

/// A constructor for a built-in module, as listed in the catalogue the binary wires up.
pub type ModuleFactory = fn() -> Box<dyn Module>;
