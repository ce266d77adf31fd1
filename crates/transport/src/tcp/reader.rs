//! The reader thread of one TCP connection: read, frame, queue, answer pings, close when idle.
//! WS and WSS connections are read the same way, their bytes taken apart by [`WsReader`].

use std::io;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use crossbeam_channel::select;

use crate::message::{ConnId, Received};
use crate::recv_buf::is_timeout;
use crate::socket_info::Proto;
use crate::tcp::connection::{Connection, READ_CHUNK};
use crate::tcp::framer::{next_frame, Frame};
use crate::tcp::TcpContext;
use crate::ws::reader::WsReader;

/// RFC 5626 §3.5.1 pong, sent in answer to a CRLFCRLF ping.
const PONG: &[u8] = b"\r\n";

/// Reads `conn` until EOF, an error, a framing error, the idle limit, a message slower than
/// `tcp_max_msg_time` or shutdown; then closes it and removes it from the table.
pub(crate) fn run(ctx: &TcpContext, conn: &Connection) {
    if let Err(e) = read_loop(ctx, conn) {
        tracing::debug!(peer = %conn.peer(), error = %e, "tcp connection closed");
    }
    conn.close();
    ctx.table.remove(conn.id());
}

/// The read loop; `Ok` for an orderly end (EOF, idle, shutdown), `Err` says why it failed.
fn read_loop(ctx: &TcpContext, conn: &Connection) -> io::Result<()> {
    let lifetime = ctx.limits.lifetime;
    let tick = idle_tick(lifetime).min(idle_tick(ctx.limits.max_msg_time));
    conn.stream().set_read_timeout(Some(tick))?;
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut websocket = conn.websocket().map(|_| {
        let opts = match conn.proto() {
            Proto::Wss => ctx.limits.wss,
            _ => ctx.limits.ws,
        };
        WsReader::new(&opts, ctx.limits.max_message_size)
    });
    // When the first byte of the message now being received arrived.
    let mut partial_since: Option<Instant> = None;
    loop {
        if partial_since.is_some_and(|t| t.elapsed() > ctx.limits.max_msg_time) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "message not complete within tcp_max_msg_time",
            ));
        }
        match conn.recv(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => conn.touch(),
            Err(e) if is_timeout(&e) => {
                if ctx.stop.is_set() || conn.is_closed() {
                    return Ok(());
                }
                if conn.handshake_overdue() {
                    return Err(io::Error::other(
                        "tls handshake or websocket upgrade timeout",
                    ));
                }
                if conn.idle_for() >= lifetime {
                    tracing::debug!(peer = %conn.peer(), "tcp connection idle; closing");
                    return Ok(());
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        let before = buf.len();
        let going_on = match &mut websocket {
            Some(ws) => ws.drain(ctx, conn, &mut buf)?,
            None => drain_frames(ctx, conn, &mut buf)?,
        };
        if !going_on {
            return Ok(());
        }
        partial_since = match (buf.is_empty(), partial_since) {
            (true, _) => None,
            // Something was consumed: what is left started arriving with this read.
            (false, Some(_)) if buf.len() < before => Some(Instant::now()),
            (false, Some(t)) => Some(t),
            (false, None) => Some(Instant::now()),
        };
    }
}

/// Delivers every complete frame in `buf`; false when shutdown interrupted delivery.
fn drain_frames(ctx: &TcpContext, conn: &Connection, buf: &mut BytesMut) -> io::Result<bool> {
    loop {
        match next_frame(buf, ctx.limits.max_message_size)? {
            Frame::Incomplete => return Ok(true),
            Frame::Ping => conn.write(PONG)?,
            Frame::Message(data) => {
                if !deliver(ctx, conn, data) {
                    return Ok(false);
                }
            }
        }
    }
}

/// Hands one SIP message that arrived on `conn` to its worker; false if shutdown came first.
pub(crate) fn deliver(ctx: &TcpContext, conn: &Connection, data: Bytes) -> bool {
    let msg = Received {
        data,
        src: conn.peer(),
        socket: conn.socket(),
        proto: conn.proto(),
        conn: Some(conn.id()),
    };
    enqueue(ctx, conn.id(), msg)
}

/// Puts a message in its connection's worker queue, waiting while it is full; false if
/// shutdown came first.
fn enqueue(ctx: &TcpContext, conn: ConnId, msg: Received) -> bool {
    let queue = &ctx.queues[(conn.0 % ctx.queues.len() as u64) as usize];
    select! {
        send(queue, msg) -> sent => sent.is_ok(),
        recv(ctx.stop.wait_channel()) -> _ => false,
    }
}

/// Read timeout of a reader: often enough to notice the idle limit with fair precision.
fn idle_tick(lifetime: Duration) -> Duration {
    (lifetime / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}
