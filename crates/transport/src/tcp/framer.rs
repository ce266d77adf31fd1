//! Thin adapter from the stream framing of `siplua-sip` to what a reader needs.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use siplua_sip::framing::{self, FrameLimits};

/// What the front of a connection's buffer holds, once keep-alives are skipped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// One complete SIP message, split off the buffer without copying.
    Message(Bytes),
    /// An RFC 5626 CRLFCRLF ping, consumed; answer with a CRLF pong.
    Ping,
    /// Not enough bytes yet.
    Incomplete,
}

/// Takes the next frame off `buf`, skipping plain CRLF keep-alives.
///
/// An error means the stream cannot be framed (malformed head, no or bad Content-Length,
/// message over `max_message_size`); the bytes the framing says to discard are dropped and
/// the caller closes the connection.
pub(crate) fn next_frame(buf: &mut BytesMut, max_message_size: usize) -> io::Result<Frame> {
    let limits = FrameLimits {
        max_head: max_message_size,
        max_body: max_message_size,
    };
    while !buf.is_empty() {
        match framing::next_frame(buf, &limits) {
            Ok(framing::Frame::KeepAlive { skip, pong }) => {
                buf.advance(skip.clamp(1, buf.len()));
                if pong {
                    return Ok(Frame::Ping);
                }
            }
            Ok(framing::Frame::Message { len }) if len <= max_message_size && len <= buf.len() => {
                // Copied out rather than split off: the read buffer's allocation must not stay
                // tied up while a transaction keeps the message.
                let message = Bytes::copy_from_slice(&buf[..len]);
                buf.advance(len);
                return Ok(Frame::Message(message));
            }
            Ok(framing::Frame::Message { len }) => return Err(too_large(len, max_message_size)),
            // The buffer starts with a message here, so once it holds more than the limit
            // that message is too large: stop buffering now.
            Ok(framing::Frame::NeedMore) if buf.len() > max_message_size => {
                return Err(too_large(buf.len(), max_message_size));
            }
            Ok(framing::Frame::NeedMore) => return Ok(Frame::Incomplete),
            Err(e) => {
                buf.advance(e.discard.min(buf.len()));
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
    Ok(Frame::Incomplete)
}

fn too_large(len: usize, max: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("message of at least {len} bytes exceeds max_message_size {max}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nbody";

    fn frames(wire: &[u8], max: usize) -> (Vec<Result<Frame, io::ErrorKind>>, BytesMut) {
        let mut buf = BytesMut::from(wire);
        let mut out = Vec::new();
        loop {
            match next_frame(&mut buf, max) {
                Ok(Frame::Incomplete) => return (out, buf),
                Ok(f) => out.push(Ok(f)),
                Err(e) => {
                    out.push(Err(e.kind()));
                    return (out, buf);
                }
            }
        }
    }

    #[test]
    fn messages_pings_and_keepalives() {
        let wire = [b"\r\n".as_slice(), MSG, b"\r\n\r\n", MSG, b"OPT"].concat();
        let (out, rest) = frames(&wire, 1000);
        let msg = Bytes::from_static(MSG);
        assert_eq!(
            out,
            [
                Ok(Frame::Message(msg.clone())),
                Ok(Frame::Ping),
                Ok(Frame::Message(msg))
            ]
        );
        assert_eq!(&rest[..], b"OPT");
    }

    #[test]
    fn over_the_limit_is_an_error() {
        let (out, _) = frames(MSG, MSG.len() - 1);
        assert_eq!(out, [Err(io::ErrorKind::InvalidData)]);
        let (out, _) = frames(MSG, MSG.len());
        assert_eq!(out.len(), 1);
        // A head that never ends stops being buffered at the limit.
        let (out, _) = frames(&[b'a'; 64], 32);
        assert_eq!(out, [Err(io::ErrorKind::InvalidData)]);
    }

    #[test]
    fn malformed_is_an_error() {
        let (out, _) = frames(
            b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n",
            1000,
        );
        assert_eq!(out, [Err(io::ErrorKind::InvalidData)]);
    }
}
