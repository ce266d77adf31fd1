//! `dlg_on_timeout([route])`: a script route to run when the dialog's lifetime runs out
//! (on the timer thread, in the dialog's context, without a SIP message). The route may give
//! the dialog more time with `$DLG_timeout = seconds`; otherwise the dialog ends after it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use siplua_core::context::Context;
use siplua_core::engine::Core;
use siplua_core::function::Args;
use siplua_core::interp;
use siplua_core::route_type::RouteType;
use siplua_core::timer::TimerCtx;

use super::table::{state, Current, Direction, Key, Table};

fn warn(text: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::WARN, "dialog", text);
    -1
}

/// `dlg_on_timeout([route])` on the current dialog, before it is answered: 1; -1 without a
/// dialog or once it is confirmed (as in OpenSIPS). Without a route, a route set earlier is
/// dropped.
pub fn dlg_on_timeout(ctx: &mut Context, args: &Args, table: &Arc<Table>) -> i32 {
    let Some(key) = ctx.ext::<Current>().map(|c| c.key.clone()) else {
        return warn("dlg_on_timeout: no dialog for this message (create_dialog first)");
    };
    let route = args.route(0);
    let armed = table.with(&key, |d| {
        if d.state > state::EARLY {
            return None;
        }
        d.on_timeout = route;
        d.timer_generation += 1;
        Some((d.timer_generation, d.left(Instant::now())))
    });
    match armed.flatten() {
        Some((generation, left)) => {
            if route.is_some() {
                arm(ctx.core, table, key, generation, left);
            }
            1
        }
        None => warn("dlg_on_timeout: too late, the dialog is already established"),
    }
}

/// Re-arms the timer of a dialog whose lifetime `$DLG_timeout` changed, when it has a
/// timeout route.
pub fn rearm(core: &Core, table: &Arc<Table>, key: &Key) {
    let armed = table.with(key, |d| {
        d.on_timeout?;
        d.timer_generation += 1;
        Some((d.timer_generation, d.left(Instant::now())))
    });
    if let Some((generation, left)) = armed.flatten() {
        arm(core, table, key.clone(), generation, left);
    }
}

/// Schedules the check of dialog `key` in `after`; a newer arming (`generation`) makes this
/// one void.
fn arm(core: &Core, table: &Arc<Table>, key: Key, generation: u64, after: Duration) {
    let table = table.clone();
    core.timers.schedule(
        after,
        Box::new(move |t: &mut TimerCtx| fire(t, &table, key, generation)),
    );
}

/// What the timer found.
enum Step {
    /// Ended, re-armed since, or no route any more: nothing to do.
    Nothing,
    /// Still time left (`$DLG_timeout` raised it): look again then.
    Later(Duration),
    /// Its time is up: run the route.
    Run(usize),
}

fn fire(t: &mut TimerCtx, table: &Arc<Table>, key: Key, generation: u64) {
    let now = Instant::now();
    let step = table.with(&key, |d| {
        if !d.active() || d.timer_generation != generation {
            return Step::Nothing;
        }
        let left = d.left(now);
        match d.on_timeout {
            _ if !left.is_zero() => Step::Later(left),
            Some(route) => Step::Run(route),
            None => Step::Nothing,
        }
    });
    let route = match step {
        Some(Step::Later(left)) => return arm(t.core, table, key, generation, left),
        Some(Step::Run(route)) => route,
        _ => return,
    };
    let program = t.core.program();
    {
        let mut ctx = Context::new(t.core, t.worker, RouteType::Request, None, None);
        ctx.set_ext(Current {
            key: key.clone(),
            dir: Direction::Downstream,
        });
        interp::run(&program, route, &mut ctx);
    }
    // Given more time by the route: checked again then; else it ends now.
    let now = Instant::now();
    let again = table.with(&key, |d| {
        let left = d.left(now);
        if left.is_zero() || !d.active() {
            d.on_timeout = None;
            d.end_because(now, super::table::reason::LIFETIME);
            return None;
        }
        d.timer_generation += 1;
        Some((d.timer_generation, left))
    });
    if let Some((generation, left)) = again.flatten() {
        arm(t.core, table, key, generation, left);
    }
}
