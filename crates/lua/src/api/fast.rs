//! Fast paths for hot API functions: a C function that reads its arguments in place on the
//! Lua stack (strings borrowed, no mlua value references, no conversion) and finishes the
//! common case itself.
//!
//! Everything else goes to the plain mlua function of the same API call, kept as the C
//! closure's first upvalue and called with the same arguments: another argument type, a first
//! call that has to prepare something, any error to raise. So errors are raised by mlua as
//! before, with the same texts. A panic in the fast path is caught and handed to the second
//! upvalue, an mlua function that resumes it inside mlua's callback wrapper: Lua unwinds its
//! own frames with a Lua error and `lua_exec`'s protected call resumes the panic, exactly as
//! with a panic in an mlua function.
//!
//! The fast path runs only on the main Lua thread: mlua runs a nested call (a `moduleFunc`
//! target running `lua_exec` again) on the thread of the running mlua callback, and a C
//! function called from a coroutine is not one.

use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr;

use mlua::{ffi, Function, Lua, RegistryKey};

/// One argument as a fast path sees it.
pub enum Arg<'a> {
    /// `nil`, or no argument at that position.
    Absent,
    /// A string, borrowed from the Lua stack.
    Str(&'a [u8]),
    /// A full userdata, by address (`lua_topointer`).
    UserData(usize),
    /// Anything else (numbers included: they take the mlua path and its conversions).
    Other,
}

/// The arguments of the running fast-path call, read on the Lua stack.
pub struct StackArgs<'a> {
    state: *mut ffi::lua_State,
    len: c_int,
    _call: PhantomData<&'a ()>,
}

impl StackArgs<'_> {
    /// The number of arguments.
    pub fn len(&self) -> usize {
        usize::try_from(self.len).unwrap_or(0)
    }

    /// Argument `i` (1-based, as in Lua).
    pub fn get(&self, i: usize) -> Arg<'_> {
        let Ok(idx) = c_int::try_from(i) else {
            return Arg::Absent;
        };
        if idx < 1 || idx > self.len {
            return Arg::Absent;
        }
        // SAFETY: `idx` is one of the call's arguments (1..=len), all on the stack for the
        // whole call: the fast path pushes nothing and pops nothing. `lua_tolstring` is called
        // on strings only, where it converts nothing, allocates nothing and cannot raise an
        // error; the bytes it returns belong to that string, which the stack slot keeps alive
        // for the call (the borrow is tied to `self`, which lives only inside it).
        unsafe {
            match ffi::lua_type(self.state, idx) {
                ffi::LUA_TNIL | ffi::LUA_TNONE => Arg::Absent,
                ffi::LUA_TSTRING => {
                    let mut len = 0usize;
                    let p = ffi::lua_tolstring(self.state, idx, &mut len);
                    Arg::Str(std::slice::from_raw_parts(p.cast::<u8>(), len))
                }
                ffi::LUA_TUSERDATA => Arg::UserData(ffi::lua_topointer(self.state, idx) as usize),
                _ => Arg::Other,
            }
        }
    }
}

/// A fast path: finishes the call with an integer result, or `None` to leave it to the mlua
/// function.
pub trait FastPath {
    /// Runs the call on its arguments; `thread` is the main thread it runs on, as
    /// [`MainThread::id`] gives it (a fast path finds its state's data by that).
    fn run(thread: usize, args: &StackArgs<'_>) -> Option<i64>;
}

thread_local! {
    static PANIC: Cell<Option<Box<dyn Any + Send>>> = const { Cell::new(None) };
}

/// The API function: `T`'s fast path in front of `slow`.
pub fn create<T: FastPath>(lua: &Lua, slow: Function) -> mlua::Result<Function> {
    let rethrow = lua.create_function(|_, ()| {
        if let Some(p) = PANIC.take() {
            resume_unwind(p);
        }
        Ok(())
    })?;
    // SAFETY: `exec_raw` pushes the two functions and runs the closure in a protected call (a
    // memory error making the closure is caught); `lua_pushcclosure` pops them as the
    // upvalues of the C closure it leaves as the one result.
    unsafe {
        lua.exec_raw((slow, rethrow), |state| {
            ffi::lua_pushcclosure(state, trampoline::<T>, 2)
        })
    }
}

/// The C function: the fast path, else the slow function with the same arguments.
unsafe extern "C-unwind" fn trampoline<T: FastPath>(state: *mut ffi::lua_State) -> c_int {
    // SAFETY (whole function): Lua calls this with a valid state and at least LUA_MINSTACK
    // free slots. Nothing with a destructor is alive when Lua may raise an error (the
    // `lua_call`s below): the fast path's values are dropped at the end of `outcome`'s block.
    let outcome = unsafe {
        if ffi::lua_pushthread(state) == 1 {
            ffi::lua_pop(state, 1);
            let args = StackArgs {
                state,
                len: ffi::lua_gettop(state),
                _call: PhantomData,
            };
            catch_unwind(AssertUnwindSafe(|| T::run(state as usize, &args)))
        } else {
            ffi::lua_pop(state, 1);
            Ok(None)
        }
    };
    unsafe {
        match outcome {
            Ok(Some(n)) => {
                ffi::lua_pushinteger(state, n as ffi::lua_Integer);
                1
            }
            Ok(None) => {
                let n = ffi::lua_gettop(state);
                ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
                ffi::lua_insert(state, 1);
                ffi::lua_call(state, n, ffi::LUA_MULTRET);
                ffi::lua_gettop(state)
            }
            Err(p) => {
                PANIC.set(Some(p));
                ffi::lua_pushvalue(state, ffi::lua_upvalueindex(2));
                ffi::lua_call(state, 0, 0);
                0
            }
        }
    }
}

/// The main thread of one Lua state, for `lua_exec`'s check that a global still holds the
/// function it found last time: two raw table reads, where the same read through mlua costs a
/// protected call and a reference made and dropped.
pub struct MainThread {
    state: *mut ffi::lua_State,
    /// Keeps the state alive as long as the pointer is kept.
    _lua: Lua,
}

impl MainThread {
    /// The main thread of `lua`, a state no Lua code runs on yet (it is being built).
    pub fn of(lua: &Lua) -> mlua::Result<MainThread> {
        let mut state = ptr::null_mut();
        // SAFETY: the closure only records the thread mlua runs it on, which is the main thread
        // since no Lua code of this fresh state runs (no callback, no coroutine).
        unsafe { lua.exec_raw::<()>((), |s| state = s)? };
        Ok(MainThread {
            state,
            _lua: lua.clone(),
        })
    }

    /// The thread's address, which identifies the state (what [`FastPath::run`] gets).
    pub fn id(&self) -> usize {
        self.state as usize
    }

    /// Whether the global whose name is the registry value `key`, read raw (no `__index`), is
    /// the function at address `f` (`Function::to_pointer` of a function the caller keeps
    /// alive, so no other value can have that address). False when the stack cannot grow
    /// (the caller then takes mlua's path, which reports the memory error).
    pub fn global_is(&self, key: &RegistryKey, f: *const c_void) -> bool {
        // SAFETY: `state` is the main thread of a state `_lua` keeps alive. The reads push three
        // values and pop them all, so the thread's stack is as it was, whatever runs on it (this
        // may be called from a Lua callback of a nested `lua_exec`: the values go above that
        // callback's frame, as its own would). `lua_checkstack` makes room first (it may only
        // grow the stack, never raises an error); raw reads call no metamethod, allocate nothing
        // and cannot raise an error; `lua_topointer` only reads. The registry value is a string
        // (or nil once the key is gone), a valid table key either way.
        unsafe {
            let state = self.state;
            if ffi::lua_checkstack(state, 3) == 0 {
                return false;
            }
            ffi::lua_pushglobaltable(state);
            ffi::lua_rawgeti(state, ffi::LUA_REGISTRYINDEX, key.id() as _);
            ffi::lua_rawget(state, -2);
            let found = ffi::lua_topointer(state, -1);
            ffi::lua_pop(state, 2);
            found == f
        }
    }
}

/// The address `Arg::UserData` reports for `ud`.
pub fn userdata_id(ud: &mlua::AnyUserData) -> usize {
    ud.to_pointer() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers 7 for `f("fast", ...)`, leaves everything else to the slow function and panics
    /// on `f("panic")`.
    struct Probe;

    impl FastPath for Probe {
        fn run(_: usize, args: &StackArgs<'_>) -> Option<i64> {
            match args.get(1) {
                Arg::Str(b"fast") => Some(7),
                Arg::Str(b"panic") => panic!("boom"),
                _ => None,
            }
        }
    }

    fn lua_with_probe() -> Lua {
        let lua = Lua::new();
        let slow = lua
            .create_function(|_, args: mlua::MultiValue| Ok(format!("slow/{}", args.len())))
            .unwrap();
        let f = create::<Probe>(&lua, slow).unwrap();
        lua.globals().set("f", f).unwrap();
        lua
    }

    #[test]
    fn fast_path_slow_path_and_coroutines() {
        let lua = lua_with_probe();
        let eval = |code: &str| lua.load(code).eval::<String>().unwrap();
        assert_eq!(eval("return tostring(f('fast', 1, 2))"), "7");
        assert_eq!(eval("return f('other', nil, 3)"), "slow/3");
        assert_eq!(eval("return f()"), "slow/0");
        // Not on the main thread: the slow function, even for the fast case.
        assert_eq!(
            eval("return select(2, coroutine.resume(coroutine.create(f), 'fast'))"),
            "slow/1"
        );
    }

    #[test]
    fn a_panic_reaches_the_caller_and_the_state_goes_on() {
        let lua = lua_with_probe();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let _ = lua.load("f('panic')").exec();
        }))
        .unwrap_err();
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"boom"));
        let r: i64 = lua.load("return f('fast')").eval().unwrap();
        assert_eq!(r, 7);
    }

    #[test]
    fn a_panic_under_pcall_behaves_as_in_an_mlua_function() {
        let lua = lua_with_probe();
        let g = lua
            .create_function(|_, ()| -> mlua::Result<()> { panic!("boom") })
            .unwrap();
        lua.globals().set("g", g).unwrap();
        let run = |code: &str| {
            catch_unwind(AssertUnwindSafe(|| lua.load(code).eval::<String>().is_ok()))
                .map_err(|p| p.downcast_ref::<&str>().copied())
        };
        let plain = run("return tostring(pcall(g))");
        assert_eq!(run("return tostring(pcall(f, 'panic'))"), plain);
        assert_eq!(lua.load("return f('fast')").eval::<i64>().unwrap(), 7);
    }
}
