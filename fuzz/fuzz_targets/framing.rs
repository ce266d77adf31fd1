//! Feed an arbitrary byte stream to `framing::next_frame` the way a TCP
//! connection does: cut units off the front until it needs more bytes or
//! reports an error. The first two input bytes pick small size limits, so
//! the limit paths are reached too.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use siplua_sip::framing::{next_frame, Frame, FrameLimits};
use siplua_sip::{Message, ParseErrorKind};

fuzz_target!(|data: &[u8]| {
    let (limits, stream) = match data {
        [h, b, rest @ ..] => (
            FrameLimits {
                max_head: 16 + usize::from(*h) * 16,
                max_body: usize::from(*b) * 8,
            },
            rest,
        ),
        _ => (FrameLimits::default(), data),
    };
    let mut pos = 0;
    while pos < stream.len() {
        let buf = &stream[pos..];
        match next_frame(buf, &limits) {
            Ok(Frame::KeepAlive { skip, pong }) => {
                assert!(skip > 0 && skip <= buf.len());
                assert!(!pong || skip == 4);
                pos += skip;
            }
            Ok(Frame::Message { len }) => {
                assert!(len > 0 && len <= buf.len());
                let frame = &buf[..len];
                // The frame alone, without the bytes after it, frames the same.
                assert_eq!(next_frame(frame, &limits), Ok(Frame::Message { len }));
                // The start line, headers and Content-Length were checked:
                // only the UTF-8 check of the head is left to the parser.
                if let Err(e) = Message::parse(Bytes::copy_from_slice(frame)) {
                    assert_eq!(e.kind, ParseErrorKind::InvalidUtf8, "{e:?}");
                }
                pos += len;
            }
            Ok(Frame::NeedMore) => break,
            Err(e) => {
                assert!(e.discard > 0 && e.discard <= buf.len(), "{e:?}");
                pos += e.discard;
            }
        }
    }
});
