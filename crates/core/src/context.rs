//! The per-message context: everything a route and its functions read and change while one
//! message is processed.
//!
//! A context is built by the worker for each message (or for a timer or start-up run, without
//! a message), handed to the interpreter and to every function handler, and dropped when the
//! script ends. What must outlive it (AVPs of a transaction, `$var`s of the worker) is moved
//! out or lives in the worker.

use std::any::{Any, TypeId};
use std::net::SocketAddr;

use siplua_sip::edit::Edits;
use siplua_sip::Message;
use siplua_transport::{ConnId, Proto, SocketId, SocketInfo};
use smallvec::SmallVec;

use crate::avp::AvpList;
use crate::engine::Core;
use crate::route_type::RouteType;
use crate::worker::WorkerState;

/// Where a received message came from and on which local socket.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    /// The peer's address (`$si`, `$sp`).
    pub src: SocketAddr,
    /// The local socket it arrived on (`$Ri`, `$Rp`).
    pub socket: SocketId,
    /// The transport (`$pr`).
    pub proto: Proto,
    /// The TCP connection it came on, for replies on the same connection.
    pub conn: Option<ConnId>,
}

/// A `route(name, ...)` call being run.
#[derive(Clone, Debug)]
pub struct RouteCall {
    /// The route's id in the program.
    pub route: usize,
    /// Its arguments (`$param(1)`...).
    pub args: Vec<crate::value::Value>,
}

/// A branch added by `append_branch` or `lookup`: a destination for forking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Branch {
    /// The branch's Request-URI.
    pub uri: String,
    /// Its next hop (`$du` of the branch), if not the URI itself.
    pub dst_uri: Option<String>,
    /// Its q-value in thousandths (-1 when unset), for serial forking order.
    pub q: i32,
    /// Path vector to send it through (RFC 3327).
    pub path: Option<String>,
    /// Branch flags (`setbflag`).
    pub flags: u64,
    /// Local socket forced for the branch.
    pub socket: Option<SocketId>,
}

/// Per-message state shared by the interpreter and every function.
pub struct Context<'w> {
    /// The engine: configuration, transports, modules' shared state.
    pub core: &'w Core,
    /// The worker running this message: its `$var`s and scratch space.
    pub worker: &'w mut WorkerState,
    /// The route type running now (decides what functions may do).
    pub route_type: RouteType,
    /// The SIP message, absent in start-up, timer and event routes. Borrowed: the worker
    /// parses it where it stays (a `Message` is over 1 KiB; moving it into each context cost
    /// more than the interpreter's own work on a small route).
    pub msg: Option<&'w Message>,
    /// Where the message came from (absent for locally generated runs).
    pub origin: Option<Origin>,
    /// Edits to apply when the message is sent on.
    pub edits: Edits,
    /// The Request-URI as rewritten by the script (`$ru = ...`), if it was.
    pub new_ruri: Option<String>,
    /// The destination URI (`$du`): where to send, overriding the Request-URI.
    pub dst_uri: Option<String>,
    /// Forced local socket for sending (`$fs`, `force_send_socket`).
    pub send_socket: Option<SocketId>,
    /// Address and port advertised in Via and Record-Route instead of the socket's
    /// (`set_advertised_address`, `set_advertised_port`).
    pub advertised: crate::forward::Advertised,
    /// The Path vector of the destination `lookup` chose (RFC 3327): sent as Route headers in
    /// front of the request's route set when the request goes out, per branch, as OpenSIPS
    /// does with its path vector — so that other branches do not inherit it.
    pub path: Option<String>,
    /// Message flags (`setflag`), 64 of them as in OpenSIPS.
    pub flags: u64,
    /// Flags of the first branch (`setbflag(..., 0)`).
    pub branch_flags: u64,
    /// Extra branches added by `append_branch` and `lookup`.
    pub branches: Vec<Branch>,
    /// Header lines added to replies this request gets (`append_to_reply`, `add_lump_rpl`),
    /// each ending in CRLF.
    pub reply_headers: String,
    /// AVPs of this message or its transaction.
    pub avps: AvpList,
    /// Return code of the last function or route (`$retcode`, `$rc`).
    pub retcode: i32,
    /// The `route(name, ...)` calls being run, innermost last: which route and its
    /// arguments (`$param(n)`, `$route`).
    pub calls: Vec<RouteCall>,
    /// The route `interp::run` started with, and how many entries of `calls` were there
    /// already (a route run inside another run keeps its own stack): what `$route` reads.
    pub top_route: Option<(usize, usize)>,
    /// Status code of the reply the script sent for this request, if any.
    pub replied: Option<u16>,
    /// Set by `force_rport()`: add `rport` handling as if the request asked for it.
    pub force_rport: bool,
    /// `script_trace(...)` in effect: every statement run is logged.
    pub trace: Option<crate::interp::trace::ScriptTrace>,
    /// Per-message state of modules (tm's current transaction, for instance), by type. A
    /// relayed request has a few of them: kept inline, not in a growing vector.
    extensions: SmallVec<[(TypeId, Box<dyn Any + Send>); 4]>,
}

impl<'w> Context<'w> {
    /// A context for a message received from the network.
    pub fn new(
        core: &'w Core,
        worker: &'w mut WorkerState,
        route_type: RouteType,
        msg: Option<&'w Message>,
        origin: Option<Origin>,
    ) -> Context<'w> {
        Context {
            core,
            edits: std::mem::take(&mut worker.spare_edits),
            worker,
            route_type,
            msg,
            origin,
            new_ruri: None,
            dst_uri: None,
            path: None,
            send_socket: None,
            advertised: Default::default(),
            flags: 0,
            branch_flags: 0,
            branches: Vec::new(),
            reply_headers: String::new(),
            avps: AvpList::default(),
            retcode: 1,
            calls: Vec::new(),
            top_route: None,
            replied: None,
            force_rport: false,
            trace: None,
            extensions: SmallVec::new(),
        }
    }

    /// The message, if this run has one.
    pub fn message(&self) -> Option<&'w Message> {
        self.msg
    }

    /// The current Request-URI: the rewritten one, or the message's.
    pub fn ruri(&self) -> Option<&str> {
        match &self.new_ruri {
            Some(r) => Some(r),
            None => self.msg.and_then(|m| m.ruri_str()),
        }
    }

    /// The local socket the message arrived on (for Record-Route, `$Ri`, `add_sock_hdr`).
    pub fn received_on(&self) -> Option<&SocketInfo> {
        let origin = self.origin?;
        self.worker.transports.as_deref()?.socket(origin.socket)
    }

    /// A module's per-message state of type `T`, if it set one.
    pub fn ext<T: Any + Send>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.extensions
            .iter()
            .find(|(t, _)| *t == id)
            .and_then(|(_, b)| b.downcast_ref())
    }

    /// Mutable access to a module's per-message state.
    pub fn ext_mut<T: Any + Send>(&mut self) -> Option<&mut T> {
        let id = TypeId::of::<T>();
        self.extensions
            .iter_mut()
            .find(|(t, _)| *t == id)
            .and_then(|(_, b)| b.downcast_mut())
    }

    /// Sets (or replaces) a module's per-message state.
    pub fn set_ext<T: Any + Send>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        match self.extensions.iter_mut().find(|(t, _)| *t == id) {
            Some(slot) => slot.1 = Box::new(value),
            None => self.extensions.push((id, Box::new(value))),
        }
    }

    /// Removes and returns a module's per-message state.
    pub fn take_ext<T: Any + Send>(&mut self) -> Option<T> {
        let id = TypeId::of::<T>();
        let pos = self.extensions.iter().position(|(t, _)| *t == id)?;
        self.extensions
            .swap_remove(pos)
            .1
            .downcast()
            .ok()
            .map(|b| *b)
    }
}

/// Hands the edit list back to the worker, emptied, for the next message: most requests edit
/// something (Max-Forwards at least), and two allocations per message were the price of a
/// fresh list.
impl Drop for Context<'_> {
    fn drop(&mut self) {
        self.worker.recycle_edits(std::mem::take(&mut self.edits));
    }
}
