//! `lua_exec` of a function that does not itself allocate makes no heap allocation per call
//! once the worker's state is warm (Lua 5.4; see below for LuaJIT and 5.1): the function key is cached, `msg` is one object per state, the
//! context is published through a pointer; a prepared `moduleFunc` call with string arguments
//! reads them on the Lua stack and looks its key up in a reused buffer. Counted with a per-thread counting allocator
//! around the handler call (Lua's own allocations go through the same allocator).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use common::Engine;
use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::route_type::RouteType;
use siplua_core::worker::WorkerState;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_warm_lua_exec_does_not_allocate() {
    let lua = r#"
function empty(msg) end
function answer(msg, p) return p == "x" and 1 or -1 end
function module_func(msg) return moduleFunc(msg, "probe_code", "3") end
"#;
    for budget in ["", "modparam(\"lua\", \"lua_exec_budget\", 0)"] {
        let e = Engine::new(lua, budget, "route { exit; }");
        let decl = e.core.functions.get("lua_exec").unwrap();
        let mut state = WorkerState::new(1, None);
        let msg = siplua_sip::Message::parse(Bytes::from(common::message(""))).unwrap();
        let mut ctx = Context::new(&e.core, &mut state, RouteType::Request, Some(&msg), None);
        for (args, want) in [
            (Args(vec![PreparedArg::Str("empty".into())]), 1),
            (
                Args(vec![
                    PreparedArg::Str("answer".into()),
                    PreparedArg::Str("x".into()),
                ]),
                1,
            ),
            // A prepared moduleFunc call with string arguments (its fast path).
            (Args(vec![PreparedArg::Str("module_func".into())]), 1),
        ] {
            for _ in 0..100 {
                assert_eq!((decl.handler)(&mut ctx, &args), want);
            }
            let before = ALLOCATIONS.with(Cell::get);
            for _ in 0..1000 {
                (decl.handler)(&mut ctx, &args);
            }
            let made = ALLOCATIONS.with(Cell::get) - before;
            // Zero per call; at most the odd amortised growth of a Lua or mlua internal
            // table over a thousand calls.
            // Zero per call; at most the odd amortised growth of a Lua or mlua internal
            // table over a thousand calls. Under LuaJIT and 5.1, mlua pushes a string (the
            // `param`) through a protected call, which creates a C closure: two small GC
            // allocations per call with a parameter.
            let per_call = if cfg!(any(feature = "luajit", feature = "lua51")) && args.0.len() == 2
            {
                2
            } else {
                0
            };
            assert!(
                made <= per_call * 1000 + 5,
                "{made} allocations in 1000 calls ({budget:?}, {} args)",
                args.0.len()
            );
        }
    }
}
