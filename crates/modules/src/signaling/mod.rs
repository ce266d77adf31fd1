//! `signaling`: `send_reply(code, reason)`, the reply function that works with or without a
//! transaction: through tm when the request has a transaction, else statelessly as `sl`.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::Module;

use crate::sl::{reply, REPLY_ROUTES};
use crate::tm::api::TmApi;

/// The module.
#[derive(Default)]
pub struct Signaling;

impl Module for Signaling {
    fn name(&self) -> &'static str {
        "signaling"
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["sl"]
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        vec![FunctionDecl::new(
            "send_reply",
            vec![
                ParamSpec::req("code", ParamKind::Int),
                ParamSpec::req("reason", ParamKind::Str),
            ],
            REPLY_ROUTES,
            |ctx: &mut Context, args: &Args| {
                let code = args.int(ctx, 0).unwrap_or(500);
                let reason = args.str(ctx, 1).unwrap_or_default().into_owned();
                match ctx.core.apis.get::<TmApi>() {
                    Some(tm) if tm.has_transaction(ctx) => tm.reply(ctx, code, &reason),
                    _ => reply(ctx, code, &reason, None),
                }
            },
        )]
    }
}
