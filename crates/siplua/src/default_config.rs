//! The embedded default configuration: what `siplua` runs with no `-f`. The script and its
//! Lua file are compiled into the binary (they are `etc/opensips.cfg` and `etc/opensips.lua`,
//! shipped so users can start from them); the Lua file is written to a private temporary
//! file at start, since the lua module loads scripts from disk.

use std::path::PathBuf;

use siplua_core::engine::Core;
use siplua_core::load::{self, Overrides};

/// The default script.
pub const DEFAULT_CFG: &str = include_str!("../../../etc/opensips.cfg");

/// The default Lua script.
pub const DEFAULT_LUA: &str = include_str!("../../../etc/opensips.lua");

/// The path the default script names for its Lua file (relative to the source tree).
const LUA_PATH_IN_CFG: &str = "\"etc/opensips.lua\"";

/// The embedded Lua file on disk, removed when dropped.
pub struct Embedded {
    lua: PathBuf,
}

impl Embedded {
    /// Writes the embedded Lua script to a new file of this process.
    pub fn write() -> Result<Embedded, String> {
        let lua = std::env::temp_dir().join(format!("siplua-default-{}.lua", std::process::id()));
        std::fs::write(&lua, DEFAULT_LUA)
            .map_err(|e| format!("cannot write {}: {e}", lua.display()))?;
        Ok(Embedded { lua })
    }

    /// Loads the embedded default configuration, its Lua path pointing at the written file.
    pub fn load(&self, overrides: &Overrides) -> Result<Core, Vec<String>> {
        let cfg = DEFAULT_CFG.replace(LUA_PATH_IN_CFG, &format!("\"{}\"", self.lua.display()));
        load::load_str(
            "etc/opensips.cfg (embedded)",
            &cfg,
            &crate::catalogue::all(),
            overrides,
        )
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lua);
    }
}
