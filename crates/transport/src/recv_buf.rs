//! Receiving straight into a `BytesMut`, so messages are handed out without a copy.

use std::io;
use std::mem::MaybeUninit;

use bytes::BytesMut;

/// Makes room for `room` bytes at the end of `buf`, lets `recv` write into it and keeps what it wrote.
///
/// `recv` must return the number of bytes it initialised at the start of the slice, as
/// `socket2::Socket::recv` and `recv_from` do. Avoids zero-filling 64 KiB per datagram.
pub(crate) fn recv_into<T>(
    buf: &mut BytesMut,
    room: usize,
    recv: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<(usize, T)>,
) -> io::Result<(usize, T)> {
    buf.reserve(room);
    let spare = buf.spare_capacity_mut();
    let len = spare.len().min(room);
    let (n, extra) = recv(&mut spare[..len])?;
    let n = n.min(len);
    // SAFETY: `recv` reported `n` bytes written at the start of the spare capacity
    // (clamped to the slice it was given), so these bytes are initialised.
    unsafe { buf.set_len(buf.len() + n) };
    Ok((n, extra))
}

/// Whether a receive error only means "nothing yet": the read timeout expired or a signal interrupted it.
///
/// Receivers use a read timeout to look at the stop flag and idle clock, so this is not a failure.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_written_bytes_after_existing_ones() {
        let mut buf = BytesMut::from(&b"ab"[..]);
        let (n, ()) = recv_into(&mut buf, 16, |s| {
            assert!(s.len() <= 16);
            s[0].write(b'c');
            s[1].write(b'd');
            Ok((2, ()))
        })
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(&buf[..], b"abcd");
    }

    #[test]
    fn error_leaves_buffer_unchanged() {
        let mut buf = BytesMut::from(&b"ab"[..]);
        let r: io::Result<(usize, ())> =
            recv_into(&mut buf, 8, |_| Err(io::ErrorKind::WouldBlock.into()));
        assert!(r.is_err());
        assert_eq!(&buf[..], b"ab");
    }
}
