//! The `lua` module as the engine sees it: parameters, the shared watch list published at
//! `init`, the cfg functions, and the per-worker Lua state built in `worker_init`.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};

use crate::params::{Settings, PARAMS};
use crate::state::{LuaStats, Shared};
use crate::watch::WatchList;

/// Route types where `lua_exec` may run (OpenSIPS 3.1+: LOCAL_ROUTE included).
pub const EXEC_ROUTES: RouteMask = RouteMask::of(&[
    RouteType::Request,
    RouteType::Failure,
    RouteType::OnReply,
    RouteType::Branch,
    RouteType::Local,
]);

/// The module: settings while `modparam`s are applied, then the frozen shared part.
#[derive(Default)]
pub struct LuaModule {
    settings: Settings,
    shared: Option<Arc<Shared>>,
}

impl LuaModule {
    fn shared(&self) -> Arc<Shared> {
        match &self.shared {
            Some(s) => s.clone(),
            None => Arc::new(Shared {
                settings: Arc::new(self.settings.clone()),
                ..Shared::default()
            }),
        }
    }
}

impl Module for LuaModule {
    fn name(&self) -> &'static str {
        "lua"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        self.settings.set(name, value)
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let stats = LuaStats {
            exec_calls: env.stats.counter("lua", "exec_calls"),
            exec_errors: env.stats.counter("lua", "exec_errors"),
            reloads: env.stats.counter("lua", "reloads"),
            memory: env.stats.gauge("lua", "memory"),
        };
        let shared = Arc::new(Shared {
            settings: Arc::new(self.settings.clone()),
            watch: Arc::new(WatchList::default()),
            generation: Default::default(),
            stats,
        });
        crate::state::WorkerLua::compile_check(&shared)?;
        env.apis.publish(shared.watch.clone());
        self.shared = Some(shared);
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let shared = self.shared();
        let meminfo = shared.clone();
        vec![
            FunctionDecl::new(
                "lua_exec",
                vec![
                    ParamSpec::req("func", ParamKind::Str),
                    ParamSpec::opt("param", ParamKind::Str),
                ],
                EXEC_ROUTES,
                move |ctx: &mut Context, args: &Args| crate::exec::lua_exec(&shared, ctx, args),
            ),
            FunctionDecl::new(
                "lua_meminfo",
                vec![],
                RouteMask::of(&[RouteType::Request]),
                move |_: &mut Context, _: &Args| crate::exec::lua_meminfo(&meminfo),
            ),
        ]
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        crate::worker::init(&self.shared())
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        crate::mi::commands(&self.shared())
    }
}
