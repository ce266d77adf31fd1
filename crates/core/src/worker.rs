//! A worker: receives messages from the transports, parses and checks them, runs the script,
//! and does what OpenSIPS' core does around it (400 for broken requests, stateless reply
//! forwarding, start-up and timer routes).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use siplua_sip::edit::Edits;
use siplua_sip::partial::PartialMessage;
use siplua_sip::validate;
use siplua_sip::Message;
use siplua_transport::{Handler, Received, Transports, WorkerInfo};
use tracing::debug;

use crate::context::{Context, Origin};
use crate::engine::Core;
use crate::interp::{self, Outcome};
use crate::module::ReplyVerdict;
use crate::pv::ErrorInfo;
use crate::route_type::RouteType;
use crate::timer::{TimerCtx, TimerService};
use crate::value::Value;

/// The largest edit list (bytes of new text) a worker keeps between messages.
const MAX_SPARE_EDITS: usize = 16 * 1024;

/// What belongs to one worker thread and outlives a message: its `$var`s, its identity, its
/// handle on the transports.
pub struct WorkerState {
    /// Unique worker number (0 is the main thread: start-up route and timers).
    pub id: usize,
    /// Script variables (`$var(x)`), per worker and kept between messages, as in OpenSIPS.
    pub vars: HashMap<String, Value>,
    /// Where to send; absent only before the transports are up (start-up route).
    pub transports: Option<Arc<Transports>>,
    /// The buffer stateless replies are built in, kept between messages so that a reply
    /// allocates nothing.
    pub(crate) reply_buf: Vec<u8>,
    /// An empty edit list whose allocations the next context reuses ([`Context`] takes it
    /// and gives it back).
    pub(crate) spare_edits: Edits,
}

impl WorkerState {
    /// A fresh worker state.
    pub fn new(id: usize, transports: Option<Arc<Transports>>) -> WorkerState {
        WorkerState {
            id,
            vars: HashMap::new(),
            transports,
            reply_buf: Vec::new(),
            spare_edits: Edits::default(),
        }
    }

    /// Keeps `edits`' allocations for the next context, unless a message made them large.
    pub(crate) fn recycle_edits(&mut self, mut edits: Edits) {
        if edits.capacity() <= MAX_SPARE_EDITS {
            edits.clear();
            self.spare_edits = edits;
        }
    }
}

/// The per-thread message handler given to the transports.
pub struct Worker {
    core: Arc<Core>,
    state: WorkerState,
}

impl Worker {
    /// Creates a worker inside its thread, running every module's per-worker initialisation.
    pub fn new(core: Arc<Core>, info: &WorkerInfo) -> Result<Worker, String> {
        let id = info.id + 1;
        for m in &core.modules {
            m.worker_init(id)
                .map_err(|e| format!("module {}: {e}", m.name()))?;
        }
        Ok(Worker {
            core,
            state: WorkerState::new(id, Some(info.transports.clone())),
        })
    }
}

impl Handler for Worker {
    fn handle(&mut self, rcv: Received) {
        let origin = Origin {
            src: rcv.src,
            socket: rcv.socket,
            proto: rcv.proto,
            conn: rcv.conn,
        };
        if self.admitted(origin) {
            self.handle_admitted(rcv, origin);
        }
    }

    /// The overload path: a request gets `503 Service Unavailable` with `Retry-After`
    /// without running the script; over UDP, ACKs and replies are dropped (their sender
    /// retransmits). Over TCP nothing would repair a lost ACK or reply: they are handled.
    fn overloaded(&mut self, rcv: Received) {
        let origin = Origin {
            src: rcv.src,
            socket: rcv.socket,
            proto: rcv.proto,
            conn: rcv.conn,
        };
        if !self.admitted(origin) {
            return;
        }
        let Ok(msg) = Message::parse(rcv.data.clone()) else {
            self.core.core_stats.overload_shed.inc();
            return;
        };
        let answerable = msg.is_request() && msg.method() != Some(siplua_sip::Method::Ack);
        if !answerable && rcv.proto != siplua_transport::Proto::Udp {
            return self.handle_admitted(rcv, origin);
        }
        let core = self.core.clone();
        core.core_stats.overload_shed.inc();
        if !answerable {
            return;
        }
        let mut ctx = Context::new(
            &core,
            &mut self.state,
            RouteType::Request,
            Some(&msg),
            Some(origin),
        );
        ctx.reply_headers = format!("Retry-After: {}\r\n", core.config.overload_retry_after);
        if let Err(e) = crate::reply::send_reply(&mut ctx, 503, "Service Unavailable") {
            debug!("cannot answer a request while overloaded: {e}");
        }
    }
}

impl Worker {
    /// Whether every module lets this message in (`Module::on_receive`).
    fn admitted(&mut self, origin: Origin) -> bool {
        let Worker { core, state } = self;
        core.receivers().all(|m| m.on_receive(core, state, origin))
    }

    /// The normal path, once the modules admitted the message.
    ///
    /// The message is used where the parse put it (the context borrows it): it is large, and
    /// moving it into a binding and then into the context cost three copies per message.
    fn handle_admitted(&mut self, rcv: Received, origin: Origin) {
        match &mut Message::parse(rcv.data.clone()) {
            Ok(msg) => {
                // Validation, replies, tm and rr all read these: parse them once.
                msg.remember_views();
                if msg.is_request() {
                    self.request(msg, origin)
                } else {
                    self.reply(msg, origin)
                }
            }
            Err(e) => self.unparsable(&rcv, origin, e),
        }
    }

    fn request(&mut self, msg: &Message, origin: Origin) {
        let core = self.core.clone();
        core.core_stats.rcv_requests.inc();
        let program = core.program();
        let invalid = validate::check_request(msg).err();
        let mut ctx = Context::new(
            &core,
            &mut self.state,
            RouteType::Request,
            Some(msg),
            Some(origin),
        );
        if let Some(inv) = invalid {
            core.core_stats.err_requests.inc();
            debug!(
                "invalid request from {}: {} {}",
                origin.src, inv.code, inv.reason
            );
            match program.error {
                Some(route) => {
                    ctx.route_type = RouteType::Error;
                    ctx.set_ext(ErrorInfo {
                        class: 1,
                        level: 1,
                        info: inv.reason.to_string(),
                        rcode: inv.code as i64,
                        rreason: inv.reason.to_string(),
                    });
                    interp::run(&program, route, &mut ctx);
                }
                None => {
                    if !is_ack(&ctx) {
                        if let Err(e) = crate::reply::send_reply(&mut ctx, inv.code, inv.reason) {
                            debug!("cannot answer invalid request: {e}");
                        }
                    }
                }
            }
            return;
        }
        for m in core.observers() {
            m.on_message(&mut ctx);
        }
        let Some(route) = program.main else { return };
        if interp::run(&program, route, &mut ctx) == Outcome::Dropped {
            core.core_stats.drop_requests.inc();
        }
    }

    fn reply(&mut self, msg: &Message, origin: Origin) {
        let core = self.core.clone();
        core.core_stats.rcv_replies.inc();
        if validate::check_response(msg).is_err() {
            core.core_stats.err_replies.inc();
            debug!("dropping malformed reply from {}", origin.src);
            return;
        }
        let program = core.program();
        let mut ctx = Context::new(
            &core,
            &mut self.state,
            RouteType::OnReply,
            Some(msg),
            Some(origin),
        );
        for m in core.observers() {
            m.on_message(&mut ctx);
        }
        // As in OpenSIPS: the main onreply_route sees every reply first (and may drop it),
        // then modules (tm) take the replies of their transactions.
        if let Some(route) = program.onreply {
            if interp::run(&program, route, &mut ctx) == Outcome::Dropped {
                core.core_stats.drop_replies.inc();
                return;
            }
        }
        for m in &core.modules {
            if m.on_reply(&mut ctx) == ReplyVerdict::Consumed {
                return;
            }
        }
        match crate::forward::forward_reply(&mut ctx) {
            Ok(()) => core.core_stats.fwd_replies.inc(),
            Err(e) => debug!("reply not forwarded: {e}"),
        }
    }

    /// A message that does not parse: a request with a usable start line and enough headers
    /// gets a 400 naming the problem; anything else is dropped (RFC 3261 §16.3, RFC 4475).
    fn unparsable(&mut self, rcv: &Received, origin: Origin, e: &siplua_sip::ParseError) {
        let core = self.core.clone();
        core.core_stats.bad_msg_hdr.inc();
        debug!("unparsable message from {}: {e}", origin.src);
        let Some(partial) = PartialMessage::scan(rcv.data.clone()) else {
            return;
        };
        if partial.method_str().eq_ignore_ascii_case("ACK") {
            return;
        }
        core.core_stats.err_requests.inc();
        let Some(transports) = self.state.transports.clone() else {
            return;
        };
        let reason = format!("Bad Request ({})", e.kind.describe());
        if let Err(err) =
            crate::reply::send_partial_400(&core, &transports, rcv, origin, &partial, &reason)
        {
            debug!("cannot answer unparsable request: {err}");
        }
    }
}

fn is_ack(ctx: &Context) -> bool {
    ctx.message().and_then(Message::method) == Some(siplua_sip::Method::Ack)
}

/// Runs every module's per-worker initialisation once on the main thread, so that an error
/// (a Lua script that does not load, say) stops start-up before any socket is opened.
pub fn check_worker_init(core: &Core) -> Result<(), String> {
    for m in &core.modules {
        m.worker_init(0)
            .map_err(|e| format!("module {}: {e}", m.name()))?;
    }
    Ok(())
}

/// Runs `startup_route`, if the script has one, before traffic is accepted.
pub fn run_startup_route(core: &Core) {
    let program = core.program();
    if let Some(route) = program.startup {
        let mut state = WorkerState::new(0, None);
        let mut ctx = Context::new(core, &mut state, RouteType::Startup, None, None);
        interp::run(&program, route, &mut ctx);
    }
}

/// Schedules every `timer_route[name, seconds]` on the timer service, each to run every
/// `seconds` (first run one interval after start-up).
pub fn schedule_timer_routes(core: &Core) {
    for (route, secs) in core.program().timers.iter().copied() {
        schedule_timer_route(&core.timers, route, secs);
    }
}

fn schedule_timer_route(timers: &TimerService, route: usize, secs: u32) {
    timers.schedule(
        Duration::from_secs(secs as u64),
        Box::new(move |t: &mut TimerCtx| {
            let program = t.core.program();
            let mut ctx = Context::new(t.core, t.worker, RouteType::Timer, None, None);
            if let Outcome::Returned(n) = interp::run(&program, route, &mut ctx) {
                if n < 0 {
                    debug!("timer route returned {n}");
                }
            }
            schedule_timer_route(&t.core.timers, route, secs);
        }),
    );
}
