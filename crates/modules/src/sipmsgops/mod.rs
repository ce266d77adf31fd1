//! `sipmsgops`: reading and editing headers from the script — `is_method`, `has_totag`,
//! `append_hf`, `insert_hf`, `remove_hf`, `is_present_hf`, `append_to_reply`, `has_body`,
//! `ruri_has_param`, `search`, `search_body`.

mod headers;
mod inspect;

use siplua_core::function::FunctionDecl;
use siplua_core::module::Module;

/// The module.
pub struct SipMsgOps;

impl Module for SipMsgOps {
    fn name(&self) -> &'static str {
        "sipmsgops"
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let mut f = inspect::functions();
        f.extend(headers::functions());
        f
    }
}
