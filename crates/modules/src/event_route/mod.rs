//! `event_route`: runs the script's `event_route[E_NAME]` when event `E_NAME` is raised,
//! with the event's parameters as `$param(name)`. Loading the module subscribes every
//! `event_route` of the script to its event; without it raised events find no subscriber.
//!
//! As in OpenSIPS 3.x, the route runs asynchronously with respect to whatever raised the
//! event: here on the timer thread, in a context of its own without a SIP message.

use std::sync::Arc;
use std::time::Duration;

use siplua_core::context::Context;
use siplua_core::engine::Core;
use siplua_core::events::{EventParams, EventSink, EventSinkHandle};
use siplua_core::interp;
use siplua_core::module::{InitEnv, Module};
use siplua_core::route_type::RouteType;
use siplua_core::timer::TimerCtx;

/// The module.
#[derive(Default)]
pub struct EventRoute;

impl Module for EventRoute {
    fn name(&self) -> &'static str {
        "event_route"
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        env.apis
            .publish(Arc::new(EventSinkHandle(Box::new(RouteSink))));
        Ok(())
    }
}

/// Delivers events to the script's event routes.
struct RouteSink;

impl EventSink for RouteSink {
    /// An event is subscribed when the script (as loaded now) has a route for it.
    fn subscribed(&self, core: &Core, event: &str) -> bool {
        core.program().events.contains_key(event)
    }

    fn deliver(&self, core: &Core, event: &str, params: EventParams) {
        let event = event.to_owned();
        core.timers.schedule(
            Duration::ZERO,
            Box::new(move |t: &mut TimerCtx| {
                let program = t.core.program();
                // Looked up again: a reload in between may have removed the route.
                let Some(&route) = program.events.get(&event) else {
                    return;
                };
                let mut ctx = Context::new(t.core, t.worker, RouteType::Event, None, None);
                ctx.set_ext(params);
                interp::run(&program, route, &mut ctx);
            }),
        );
    }
}
