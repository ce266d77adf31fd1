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
/// pages of it resident, not the whole. The `recvmmsg` headers pointing at the buffers and
/// address slots are built once: all of them live in heap allocations owned here, which do
/// not move when the batch does, and a call only restores the address lengths the kernel
/// overwrote in the previous one.
pub(crate) struct RecvBatch {
    room: usize,
    /// The datagram slots, only reached through `iovs`: kept here so that they live as long
    /// as the pointers to them.
    _buffers: Box<[MaybeUninit<u8>]>,
    addrs: Box<[SockAddrStorage]>,
    iovs: Box<[libc::iovec]>,
    headers: Box<[libc::mmsghdr]>,
    sources: [Option<SocketAddr>; SLOTS],
    count: usize,
}

impl RecvBatch {
    /// Buffers for datagrams of up to `room` bytes each.
    pub(crate) fn new(room: usize) -> Self {
        let mut buffers = uninit_bytes(SLOTS * room);
        let mut addrs: Box<[SockAddrStorage]> =
            (0..SLOTS).map(|_| SockAddrStorage::zeroed()).collect();
        let base = buffers.as_mut_ptr();
        let mut iovs: Box<[libc::iovec]> = (0..SLOTS)
            .map(|i| libc::iovec {
                // SAFETY: slot `i` lies inside `buffers`, which holds SLOTS * room bytes.
                iov_base: unsafe { base.add(i * room) }.cast(),
                iov_len: room,
            })
            .collect();
        let headers = iovs
            .iter_mut()
            .zip(addrs.iter_mut())
            .map(|(iov, addr)| {
                // SAFETY: all zeros is a valid mmsghdr (null pointers, zero lengths).
                let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
                header.msg_hdr.msg_namelen = addr.size_of();
                header.msg_hdr.msg_name = (addr as *mut SockAddrStorage).cast();
                header.msg_hdr.msg_iov = iov;
                header.msg_hdr.msg_iovlen = 1;
                header
            })
            .collect();
        RecvBatch {
            room,
            _buffers: buffers,
            addrs,
            iovs,
            headers,
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
        let full = SockAddrStorage::zeroed().size_of();
        for header in &mut self.headers[..self.count] {
            header.msg_hdr.msg_namelen = full;
        }
        self.count = 0;
        // SAFETY: every header points at its own iovec (one buffer slot of `room` bytes) and
        // address slot, all heap allocations owned by `self` that outlive the call; the
        // kernel writes at most those lengths.
        let n = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                self.headers.as_mut_ptr(),
                SLOTS as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = (n as usize).min(SLOTS);
        for i in 0..n {
            let storage = std::mem::replace(&mut self.addrs[i], SockAddrStorage::zeroed());
            // SAFETY: the kernel filled `storage` with an address of `msg_namelen` bytes.
            let addr = unsafe { SockAddr::new(storage, self.headers[i].msg_hdr.msg_namelen) };
            self.sources[i] = addr.as_socket();
        }
        self.count = n;
        Ok(n)
    }

    /// The bytes and source address of datagram `i` of the last [`Self::receive`]; no
    /// address for a source that is not IP.
    pub(crate) fn datagram(&self, i: usize) -> (&[u8], Option<SocketAddr>) {
        assert!(i < self.count, "datagram {i} of {}", self.count);
        let len = (self.headers[i].msg_len as usize).min(self.room);
        // SAFETY: the kernel initialised the first `msg_len` bytes of slot `i`, which
        // `iovs[i]` points at (at most `room`).
        let data = unsafe { std::slice::from_raw_parts(self.iovs[i].iov_base.cast::<u8>(), len) };
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
