//! Receiving a burst of datagrams with one `recvmmsg` call.

use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use socket2::{SockAddr, SockAddrStorage, Socket};

/// The most datagrams taken from the socket by one call.
///
/// SIPp and busy peers send in bursts (SIPp: the calls of one millisecond at once); a worker
/// that takes a burst whole answers it back to back, which is what lets [`super::outbox`]
/// send the answers together.
pub(crate) const SLOTS: usize = 32;

/// Receive buffers for up to [`SLOTS`] datagrams of `room` bytes, reused for every call.
///
/// The buffers are one allocation of `SLOTS * room` bytes that is never zeroed: the kernel
/// writes only the bytes of each datagram, so a worker receiving small messages keeps a few
/// pages of it resident, not the whole.
pub(crate) struct RecvBatch {
    room: usize,
    buffers: Box<[MaybeUninit<u8>]>,
    addrs: Vec<SockAddrStorage>,
    lens: [usize; SLOTS],
    sources: [Option<SocketAddr>; SLOTS],
    count: usize,
}

impl RecvBatch {
    /// Buffers for datagrams of up to `room` bytes each.
    pub(crate) fn new(room: usize) -> Self {
        RecvBatch {
            room,
            buffers: uninit_bytes(SLOTS * room),
            addrs: (0..SLOTS).map(|_| SockAddrStorage::zeroed()).collect(),
            lens: [0; SLOTS],
            sources: [None; SLOTS],
            count: 0,
        }
    }

    /// Waits for at least one datagram on `sock`, then takes every one already queued (up to
    /// [`SLOTS`]) without waiting more; returns how many were taken.
    ///
    /// A datagram longer than `room` is cut to `room` bytes, so the caller tells it from one
    /// that fits by its length.
    pub(crate) fn receive(&mut self, sock: &Socket) -> io::Result<usize> {
        self.count = 0;
        // SAFETY: both arrays are plain C structs for which all zeros is a valid value.
        let mut iovs: [libc::iovec; SLOTS] = unsafe { std::mem::zeroed() };
        let mut headers: [libc::mmsghdr; SLOTS] = unsafe { std::mem::zeroed() };
        let base = self.buffers.as_mut_ptr();
        for (i, (iov, header)) in iovs.iter_mut().zip(headers.iter_mut()).enumerate() {
            // SAFETY: slot `i` lies inside `buffers`, which holds SLOTS * room bytes.
            iov.iov_base = unsafe { base.add(i * self.room) }.cast();
            iov.iov_len = self.room;
            let addr = &mut self.addrs[i];
            header.msg_hdr.msg_namelen = addr.size_of();
            header.msg_hdr.msg_name = (addr as *mut SockAddrStorage).cast();
            header.msg_hdr.msg_iov = iov;
            header.msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: every header points at a buffer and an address storage of the lengths
        // given, all owned by `self` or this frame, which outlive the call; the kernel writes
        // at most those lengths.
        let n = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                headers.as_mut_ptr(),
                SLOTS as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = (n as usize).min(SLOTS);
        for (i, header) in headers.iter().take(n).enumerate() {
            self.lens[i] = (header.msg_len as usize).min(self.room);
            let storage = std::mem::replace(&mut self.addrs[i], SockAddrStorage::zeroed());
            // SAFETY: the kernel filled `storage` with an address of `msg_namelen` bytes.
            let addr = unsafe { SockAddr::new(storage, header.msg_hdr.msg_namelen) };
            self.sources[i] = addr.as_socket();
        }
        self.count = n;
        Ok(n)
    }

    /// The bytes and source address of datagram `i` of the last [`Self::receive`]; no
    /// address for a source that is not IP.
    pub(crate) fn datagram(&self, i: usize) -> (&[u8], Option<SocketAddr>) {
        assert!(i < self.count, "datagram {i} of {}", self.count);
        let start = i * self.room;
        // SAFETY: the kernel initialised the first `lens[i]` bytes of slot `i` (at most room).
        let data = unsafe {
            std::slice::from_raw_parts(self.buffers.as_ptr().add(start).cast::<u8>(), self.lens[i])
        };
        (data, self.sources[i])
    }

    /// The IP source addresses of the datagrams of the last [`Self::receive`].
    pub(crate) fn sources(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.sources[..self.count].iter().flatten().copied()
    }
}

/// `len` bytes of memory that is never written here: the pages stay untouched until the
/// kernel writes a datagram into them.
fn uninit_bytes(len: usize) -> Box<[MaybeUninit<u8>]> {
    let mut bytes = Vec::with_capacity(len);
    // SAFETY: `MaybeUninit<u8>` needs no initialisation and the capacity is `len`.
    unsafe { bytes.set_len(len) };
    bytes.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    fn bound() -> Socket {
        let sock = Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        sock.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        sock
    }

    #[test]
    fn takes_every_queued_datagram_in_one_call() {
        let sock = bound();
        let to = sock.local_addr().unwrap().as_socket().unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        for payload in [&b"one"[..], b"two", b"three"] {
            peer.send_to(payload, to).unwrap();
        }
        let mut batch = RecvBatch::new(16);
        let mut got = Vec::new();
        while got.len() < 3 {
            let n = batch.receive(&sock).unwrap();
            for i in 0..n {
                let (data, src) = batch.datagram(i);
                assert_eq!(src, Some(peer.local_addr().unwrap()));
                got.push(data.to_vec());
            }
        }
        assert_eq!(got, [&b"one"[..], b"two", b"three"]);
    }

    #[test]
    fn cuts_a_datagram_longer_than_room() {
        let sock = bound();
        let to = sock.local_addr().unwrap().as_socket().unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.send_to(&[b'x'; 40], to).unwrap();
        let mut batch = RecvBatch::new(8);
        assert_eq!(batch.receive(&sock).unwrap(), 1);
        assert_eq!(batch.datagram(0).0, &[b'x'; 8]);
    }
}
