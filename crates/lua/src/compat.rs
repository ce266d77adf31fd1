//! Lua 5.1 idioms that OpenSIPS-era scripts use, made available on every build.
//!
//! OpenSIPS ran Lua 5.1 until 3.1, so existing scripts call `unpack`, `table.getn`,
//! `loadstring`, `math.mod` (and sometimes `table.maxn`, `math.pow`). Lua 5.4 removed them;
//! LuaJIT and 5.1 have some. Each shim is defined only where the name is missing, so a build
//! that has the original keeps it.

use mlua::Lua;

const SHIMS: &str = r#"
if unpack == nil then unpack = table.unpack end
if loadstring == nil then loadstring = load end
if table.getn == nil then table.getn = function(t) return #t end end
if table.maxn == nil then
  table.maxn = function(t)
    local n = 0
    for k in pairs(t) do
      if type(k) == "number" and k > n then n = k end
    end
    return n
  end
end
if math.mod == nil then math.mod = math.fmod end
if math.pow == nil then math.pow = function(a, b) return a ^ b end end
"#;

/// Defines the missing 5.1 functions in `lua`.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    lua.load(SHIMS).set_name("=siplua-compat").exec()
}
