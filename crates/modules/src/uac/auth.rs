//! `uac_auth([algorithms])` in a failure route: answers the 401/407 challenge a branch
//! received. The Authorization (or Proxy-Authorization) header goes into the request's edits
//! and its CSeq is incremented, so the next `t_relay()` sends the authenticated request as a
//! new branch; tm gives the replies going upstream the original CSeq back.

use siplua_core::context::Context;
use siplua_sip::edit::Position;
use siplua_sip::HeaderKind;

use super::credentials::CredentialStore;
use super::digest::{answer, cnonce, pick_challenge, Request};
use crate::auth::digest::Algorithm;
use crate::tm::api::TmApi;

fn log(level: i32, text: &str) {
    siplua_core::log::emit(level, "uac", text);
}

/// Parses the optional algorithm list (`"MD5,SHA-256"`); empty means every algorithm.
pub fn parse_algorithms(text: &str) -> Result<Vec<Algorithm>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| Algorithm::parse(a).ok_or_else(|| format!("unsupported algorithm {a:?}")))
        .collect()
}

/// The function: 1 when the credentials were added, -1 otherwise (no challenge, no
/// credentials for the realm, an algorithm not allowed).
pub fn uac_auth(ctx: &mut Context, store: &CredentialStore, allowed: &[Algorithm]) -> i32 {
    let Some(tm) = ctx.core.apis.get::<TmApi>() else {
        log(
            siplua_core::log::level::ERR,
            "uac_auth() needs the tm module",
        );
        return -1;
    };
    let Some((reply, uri)) = tm.failed_reply(ctx) else {
        log(
            siplua_core::log::level::ERR,
            "uac_auth(): no received reply to answer",
        );
        return -1;
    };
    let Some((ch, answer_name)) = pick_challenge(&reply, allowed) else {
        if matches!(reply.status_code(), Some(401 | 407)) {
            log(
                siplua_core::log::level::ERR,
                "uac_auth(): no usable Digest challenge in the reply",
            );
        }
        return -1;
    };
    let Some(cred) = store.lookup(ctx, &ch.realm) else {
        log(
            siplua_core::log::level::DBG,
            &format!("uac_auth(): no credential for realm {:?}", ch.realm),
        );
        return -1;
    };
    let Some(msg) = ctx.msg else {
        return -1;
    };
    let Some(cnonce) = cnonce() else {
        return -1;
    };
    let Some(method) = msg.method_str() else {
        return -1;
    };
    let Some(value) = answer(
        &ch,
        &cred,
        &Request {
            method,
            uri: &uri,
            body: msg.body(),
            cnonce: &cnonce,
        },
    ) else {
        log(
            siplua_core::log::level::ERR,
            &format!(
                "uac_auth(): the credential for {:?} has no HA1 for {}",
                ch.realm,
                ch.algorithm.name()
            ),
        );
        return -1;
    };
    let (Some((cseq_index, _)), Ok(cseq)) = (msg.find(HeaderKind::CSeq), msg.cseq()) else {
        return -1;
    };
    let next = format!("{} {}", cseq.number.wrapping_add(1), cseq.method);
    let added = ctx
        .edits
        .add_header(msg, answer_name, &value, Position::End)
        .and_then(|()| ctx.edits.replace_value(msg, cseq_index, &next));
    if let Err(e) = added {
        log(siplua_core::log::level::ERR, &format!("uac_auth(): {e}"));
        return -1;
    }
    if msg.ruri_str() != Some(uri.as_str()) || ctx.new_ruri.is_some() {
        ctx.new_ruri = Some(uri);
    }
    1
}
