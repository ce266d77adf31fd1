//! The message context of the running `lua_exec`, reachable from the Lua API functions.
//!
//! Lua calls back into Rust through plain functions that cannot borrow the caller's
//! `&mut Context`, and building a userdata per call would allocate. So `lua_exec` publishes
//! the context through a thread-local raw pointer for exactly the duration of the Lua call:
//!
//! - [`enter`] stores the pointer and returns a guard; dropping the guard (also on
//!   unwind) restores the previous value, so a nested `lua_exec` (a `moduleFunc` that ends up
//!   in `lua_exec` again) gets its own context and the outer one is back afterwards;
//! - [`with_ctx`] hands out a `&mut Context` only inside a closure, so no reference outlives
//!   the callback; with no current context it is a Lua error, never a dangling pointer (a
//!   `msg` kept in a global and used later, or API calls from the file's top-level code);
//! - while Lua runs, `lua_exec` itself does not touch its `&mut Context`: the only live path to
//!   it is the pointer, and callbacks run one at a time on this thread.
//!
//! The state's own data ([`StateData`]) is published the same way ([`enter_state`],
//! [`state`]), as a counted reference: the fast paths are plain C functions that reach it
//! there instead of through mlua's handle to the state, which costs more than the call itself.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;
use std::rc::Rc;

use siplua_core::context::Context;

use crate::state::StateData;

thread_local! {
    static CURRENT: Cell<*mut Context<'static>> = const { Cell::new(ptr::null_mut()) };
    static STATE: Cell<Option<Rc<StateData>>> = const { Cell::new(None) };
}

/// Keeps `data` published until dropped (also on unwind), then restores the previous one.
pub struct StateGuard {
    previous: Option<Rc<StateData>>,
}

/// Makes `data` the state of the running `lua_exec` until the guard is dropped.
pub fn enter_state(data: &Rc<StateData>) -> StateGuard {
    StateGuard {
        previous: STATE.replace(Some(data.clone())),
    }
}

impl Drop for StateGuard {
    fn drop(&mut self) {
        STATE.set(self.previous.take());
    }
}

/// The data of the state whose `lua_exec` runs on this thread (the innermost one), if any.
pub fn state() -> Option<Rc<StateData>> {
    STATE.with(|s| {
        let data = s.take();
        s.set(data.clone());
        data
    })
}

/// The exclusive borrow of the context published by [`enter`]; dropping it (also on unwind)
/// restores the previously published pointer.
pub struct CurrentGuard<'a> {
    previous: *mut Context<'static>,
    _borrow: PhantomData<&'a mut ()>,
}

/// Makes `ctx` the current context until the guard is dropped. The guard borrows `ctx`
/// mutably, so the caller cannot use it while Lua may.
pub fn enter<'a, 'w>(ctx: &'a mut Context<'w>) -> CurrentGuard<'a> {
    let p = (ctx as *mut Context<'w>).cast::<Context<'static>>();
    CurrentGuard {
        previous: CURRENT.with(|c| c.replace(p)),
        _borrow: PhantomData,
    }
}

impl Drop for CurrentGuard<'_> {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.previous));
    }
}

/// Runs `f` with the current context, or fails with a Lua error naming `what` when no
/// `lua_exec` is running on this thread.
///
/// The pointer is taken out while `f` runs and put back afterwards: if `f` makes Lua run
/// again (an allocation triggering a `__gc` finalizer, a `moduleFunc` target that calls
/// `lua_exec`), API calls made there cannot create a second reference to the same context —
/// they see either no context or the one a nested `lua_exec` publishes itself.
pub fn with_ctx<R>(
    what: &str,
    f: impl for<'a, 'w> FnOnce(&'a mut Context<'w>) -> mlua::Result<R>,
) -> mlua::Result<R> {
    let p = CURRENT.with(|c| c.replace(ptr::null_mut()));
    if p.is_null() {
        return Err(mlua::Error::runtime(format!(
            "{what}: no current SIP message (the API works only while lua_exec runs)"
        )));
    }
    let _restore = CurrentGuard {
        previous: p,
        _borrow: PhantomData,
    };
    // SAFETY: `p` was stored by `enter` from a `&mut Context` whose exclusive borrow
    // is held by the guard still alive up the stack, and nothing else on this thread uses that
    // context while Lua runs. The pointer is unpublished until `_restore` drops, so this is the
    // only reference made from it; it cannot escape `f` (higher-ranked lifetimes), and the
    // `'static` in the pointer type is never exposed.
    let ctx = unsafe { &mut *p };
    f(ctx)
}
