//! The modules this binary offers to `loadmodule`: every module crate's list, joined.

use siplua_core::module::ModuleFactory;

/// All built-in modules, by name.
pub fn all() -> Vec<(&'static str, ModuleFactory)> {
    siplua_modules::CATALOGUE.to_vec()
}
