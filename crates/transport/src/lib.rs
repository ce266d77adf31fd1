//! SIP transports for siplua: binds UDP, TCP, TLS, WS and WSS sockets, runs the worker threads, receives
//! complete SIP messages and hands them to a per-worker [`Handler`], and sends bytes out.
//!
//! It knows nothing of the routing script. The engine implements [`Handler`] (one per
//! worker thread, created inside that thread so it may own a Lua state) and sends through
//! the shared [`Transports`].
//!
//! Threads of a run:
//! - per UDP socket, `udp_workers` workers all blocking on that one socket;
//! - per TCP, TLS, WS or WSS listen socket, one acceptor;
//! - per connection, one reader that decrypts (TLS, WSS), answers the WebSocket upgrade (WS,
//!   WSS), frames the stream (or decodes WebSocket frames) and answers keep-alive pings;
//! - `tcp_workers` workers fed by the readers through one bounded queue.
//!
//! Limits: one thread (256 KiB stack) per open TCP connection, so `tcp_max_connections`
//! (default 2048) also bounds the thread count; an outbound connect blocks the sending worker
//! for up to `tcp_connect_timeout` (and, for TLS, its handshake for up to
//! `tls_handshake_timeout` per read or write); a write blocks it for up to `tcp_send_timeout`, after which
//! the connection is closed; a full TCP queue stops readers (back-pressure on the peers).
//!
//! Overload: a worker whose queue is over `overload_queue_percent` full hands messages to
//! [`Handler::overloaded`] (see `overload.rs`); accepted TCP connections are capped per source
//! address (`tcp_max_connections_per_source`) and a message must arrive whole within
//! `tcp_max_msg_time`.

mod config;
mod dispatch;
mod handler;
mod interfaces;
mod message;
mod overload;
mod recv_buf;
mod server;
mod socket_info;
mod stop;
mod tap;
mod tcp;
mod tls;
mod transports;
mod udp;
mod ws;

pub use config::TransportConfig;
pub use handler::{Handler, HandlerFactory, WorkerInfo, WorkerKind};
pub use interfaces::interface_addresses;
pub use message::{ConnId, Destination, Received};
pub use server::{start, Running};
pub use socket_info::{ListenSpec, Proto, SocketId, SocketInfo};
pub use tap::{SendTap, Sent};
pub use tls::context::TlsContext;
pub use tls::options::{TlsDomain, TlsOptions, TlsVersion};
pub use transports::Transports;
pub use ws::WsOptions;
