//! `registered(domain[, aor])` and `is_registered(domain[, aor])`: whether an AOR has a
//! valid binding, without changing the message.

use siplua_core::context::Context;
use siplua_core::function::Args;
use siplua_sip::Method;

use super::Registrar;
use crate::usrloc::api::now;

/// Where the AOR comes from when the script gives none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAor {
    /// `registered()`: the Request-URI.
    RequestUri,
    /// `is_registered()` (OpenSIPS 3): the To URI of a REGISTER, the From URI otherwise.
    ToOrFrom,
}

/// 1 when the AOR has at least one valid binding, -1 otherwise.
pub fn registered(ctx: &mut Context, reg: &Registrar, args: &Args, default: DefaultAor) -> i32 {
    let text = match args.str(ctx, 1) {
        Some(a) => Some(a.into_owned()),
        None => default_aor(ctx, default),
    };
    let table = args.str(ctx, 0).unwrap_or_default();
    let found = text
        .and_then(|t| reg.settings.aor.key(&t))
        .zip(reg.usrloc.find_domain(&table))
        .and_then(|(key, domain)| domain.get(&key, now()))
        .is_some();
    if found {
        1
    } else {
        -1
    }
}

fn default_aor(ctx: &Context, default: DefaultAor) -> Option<String> {
    match default {
        DefaultAor::RequestUri => ctx.ruri().map(str::to_owned),
        DefaultAor::ToOrFrom => {
            let msg = ctx.msg.as_ref()?;
            let header = if msg.method() == Some(Method::Register) {
                msg.to()
            } else {
                msg.from()
            };
            header.ok().map(|na| na.uri().as_str().to_owned())
        }
    }
}
