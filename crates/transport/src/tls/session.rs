//! The TLS state of one connection, driven over the connection's plain socket.
//!
//! The reader thread reads raw bytes from the socket without holding the lock, then feeds
//! them to rustls under the lock; senders lock, encrypt and write. So one thread may block
//! in `recv` while another writes, as with plain TCP.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use parking_lot::Mutex;
use socket2::Socket;

/// Raw bytes read from the socket per call.
const RAW_CHUNK: usize = 16 * 1024;

/// A rustls connection (server or client side) shared by the reader and the senders.
pub(crate) struct TlsSession {
    conn: Mutex<rustls::Connection>,
    /// The handshake must be done by then (accepted connections).
    handshake_deadline: Instant,
}

impl TlsSession {
    pub(crate) fn new(conn: rustls::Connection, handshake_timeout: Duration) -> Self {
        TlsSession {
            conn: Mutex::new(conn),
            handshake_deadline: Instant::now() + handshake_timeout,
        }
    }

    /// Whether the handshake is still going on past its deadline.
    pub(crate) fn handshake_overdue(&self) -> bool {
        Instant::now() >= self.handshake_deadline && self.conn.lock().is_handshaking()
    }

    /// Runs the handshake to its end on a blocking socket, each read or write bounded by `step`.
    pub(crate) fn handshake(&self, sock: &Socket, step: Duration) -> io::Result<()> {
        sock.set_read_timeout(Some(step))?;
        sock.set_write_timeout(Some(step))?;
        let mut conn = self.conn.lock();
        let mut io = sock;
        while conn.is_handshaking() {
            conn.complete_io(&mut io)
                .map_err(|e| annotate(e, "tls handshake"))?;
        }
        flush(&mut conn, sock)
    }

    /// Encrypts `data` and writes it all; before the handshake is over rustls keeps it and
    /// the reader sends it once the handshake completes.
    pub(crate) fn write(&self, sock: &Socket, data: &[u8]) -> io::Result<()> {
        let mut conn = self.conn.lock();
        conn.writer().write_all(data)?;
        flush(&mut conn, sock)
    }

    /// Reads until some plaintext arrives and appends it to `buf`; handshake records are
    /// answered on the way. `Ok(0)` is the end of the stream (EOF or close_notify).
    ///
    /// Read timeouts of the socket come out as errors, as for plain TCP. A handshake that
    /// runs past its deadline while the peer trickles bytes is an error too.
    pub(crate) fn recv(&self, sock: &Socket, buf: &mut BytesMut) -> io::Result<usize> {
        let mut raw = [0u8; RAW_CHUNK];
        loop {
            let mut io = sock;
            let n = io.read(&mut raw)?;
            if n == 0 {
                return Ok(0);
            }
            let mut conn = self.conn.lock();
            let (got, closed) = feed(&mut conn, sock, &raw[..n], buf)?;
            if got > 0 {
                return Ok(got);
            }
            if closed {
                return Ok(0);
            }
            if conn.is_handshaking() && Instant::now() >= self.handshake_deadline {
                return Err(io::Error::other("tls handshake timeout"));
            }
        }
    }
}

/// Hands `raw` to rustls, answers what it wants to send and moves plaintext into `buf`.
/// Returns the plaintext byte count and whether the peer closed the TLS session.
fn feed(
    conn: &mut rustls::Connection,
    sock: &Socket,
    mut raw: &[u8],
    buf: &mut BytesMut,
) -> io::Result<(usize, bool)> {
    let mut got = 0;
    let mut closed = false;
    while !raw.is_empty() {
        conn.read_tls(&mut raw)?;
        let state = match conn.process_new_packets() {
            Ok(state) => state,
            Err(e) => {
                // Best effort: tell the peer why (the alert rustls queued), then give up.
                let _ = flush(conn, sock);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        };
        let avail = state.plaintext_bytes_to_read();
        closed |= state.peer_has_closed();
        if avail > 0 {
            let start = buf.len();
            buf.resize(start + avail, 0);
            conn.reader().read_exact(&mut buf[start..])?;
            got += avail;
        }
    }
    flush(conn, sock)?;
    Ok((got, closed))
}

/// Writes everything rustls has queued for the peer.
fn flush(conn: &mut rustls::Connection, sock: &Socket) -> io::Result<()> {
    let mut io = sock;
    while conn.wants_write() {
        conn.write_tls(&mut io)?;
    }
    Ok(())
}

fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
