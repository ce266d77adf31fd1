//! The modules this binary offers to `loadmodule`: every module crate's list, joined.

use siplua_core::module::ModuleFactory;

/// All built-in modules, by name.
pub fn all() -> Vec<(&'static str, ModuleFactory)> {
    let mut all = siplua_modules::CATALOGUE.to_vec();
    all.extend_from_slice(siplua_lua::CATALOGUE);
    all
}
