//! TCP: listeners, connections, their table, per-connection readers and outbound connects.
//!
//! Each connection is read by its own thread (simple and robust; the cost is one thread,
//! with a small stack, per open connection, bounded by `tcp_max_connections`). Readers frame
//! the stream into SIP messages and push them into bounded queues, one per TCP worker; all
//! messages of one connection go to the same worker, so they are handled in the order they
//! were sent. Writes come from any thread through the connection table.

pub(crate) mod connect;
pub(crate) mod connection;
pub(crate) mod framer;
pub(crate) mod listener;
pub(crate) mod per_source;
pub(crate) mod reader;
pub(crate) mod table;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Sender;
use parking_lot::Mutex;
use socket2::Socket;

use crate::message::Received;
use crate::socket_info::SocketId;
use crate::stop::Stop;
use crate::tls::session::TlsSession;
use crate::ws::WsOptions;
use connection::Connection;
use table::ConnTable;

/// Stack size of a reader thread: it only frames bytes, the handler runs elsewhere.
const READER_STACK: usize = 256 * 1024;

/// Limits that every connection obeys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TcpLimits {
    pub(crate) max_message_size: usize,
    pub(crate) lifetime: Duration,
    pub(crate) send_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_msg_time: Duration,
    /// `proto_ws` settings, for connections accepted on `ws:` sockets.
    pub(crate) ws: WsOptions,
    /// `proto_wss` settings, for connections accepted on `wss:` sockets.
    pub(crate) wss: WsOptions,
}

/// What a new connection carries over TCP, and the bound on its writes.
pub(crate) struct Layers {
    /// The TLS session of a TLS or WSS connection.
    pub(crate) tls: Option<TlsSession>,
    /// For WS and WSS: the time the WebSocket upgrade may take.
    pub(crate) websocket: Option<Duration>,
    /// Bound on one write (`tcp_send_timeout`, `tls_send_timeout`, `ws_send_timeout`, ...).
    pub(crate) send_timeout: Duration,
}

/// Everything a reader thread or a sender needs: the table, the worker queues, the stop signal.
pub(crate) struct TcpContext {
    pub(crate) table: ConnTable,
    /// One queue per TCP worker; a connection's messages go to queue `id % len`.
    pub(crate) queues: Vec<Sender<Received>>,
    pub(crate) stop: Arc<Stop>,
    pub(crate) limits: TcpLimits,
    pub(crate) per_source: Arc<per_source::PerSource>,
    readers: Mutex<Vec<JoinHandle<()>>>,
}

impl TcpContext {
    /// A context with an empty table of at most `max_connections` entries, of which at most
    /// `per_source` (0: any number) accepted from one address.
    pub(crate) fn new(
        queues: Vec<Sender<Received>>,
        stop: Arc<Stop>,
        limits: TcpLimits,
        max_connections: usize,
        per_source: usize,
    ) -> Self {
        TcpContext {
            table: ConnTable::new(max_connections),
            queues,
            stop,
            limits,
            per_source: per_source::PerSource::new(per_source),
            readers: Mutex::new(Vec::new()),
        }
    }

    /// Puts a connected stream in the table and starts its reader thread; `layers` says what
    /// it carries (a TLS session, WebSocket) and bounds its writes.
    ///
    /// Fails if the table is full or the thread cannot be started; the stream is then dropped (closed).
    pub(crate) fn register(
        self: &Arc<Self>,
        stream: Socket,
        peer: SocketAddr,
        socket: SocketId,
        layers: Layers,
    ) -> io::Result<Arc<Connection>> {
        self.register_holding(stream, peer, socket, layers, None)
    }

    /// [`TcpContext::register`] for an accepted connection holding its source's `slot`,
    /// given back when the reader ends.
    pub(crate) fn register_holding(
        self: &Arc<Self>,
        stream: Socket,
        peer: SocketAddr,
        socket: SocketId,
        layers: Layers,
        slot: Option<per_source::SourceSlot>,
    ) -> io::Result<Arc<Connection>> {
        let conn = self.table.insert(|id| {
            Connection::new(
                id,
                peer,
                socket,
                stream,
                layers.tls,
                layers.websocket,
                layers.send_timeout,
            )
        })?;
        let ctx = Arc::clone(self);
        let reader_conn = Arc::clone(&conn);
        let spawned = std::thread::Builder::new()
            .name(format!("tcp-reader-{}", conn.id().0))
            .stack_size(READER_STACK)
            .spawn(move || {
                reader::run(&ctx, &reader_conn);
                drop(slot);
            });
        match spawned {
            Ok(handle) => {
                let mut readers = self.readers.lock();
                readers.retain(|h| !h.is_finished());
                readers.push(handle);
                Ok(conn)
            }
            Err(e) => {
                conn.close();
                self.table.remove(conn.id());
                Err(e)
            }
        }
    }

    /// Takes the handles of reader threads still tracked, to join them at shutdown.
    pub(crate) fn take_readers(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut *self.readers.lock())
    }
}
