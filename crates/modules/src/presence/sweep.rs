//! The expiry sweep, every `clean_period` seconds on the timer thread (as OpenSIPS' cleaning
//! timers): expired subscriptions get a final NOTIFY (`terminated;reason=timeout`) and are
//! dropped; expired publications are dropped and their presentities' watchers notified.
//! Started from the first `worker_init`, so `siplua -c` schedules nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use siplua_core::timer::{TimerCtx, TimerService};

use super::notify::{body_for, build, notify_watchers, send_all};
use super::shared::{now, Presence};

/// Starts the sweep once (later calls do nothing); nothing with `clean_period` 0.
pub fn start_once(p: &Arc<Presence>, timers: &Arc<TimerService>, started: &AtomicBool) {
    if p.settings.clean_period == 0 || started.swap(true, Ordering::AcqRel) {
        return;
    }
    schedule(p.clone(), timers.clone());
}

fn schedule(p: Arc<Presence>, timers: Arc<TimerService>) {
    let period = Duration::from_secs(p.settings.clean_period);
    let again = timers.clone();
    timers.schedule(
        period,
        Box::new(move |t: &mut TimerCtx| {
            run(&p, t);
            schedule(p, again);
        }),
    );
}

/// One sweep.
fn run(p: &Arc<Presence>, t: &mut TimerCtx) {
    let Some(transports) = t.worker.transports.clone() else {
        return;
    };
    let now = now();
    let offset = p.settings.expires_offset;
    let (finals, changed) = {
        let mut store = p.store.lock();
        let changed = store.expire_publications(now, offset);
        let expired = store.expire_subscriptions(now, offset);
        let finals: Vec<_> = expired
            .into_iter()
            .map(|mut sub| {
                let body = body_for(p, &store, &sub, now);
                let req = build(&mut sub, body.as_deref(), Some("timeout"), now);
                (sub.key(), req)
            })
            .collect();
        (finals, changed)
    };
    send_all(p, &transports, finals);
    for (pres_uri, event) in changed {
        notify_watchers(p, &transports, &pres_uri, &event, None);
    }
}
