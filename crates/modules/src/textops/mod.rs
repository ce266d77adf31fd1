//! `textops`: OpenSIPS' text operations on the message — regular-expression searches,
//! replacements and sed-style substitutions. OpenSIPS keeps them in a module of their own
//! (2.x and 3.x alike), while siplua's `sipmsgops` has carried them since it was written; so
//! `loadmodule "textops.so"` gives the same functions, the very declarations `sipmsgops`
//! exports, under the module name 2.x and 3.x configurations load.

use siplua_core::function::FunctionDecl;
use siplua_core::module::Module;

use crate::sipmsgops::SipMsgOps;

/// The functions OpenSIPS' textops exports (2.x and 3.x list the same ones).
pub const FUNCTIONS: &[&str] = &[
    "search",
    "search_body",
    "search_append",
    "search_append_body",
    "replace",
    "replace_body",
    "replace_all",
    "replace_body_all",
    "replace_body_atonce",
    "subst",
    "subst_uri",
    "subst_user",
    "subst_body",
];

/// The module.
pub struct TextOps;

impl Module for TextOps {
    fn name(&self) -> &'static str {
        "textops"
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        SipMsgOps
            .functions()
            .into_iter()
            .filter(|f| FUNCTIONS.contains(&f.name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_textops_function_is_provided() {
        let names: Vec<&str> = TextOps.functions().iter().map(|f| f.name).collect();
        for f in FUNCTIONS {
            assert!(names.contains(f), "{f} missing");
        }
        assert_eq!(names.len(), FUNCTIONS.len());
    }
}
