//! The module parameters (`modparam("lua", ...)`), checked when set and frozen into
//! [`Settings`] at `init`, which every worker's Lua state then reads.
//!
//! Meanings follow the OpenSIPS documentation with siplua's decisions (spec §13): the file
//! defaults to `/etc/opensips/opensips.lua`, `lua_allocator` chooses between a capped,
//! accounted heap (`opensips`) and an uncapped one (`malloc`), and two siplua additions bound
//! what one script can do to a worker (`lua_max_memory`, `lua_exec_budget`).

use siplua_core::module::{ModParamKind, ModParamSpec, ModParamValue};

/// Where the Lua heap lives and whether it is capped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allocator {
    /// OpenSIPS' private memory in the original; here an accounted heap capped at
    /// `lua_max_memory` per worker: an allocation past the cap is a Lua memory error.
    Opensips,
    /// The system allocator, counted (for `getmem`) but not capped.
    Malloc,
}

/// Everything the parameters decide, shared (read-only) by all workers.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The script every worker loads (`luafilename`).
    pub filename: String,
    /// Whether a changed file is reloaded before the next `lua_exec` (`lua_auto_reload`).
    pub auto_reload: bool,
    /// The initial value of the per-worker `WarnMissingFreeFixup` flag
    /// (`warn_missing_free_fixup`).
    pub warn_missing_free_fixup: bool,
    /// Heap choice (`lua_allocator`).
    pub allocator: Allocator,
    /// The initial value of the per-worker `setUserDebug` flag (`lua_user_debug`): Lua log
    /// lines also go to syslog whatever the log level.
    pub user_debug: bool,
    /// Per-worker heap cap in bytes with the `opensips` allocator (`lua_max_memory`).
    pub max_memory: usize,
    /// Lua instructions one `lua_exec` call (or the load of the file) may run; 0 = unlimited
    /// (`lua_exec_budget`).
    pub exec_budget: u64,
    /// How long one memcached or MySQL call of a script may wait for its server (connect,
    /// read, write) before it fails (`lua_db_timeout`, milliseconds).
    pub db_timeout: std::time::Duration,
    /// What the script may reach outside Lua (`lua_sandbox`, `lua_sandbox_dir`).
    pub sandbox: crate::sandbox::Sandbox,
}

/// The default script path, as the OpenSIPS documentation gives it.
pub const DEFAULT_FILENAME: &str = "/etc/opensips/opensips.lua";
/// Default per-worker heap cap: 64 MiB.
pub const DEFAULT_MAX_MEMORY: usize = 64 << 20;
/// Default instruction budget per call: ten million instructions (tens of milliseconds of
/// pure Lua; a routing function typically runs a few thousand).
pub const DEFAULT_EXEC_BUDGET: u64 = 10_000_000;
/// Default wait for a memcached or MySQL server: 2 seconds.
pub const DEFAULT_DB_TIMEOUT_MS: u64 = 2000;

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            filename: DEFAULT_FILENAME.to_owned(),
            auto_reload: false,
            warn_missing_free_fixup: true,
            allocator: Allocator::Opensips,
            user_debug: false,
            max_memory: DEFAULT_MAX_MEMORY,
            exec_budget: DEFAULT_EXEC_BUDGET,
            db_timeout: std::time::Duration::from_millis(DEFAULT_DB_TIMEOUT_MS),
            sandbox: crate::sandbox::Sandbox::default(),
        }
    }
}

/// The declared parameters.
pub const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "luafilename",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "lua_auto_reload",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "warn_missing_free_fixup",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "lua_allocator",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "lua_user_debug",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "lua_max_memory",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "lua_exec_budget",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "lua_db_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "lua_sandbox",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "lua_sandbox_dir",
        kind: ModParamKind::Str,
    },
];

impl Settings {
    /// Applies one `modparam`; the error is printed with the `modparam` line's position.
    pub fn set(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "luafilename" => {
                let f = value.as_str();
                if f.is_empty() {
                    return Err("luafilename must name a Lua file".into());
                }
                self.filename = f;
            }
            "lua_auto_reload" => self.auto_reload = value.as_int() != 0,
            "warn_missing_free_fixup" => self.warn_missing_free_fixup = value.as_int() != 0,
            "lua_user_debug" => self.user_debug = value.as_int() != 0,
            "lua_allocator" => {
                self.allocator = match value.as_str().as_str() {
                    "opensips" => Allocator::Opensips,
                    "malloc" => Allocator::Malloc,
                    other => {
                        return Err(format!(
                            "unknown allocator \"{other}\" (use \"opensips\" or \"malloc\")"
                        ))
                    }
                }
            }
            "lua_max_memory" => {
                let n = value.as_int();
                if n < 1 << 20 {
                    return Err(format!(
                        "lua_max_memory must be at least 1048576 bytes, got {n}"
                    ));
                }
                self.max_memory = usize::try_from(n).unwrap_or(usize::MAX);
            }
            "lua_exec_budget" => {
                let n = value.as_int();
                if n < 0 {
                    return Err(format!("lua_exec_budget must be 0 or more, got {n}"));
                }
                self.exec_budget = n as u64;
            }
            "lua_db_timeout" => {
                let n = value.as_int();
                if n < 1 {
                    return Err(format!("lua_db_timeout must be 1 ms or more, got {n}"));
                }
                self.db_timeout = std::time::Duration::from_millis(n as u64);
            }
            "lua_sandbox" => {
                self.sandbox.enabled = match value.as_int() {
                    0 => false,
                    1 => true,
                    n => return Err(format!("lua_sandbox must be 0 or 1, got {n}")),
                }
            }
            "lua_sandbox_dir" => {
                let dir = std::path::PathBuf::from(value.as_str());
                if !dir.is_dir() {
                    return Err(format!(
                        "lua_sandbox_dir \"{}\" is not a directory",
                        dir.display()
                    ));
                }
                self.sandbox.dir = Some(dir);
            }
            other => return Err(format!("module lua has no parameter {other}")),
        }
        Ok(())
    }

    /// The heap cap to enforce, if any.
    pub fn memory_cap(&self) -> Option<usize> {
        (self.allocator == Allocator::Opensips).then_some(self.max_memory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_names_are_exact() {
        let mut s = Settings::default();
        assert!(s
            .set("lua_allocator", ModParamValue::Str("malloc".into()))
            .is_ok());
        assert_eq!(s.memory_cap(), None);
        assert!(s
            .set("lua_allocator", ModParamValue::Str("Malloc".into()))
            .is_err());
        assert!(s.set("lua_exec_budget", ModParamValue::Int(-1)).is_err());
        assert!(s.set("lua_db_timeout", ModParamValue::Int(0)).is_err());
        assert!(s.set("lua_max_memory", ModParamValue::Int(10)).is_err());
        assert!(s.set("lua_sandbox", ModParamValue::Int(2)).is_err());
        assert!(s
            .set(
                "lua_sandbox_dir",
                ModParamValue::Str("/nonexistent/x".into())
            )
            .is_err());
        assert!(s
            .set("luafilename", ModParamValue::Str(String::new()))
            .is_err());
    }
}
