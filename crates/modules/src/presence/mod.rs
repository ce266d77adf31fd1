//! `presence`: a presence server (RFC 3903 publications, RFC 6665 subscriptions, NOTIFYs)
//! for the event packages other modules register (`presence_xml` adds `presence`), with
//! OpenSIPS 3.x's `handle_publish([sender_uri])` and `handle_subscribe([force_active])`.
//!
//! Layout: `params` (parameters), `events` (packages and the API that registers them),
//! `store` (publications and subscriptions, in memory, shared by every worker), `request`
//! (Event, presentity, Expires), `publish`, `subscribe`, `notify` (NOTIFYs through tm's
//! client transactions), `reply` (replies through tm or stateless), `sweep` (expiry).
//! Nothing is written to a database: a restart loses the state (see docs/compatibility.md).

pub mod events;
mod notify;
mod params;
mod publish;
mod reply;
mod request;
mod shared;
mod store;
mod subscribe;
mod sweep;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use siplua_core::function::{FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::timer::TimerService;

use crate::tm::api::TmApi;
use events::{Events, PresenceApi};
use params::Settings;
use shared::Presence;

/// The module.
#[derive(Default)]
pub struct PresenceModule {
    settings: Settings,
    shared: Option<Arc<Presence>>,
    timers: Option<Arc<TimerService>>,
    sweeping: AtomicBool,
}

impl Module for PresenceModule {
    fn name(&self) -> &'static str {
        "presence"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        params::PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        self.settings.set(name, value)
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["tm"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let tm = env
            .apis
            .get::<TmApi>()
            .ok_or("presence needs the tm module")?;
        if !self.settings.ignored.is_empty() {
            siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "presence",
                &format!(
                    "parameters accepted without effect: {} (state is kept in memory only, \
                     no database, no clustering)",
                    self.settings.ignored.join(", ")
                ),
            );
        }
        let events = Arc::new(Events::default());
        env.apis.publish(Arc::new(PresenceApi::new(events.clone())));
        self.shared = Some(Arc::new(Presence::new(self.settings.clone(), events, tm)));
        self.timers = Some(env.timers.clone());
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        if let (Some(p), Some(timers)) = (&self.shared, &self.timers) {
            sweep::start_once(p, timers, &self.sweeping);
        }
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(p) = &self.shared else {
            return Vec::new();
        };
        let request = RouteMask::of(&[RouteType::Request]);
        let (p1, p2) = (p.clone(), p.clone());
        vec![
            FunctionDecl::new(
                "handle_publish",
                vec![ParamSpec::opt("sender_uri", ParamKind::Str)],
                request,
                move |ctx, args| {
                    let sender = args.str(ctx, 0).map(|s| s.into_owned());
                    publish::handle_publish(&p1, ctx, sender.as_deref().filter(|s| !s.is_empty()))
                },
            ),
            FunctionDecl::new(
                "handle_subscribe",
                vec![
                    ParamSpec::opt("force_active", ParamKind::Int),
                    ParamSpec::opt("sharing_tag", ParamKind::Str),
                ],
                request,
                move |ctx, args| {
                    let force = args.int(ctx, 0).unwrap_or(0) == 1;
                    subscribe::handle_subscribe(&p2, ctx, force)
                },
            ),
        ]
    }
}
