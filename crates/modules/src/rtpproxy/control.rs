//! The rtpproxy control protocol over UDP: `COOKIE COMMAND` out, `COOKIE ANSWER` back,
//! resent after `rtpproxy_timeout` up to `rtpproxy_retr` times. rtpengine speaks it too
//! (its `--listen-udp` socket).

use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long to wait for an answer and how often to resend.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Wait per attempt (`rtpproxy_timeout`).
    pub timeout: Duration,
    /// Attempts before the proxy is declared dead (`rtpproxy_retr`, at least 1).
    pub attempts: u32,
}

/// Cookies are unique per process: answers to an earlier, timed-out command are ignored.
static NEXT_COOKIE: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// One control socket per worker thread and address family, bound on first use.
    static SOCKETS: RefCell<[Option<UdpSocket>; 2]> = const { RefCell::new([None, None]) };
}

/// Sends `command` to `to` and returns the answer without its cookie; `Err` when no answer
/// came within the attempts.
pub fn exchange(to: SocketAddr, command: &str, timing: Timing) -> io::Result<String> {
    let cookie = format!(
        "{}_{}",
        std::process::id(),
        NEXT_COOKIE.fetch_add(1, Ordering::Relaxed)
    );
    let packet = format!("{cookie} {command}");
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
        let mut buf = [0u8; 4096];
        for _ in 0..timing.attempts.max(1) {
            sock.send_to(packet.as_bytes(), to)?;
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
                let text = String::from_utf8_lossy(&buf[..n]);
                if from != to {
                    continue;
                }
                if let Some(answer) = text
                    .strip_prefix(cookie.as_str())
                    .and_then(|r| r.strip_prefix(' '))
                {
                    return Ok(answer.trim_end().to_owned());
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer from the RTP proxy at {to}"),
        ))
    })
}
