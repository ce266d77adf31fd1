//! Overload detection: how full the queue in front of a worker is.
//!
//! A UDP worker's queue is its socket's kernel receive buffer (bounded by SO_RCVBUF, i.e.
//! `udp_socket_buffer`); a TCP worker's is the bounded channel from the readers. When the
//! queue is fuller than `overload_queue_percent`, the message just taken from it goes to
//! [`crate::Handler::overloaded`] instead of `handle`: the engine answers a request with a
//! cheap 503 rather than running the script, so the queue drains and memory stays bounded.

use socket2::Socket;

/// Whether a queue holding `used` of `capacity` is over `percent` (0 never is).
pub(crate) fn over(used: u64, capacity: u64, percent: u8) -> bool {
    percent > 0
        && capacity > 0
        && used.saturating_mul(100) >= capacity.saturating_mul(u64::from(percent))
}

/// Whether the receive buffer of a UDP socket is over `percent` full (Linux: SO_MEMINFO;
/// elsewhere never, and messages are dropped by the kernel once the buffer is full).
pub(crate) fn udp_backlogged(sock: &Socket, percent: u8) -> bool {
    if percent == 0 {
        return false;
    }
    match receive_buffer_use(sock) {
        Some((used, capacity)) => over(used, capacity, percent),
        None => false,
    }
}

/// Bytes queued in the socket's receive buffer and the buffer's size.
#[cfg(target_os = "linux")]
fn receive_buffer_use(sock: &Socket) -> Option<(u64, u64)> {
    use std::os::fd::AsRawFd;
    // SK_MEMINFO_RMEM_ALLOC and SK_MEMINFO_RCVBUF, first of the SK_MEMINFO_VARS counters.
    const VARS: usize = 9;
    let mut info = [0u32; VARS];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` is a writable buffer of `len` bytes that outlives the call, and the
    // kernel writes at most `len` bytes into it.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_MEMINFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    (rc == 0).then(|| (u64::from(info[0]), u64::from(info[1])))
}

#[cfg(not(target_os = "linux"))]
fn receive_buffer_use(_sock: &Socket) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold() {
        assert!(!over(79, 100, 80));
        assert!(over(80, 100, 80));
        assert!(!over(100, 100, 0));
        assert!(!over(5, 0, 80));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_filled_udp_socket_is_backlogged() {
        let addr: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let sock = crate::udp::bind_group(addr, 64 * 1024, 1)
            .unwrap()
            .remove(0);
        let local = sock.local_addr().unwrap();
        assert!(!udp_backlogged(&sock, 50));
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        // Far more than the buffer holds: the kernel drops the rest.
        for _ in 0..2000 {
            let _ = sender.send_to(&[b'x'; 500], local.as_socket().unwrap());
        }
        assert!(udp_backlogged(&sock, 50));
        assert!(!udp_backlogged(&sock, 0));
    }
}
