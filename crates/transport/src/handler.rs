//! The engine's side of the boundary: one handler per worker thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::message::Received;
use crate::socket_info::SocketId;
use crate::transports::Transports;

/// Processes received messages on one worker thread.
///
/// One handler exists per worker and lives on that worker's thread only, so it may own
/// state that is not `Send` (a Lua state, a script runtime), as an OpenSIPS child process would.
pub trait Handler {
    /// Handles one complete SIP message. Replies and forwards go through [`Transports::send`].
    fn handle(&mut self, msg: Received);

    /// Takes a message that arrived while the worker's queue was over
    /// `overload_queue_percent`: it should cost as little as possible (the engine answers
    /// requests with 503 and a Retry-After). By default the message is dropped.
    fn overloaded(&mut self, msg: Received) {
        drop(msg);
    }
}

/// Which messages a worker receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    /// Receives datagrams directly from this UDP socket.
    Udp {
        /// The UDP socket the worker blocks on.
        socket: SocketId,
    },
    /// Receives complete messages from TCP, TLS, WS and WSS connections through its queue.
    Tcp,
}

/// What a handler factory is told about the worker it builds a handler for.
#[derive(Clone)]
pub struct WorkerInfo {
    /// Unique across all workers of a run (UDP workers first, then TCP workers).
    pub id: usize,
    /// Where the worker's messages come from.
    pub kind: WorkerKind,
    /// Sockets and the send path, shared by all workers and timers.
    pub transports: Arc<Transports>,
}

/// Builds a worker's handler inside the worker thread, so the handler need not be `Send`.
pub type HandlerFactory = Arc<dyn Fn(&WorkerInfo) -> Box<dyn Handler> + Send + Sync>;

/// Runs the handler on one message (its `overloaded` path when `overloaded`); a panic in it
/// is logged and the worker goes on.
///
/// A single bad message must not silently cost the server one of its workers.
pub(crate) fn handle_guarded(handler: &mut dyn Handler, msg: Received, overloaded: bool) {
    let src = msg.src;
    let run = AssertUnwindSafe(|| {
        if overloaded {
            handler.overloaded(msg)
        } else {
            handler.handle(msg)
        }
    });
    if catch_unwind(run).is_err() {
        tracing::error!(%src, "message handler panicked; message dropped");
    }
}
