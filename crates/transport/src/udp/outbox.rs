//! UDP sends held back until the end of a receive batch, then made with one `sendmmsg` per
//! socket.
//!
//! Most of the kernel's cost of a datagram sent to a sleeping process is waking that process
//! (on a VM an inter-processor interrupt, a trip through the hypervisor). Answers sent one by
//! one, each after its request is handled, reach a peer such as SIPp that has gone back to
//! sleep in between, so nearly every answer wakes it. The same answers sent back to back at
//! the end of the burst wake it once. `bench/run` measured the difference (docs/benchmarks.md).
//!
//! Only datagrams to a source of the current batch are held back: that address has just
//! reached this socket, so a send to it does not fail for want of a route, and a send that
//! could fail at once (any other address, a payload over the UDP limit) still reports its
//! error to the caller, as `t_relay` needs. A held-back send that fails is logged. Any send
//! that is not held back first sends what is held ([`flush`]), so a thread's sends keep
//! their order.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use socket2::{SockAddr, Socket};

/// The largest payload held back: an IPv4 UDP datagram can carry no more, and a bigger one
/// is sent at once so that the caller sees the kernel's `EMSGSIZE`.
const MAX_HELD: usize = 65_507;

thread_local! {
    static OUTBOX: RefCell<Outbox> = RefCell::new(Outbox::default());
}

/// One held-back datagram: its bytes are `bytes[start..end]` of the outbox.
struct Held {
    fd: RawFd,
    to: SockAddr,
    start: usize,
    end: usize,
}

/// The calling worker's held-back datagrams; closed (holding nothing) outside a batch, so
/// timer threads and TCP workers always send at once.
#[derive(Default)]
struct Outbox {
    open: bool,
    peers: Vec<SocketAddr>,
    bytes: Vec<u8>,
    held: Vec<Held>,
    /// Scratch for the `sendmmsg` of a flush, kept so that a flush allocates nothing.
    iovs: Vec<libc::iovec>,
    headers: Vec<libc::mmsghdr>,
}

/// Starts holding back this thread's sends to `peers`, the sources of a batch just received.
pub(crate) fn open(peers: impl Iterator<Item = SocketAddr>) {
    OUTBOX.with(|outbox| {
        let mut outbox = outbox.borrow_mut();
        outbox.open = true;
        outbox.peers.clear();
        outbox.peers.extend(peers);
    });
}

/// Holds `data` for `to` back if this thread's outbox is open and `to` is one of its peers;
/// false when the caller must send it now.
pub(crate) fn hold(sock: &Socket, to: SocketAddr, data: &[u8]) -> bool {
    if data.len() > MAX_HELD {
        return false;
    }
    OUTBOX.with(|outbox| {
        let mut outbox = outbox.borrow_mut();
        if !outbox.open || !outbox.peers.contains(&to) {
            return false;
        }
        let start = outbox.bytes.len();
        outbox.bytes.extend_from_slice(data);
        let end = outbox.bytes.len();
        outbox.held.push(Held {
            fd: sock.as_raw_fd(),
            to: to.into(),
            start,
            end,
        });
        true
    })
}

/// Sends every held datagram, in the order they were held, and keeps holding back.
///
/// Called before any send that is not held back, so that a thread's datagrams leave in the
/// order it made them: tm's 100 Trying, held for the caller, goes out before the INVITE it
/// relays to a callee, whose 180 another worker may relay at once.
pub(crate) fn flush() {
    OUTBOX.with(|outbox| {
        let mut outbox = outbox.borrow_mut();
        let Outbox {
            bytes,
            held,
            iovs,
            headers,
            ..
        } = &mut *outbox;
        if held.is_empty() {
            return;
        }
        for run in held.chunk_by(|a, b| a.fd == b.fd) {
            send_run(run, bytes, iovs, headers);
        }
        held.clear();
        bytes.clear();
    });
}

/// Sends what is held and stops holding sends back: at the end of a batch, or when its
/// handling turned slow.
pub(crate) fn close() {
    flush();
    OUTBOX.with(|outbox| outbox.borrow_mut().open = false);
}

/// Sends datagrams that share a socket with `sendmmsg`, going past any that fails.
fn send_run(
    run: &[Held],
    bytes: &mut [u8],
    iovs: &mut Vec<libc::iovec>,
    headers: &mut Vec<libc::mmsghdr>,
) {
    // Every iovec is in place before a header points at one: `iovs` does not grow after.
    iovs.clear();
    headers.clear();
    for held in run {
        iovs.push(libc::iovec {
            iov_base: bytes[held.start..held.end].as_mut_ptr().cast(),
            iov_len: held.end - held.start,
        });
    }
    for (held, iov) in run.iter().zip(iovs.iter_mut()) {
        // SAFETY: all zeros is a valid mmsghdr (null pointers, zero lengths).
        let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
        header.msg_hdr.msg_name = held.to.as_ptr() as *mut libc::c_void;
        header.msg_hdr.msg_namelen = held.to.len();
        header.msg_hdr.msg_iov = iov;
        header.msg_hdr.msg_iovlen = 1;
        headers.push(header);
    }
    let fd = run[0].fd;
    let mut next = 0;
    while next < headers.len() {
        let rest = &mut headers[next..];
        // SAFETY: every header points at an address and a byte range that live until the
        // end of this function; the kernel only reads them (and writes `msg_len`).
        let sent = unsafe { libc::sendmmsg(fd, rest.as_mut_ptr(), rest.len() as libc::c_uint, 0) };
        if sent > 0 {
            next += sent as usize;
            continue;
        }
        let error = io::Error::last_os_error();
        if error.kind() == io::ErrorKind::Interrupted {
            continue;
        }
        let to = run[next].to.as_socket();
        tracing::debug!(?to, %error, "udp send failed");
        next += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;

    fn sender() -> Socket {
        let sock = Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        sock.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        sock
    }

    fn receiver() -> UdpSocket {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        sock
    }

    fn read(sock: &UdpSocket) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let n = sock.recv(&mut buf).unwrap();
        buf[..n].to_vec()
    }

    #[test]
    fn holds_sends_to_peers_until_flushed_in_order() {
        let sock = sender();
        let peer = receiver();
        let to = peer.local_addr().unwrap();
        open([to].into_iter());
        assert!(hold(&sock, to, b"first"));
        assert!(hold(&sock, to, b"second"));
        peer.set_nonblocking(true).unwrap();
        assert!(
            peer.recv(&mut [0u8; 8]).is_err(),
            "nothing sent before the flush"
        );
        peer.set_nonblocking(false).unwrap();
        close();
        assert_eq!(read(&peer), b"first");
        assert_eq!(read(&peer), b"second");
        assert!(!hold(&sock, to, b"after"), "a closed outbox holds nothing");
    }

    #[test]
    fn other_addresses_and_big_payloads_are_sent_at_once() {
        let sock = sender();
        let peer = receiver();
        let other = receiver();
        open([peer.local_addr().unwrap()].into_iter());
        assert!(!hold(&sock, other.local_addr().unwrap(), b"x"));
        assert!(!hold(
            &sock,
            peer.local_addr().unwrap(),
            &vec![0; MAX_HELD + 1]
        ));
        close();
    }

    #[test]
    fn flush_sends_what_is_held_and_keeps_holding() {
        let sock = sender();
        let peer = receiver();
        let to = peer.local_addr().unwrap();
        open([to].into_iter());
        assert!(hold(&sock, to, b"held"));
        flush();
        assert_eq!(read(&peer), b"held");
        assert!(hold(&sock, to, b"again"), "still open after a flush");
        close();
        assert_eq!(read(&peer), b"again");
    }

    #[test]
    fn a_failing_datagram_does_not_stop_the_others() {
        let sock = sender();
        let peer = receiver();
        let to = peer.local_addr().unwrap();
        // Port 0 is refused by sendmmsg (EINVAL) after the first datagram went out.
        let bad: SocketAddr = "127.0.0.1:0".parse().unwrap();
        open([to, bad].into_iter());
        assert!(hold(&sock, to, b"one"));
        assert!(hold(&sock, bad, b"lost"));
        assert!(hold(&sock, to, b"two"));
        close();
        assert_eq!(read(&peer), b"one");
        assert_eq!(read(&peer), b"two");
    }
}
