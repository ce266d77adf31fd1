//! The per-call instruction budget (`lua_exec_budget`): a Lua loop that never ends must not
//! take a SIP worker with it.
//!
//! A count hook fires every [`STEP`] VM instructions (or every `budget` instructions when
//! that is smaller) and takes the step off what is left; once nothing is left it raises a Lua
//! error, which unwinds the script like any other error, so `lua_exec` returns false and the
//! worker goes on with the next message. The counter is refilled before every `lua_exec` and
//! before the file's top-level code runs. With a budget of 0 no hook is installed at all, so
//! the interpreter runs at full speed.
//!
//! LuaJIT does not call count hooks from compiled traces, so under LuaJIT a budget also turns
//! the JIT compiler off (`jit.off()`); `lua_exec_budget = 0` gives the JIT back.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{HookTriggers, Lua, VmState};

/// Instructions between two hook calls (bounds the overshoot and the hook's cost).
pub const STEP: u32 = 1000;

/// What is left of the budget of the running call, shared with the hook.
#[derive(Debug)]
pub struct Budget {
    per_call: u64,
    step: u32,
    left: Cell<i64>,
    /// Set once the budget ran out: the hook then fires on every instruction, so that a
    /// script catching the error with `pcall` in a loop is stopped at the loop's next
    /// instruction (with a fixed step the hook could keep landing inside the `pcall`).
    exhausted: Cell<bool>,
}

impl Budget {
    /// Installs the hook on `lua` when `per_call` is not 0.
    pub fn install(lua: &Lua, per_call: u64) -> mlua::Result<Rc<Budget>> {
        let budget = Rc::new(Budget {
            per_call,
            step: u32::try_from(per_call).unwrap_or(STEP).clamp(1, STEP),
            left: Cell::new(i64::try_from(per_call).unwrap_or(i64::MAX)),
            exhausted: Cell::new(false),
        });
        if per_call == 0 {
            return Ok(budget);
        }
        budget.set_hook(lua, budget.step)?;
        #[cfg(feature = "luajit")]
        lua.load("if jit then jit.off() end").exec()?;
        Ok(budget)
    }

    /// (Re)installs the hook, firing every `every` instructions. A global hook: its callback
    /// may replace itself while running, and coroutines created by the script inherit it.
    fn set_hook(self: &Rc<Budget>, lua: &Lua, every: u32) -> mlua::Result<()> {
        let b = self.clone();
        lua.set_global_hook(
            HookTriggers::new().every_nth_instruction(every),
            move |lua, _| b.tick(lua, every),
        )
    }

    fn tick(self: &Rc<Budget>, lua: &Lua, every: u32) -> mlua::Result<VmState> {
        let left = self.left.get() - i64::from(every);
        self.left.set(left);
        if left > 0 {
            return Ok(VmState::Continue);
        }
        if !self.exhausted.replace(true) {
            self.set_hook(lua, 1)?;
        }
        Err(mlua::Error::runtime(format!(
            "lua_exec_budget of {} instructions exceeded",
            self.per_call
        )))
    }

    /// Gives the next call its whole budget.
    pub fn refill(self: &Rc<Budget>, lua: &Lua) {
        self.left
            .set(i64::try_from(self.per_call).unwrap_or(i64::MAX));
        if self.exhausted.replace(false) {
            if let Err(e) = self.set_hook(lua, self.step) {
                siplua_core::log::emit(
                    siplua_core::log::level::ERR,
                    "siplua",
                    &format!("cannot reset the instruction budget hook: {e}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lua: &Lua, b: &Rc<Budget>, code: &str) -> mlua::Result<()> {
        b.refill(lua);
        lua.load(code).exec()
    }

    #[test]
    fn stops_loops_even_inside_pcall_and_refills() {
        let lua = Lua::new();
        let b = Budget::install(&lua, 100_000).unwrap();
        let e = run(&lua, &b, "while true do end").unwrap_err();
        assert!(e
            .to_string()
            .contains("lua_exec_budget of 100000 instructions exceeded"));
        let e = run(
            &lua,
            &b,
            "while true do pcall(function() while true do end end) end",
        )
        .unwrap_err();
        assert!(e.to_string().contains("exceeded"), "{e}");
        run(&lua, &b, "local n = 0 for i = 1, 1000 do n = n + i end").unwrap();
    }

    #[test]
    fn zero_means_no_hook() {
        let lua = Lua::new();
        let b = Budget::install(&lua, 0).unwrap();
        run(&lua, &b, "local n = 0 for i = 1, 300000 do n = n + i end").unwrap();
    }
}
