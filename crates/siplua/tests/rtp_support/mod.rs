//! What the RTP proxy tests share: an rtpengine run by the test (Debian's
//! `rtpengine-daemon`, on free ports, with its rtpproxy-protocol and ng control sockets),
//! SDP helpers, and RTP sent through the proxy to see media really flow.
#![allow(dead_code)]

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An rtpengine run by the test on a free control port, killed when dropped.
pub struct RtpEngine {
    child: Child,
    /// The rtpproxy-protocol control port (`--listen-udp`).
    pub port: u16,
    /// The ng-protocol control port (`--listen-ng`).
    pub ng_port: u16,
}

impl RtpEngine {
    pub fn start() -> RtpEngine {
        let port = super::common::free_port();
        let ng_port = super::common::free_port();
        let rtp_min = super::common::free_port();
        let child = Command::new("rtpengine")
            .args([
                "--foreground",
                "--log-stderr",
                "--config-file=none",
                "--table=-1",
                "--interface=127.0.0.1",
                &format!("--listen-udp=127.0.0.1:{port}"),
                &format!("--listen-ng=127.0.0.1:{ng_port}"),
                &format!("--port-min={rtp_min}"),
                &format!("--port-max={}", rtp_min + 40),
                "--log-level=5",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run rtpengine (apt-get install rtpengine-daemon)");
        let engine = RtpEngine {
            child,
            port,
            ng_port,
        };
        // Ready when it answers a version query.
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        probe
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 256];
        while Instant::now() < deadline {
            let _ = probe.send_to(b"ready V", ("127.0.0.1", port));
            if probe.recv(&mut buf).is_ok() {
                return engine;
            }
        }
        panic!("rtpengine did not start on port {port}");
    }
}

impl Drop for RtpEngine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn sdp(ip: &str, port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n"
    )
}

pub fn with_sdp(msg: &str, body: &str) -> String {
    msg.replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

pub fn body(msg: &str) -> &str {
    msg.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// The port of the (first) `m=` line.
pub fn media_port(msg: &str) -> u16 {
    body(msg)
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no m=audio line in:\n{msg}"))
}

/// An RTP packet (version 2, PCMU) with `seq`.
pub fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend(std::iter::repeat_n(0xff, 160));
    p
}

/// Sends RTP from `from` to `to` until `at` receives one (the proxy may need a packet to
/// learn a side); true when one arrived.
pub fn media_arrives(from: &UdpSocket, to: (&str, u16), at: &UdpSocket) -> bool {
    at.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 2048];
    for seq in 0..15 {
        from.send_to(&rtp(seq), to).unwrap();
        if let Ok(n) = at.recv(&mut buf) {
            return n == 172 && buf[0] == 0x80;
        }
    }
    false
}
