//! One Lua state: built from the script file with the API registered, plus what the API
//! functions of that state share ([`StateData`]).
//!
//! A state is built whole or not at all: a fresh `mlua::Lua` with every standard library
//! (OpenSIPS opens them all: the script is trusted like the cfg), the budget hook, the API
//! globals, the 5.1 shims, the sandbox (`os.exit` always disarmed), the `msg` object, the
//! memory cap, then the file's top-level code.
//! A reload builds a new one the same way and swaps it in only when that succeeded, so the
//! old globals never leak into the new code.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::Arc;

use mlua::{AnyUserData, Function, Lua, LuaOptions, LuaString, RegistryKey, StdLib, Table, Value};

use crate::api::{self, CallCache, MainThread, MsgHandle};
use crate::budget::Budget;
use crate::params::Settings;
use crate::reload::FileVersion;
use crate::watch::WatchList;

/// What the module hands every worker: its settings, the shared watch list, the reload
/// generation and the statistics.
#[derive(Debug, Default)]
pub struct Shared {
    /// The parameters.
    pub settings: Arc<Settings>,
    /// The list the `watch` command manages.
    pub watch: Arc<WatchList>,
    /// Bumped by the MI command `lua_reload`: a worker whose state is older builds a fresh
    /// one before its next `lua_exec`.
    pub generation: std::sync::atomic::AtomicU64,
    /// `lua:exec_calls`, `lua:exec_errors`, `lua:reloads`, `lua:memory`.
    pub stats: LuaStats,
}

/// The module's statistics (unregistered counters when the module was not initialised).
#[derive(Debug, Default)]
pub struct LuaStats {
    /// `lua_exec` calls.
    pub exec_calls: siplua_core::stats::Counter,
    /// `lua_exec` calls that failed (Lua error, missing function).
    pub exec_errors: siplua_core::stats::Counter,
    /// Successful reloads (`lua_reload`, auto-reload).
    pub reloads: siplua_core::stats::Counter,
    /// Lua heap of the last state that ran a call, in bytes.
    pub memory: siplua_core::stats::Counter,
}

/// Per-state data the API functions reach through `lua.app_data_ref` (they are plain
/// functions and capture nothing).
pub struct StateData {
    /// The module's settings and watch list.
    pub shared: Arc<Shared>,
    /// `setUserDebug`: Lua log lines also go to syslog.
    pub user_debug: Cell<bool>,
    /// `WarnMissingFreeFixup`: warn about `moduleFunc` calls prepared per call.
    pub warn_fixup: Cell<bool>,
    /// The instruction budget of the running call.
    pub budget: Rc<Budget>,
    /// `moduleFunc` targets with their prepared arguments.
    pub calls: RefCell<CallCache>,
    /// Compiled `pseudoVar` formats and `pseudoVarSet` specs.
    pub pvs: RefCell<api::PvCache>,
    /// Highest heap use seen at the end of a call (`max_used` of `getmeminfo`).
    pub peak_memory: Cell<usize>,
    /// The address of the `msg` object, for the fast paths' check of their first argument.
    pub msg_id: usize,
    /// The state's main thread ([`MainThread::id`]), for the fast paths' check that they run
    /// on this state.
    pub main_thread: usize,
    /// Whether the memory cap could be installed (LuaJIT may refuse a custom allocator).
    pub capped: bool,
}

impl StateData {
    /// The data of the state `lua`.
    pub fn of(lua: &Lua) -> mlua::Result<Rc<StateData>> {
        lua.app_data_ref::<Rc<StateData>>()
            .map(|d| d.clone())
            .ok_or_else(|| mlua::Error::runtime("siplua state data missing"))
    }

    /// Records the heap use after a call, for `max_used`.
    pub fn note_memory(&self, used: usize) {
        if used > self.peak_memory.get() {
            self.peak_memory.set(used);
        }
    }
}

/// A loaded Lua state of one worker.
pub struct WorkerLua {
    /// The state.
    pub lua: Lua,
    /// Its API data.
    pub data: Rc<StateData>,
    /// The one `msg` object passed to every function.
    pub msg: AnyUserData,
    /// The version of the file it was loaded from.
    pub version: FileVersion,
    globals: Table,
    main: MainThread,
    names: RefCell<HashMap<Box<str>, Name, foldhash::fast::RandomState>>,
}

/// A name `lua_exec` was called with: its Lua string and the function found under it last.
struct Name {
    key: LuaString,
    /// The same string in the registry, where the raw check of [`MainThread::global_is`]
    /// reads it.
    registered: RegistryKey,
    /// The function and its address (`Function::to_pointer`, taken once).
    found: Option<(Rc<Function>, *const c_void)>,
}

/// What [`WorkerLua::target`] finds under a name.
pub enum Target {
    /// A function, to call.
    Function(Rc<Function>),
    /// Anything else (nil included), for the error message.
    Other(Value),
}

/// Distinct function names whose Lua key is kept (names normally are a few constants).
const MAX_NAMES: usize = 256;

impl WorkerLua {
    /// Builds a state from the settings' file; the error names the file and, for Lua errors,
    /// the line (`/etc/x.lua:12: unexpected symbol near 'end'`).
    pub fn load(shared: &Arc<Shared>) -> Result<WorkerLua, String> {
        let path = &shared.settings.filename;
        let fail = |e: &dyn std::fmt::Display| format!("siplua error loading file {path}: {e}");
        let version = FileVersion::of(path).map_err(|e| fail(&e))?;
        let code = crate::source::script_text(std::fs::read(path).map_err(|e| fail(&e))?);
        let st = WorkerLua::build(shared, version).map_err(|e| fail(&e))?;
        st.data.budget.refill(&st.lua);
        st.lua
            .load(&code[..])
            .set_name(format!("@{path}"))
            .exec()
            .map_err(|e| fail(&e))?;
        st.data.note_memory(st.lua.used_memory());
        Ok(st)
    }

    /// Compiles the settings' file without running it, so that a syntax error stops the
    /// server at start-up (and `siplua -c`) once, with the file and line, rather than in each
    /// worker. Runtime errors of the script's top level still show when a worker runs it.
    pub fn compile_check(shared: &Shared) -> Result<(), String> {
        let path = &shared.settings.filename;
        let fail = |e: &dyn std::fmt::Display| format!("siplua error loading file {path}: {e}");
        let code = crate::source::script_text(std::fs::read(path).map_err(|e| fail(&e))?);
        Lua::new()
            .load(&code[..])
            .set_name(format!("@{path}"))
            .into_function()
            .map(drop)
            .map_err(|e| fail(&e))
    }

    /// A state with the API but no script (the first half of [`WorkerLua::load`]).
    fn build(shared: &Arc<Shared>, version: FileVersion) -> mlua::Result<WorkerLua> {
        // SAFETY: `unsafe_new_with` only allows what OpenSIPS allows too: every standard
        // library, including `debug` and loading C modules through `require`. The script is
        // the operator's own code, trusted like the routing script; `lua_sandbox = 1` takes
        // those away again (sandbox.rs) before the script runs.
        let lua = unsafe { Lua::unsafe_new_with(StdLib::ALL, LuaOptions::new()) };
        let settings = &shared.settings;
        let budget = Budget::install(&lua, settings.exec_budget)?;
        api::register(&lua)?;
        crate::compat::install(&lua)?;
        settings.sandbox.install(&lua)?;
        let msg = lua.create_userdata(MsgHandle)?;
        let capped = match settings.memory_cap() {
            Some(cap) => lua.set_memory_limit(cap).is_ok(),
            None => false,
        };
        let main = MainThread::of(&lua)?;
        let data = Rc::new(StateData {
            shared: shared.clone(),
            user_debug: Cell::new(settings.user_debug),
            warn_fixup: Cell::new(settings.warn_missing_free_fixup),
            budget,
            calls: RefCell::new(CallCache::default()),
            pvs: RefCell::new(api::PvCache::default()),
            peak_memory: Cell::new(0),
            msg_id: api::userdata_id(&msg),
            main_thread: main.id(),
            capped,
        });
        lua.set_app_data(data.clone());
        Ok(WorkerLua {
            globals: lua.globals(),
            main,
            lua,
            data,
            msg,
            version,
            names: RefCell::default(),
        })
    }

    /// What `lua_exec` calls for `name`: the global of that name (one flat name, as OpenSIPS:
    /// `"a.b"` is not a path). The function found last time is reused as long as a raw read
    /// of the global still finds that very function, so a script that assigns the global
    /// again gets its new value called; anything else is looked up again through mlua.
    pub fn target(&self, name: &str) -> mlua::Result<Target> {
        if let Some(f) = self.still_there(name) {
            return Ok(Target::Function(f));
        }
        match self.global(name)? {
            Value::Function(f) => {
                let f = Rc::new(f);
                if let Some(n) = self.names.borrow_mut().get_mut(name) {
                    n.found = Some((f.clone(), f.to_pointer()));
                }
                Ok(Target::Function(f))
            }
            other => Ok(Target::Other(other)),
        }
    }

    /// The function last found under `name`, if the global still holds it.
    fn still_there(&self, name: &str) -> Option<Rc<Function>> {
        let names = self.names.borrow();
        let n = names.get(name)?;
        let (f, at) = n.found.as_ref()?;
        self.main.global_is(&n.registered, *at).then(|| f.clone())
    }

    /// The global called `name`. The Lua string for each name is made once per state, so the
    /// lookup allocates nothing. No borrow of `names` is held while mlua runs (an `__index`
    /// metamethod runs Lua code).
    fn global(&self, name: &str) -> mlua::Result<Value> {
        let known = self.names.borrow().get(name).map(|n| n.key.clone());
        if let Some(key) = known {
            // A raw read first: the common case (a plain function in _G) skips the
            // protected call a metamethod-aware read costs; a miss still honours __index.
            return match self.globals.raw_get(&key)? {
                Value::Nil => self.globals.get(&key),
                found => Ok(found),
            };
        }
        let key = self.lua.create_string(name)?;
        let registered = self.lua.create_registry_value(&key)?;
        let v = self.globals.get(&key);
        let mut names = self.names.borrow_mut();
        if names.len() >= MAX_NAMES {
            names.clear();
        }
        names.insert(
            name.into(),
            Name {
                key,
                registered,
                found: None,
            },
        );
        v
    }
}
