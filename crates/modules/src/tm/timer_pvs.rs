//! `$T_fr_timeout` and `$T_fr_inv_timeout`: the final-response timeouts (seconds) of the
//! transaction the message creates or belongs to, as OpenSIPS' tm exports them. Reading gives
//! the value set for this message (by `t_set_fr` or an assignment), else the transaction's,
//! else the module parameter; assigning sets it for the branches sent later (0 or NULL goes
//! back to the module parameter).

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::pv::PvDecl;
use siplua_core::value::Value;

use super::shared::{current_tx, msg_state, TmMsg, TmShared};

/// Which of the two timeouts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Invite,
    NonInvite,
}

fn get(shared: &TmShared, ctx: &Context, which: Which) -> Value {
    let pick = |pair: (Option<Duration>, Option<Duration>)| match which {
        Which::Invite => pair.0,
        Which::NonInvite => pair.1,
    };
    let from_msg = ctx.ext::<TmMsg>().and_then(|m| m.fr).and_then(pick);
    let from_tx = || {
        current_tx(ctx).map(|tx| {
            let state = tx.state.lock();
            match which {
                Which::Invite => state.fr_inv,
                Which::NonInvite => state.fr,
            }
        })
    };
    let default = match which {
        Which::Invite => shared.params.fr_inv_timeout,
        Which::NonInvite => shared.params.fr_timeout,
    };
    let d = from_msg.or_else(from_tx).unwrap_or(default);
    Value::Int(d.as_secs() as i64)
}

fn set(ctx: &mut Context, which: Which, value: Value) -> Result<(), String> {
    let secs = if value.is_null() { 0 } else { value.as_int() };
    if secs < 0 {
        return Err(format!("a timeout cannot be negative ({secs})"));
    }
    let d = (secs > 0).then(|| Duration::from_secs(secs as u64));
    let state = msg_state(ctx);
    let (mut inv, mut fr) = state.fr.unwrap_or((None, None));
    match which {
        Which::Invite => inv = d,
        Which::NonInvite => fr = d,
    }
    state.fr = Some((inv, fr));
    Ok(())
}

/// The two variables.
pub fn declarations(shared: &Arc<TmShared>) -> Vec<PvDecl> {
    [
        ("T_fr_timeout", Which::NonInvite),
        ("T_fr_inv_timeout", Which::Invite),
    ]
    .into_iter()
    .map(|(name, which)| {
        let shared = shared.clone();
        PvDecl {
            name,
            takes_inner: false,
            get: Arc::new(move |ctx: &Context, _| get(&shared, ctx, which)),
            set: Some(Arc::new(move |ctx: &mut Context, _, v| set(ctx, which, v))),
        }
    })
    .collect()
}
