//! `sipmsgops`: reading and editing headers from the script — `is_method`, `has_totag`,
//! `append_hf`, `insert_hf`, `remove_hf`, `is_present_hf`, `append_to_reply`, `has_body`,
//! `ruri_has_param`, `search`, `search_body`, `subst`, `subst_uri`, `subst_user`,
//! `is_uri_user_e164`, `replace` and its variants, `remove_hf_re`, `append_time`,
//! `is_audio_on_hold`, `sipmsg_validate`, the `codec_*` family, `stream_exists`,
//! `stream_delete`, `ruri_add_param`, `ruri_del_param`, `ruri_tel2sip`, `append_urihf`,
//! `is_privacy`, `remove_hf_glob`, `change_reply_status`, `list_hdr_has_option`,
//! `list_hdr_add_option`, `list_hdr_remove_option`, `has_body_part`, `remove_body_part`,
//! `add_body_part`.

mod codecs;
pub(crate) mod headers;
mod inspect;
mod lists;
mod parts;
mod ruri;
mod status;
mod streams;
mod subst;
mod text;

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
        f.extend(subst::functions());
        f.extend(text::functions());
        f.extend(codecs::functions());
        f.extend(streams::functions());
        f.extend(ruri::functions());
        f.extend(lists::functions());
        f.extend(status::functions());
        f.extend(parts::functions());
        f
    }
}
