//! The Lua API: every global OpenSIPS' `lua` module registers, plus the same message
//! functions as methods of `msg`.
//!
//! One file per group. Each function is a plain Rust `fn(&Lua, args) -> Result<..>`,
//! registered once as a global (`getHeader(msg, "X")`, the OpenSIPS form) and, when it takes
//! `msg` first, once more as a method of the `msg` object (`msg:getHeader("X")`). Functions
//! reach the SIP message through [`crate::current`] and the worker's Lua-side state through
//! [`crate::state::StateData`].

pub mod args;
mod avp;
mod datetime;
mod fast;
mod log;
mod memcache;
mod message;
mod module_func;
mod myself;
mod mysql;
mod process;
mod pv;
mod reply;
mod watch;

pub use fast::{userdata_id, MainThread};
pub use log::emit;
pub use module_func::CallCache;
pub use process::MemInfo;
pub use pv::PvCache;

use mlua::{Lua, MetaMethod, UserData, UserDataMethods};

/// The `msg` object handed to every Lua function `lua_exec` calls: one per Lua state,
/// created once. It carries no data; the message it stands for is the current context of
/// the running `lua_exec` (see [`crate::current`]).
pub struct MsgHandle;

/// Applies `$m!(name, function)` to every function that takes `msg` first.
macro_rules! message_functions {
    ($m:ident) => {
        $m!("getType", message::get_type);
        $m!("getURI_User", message::get_uri_user);
        $m!("getExpires", message::get_expires);
        $m!("getHeader", message::get_header);
        $m!("getContact", message::get_contact);
        $m!("getRoute", message::get_route);
        $m!("getStatus", message::get_status);
        $m!("getMethod", message::get_method);
        $m!("getSrcIp", message::get_src_ip);
        $m!("getDstIp", message::get_dst_ip);
        $m!("pseudoVar", pv::pseudo_var);
        $m!("pseudoVarSet", pv::pseudo_var_set);
        $m!("add_lump_rpl", reply::add_lump_rpl);
        $m!("watch_getFlag", watch::get_flag);
    };
}

/// Applies `$m!(name, function)` to every other global function.
macro_rules! other_functions {
    ($m:ident) => {
        $m!("xlog", log::xlog);
        $m!("xdbg", log::xdbg);
        $m!("print", log::print);
        $m!("notice", log::notice);
        $m!("setUserDebug", log::set_user_debug);
        $m!("WarnMissingFreeFixup", log::warn_missing_free_fixup);
        $m!("setCoreDebug", log::set_core_debug);
        $m!("getpid", process::getpid);
        $m!("getmem", process::getmem);
        $m!("getmeminfo", process::getmeminfo);
        $m!("getpkginfo", process::getmeminfo);
        $m!("getshminfo", process::getshminfo);
        $m!("gethostname", process::gethostname);
        $m!("filemtime", process::filemtime);
        $m!("isMyself", myself::is_myself);
        $m!("grepSockInfo", myself::grep_sock_info);
        $m!("AVP_get", avp::get);
        $m!("AVP_set", avp::set);
        $m!("AVP_destroy", avp::destroy);
        $m!("scriptVarGet", pv::script_var_get);
        $m!("scriptVarSet", pv::script_var_set);
        $m!("watch_getFlagFromExtension", watch::get_flag_from_extension);
        $m!("datetime_now", datetime::now);
        $m!("datetime_parse_str", datetime::parse_str);
        $m!("mc_new", memcache::mc_new);
        $m!("mysql_connect", mysql::mysql_connect);
    };
}

impl UserData for MsgHandle {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        macro_rules! method {
            ($name:literal, $f:path) => {
                methods.add_function($name, $f);
            };
        }
        message_functions!(method);
        methods.add_function("moduleFunc", module_func::module_func);
        methods.add_meta_function(MetaMethod::ToString, |_, _: mlua::Value| Ok("siplua.api"));
    }
}

/// Registers every API global in `lua`.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    macro_rules! global {
        ($name:literal, $f:path) => {
            globals.set($name, lua.create_function($f)?)?;
        };
    }
    message_functions!(global);
    other_functions!(global);
    // The global form is the hot one (`moduleFunc(msg, ...)`): a fast path in front.
    let slow = lua.create_function(module_func::module_func)?;
    globals.set(
        "moduleFunc",
        fast::create::<module_func::ModuleFuncFast>(lua, slow)?,
    )?;
    Ok(())
}

/// Checks that `msg` is the message object and runs `f` with the current context.
fn with_msg<R>(
    msg: &mlua::Value,
    func: &str,
    f: impl for<'a, 'w> FnOnce(&'a mut siplua_core::context::Context<'w>) -> mlua::Result<R>,
) -> mlua::Result<R> {
    args::check_msg(msg, func)?;
    crate::current::with_ctx(func, f)
}
