//! WebSocket frames (RFC 6455 §5) after the handshake: the client's frames decoded into SIP
//! messages and control events, and our frames encoded. Frame headers are read and written
//! by `tungstenite`; this module adds the rules of a SIP server: one SIP message per
//! WebSocket message (RFC 7118 §5), fragments reassembled up to a count and a size, client
//! frames masked.

use std::io::Cursor;

use bytes::{Buf, Bytes, BytesMut};
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tungstenite::protocol::frame::FrameHeader;

/// Close code 1002: the peer broke the protocol.
pub(crate) const PROTOCOL_ERROR: u16 = 1002;
/// Close code 1008: the peer broke a policy (too many fragments).
pub(crate) const POLICY_VIOLATION: u16 = 1008;
/// Close code 1009: a message too big to take.
pub(crate) const TOO_BIG: u16 = 1009;

/// What the front of a connection's buffer held.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// One whole SIP message (text or binary, reassembled if it came in fragments).
    Message(Bytes),
    /// A ping, to be answered with a pong carrying `payload`.
    Ping(Vec<u8>),
    /// The client closes, with its status code if it gave one; answer with a close frame.
    Close(Option<u16>),
}

/// Why the connection must close, with the close code to send first.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    /// RFC 6455 §7.4.1 status code.
    pub(crate) code: u16,
    /// For the log.
    pub(crate) reason: String,
}

fn fault(code: u16, reason: impl Into<String>) -> Fault {
    Fault {
        code,
        reason: reason.into(),
    }
}

/// Decodes the frames a client sends, holding the fragments of a message in progress.
pub(crate) struct Decoder {
    max_size: usize,
    max_fragments: usize,
    /// A fragmented message so far, and how many frames it came in.
    partial: Option<(Vec<u8>, usize)>,
}

impl Decoder {
    /// A decoder refusing messages over `max_size` bytes or in more than `max_fragments` frames.
    pub(crate) fn new(max_size: usize, max_fragments: usize) -> Self {
        Decoder {
            max_size,
            max_fragments: max_fragments.max(1),
            partial: None,
        }
    }

    /// Takes complete frames off `buf` until one makes an event; `None` when more bytes are
    /// needed. Pongs and the fragments of an unfinished message are absorbed on the way.
    pub(crate) fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Event>, Fault> {
        loop {
            let mut cursor = Cursor::new(&buf[..]);
            let Some((header, len)) = FrameHeader::parse(&mut cursor)
                .map_err(|e| fault(PROTOCOL_ERROR, format!("bad frame header: {e}")))?
            else {
                return Ok(None);
            };
            let head = cursor.position() as usize;
            self.check(&header, len)?;
            let len = len as usize;
            if buf.len() < head + len {
                return Ok(None);
            }
            let mut payload = buf[head..head + len].to_vec();
            buf.advance(head + len);
            if let Some(mask) = header.mask {
                unmask(&mut payload, mask);
            }
            if let Some(event) = self.take(header, payload)? {
                return Ok(Some(event));
            }
        }
    }

    /// Refuses a frame from its header alone, before its payload is buffered.
    fn check(&self, header: &FrameHeader, len: u64) -> Result<(), Fault> {
        if header.rsv1 || header.rsv2 || header.rsv3 {
            return Err(fault(
                PROTOCOL_ERROR,
                "reserved bits set (no extension agreed)",
            ));
        }
        if header.mask.is_none() {
            return Err(fault(PROTOCOL_ERROR, "client frame not masked"));
        }
        match header.opcode {
            OpCode::Control(_) if len > 125 || !header.is_final => Err(fault(
                PROTOCOL_ERROR,
                "control frame fragmented or over 125 bytes",
            )),
            OpCode::Control(_) => Ok(()),
            OpCode::Data(_) => {
                let so_far = self.partial.as_ref().map_or(0, |(p, _)| p.len()) as u64;
                if so_far + len > self.max_size as u64 {
                    Err(fault(
                        TOO_BIG,
                        format!(
                            "message of at least {} bytes exceeds max_message_size {}",
                            so_far + len,
                            self.max_size
                        ),
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The event one whole frame makes, if any.
    fn take(&mut self, header: FrameHeader, payload: Vec<u8>) -> Result<Option<Event>, Fault> {
        match header.opcode {
            OpCode::Data(Data::Text | Data::Binary) => {
                if self.partial.is_some() {
                    return Err(fault(PROTOCOL_ERROR, "new message inside a fragmented one"));
                }
                if header.is_final {
                    return Ok(Some(Event::Message(Bytes::from(payload))));
                }
                self.partial = Some((payload, 1));
                Ok(None)
            }
            OpCode::Data(Data::Continue) => {
                let Some((mut data, count)) = self.partial.take() else {
                    return Err(fault(PROTOCOL_ERROR, "continuation without a message"));
                };
                if count + 1 > self.max_fragments {
                    return Err(fault(
                        POLICY_VIOLATION,
                        format!("message in more than {} fragments", self.max_fragments),
                    ));
                }
                data.extend_from_slice(&payload);
                if header.is_final {
                    return Ok(Some(Event::Message(Bytes::from(data))));
                }
                self.partial = Some((data, count + 1));
                Ok(None)
            }
            OpCode::Control(Control::Ping) => Ok(Some(Event::Ping(payload))),
            OpCode::Control(Control::Pong) => Ok(None),
            OpCode::Control(Control::Close) => {
                let code =
                    (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                Ok(Some(Event::Close(code)))
            }
            OpCode::Data(Data::Reserved(op)) | OpCode::Control(Control::Reserved(op)) => {
                Err(fault(PROTOCOL_ERROR, format!("unknown opcode {op}")))
            }
        }
    }
}

/// XORs a client payload with its masking key (RFC 6455 §5.3).
fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// A whole, unmasked server frame: a SIP message (text when it is UTF-8, else binary).
pub(crate) fn message(data: &[u8]) -> Vec<u8> {
    let kind = if std::str::from_utf8(data).is_ok() {
        Data::Text
    } else {
        Data::Binary
    };
    encode(OpCode::Data(kind), data)
}

/// A pong answering a ping's `payload`.
pub(crate) fn pong(payload: &[u8]) -> Vec<u8> {
    encode(OpCode::Control(Control::Pong), payload)
}

/// A close frame with status `code`.
pub(crate) fn close(code: u16) -> Vec<u8> {
    encode(OpCode::Control(Control::Close), &code.to_be_bytes())
}

fn encode(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let header = FrameHeader {
        opcode,
        ..FrameHeader::default()
    };
    let len = payload.len() as u64;
    let mut out = Vec::with_capacity(header.len(len) + payload.len());
    header
        .format(len, &mut out)
        .expect("writing to a Vec cannot fail");
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame.
    fn client(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = vec![first];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        let mut data = payload.to_vec();
        unmask(&mut data, mask);
        out.extend_from_slice(&data);
        out
    }

    fn events(wire: &[u8], max: usize) -> (Vec<Result<Event, u16>>, BytesMut) {
        let mut d = Decoder::new(max, 4);
        let mut buf = BytesMut::from(wire);
        let mut out = Vec::new();
        loop {
            match d.next(&mut buf) {
                Ok(Some(e)) => out.push(Ok(e)),
                Ok(None) => return (out, buf),
                Err(f) => {
                    out.push(Err(f.code));
                    return (out, buf);
                }
            }
        }
    }

    #[test]
    fn messages_fragments_and_control_frames() {
        let wire = [
            client(0x81, b"OPTIONS"),
            client(0x89, b"hi"),
            client(0x02, b"AB"),
            client(0x8A, b""),
            client(0x00, b"CD"),
            client(0x80, b"EF"),
            client(0x88, &1000u16.to_be_bytes()),
            client(0x81, b"rest")[..3].to_vec(),
        ]
        .concat();
        let (out, rest) = events(&wire, 100);
        assert_eq!(
            out,
            [
                Ok(Event::Message(Bytes::from_static(b"OPTIONS"))),
                Ok(Event::Ping(b"hi".to_vec())),
                Ok(Event::Message(Bytes::from_static(b"ABCDEF"))),
                Ok(Event::Close(Some(1000))),
            ]
        );
        assert_eq!(rest.len(), 3);
    }

    #[test]
    fn faults() {
        let unmasked = [0x81, 0x02, b'h', b'i'];
        assert_eq!(events(&unmasked, 100).0, [Err(PROTOCOL_ERROR)]);
        let big = client(0x81, &[b'a'; 200]);
        assert_eq!(events(&big[..10], 100).0, [Err(TOO_BIG)]);
        let stray = client(0x80, b"x");
        assert_eq!(events(&stray, 100).0, [Err(PROTOCOL_ERROR)]);
        let many = [client(0x01, b"a"), client(0x00, b"b"), client(0x00, b"c")]
            .concat()
            .into_iter()
            .chain([client(0x00, b"d"), client(0x80, b"e")].concat())
            .collect::<Vec<_>>();
        assert_eq!(events(&many, 100).0, [Err(POLICY_VIOLATION)]);
        assert_eq!(events(&client(0x83, b"x"), 100).0, [Err(PROTOCOL_ERROR)]);
    }

    #[test]
    fn server_frames() {
        assert_eq!(message(b"SIP"), [0x81, 3, b'S', b'I', b'P']);
        assert_eq!(message(&[0xff])[0], 0x82);
        assert_eq!(pong(b"x"), [0x8A, 1, b'x']);
        assert_eq!(close(1009), [0x88, 2, 0x03, 0xF1]);
        let long = message(&[b'a'; 300]);
        assert_eq!(&long[..4], &[0x81, 126, 1, 44]);
    }
}
