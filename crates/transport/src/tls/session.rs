//! The TLS state of one connection, driven over the connection's plain socket.
//!
//! The reader thread reads raw bytes from the socket without holding any lock, then feeds
//! them to rustls under the session lock; senders encrypt under the session lock. Sealed
//! records go on the wire under a separate output lock, with the session lock released, so
//! a sender blocked on a slow peer never stops the reader from decrypting, and one thread may
//! block in `recv` while another writes, as with plain TCP.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use parking_lot::Mutex;
use socket2::Socket;

use crate::recv_buf::recv_into;

/// Raw bytes read from the socket per call.
const RAW_CHUNK: usize = 16 * 1024;

/// A rustls connection (server or client side) shared by the reader and the senders.
///
/// Lock order: `raw`, then `out`, then `conn`, never the other way.
pub(crate) struct TlsSession {
    conn: Mutex<rustls::Connection>,
    /// Raw bytes from the socket before rustls decrypts them; reused from one read to the
    /// next (only the connection's reader receives, so the lock is never contended).
    raw: Mutex<BytesMut>,
    /// Serializes writing to the socket (records must go out in the order they were sealed)
    /// and holds the sealed bytes meanwhile; reused from one write to the next.
    out: Mutex<Vec<u8>>,
    /// The handshake must be done by then (accepted connections).
    handshake_deadline: Instant,
}

impl TlsSession {
    pub(crate) fn new(conn: rustls::Connection, handshake_timeout: Duration) -> Self {
        TlsSession {
            conn: Mutex::new(conn),
            raw: Mutex::new(BytesMut::new()),
            out: Mutex::new(Vec::new()),
            handshake_deadline: Instant::now() + handshake_timeout,
        }
    }

    /// Whether the handshake is still going on past its deadline.
    pub(crate) fn handshake_overdue(&self) -> bool {
        Instant::now() >= self.handshake_deadline && self.conn.lock().is_handshaking()
    }

    /// Runs the handshake to its end on a blocking socket, each read or write bounded by `step`.
    ///
    /// Only for a session nobody else holds yet (an outbound connection before it is
    /// registered), so the socket I/O under the session lock blocks no one.
    pub(crate) fn handshake(&self, sock: &Socket, step: Duration) -> io::Result<()> {
        sock.set_read_timeout(Some(step))?;
        sock.set_write_timeout(Some(step))?;
        let mut conn = self.conn.lock();
        let mut io = sock;
        while conn.is_handshaking() {
            conn.complete_io(&mut io)
                .map_err(|e| annotate(e, "tls handshake"))?;
        }
        while conn.wants_write() {
            conn.write_tls(&mut io)?;
        }
        Ok(())
    }

    /// Encrypts `data` and writes it all; before the handshake is over rustls keeps it and
    /// the reader sends it once the handshake completes.
    pub(crate) fn write(&self, sock: &Socket, data: &[u8]) -> io::Result<()> {
        let mut out = self.out.lock();
        {
            let mut conn = self.conn.lock();
            conn.writer().write_all(data)?;
            seal(&mut conn, &mut out)?;
        }
        send(sock, &mut out)
    }

    /// Writes whatever rustls has queued for the peer (handshake records, alerts, data
    /// held back until the handshake ended).
    fn send_queued(&self, sock: &Socket) -> io::Result<()> {
        let mut out = self.out.lock();
        seal(&mut self.conn.lock(), &mut out)?;
        send(sock, &mut out)
    }

    /// Reads until some plaintext arrives and appends it to `buf`; handshake records are
    /// answered on the way. `Ok(0)` is the end of the stream (EOF or close_notify).
    ///
    /// Read timeouts of the socket come out as errors, as for plain TCP. A handshake that
    /// runs past its deadline while the peer trickles bytes is an error too.
    pub(crate) fn recv(&self, sock: &Socket, buf: &mut BytesMut) -> io::Result<usize> {
        let mut raw = self.raw.lock();
        loop {
            raw.clear();
            let (n, ()) = recv_into(&mut raw, RAW_CHUNK, |spare| {
                sock.recv(spare).map(|n| (n, ()))
            })?;
            if n == 0 {
                return Ok(0);
            }
            let (fed, answer, handshaking) = {
                let mut conn = self.conn.lock();
                let fed = feed(&mut conn, &raw[..n], buf);
                (fed, conn.wants_write(), conn.is_handshaking())
            };
            // On a protocol error this tells the peer why (the alert rustls queued), best effort.
            let answered = if answer {
                self.send_queued(sock)
            } else {
                Ok(())
            };
            let (got, closed) = fed?;
            answered?;
            if got > 0 {
                return Ok(got);
            }
            if closed {
                return Ok(0);
            }
            if handshaking && Instant::now() >= self.handshake_deadline {
                return Err(io::Error::other("tls handshake timeout"));
            }
        }
    }
}

/// Hands `raw` to rustls and moves the plaintext it yields into `buf`. Returns the
/// plaintext byte count and whether the peer closed the TLS session.
fn feed(
    conn: &mut rustls::Connection,
    mut raw: &[u8],
    buf: &mut BytesMut,
) -> io::Result<(usize, bool)> {
    let mut got = 0;
    let mut closed = false;
    while !raw.is_empty() {
        conn.read_tls(&mut raw)?;
        let state = conn
            .process_new_packets()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let avail = state.plaintext_bytes_to_read();
        closed |= state.peer_has_closed();
        if avail > 0 {
            let start = buf.len();
            buf.resize(start + avail, 0);
            conn.reader().read_exact(&mut buf[start..])?;
            got += avail;
        }
    }
    Ok((got, closed))
}

/// Moves every record rustls has queued for the peer into `out`.
fn seal(conn: &mut rustls::Connection, out: &mut Vec<u8>) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(out)?;
    }
    Ok(())
}

/// Writes `out` to the socket and empties it (whatever happened: a failed write closes
/// the connection).
fn send(sock: &Socket, out: &mut Vec<u8>) -> io::Result<()> {
    let mut io = sock;
    let written = io.write_all(out);
    out.clear();
    written
}

fn annotate(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
