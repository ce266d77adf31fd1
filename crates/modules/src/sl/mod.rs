//! `sl`: stateless replies — `sl_send_reply(code, reason)` and `sl_reply_error()` — with
//! OpenSIPS' statistics (`sl:sent_replies`, `sl:1xx_replies` ... `sl:6xx_replies`,
//! `sl:sent_err_replies`).

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, Module};
use siplua_core::pv::ErrorInfo;
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::stats::{Counter, Stats};

/// Route types where a stateless reply can be sent.
pub const REPLY_ROUTES: RouteMask =
    RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Error]);

/// The module.
#[derive(Default)]
pub struct Sl {
    counters: Option<Arc<SlCounters>>,
}

/// The statistics the module keeps.
#[derive(Debug)]
pub struct SlCounters {
    sent: Counter,
    by_class: [Counter; 6],
    errors: Counter,
}

impl SlCounters {
    /// Registers the counters.
    pub fn register(stats: &Stats) -> SlCounters {
        let c = |n: &str| stats.counter("sl", n);
        SlCounters {
            sent: c("sent_replies"),
            by_class: [
                c("1xx_replies"),
                c("2xx_replies"),
                c("3xx_replies"),
                c("4xx_replies"),
                c("5xx_replies"),
                c("6xx_replies"),
            ],
            errors: c("sent_err_replies"),
        }
    }

    fn count(&self, code: u16) {
        self.sent.inc();
        if let Some(c) = self.by_class.get((code / 100).saturating_sub(1) as usize) {
            c.inc();
        }
    }
}

/// Sends a stateless reply, logging a failure; the script function's return code.
pub fn reply(ctx: &mut Context, code: i64, reason: &str, counters: Option<&SlCounters>) -> i32 {
    let Ok(code) = u16::try_from(code) else {
        return -1;
    };
    match siplua_core::reply::send_reply(ctx, code, reason) {
        Ok(()) => {
            if let Some(c) = counters {
                c.count(code);
            }
            1
        }
        Err(e) => {
            if let Some(c) = counters {
                c.errors.inc();
            }
            siplua_core::log::emit(
                siplua_core::log::level::ERR,
                "sl",
                &format!("sl_send_reply: {e}"),
            );
            -1
        }
    }
}

impl Module for Sl {
    fn name(&self) -> &'static str {
        "sl"
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        self.counters = Some(Arc::new(SlCounters::register(env.stats)));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let counters = self.counters.clone();
        let c2 = self.counters.clone();
        vec![
            FunctionDecl::new(
                "sl_send_reply",
                vec![
                    ParamSpec::req("code", ParamKind::Int),
                    ParamSpec::req("reason", ParamKind::Str),
                ],
                REPLY_ROUTES,
                move |ctx: &mut Context, args: &Args| {
                    let code = args.int(ctx, 0).unwrap_or(500);
                    // Borrowed from the prepared argument when it is a constant: no copy.
                    let reason = args.str(ctx, 1).unwrap_or_default();
                    reply(ctx, code, &reason, counters.as_deref())
                },
            ),
            FunctionDecl::new(
                "sl_reply_error",
                vec![],
                REPLY_ROUTES,
                move |ctx: &mut Context, _: &Args| {
                    let (code, reason) = match ctx.ext::<ErrorInfo>() {
                        Some(e) if e.rcode >= 300 => (e.rcode, e.rreason.clone()),
                        _ => (500, "Server Internal Error".to_owned()),
                    };
                    reply(ctx, code, &reason, c2.as_deref())
                },
            ),
        ]
    }
}
