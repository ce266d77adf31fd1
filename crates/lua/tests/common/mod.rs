//! An in-process engine for the lua module's own tests and benchmarks: a configuration
//! loaded with the real loader (built-in modules, the lua module and a `probe` module with
//! functions of every parameter kind), and messages run through its main route without
//! sockets.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use siplua_core::context::Context;
use siplua_core::engine::Core;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::interp;
use siplua_core::load::{self, Overrides};
use siplua_core::module::Module;
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::value::Value;
use siplua_core::worker::WorkerState;
use siplua_sip::Message;

/// A module whose functions exercise `moduleFunc`'s argument kinds.
pub struct Probe;

impl Module for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        vec![
            // probe_store(var, value): writes value into the variable.
            FunctionDecl::new(
                "probe_store",
                vec![
                    ParamSpec::req("var", ParamKind::Var),
                    ParamSpec::req("value", ParamKind::Str),
                ],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    let v = args.str(ctx, 1).unwrap_or_default().into_owned();
                    match args.pv(0).cloned() {
                        Some(pv) => {
                            match pv.set(ctx, siplua_script::AssignOp::Set, Value::Str(v)) {
                                Ok(()) => 1,
                                Err(_) => -1,
                            }
                        }
                        None => -1,
                    }
                },
            ),
            // probe_code(n): returns n as it is.
            FunctionDecl::new(
                "probe_code",
                vec![ParamSpec::req("code", ParamKind::Int)],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| args.int(ctx, 0).unwrap_or(99) as i32,
            ),
            // probe_match(regex, text): 1 when the text matches.
            FunctionDecl::new(
                "probe_match",
                vec![
                    ParamSpec::req("re", ParamKind::Regex),
                    ParamSpec::req("text", ParamKind::Str),
                ],
                RouteMask::ALL,
                |ctx: &mut Context, args: &Args| {
                    let text = args.str(ctx, 1).unwrap_or_default().into_owned();
                    match args.regex(ctx, 0) {
                        Some(re) if re.is_match(&text) => 1,
                        _ => -1,
                    }
                },
            ),
            // probe_request_only(): allowed in request routes only (moduleFunc ignores that).
            FunctionDecl::new(
                "probe_request_only",
                vec![],
                RouteMask::of(&[RouteType::Request]),
                |_: &mut Context, _: &Args| 7,
            ),
        ]
    }
}

/// Every module the harness offers.
pub fn catalogue() -> Vec<(&'static str, siplua_core::module::ModuleFactory)> {
    let mut all = siplua_modules::CATALOGUE.to_vec();
    all.extend_from_slice(siplua_lua::CATALOGUE);
    all.push(("probe", || Box::new(Probe) as Box<dyn Module>));
    all
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "siplua-lua-{}-{name}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A loaded engine with a Lua script.
pub struct Engine {
    /// The engine.
    pub core: Core,
    /// Where the script lives.
    pub dir: PathBuf,
}

impl Engine {
    /// Loads `route` (a whole `route { }` block, plus other routes) with `lua` as the script.
    pub fn new(lua: &str, modparams: &str, route: &str) -> Engine {
        let dir = scratch("engine");
        std::fs::write(dir.join("test.lua"), lua).expect("write lua");
        Engine::in_dir(&dir, modparams, route)
    }

    /// Loads a configuration whose script is `dir/test.lua`.
    pub fn in_dir(dir: &Path, modparams: &str, route: &str) -> Engine {
        let cfg = format!(
            r#"
socket = udp:127.0.0.1:5060
loadmodule "proto_udp.so"
loadmodule "sl.so"
loadmodule "sipmsgops.so"
loadmodule "lua.so"
loadmodule "probe.so"
modparam("lua", "luafilename", "{}/test.lua")
{modparams}
{route}
"#,
            dir.display()
        );
        let core = load::load_str("test.cfg", &cfg, &catalogue(), &Overrides::default())
            .unwrap_or_else(|e| panic!("config does not load: {e:?}"));
        Engine {
            core,
            dir: dir.to_path_buf(),
        }
    }

    /// Runs the main route on `msg` with a worker state of its own; `inspect` sees the context
    /// afterwards.
    pub fn run<R>(
        &self,
        state: &mut WorkerState,
        msg: &str,
        inspect: impl FnOnce(&mut Context) -> R,
    ) -> R {
        let msg = Message::parse(Bytes::from(msg.to_owned())).expect("test message parses");
        let program = self.core.program();
        let mut ctx = Context::new(&self.core, state, RouteType::Request, Some(&msg), None);
        let route = program.main.expect("a main route");
        interp::run(&program, route, &mut ctx);
        inspect(&mut ctx)
    }
}

/// A MESSAGE request from alice to bob.
pub fn message(extra: &str) -> String {
    format!(
        "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n\
         From: <sip:alice@example.com>;tag=a\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: c1@test\r\n\
         CSeq: 1 MESSAGE\r\n\
         Max-Forwards: 70\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}

/// `$var(name)` of a worker as text.
pub fn var(state: &WorkerState, name: &str) -> String {
    state
        .vars
        .get(name)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "<unset>".into())
}
