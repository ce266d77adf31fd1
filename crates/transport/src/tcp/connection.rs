//! One open TCP connection: its identity, its serialized write half and its idle clock.

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use socket2::Socket;

use bytes::BytesMut;

use crate::message::ConnId;
use crate::recv_buf::recv_into;
use crate::socket_info::{Proto, SocketId};
use crate::tls::session::TlsSession;
use crate::ws::{frames, WsState};

/// Bytes asked from the kernel per read.
pub(crate) const READ_CHUNK: usize = 16 * 1024;

/// An open TCP connection, shared by its reader thread, the table and any sending worker.
///
/// Reading and writing use the same socket concurrently; writes are serialized by a mutex
/// so two workers never interleave the bytes of two messages.
pub(crate) struct Connection {
    id: ConnId,
    peer: SocketAddr,
    socket: SocketId,
    stream: Socket,
    /// TLS state when this is a TLS connection; the bytes on `stream` are then TLS records.
    tls: Option<TlsSession>,
    /// WebSocket state when this is a WS or WSS connection: SIP messages then travel in frames.
    websocket: Option<WsState>,
    /// Serializes plain TCP writes (a TLS session has its own output lock).
    write_lock: Mutex<()>,
    opened: Instant,
    /// Milliseconds after `opened` of the last byte read or written.
    last_activity: AtomicU64,
    closed: AtomicBool,
}

impl Connection {
    /// Wraps a connected stream (with its TLS session for TLS and WSS); `send_timeout` bounds
    /// every write so a stuck peer cannot block a worker. `websocket` (the upgrade's time
    /// limit) makes it a WS or WSS connection.
    pub(crate) fn new(
        id: ConnId,
        peer: SocketAddr,
        socket: SocketId,
        stream: Socket,
        tls: Option<TlsSession>,
        websocket: Option<Duration>,
        send_timeout: Duration,
    ) -> io::Result<Self> {
        stream.set_write_timeout(Some(send_timeout))?;
        stream.set_tcp_nodelay(true)?;
        Ok(Connection {
            id,
            peer,
            socket,
            stream,
            tls,
            websocket: websocket.map(WsState::new),
            write_lock: Mutex::new(()),
            opened: Instant::now(),
            last_activity: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        })
    }

    /// Identifier used by the engine to come back to this connection.
    pub(crate) fn id(&self) -> ConnId {
        self.id
    }

    /// Address of the remote end.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Listening socket this connection belongs to.
    pub(crate) fn socket(&self) -> SocketId {
        self.socket
    }

    /// The socket, for the reader thread.
    pub(crate) fn stream(&self) -> &Socket {
        &self.stream
    }

    /// TCP, TLS, WS or WSS.
    pub(crate) fn proto(&self) -> Proto {
        match (self.tls.is_some(), self.websocket.is_some()) {
            (false, false) => Proto::Tcp,
            (true, false) => Proto::Tls,
            (false, true) => Proto::Ws,
            (true, true) => Proto::Wss,
        }
    }

    /// The WebSocket state of a WS or WSS connection.
    pub(crate) fn websocket(&self) -> Option<&WsState> {
        self.websocket.as_ref()
    }

    /// Appends the next bytes of the SIP stream to `buf` (decrypted for TLS); `Ok(0)` at its end.
    pub(crate) fn recv(&self, buf: &mut BytesMut) -> io::Result<usize> {
        match &self.tls {
            Some(tls) => tls.recv(&self.stream, buf),
            None => recv_into(buf, READ_CHUNK, |spare| {
                self.stream.recv(spare).map(|n| (n, ()))
            })
            .map(|(n, ())| n),
        }
    }

    /// Whether a TLS handshake or a WebSocket upgrade is still unfinished past its time limit.
    pub(crate) fn handshake_overdue(&self) -> bool {
        self.tls.as_ref().is_some_and(TlsSession::handshake_overdue)
            || self.websocket.as_ref().is_some_and(WsState::overdue)
    }

    /// Writes one SIP message: as it is over TCP and TLS, as one frame over WS and WSS (once
    /// the upgrade is done). Any failure closes the connection, as [`Connection::write_raw`].
    pub(crate) fn write(&self, data: &[u8]) -> io::Result<()> {
        match &self.websocket {
            None => self.write_raw(data),
            Some(ws) if ws.is_open() => self.write_raw(&frames::message(data)),
            Some(_) => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!(
                    "{} connection to {} is not upgraded yet",
                    self.proto(),
                    self.peer
                ),
            )),
        }
    }

    /// Writes all of `data` as one unit; any failure (including the send timeout) closes the
    /// connection, since a partial write leaves the stream unusable.
    pub(crate) fn write_raw(&self, data: &[u8]) -> io::Result<()> {
        if self.is_closed() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!("{} connection to {} is closed", self.proto(), self.peer),
            ));
        }
        let result = match &self.tls {
            // The session serializes its own writes (see TlsSession).
            Some(tls) => tls.write(&self.stream, data),
            None => {
                let _guard = self.write_lock.lock();
                (&self.stream).write_all(data)
            }
        };
        match result {
            Ok(()) => {
                self.touch();
                Ok(())
            }
            Err(e) => {
                tracing::debug!(peer = %self.peer, error = %e, "tcp write failed; closing");
                self.close();
                Err(io::Error::new(
                    e.kind(),
                    format!("{} send to {}: {e}", self.proto(), self.peer),
                ))
            }
        }
    }

    /// Records traffic now, postponing the idle close.
    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_activity.fetch_max(ms, Ordering::Relaxed);
    }

    /// Time since the last byte read or written.
    pub(crate) fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_activity.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }

    /// Shuts the socket down both ways, which wakes the reader thread; idempotent.
    pub(crate) fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            // An error here only means the peer already went away.
            let _ = self.stream.shutdown(Shutdown::Both);
        }
    }

    /// Whether [`Connection::close`] was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}
