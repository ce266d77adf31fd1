//! WebSocket (`proto_ws`, `proto_wss`): SIP over WebSocket (RFC 7118) on the TCP connection
//! machinery.
//!
//! A WebSocket connection is a TCP [`crate::tcp::connection::Connection`] (carrying a TLS
//! session for WSS) marked as WebSocket: it lives in the same table, so a request to a
//! registered browser reuses the connection it registered over, by id or by its source
//! address. Its reader first answers the HTTP upgrade ([`handshake`]), then decodes frames
//! ([`frames`]) into SIP messages for the TCP workers; every write of a SIP message becomes
//! one text frame. siplua only accepts WebSocket connections: it does not open them.

pub(crate) mod frames;
pub(crate) mod handshake;
pub(crate) mod reader;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Settings of one WebSocket transport (`proto_ws` or `proto_wss` parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsOptions {
    /// An accepted connection must have sent its whole upgrade request within this (after
    /// its TLS handshake for WSS) (`ws_handshake_timeout`).
    pub handshake_timeout: Duration,
    /// Bound on one write to a connection; a peer that does not read is disconnected
    /// (`ws_send_timeout`).
    pub send_timeout: Duration,
    /// Most frames one SIP message may be fragmented into (`ws_max_msg_chunks`).
    pub max_msg_chunks: usize,
    /// Refuse an upgrade request without an `Origin` header (`require_origin`).
    pub require_origin: bool,
}

impl Default for WsOptions {
    /// OpenSIPS' defaults: 100 ms handshake and send timeouts, 4 chunks, Origin required.
    fn default() -> Self {
        WsOptions {
            handshake_timeout: Duration::from_millis(100),
            send_timeout: Duration::from_millis(100),
            max_msg_chunks: 4,
            require_origin: true,
        }
    }
}

/// The WebSocket side of one connection: whether the upgrade is done, and until when it may take.
pub(crate) struct WsState {
    open: AtomicBool,
    deadline: Instant,
}

impl WsState {
    /// A connection whose upgrade must be done within `timeout` from now.
    pub(crate) fn new(timeout: Duration) -> Self {
        WsState {
            open: AtomicBool::new(false),
            deadline: Instant::now() + timeout,
        }
    }

    /// Whether the upgrade was answered `101`: SIP messages may be sent.
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Marks the upgrade done.
    pub(crate) fn set_open(&self) {
        self.open.store(true, Ordering::Release);
    }

    /// Whether the upgrade is still not done past its deadline.
    pub(crate) fn overdue(&self) -> bool {
        !self.is_open() && Instant::now() >= self.deadline
    }
}
