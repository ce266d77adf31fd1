//! The Lua state of the current worker thread.
//!
//! Each worker thread owns one state, like each OpenSIPS process: globals persist between
//! calls on that worker and are never shared. `Module::worker_init` builds it inside the
//! worker thread (and once on the main thread at start-up, where a failure stops siplua). A
//! thread that reaches `lua_exec` without one (a thread started without `worker_init`, a
//! benchmark) builds it on first use. The slot remembers which module instance the state
//! belongs to, so a second configuration loaded in the same process (tests) gets its own.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use siplua_core::log::{self, level};

use crate::reload::Reloader;
use crate::state::{Shared, WorkerLua};

#[derive(Default)]
struct Slot {
    owner: usize,
    /// The `lua_reload` generation the state was built for.
    generation: u64,
    state: Option<Rc<WorkerLua>>,
    reloader: Reloader,
}

thread_local! {
    static SLOT: RefCell<Slot> = RefCell::new(Slot::default());
}

fn owner_id(shared: &Arc<Shared>) -> usize {
    Arc::as_ptr(shared) as usize
}

/// Builds this thread's state from the file (start-up, `worker_init`).
pub fn init(shared: &Arc<Shared>) -> Result<(), String> {
    let state = WorkerLua::load(shared)?;
    warn_if_uncapped(shared, &state);
    SLOT.with_borrow_mut(|slot| {
        *slot = Slot {
            owner: owner_id(shared),
            generation: shared.generation.load(Ordering::SeqCst),
            state: Some(Rc::new(state)),
            reloader: Reloader::default(),
        }
    });
    Ok(())
}

/// Runs `f` on this thread's state, building it first if needed and reloading a changed file
/// when `lua_auto_reload` is on. `None` when no state can be built (the error is logged).
///
/// `f` must not run Lua code: it runs while the slot is borrowed. It takes out what the
/// call needs (the state is reference-counted) and the caller runs Lua afterwards, so a
/// nested `lua_exec` finds the slot free.
pub fn with_state<R>(shared: &Arc<Shared>, f: impl FnOnce(&Rc<WorkerLua>) -> R) -> Option<R> {
    SLOT.with_borrow_mut(|slot| {
        let id = owner_id(shared);
        if slot.owner != id || slot.state.is_none() {
            match WorkerLua::load(shared) {
                Ok(state) => {
                    warn_if_uncapped(shared, &state);
                    *slot = Slot {
                        owner: id,
                        generation: shared.generation.load(Ordering::SeqCst),
                        state: Some(Rc::new(state)),
                        reloader: Reloader::default(),
                    };
                }
                Err(e) => {
                    log::emit(level::ERR, "siplua", &e);
                    return None;
                }
            }
        }
        swap_if_reloaded(shared, slot);
        let Slot {
            state, reloader, ..
        } = slot;
        let state = state.as_mut()?;
        if shared.settings.auto_reload {
            reloader.check(shared, state);
        }
        Some(f(state))
    })
}

/// After an MI `lua_reload`, replaces this worker's state with a fresh one built from the
/// file; if that fails now (the file changed again), the old state stays and the error is
/// logged once.
fn swap_if_reloaded(shared: &Arc<Shared>, slot: &mut Slot) {
    let wanted = shared.generation.load(Ordering::SeqCst);
    if slot.generation == wanted {
        return;
    }
    slot.generation = wanted;
    match WorkerLua::load(shared) {
        Ok(fresh) => {
            slot.state = Some(Rc::new(fresh));
            slot.reloader = Reloader::default();
        }
        Err(e) => log::emit(
            level::ERR,
            "siplua",
            &format!("lua_reload: {e}; keeping the previous code"),
        ),
    }
}

fn warn_if_uncapped(shared: &Arc<Shared>, state: &WorkerLua) {
    if shared.settings.memory_cap().is_some() && !state.data.capped {
        log::emit(
            level::WARN,
            "siplua",
            "lua_max_memory is not enforced: this Lua build does not let siplua count its allocations",
        );
    }
}
