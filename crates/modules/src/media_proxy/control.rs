//! The control exchange over UDP both protocols use: `COOKIE PAYLOAD` out, `COOKIE ANSWER`
//! back, resent after a timeout (`rtpproxy_timeout`, `rtpengine_tout`) a number of times
//! (`*_retr`). The payload is rtpproxy's text command or rtpengine's bencoded dictionary.

use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long to wait for an answer and how often to resend.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Wait per attempt.
    pub timeout: Duration,
    /// Attempts before the proxy is declared dead (at least 1).
    pub attempts: u32,
}

/// Cookies are unique per process: answers to an earlier, timed-out command are ignored.
static NEXT_COOKIE: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// One control socket per worker thread and address family, bound on first use.
    static SOCKETS: RefCell<[Option<UdpSocket>; 2]> = const { RefCell::new([None, None]) };
}

/// Sends `payload` to `to` and returns the answer without its cookie; `Err` when no answer
/// came within the attempts.
pub fn exchange(to: SocketAddr, payload: &[u8], timing: Timing) -> io::Result<Vec<u8>> {
    let cookie = format!(
        "{}_{}",
        std::process::id(),
        NEXT_COOKIE.fetch_add(1, Ordering::Relaxed)
    );
    let mut packet = Vec::with_capacity(cookie.len() + 1 + payload.len());
    packet.extend_from_slice(cookie.as_bytes());
    packet.push(b' ');
    packet.extend_from_slice(payload);
    SOCKETS.with(|cell| {
        let mut sockets = cell.borrow_mut();
        let slot = &mut sockets[usize::from(to.is_ipv6())];
        if slot.is_none() {
            *slot = Some(UdpSocket::bind(if to.is_ipv6() {
                "[::]:0"
            } else {
                "0.0.0.0:0"
            })?);
        }
        let sock = slot.as_ref().expect("bound above");
        let mut buf = vec![0u8; 65536];
        for _ in 0..timing.attempts.max(1) {
            sock.send_to(&packet, to)?;
            let deadline = Instant::now() + timing.timeout;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
                let (n, from) = match sock.recv_from(&mut buf) {
                    Ok(r) => r,
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        break
                    }
                    Err(e) => return Err(e),
                };
                if from != to {
                    continue;
                }
                let answer = &buf[..n];
                if answer.len() > cookie.len()
                    && answer.starts_with(cookie.as_bytes())
                    && answer[cookie.len()] == b' '
                {
                    return Ok(answer[cookie.len() + 1..].to_vec());
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer from the RTP proxy at {to}"),
        ))
    })
}
