//! Cutting a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3).
//!
//! On a stream, Content-Length is mandatory and is the only way to find where
//! a message ends. [`next_frame`] looks at the bytes received so far and says
//! what the first complete unit is: CRLF keep-alives to skip (answering a
//! RFC 5626 `CRLFCRLF` ping with a `CRLF` pong), a whole message to hand to
//! [`Message::parse`](crate::Message::parse), or that more bytes are needed.
//! Header and body sizes are bounded so a peer cannot make us buffer forever.

use std::fmt;

use crate::error::ParseError;
use crate::scan;

/// Size limits for framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameLimits {
    /// Most bytes of start line + headers (default 64 KiB).
    pub max_head: usize,
    /// Largest Content-Length accepted (default 1 MiB).
    pub max_body: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        FrameLimits {
            max_head: 64 * 1024,
            max_body: 1024 * 1024,
        }
    }
}

/// The first unit in the receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// `skip` bytes of CRLF keep-alive to drop; when `pong` is true they were
    /// a RFC 5626 `CRLFCRLF` ping and the caller must send `CRLF` back.
    KeepAlive {
        /// Bytes to drop.
        skip: usize,
        /// Answer with CRLF.
        pong: bool,
    },
    /// A complete message occupies the first `len` bytes.
    Message {
        /// Length of the message, headers and body.
        len: usize,
    },
    /// No complete unit yet: read more and call again.
    NeedMore,
}

/// What is wrong with the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameErrorKind {
    /// The header section exceeds `max_head` without ending.
    HeadTooLarge,
    /// Content-Length exceeds `max_body`.
    BodyTooLarge,
    /// No Content-Length: the message end cannot be known on a stream.
    MissingContentLength,
    /// The start line or a header line is malformed (or Content-Length is invalid).
    Malformed(ParseError),
}

/// A framing failure and how many bytes to drop to get past it. After
/// `HeadTooLarge`, `BodyTooLarge` or a bad Content-Length, the stream cannot be
/// resynchronized and the connection should be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameError {
    /// What went wrong.
    pub kind: FrameErrorKind,
    /// Bytes to discard from the buffer start.
    pub discard: usize,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FrameErrorKind::HeadTooLarge => f.write_str("header section too large")?,
            FrameErrorKind::BodyTooLarge => f.write_str("Content-Length too large")?,
            FrameErrorKind::MissingContentLength => {
                f.write_str("missing Content-Length on a stream")?
            }
            FrameErrorKind::Malformed(e) => write!(f, "malformed message: {e}")?,
        }
        write!(f, " (discard {} bytes)", self.discard)
    }
}

impl std::error::Error for FrameError {}

/// Finds the end of the header section (after the empty line), CRLF or LF.
fn head_len(buf: &[u8], limit: usize) -> Option<usize> {
    let window = buf.get(..limit.min(buf.len())).unwrap_or_default();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'\n', window.get(from..).unwrap_or_default()) {
        let lf = from + i;
        match (window.get(lf + 1), window.get(lf + 2)) {
            (Some(b'\n'), _) => return Some(lf + 2),
            (Some(b'\r'), Some(b'\n')) => return Some(lf + 3),
            _ => from = lf + 1,
        }
    }
    None
}

/// Looks at the start of a stream buffer and reports the first unit.
///
/// A buffer holding only `CR`, `CRLF` or `CRLFCR` waits for more bytes: it may
/// be the first half of a ping split by TCP. The start line is checked with
/// the same strict rules as [`Message::parse`](crate::Message::parse), so a
/// frame that passes here fails later only for reasons inside its headers.
pub fn next_frame(buf: &[u8], limits: &FrameLimits) -> Result<Frame, FrameError> {
    if buf.starts_with(b"\r\n\r\n") {
        return Ok(Frame::KeepAlive {
            skip: 4,
            pong: true,
        });
    }
    if buf.len() < 4 && b"\r\n\r\n".starts_with(buf) {
        return Ok(Frame::NeedMore);
    }
    let breaks = buf
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    if breaks > 0 {
        return Ok(Frame::KeepAlive {
            skip: breaks,
            pong: false,
        });
    }
    let Some(head) = head_len(buf, limits.max_head) else {
        if buf.len() >= limits.max_head {
            return Err(FrameError {
                kind: FrameErrorKind::HeadTooLarge,
                discard: buf.len(),
            });
        }
        return Ok(Frame::NeedMore);
    };
    let head_bytes = buf.get(..head).unwrap_or_default();
    let malformed = |e| FrameError {
        kind: FrameErrorKind::Malformed(e),
        discard: head,
    };
    let mut length = scan::ContentLength::default();
    let (line_end, next) = scan::line_at(head_bytes, 0).map_err(malformed)?;
    scan::scan_headers(head_bytes, next, |h| length.add(head_bytes, &h)).map_err(malformed)?;
    let content_length = length.value().map_err(malformed)?;
    let Some(cl) = content_length else {
        return Err(FrameError {
            kind: FrameErrorKind::MissingContentLength,
            discard: head,
        });
    };
    let cl = cl as usize;
    if cl > limits.max_body {
        return Err(FrameError {
            kind: FrameErrorKind::BodyTooLarge,
            discard: head,
        });
    }
    let total = head + cl;
    crate::start_line::parse(head_bytes, 0, line_end, None).map_err(|e| FrameError {
        kind: FrameErrorKind::Malformed(e),
        discard: total.min(buf.len()).max(head),
    })?;
    if buf.len() < total {
        return Ok(Frame::NeedMore);
    }
    Ok(Frame::Message { len: total })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\nl: 4\r\n\r\nbody";

    fn frame(buf: &[u8]) -> Result<Frame, FrameError> {
        next_frame(buf, &FrameLimits::default())
    }

    #[test]
    fn keepalives() {
        assert_eq!(
            frame(b"\r\n\r\nOPT"),
            Ok(Frame::KeepAlive {
                skip: 4,
                pong: true
            })
        );
        assert_eq!(frame(b"\r\n"), Ok(Frame::NeedMore));
        assert_eq!(frame(b"\r\n\r"), Ok(Frame::NeedMore));
        assert_eq!(
            frame(b"\r\nOPTIONS"),
            Ok(Frame::KeepAlive {
                skip: 2,
                pong: false
            })
        );
        assert_eq!(frame(b""), Ok(Frame::NeedMore));
    }

    #[test]
    fn messages() {
        assert_eq!(frame(MSG), Ok(Frame::Message { len: MSG.len() }));
        let mut two = MSG.to_vec();
        two.extend_from_slice(MSG);
        assert_eq!(frame(&two), Ok(Frame::Message { len: MSG.len() }));
        for cut in 0..MSG.len() {
            assert_eq!(frame(&MSG[..cut]), Ok(Frame::NeedMore), "cut at {cut}");
        }
        let lf = b"SIP/2.0 200 OK\nl: 0\n\n";
        assert_eq!(frame(lf), Ok(Frame::Message { len: lf.len() }));
    }

    #[test]
    fn errors() {
        let e = frame(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n").unwrap_err();
        assert_eq!(
            (e.kind, e.discard),
            (FrameErrorKind::MissingContentLength, 35)
        );
        let e = frame(b"OPTIONS  sip:a@b SIP/2.0\r\nl: 2\r\n\r\nab").unwrap_err();
        assert!(matches!(e.kind, FrameErrorKind::Malformed(_)));
        assert_eq!(e.discard, 36);
        let e = frame(b"OPTIONS sip:a@b SIP/2.0\r\nl: -2\r\n\r\n").unwrap_err();
        assert!(matches!(e.kind, FrameErrorKind::Malformed(_)));
        let limits = FrameLimits {
            max_head: 16,
            max_body: 2,
        };
        assert_eq!(
            next_frame(b"OPTIONS sip:a@b SIP/2.0\r\n", &limits)
                .unwrap_err()
                .kind,
            FrameErrorKind::HeadTooLarge
        );
        let limits = FrameLimits {
            max_head: 100,
            max_body: 2,
        };
        assert_eq!(
            next_frame(MSG, &limits).unwrap_err().kind,
            FrameErrorKind::BodyTooLarge
        );
        assert!(!e.to_string().is_empty());
    }
}
