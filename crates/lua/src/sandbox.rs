//! What a script may reach outside Lua (`lua_sandbox`, `lua_sandbox_dir`).
//!
//! In both modes `os.exit` raises a Lua error instead of ending the process: one script line
//! must never stop the server (the error is logged and the route goes on, as any Lua error).
//! With `lua_sandbox = 1` a script also loses what runs programs or native code and keeps
//! file access only inside one directory:
//! - removed: `os.execute`, `io.popen`, `os.tmpname`, the `debug` library, `package.loadlib`
//!   and the C-module searchers of `require`;
//! - limited to `lua_sandbox_dir`: `io.open`, `io.lines`, `io.input`, `io.output` with a file
//!   name, `os.remove`, `os.rename`, `dofile`, `loadfile`, and `require` of Lua-source modules
//!   with `package.searchpath` (candidates outside the directory are neither opened nor
//!   probed; no directory: all refused);
//! - `load` / `loadstring` take source text only, not precompiled bytecode.

use std::path::{Component, Path, PathBuf};

use mlua::{Function, Lua, MultiValue, Table, Value};

/// The sandbox settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sandbox {
    /// `lua_sandbox = 1`.
    pub enabled: bool,
    /// `lua_sandbox_dir`: the only directory file functions may touch when enabled.
    pub dir: Option<PathBuf>,
}

impl Sandbox {
    /// Applies the settings to a fresh state, before the script's own code runs.
    pub fn install(&self, lua: &Lua) -> mlua::Result<()> {
        let globals = lua.globals();
        let os: Table = globals.get("os")?;
        os.set(
            "exit",
            lua.create_function(|_, _: MultiValue| -> mlua::Result<()> {
                Err(mlua::Error::runtime(
                    "os.exit is not allowed in siplua: it would stop the whole server",
                ))
            })?,
        )?;
        if !self.enabled {
            return Ok(());
        }
        let io: Table = globals.get("io")?;
        os.set("execute", Value::Nil)?;
        os.set("tmpname", Value::Nil)?;
        io.set("popen", Value::Nil)?;
        globals.set("debug", Value::Nil)?;
        if let Ok(package) = globals.get::<Table>("package") {
            package.set("loadlib", Value::Nil)?;
            package.set("cpath", "")?;
            // Keep the preload and Lua-source searchers (the first two); drop the C ones.
            for key in ["searchers", "loaders"] {
                if let Ok(list) = package.get::<Table>(key) {
                    while list.raw_len() > 2 {
                        list.raw_remove(list.raw_len())?;
                    }
                }
            }
        }
        for (table, name, args) in [
            (&io, "open", PathArgs::First),
            (&io, "lines", PathArgs::FirstIfString),
            (&io, "input", PathArgs::FirstIfString),
            (&io, "output", PathArgs::FirstIfString),
            (&os, "remove", PathArgs::First),
            (&os, "rename", PathArgs::FirstTwo),
            (&globals, "dofile", PathArgs::First),
            (&globals, "loadfile", PathArgs::First),
        ] {
            self.guard_paths(lua, table, name, args)?;
        }
        for name in ["load", "loadstring"] {
            guard_text_only(lua, &globals, name)?;
        }
        if let Ok(package) = globals.get::<Table>("package") {
            self.guard_require(lua, &globals, &package)?;
        }
        Ok(())
    }

    /// Replaces `package.searchpath` and the Lua-source searcher of `require` with versions
    /// that only look at candidates inside the directory and load them through the guarded
    /// `loadfile`, so `require` reaches no file that `io.open` could not.
    fn guard_require(&self, lua: &Lua, globals: &Table, package: &Table) -> mlua::Result<()> {
        let dir = self.dir.clone();
        let searchpath = lua.create_function(
            move |lua, (name, path, sep, rep): (String, String, Option<String>, Option<String>)| {
                let sep = sep.unwrap_or_else(|| ".".into());
                let rep = rep.unwrap_or_else(|| "/".into());
                let name = if sep.is_empty() {
                    name
                } else {
                    name.replace(&sep, &rep)
                };
                let mut tried = String::new();
                for template in path.split(';').filter(|t| !t.is_empty()) {
                    let candidate = template.replace('?', &name);
                    let file = Path::new(&candidate);
                    if allowed(dir.as_deref(), file) && file.is_file() {
                        return Ok((Value::String(lua.create_string(&candidate)?), Value::Nil));
                    }
                    tried.push_str(&format!("\n\tno file '{candidate}' (lua_sandbox)"));
                }
                Ok((Value::Nil, Value::String(lua.create_string(&tried)?)))
            },
        )?;
        package.set("searchpath", searchpath.clone())?;
        let loadfile: Function = globals.get("loadfile")?;
        let paths = package.clone();
        let searcher = lua.create_function(move |lua, name: String| {
            let path: String = paths.get("path")?;
            let (found, tried): (Value, Value) = searchpath.call((name.clone(), path))?;
            let Value::String(file) = found else {
                return Ok(MultiValue::from_iter([tried]));
            };
            let (chunk, err): (Value, Value) = loadfile.call(file.clone())?;
            match chunk {
                Value::Function(_) => Ok(MultiValue::from_iter([chunk, Value::String(file)])),
                _ => Err(mlua::Error::runtime(format!(
                    "error loading module '{name}' from file '{}': {}",
                    file.to_string_lossy(),
                    lua.coerce_string(err)?
                        .map_or_else(|| "unknown error".to_string(), |s| s.to_string_lossy())
                ))),
            }
        })?;
        for key in ["searchers", "loaders"] {
            if let Ok(list) = package.get::<Table>(key) {
                if list.raw_len() >= 2 {
                    list.raw_set(2, searcher.clone())?;
                }
            }
        }
        Ok(())
    }

    /// Wraps `table[name]` so that its path arguments must lie inside the directory.
    fn guard_paths(
        &self,
        lua: &Lua,
        table: &Table,
        name: &str,
        args: PathArgs,
    ) -> mlua::Result<()> {
        let Ok(original) = table.get::<Function>(name) else {
            return Ok(());
        };
        let dir = self.dir.clone();
        let label = name.to_owned();
        let wrapped = lua.create_function(move |_, params: MultiValue| {
            let count = match args {
                PathArgs::First | PathArgs::FirstIfString => 1,
                PathArgs::FirstTwo => 2,
            };
            for v in params.iter().take(count) {
                let path = match v {
                    Value::String(s) => s.to_str()?.to_string(),
                    // io.lines() / io.input() without a name use the standard streams.
                    _ if args == PathArgs::FirstIfString => continue,
                    _ => return Err(mlua::Error::runtime(format!("{label}: file name expected"))),
                };
                if !allowed(dir.as_deref(), Path::new(&path)) {
                    return Err(mlua::Error::runtime(format!(
                        "{label}: access to '{path}' denied by lua_sandbox (allowed: {})",
                        dir.as_ref()
                            .map_or("nothing".to_string(), |d| d.display().to_string())
                    )));
                }
            }
            original.call::<MultiValue>(params)
        })?;
        table.set(name, wrapped)
    }
}

/// Which arguments of a file function are paths.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PathArgs {
    First,
    FirstIfString,
    FirstTwo,
}

/// Wraps `load`-like functions to refuse precompiled chunks (which can break Lua's memory
/// safety); source text goes through unchanged.
fn guard_text_only(lua: &Lua, globals: &Table, name: &str) -> mlua::Result<()> {
    let Ok(original) = globals.get::<Function>(name) else {
        return Ok(());
    };
    let label = name.to_owned();
    let wrapped = lua.create_function(move |_, params: MultiValue| {
        if let Some(Value::String(s)) = params.front() {
            if s.as_bytes().first() == Some(&0x1b) {
                return Err(mlua::Error::runtime(format!(
                    "{label}: precompiled chunks are refused by lua_sandbox"
                )));
            }
        }
        original.call::<MultiValue>(params)
    })?;
    globals.set(name, wrapped)
}

/// Whether `path` names something inside `dir` (after resolving `.`, `..` and symbolic
/// links of the part that exists), so that `dir/../etc/passwd` or a link out is refused.
pub fn allowed(dir: Option<&Path>, path: &Path) -> bool {
    let Some(dir) = dir else {
        return false;
    };
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(path),
            Err(_) => return false,
        }
    };
    resolve(&absolute).is_some_and(|p| p.starts_with(&dir))
}

/// Canonicalizes the longest existing prefix of `path` and appends the rest lexically,
/// refusing any `..` in that rest (a file being created may not exist yet).
fn resolve(path: &Path) -> Option<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?.to_path_buf();
    }
    let mut out = existing.canonicalize().ok()?;
    for part in rest.iter().rev() {
        match Path::new(part).components().next() {
            Some(Component::Normal(p)) => out.push(p),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_the_directory_only() {
        let base = std::env::temp_dir().join(format!("siplua-sandbox-{}", std::process::id()));
        let dir = base.join("data");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(base.join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(base.join("secret"), dir.join("link")).ok();
        assert!(allowed(Some(&dir), &dir.join("new.txt")));
        assert!(!allowed(Some(&dir), &dir.join("../secret")));
        assert!(!allowed(Some(&dir), &dir.join("link")));
        assert!(!allowed(Some(&dir), Path::new("/etc/passwd")));
        assert!(!allowed(None, &dir.join("new.txt")));
        std::fs::remove_dir_all(&base).unwrap();
    }
}
