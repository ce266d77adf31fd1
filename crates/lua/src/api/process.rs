//! Process and memory helpers: `getpid`, `getmem`, `getmeminfo` / `getpkginfo`,
//! `getshminfo`, `gethostname`, `filemtime`.
//!
//! OpenSIPS reports its private (pkg) and shared (shm) memory pools. siplua has neither: the
//! Lua heap of the worker stands for "pkg" (it is what `lua_max_memory` caps), and the
//! process's own memory (from `/proc/self/statm`) stands for "shm", with the same keys.

use std::time::UNIX_EPOCH;

use mlua::{Lua, Table, Value};

use super::args::check_string;
use crate::state::StateData;

/// `getpid()`: the process id (all workers are threads of one process).
pub fn getpid(_: &Lua, _: ()) -> mlua::Result<i64> {
    Ok(i64::from(std::process::id()))
}

/// `getmem()`: `{total_size = bytes used by this worker's Lua heap, total_frags = 0}` (mlua
/// does not count blocks).
pub fn getmem(lua: &Lua, _: ()) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, 2)?;
    t.set("total_size", lua.used_memory())?;
    t.set("total_frags", 0)?;
    Ok(t)
}

/// The numbers behind `getmeminfo` and `lua_meminfo`.
#[derive(Clone, Copy, Debug)]
pub struct MemInfo {
    /// Size of the pool (the cap; the used size when uncapped).
    pub total: usize,
    /// Bytes in use.
    pub used: usize,
    /// Highest use seen at the end of a call.
    pub max_used: usize,
}

impl MemInfo {
    /// This worker's Lua heap.
    pub fn lua(lua: &Lua, data: &StateData) -> MemInfo {
        let used = lua.used_memory();
        let cap = data
            .shared
            .settings
            .memory_cap()
            .filter(|_| data.capped)
            .unwrap_or(used);
        MemInfo {
            total: cap.max(used),
            used,
            max_used: data.peak_memory.get().max(used),
        }
    }

    /// The process (virtual size and resident set), `None` where `/proc` is not readable.
    pub fn process() -> Option<MemInfo> {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let mut f = statm.split_whitespace().map(|n| n.parse::<usize>().ok());
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
        let size = f.next()?? * page;
        let resident = f.next()?? * page;
        Some(MemInfo {
            total: size,
            used: resident,
            max_used: resident,
        })
    }

    fn table(&self, lua: &Lua) -> mlua::Result<Table> {
        let t = lua.create_table_with_capacity(0, 7)?;
        t.set("total_size", self.total)?;
        t.set("free", self.total.saturating_sub(self.used))?;
        t.set("used", self.used)?;
        t.set("real_used", self.used)?;
        t.set("max_used", self.max_used)?;
        t.set("min_frag", 0)?;
        t.set("total_frags", 0)?;
        Ok(t)
    }
}

/// `getmeminfo()` / `getpkginfo()`: this worker's Lua heap as a memory-pool table.
pub fn getmeminfo(lua: &Lua, _: ()) -> mlua::Result<Table> {
    let data = StateData::of(lua)?;
    MemInfo::lua(lua, &data).table(lua)
}

/// `getshminfo()`: the process's memory as a memory-pool table.
pub fn getshminfo(lua: &Lua, _: ()) -> mlua::Result<Table> {
    let m = MemInfo::process().unwrap_or(MemInfo {
        total: 0,
        used: 0,
        max_used: 0,
    });
    m.table(lua)
}

/// `gethostname()`: the host name, nil if it cannot be read.
pub fn gethostname(lua: &Lua, _: ()) -> mlua::Result<Value> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; the result is NUL-terminated when it fits.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Ok(Value::Nil);
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(Value::String(lua.create_string(&buf[..end])?))
}

/// `filemtime(path)`: the file's modification time in whole seconds, nil if it cannot be
/// read.
pub fn filemtime(lua: &Lua, path: Value) -> mlua::Result<Option<i64>> {
    let path = check_string(lua, path, 1, "filemtime")?;
    let path = path.to_string_lossy();
    Ok(std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64))
}
