//! The WebSocket part of a WS or WSS connection's reader: the upgrade, then frames.

use std::io;

use bytes::{Buf, BytesMut};

use crate::tcp::connection::Connection;
use crate::tcp::reader::deliver;
use crate::tcp::TcpContext;
use crate::ws::frames::{self, Decoder, Event};
use crate::ws::handshake::{self, Upgrade};
use crate::ws::WsOptions;

/// Close code 1000: a normal closure, sent when the client's close had no code we may echo.
const NORMAL: u16 = 1000;

/// Where one connection's WebSocket stands, as its reader sees it.
pub(crate) struct WsReader {
    require_origin: bool,
    max_size: usize,
    max_fragments: usize,
    /// Present once the upgrade is answered.
    decoder: Option<Decoder>,
}

impl WsReader {
    /// A connection waiting for its upgrade request, with the limits of its transport.
    pub(crate) fn new(opts: &WsOptions, max_message_size: usize) -> Self {
        WsReader {
            require_origin: opts.require_origin,
            max_size: max_message_size,
            max_fragments: opts.max_msg_chunks,
            decoder: None,
        }
    }

    /// Answers the upgrade, delivers the SIP messages, answers pings and closes that `buf`
    /// holds. `Ok(false)` ends the connection in order (the client closed, or shutdown); an
    /// error (refused upgrade, broken frame, message too big) ends it after telling the client
    /// why (`400` to the upgrade, a close frame with its code after it).
    pub(crate) fn drain(
        &mut self,
        ctx: &TcpContext,
        conn: &Connection,
        buf: &mut BytesMut,
    ) -> io::Result<bool> {
        let decoder = match &mut self.decoder {
            Some(d) => d,
            None => match handshake::parse(buf, self.require_origin) {
                Upgrade::Incomplete => return Ok(true),
                Upgrade::Refuse(reason) => {
                    // Best effort: the connection closes whatever happens.
                    let _ = conn.write_raw(handshake::REFUSAL);
                    return Err(invalid(format!("websocket upgrade refused: {reason}")));
                }
                Upgrade::Accept { response, consumed } => {
                    conn.write_raw(&response)?;
                    if let Some(ws) = conn.websocket() {
                        ws.set_open();
                    }
                    buf.advance(consumed);
                    self.decoder
                        .insert(Decoder::new(self.max_size, self.max_fragments))
                }
            },
        };
        loop {
            match decoder.next(buf) {
                Ok(None) => return Ok(true),
                Ok(Some(Event::Message(data))) => {
                    if !data.is_empty() && !deliver(ctx, conn, data) {
                        return Ok(false);
                    }
                }
                Ok(Some(Event::Ping(payload))) => conn.write_raw(&frames::pong(&payload))?,
                Ok(Some(Event::Close(code))) => {
                    let echo = code.filter(|&c| sendable(c)).unwrap_or(NORMAL);
                    let _ = conn.write_raw(&frames::close(echo));
                    return Ok(false);
                }
                Err(fault) => {
                    let _ = conn.write_raw(&frames::close(fault.code));
                    return Err(invalid(fault.reason));
                }
            }
        }
    }
}

/// Whether a close code may appear in a close frame (RFC 6455 §7.4): 1005, 1006 and 1015
/// only describe a closure, and codes below 1000 or in 1016-2999 are not assigned.
fn sendable(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

fn invalid(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

#[cfg(test)]
mod tests {
    use super::sendable;

    #[test]
    fn only_sendable_close_codes_are_echoed() {
        for ok in [1000, 1001, 1009, 1011, 3000, 4999] {
            assert!(sendable(ok), "{ok}");
        }
        for not in [0, 999, 1004, 1005, 1006, 1015, 2000, 5000] {
            assert!(!sendable(not), "{not}");
        }
    }
}
