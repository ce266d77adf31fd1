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
                // A deleted session frees its ports at once (the tests check they do).
                "--delete-delay=0",
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

/// A call through the proxy under test between two user agents played by the test: the
/// caller's RTP socket on 127.0.0.2, the callee's on 127.0.0.3 (so SDP addresses the proxy
/// rewrote are told from the originals).
pub struct MediaCall {
    pub caller: super::common::UdpClient,
    pub callee: super::common::NextHop,
    pub caller_rtp: UdpSocket,
    pub callee_rtp: UdpSocket,
}

impl MediaCall {
    pub fn new() -> MediaCall {
        MediaCall {
            caller: super::common::UdpClient::new(),
            callee: super::common::NextHop::new(),
            caller_rtp: UdpSocket::bind("127.0.0.2:0").unwrap(),
            callee_rtp: UdpSocket::bind("127.0.0.3:0").unwrap(),
        }
    }

    pub fn caller_rtp_port(&self) -> u16 {
        self.caller_rtp.local_addr().unwrap().port()
    }

    pub fn callee_rtp_port(&self) -> u16 {
        self.callee_rtp.local_addr().unwrap().port()
    }

    /// The caller's INVITE (with `extra` header lines) as sent, and as the callee got it.
    pub fn invite(&self, s: &super::common::Server, extra: &str) -> (String, String) {
        let invite = with_sdp(
            &super::common::request(
                "INVITE",
                &format!("sip:bob@127.0.0.1:{}", self.callee.port()),
                self.caller.port(),
                extra,
            ),
            &sdp("127.0.0.2", self.caller_rtp_port()),
        );
        self.caller.send(s, invite.as_bytes());
        let got = super::common::recv_invite(&self.callee.sock)
            .unwrap_or_else(|| panic!("no INVITE; log:\n{}", s.log_text()));
        (invite, got)
    }

    /// The callee's 200 (SDP from 127.0.0.3, the INVITE's Record-Route copied, as a user
    /// agent does), as the caller got it.
    pub fn answer(&self, s: &super::common::Server, got: &str) -> String {
        let rr = super::common::header(got, "Record-Route").expect("Record-Route");
        let ok = with_sdp(
            &super::common::reply_to(got, 200, "OK"),
            &sdp("127.0.0.3", self.callee_rtp_port()),
        )
        .replace(
            "Content-Type",
            &format!("Record-Route: {rr}\r\nContact: <sip:bob@127.0.0.1>\r\nContent-Type"),
        );
        self.callee.sock.send_to(ok.as_bytes(), s.addr()).unwrap();
        let answer = super::common::recv_final(&self.caller)
            .unwrap_or_else(|| panic!("no 200; log:\n{}", s.log_text()));
        assert_eq!(super::common::status(&answer), 200, "{answer}");
        answer
    }

    /// RTP both ways, each side sending to the port the other's (rewritten) SDP gave it.
    pub fn assert_media_flows(&self, offer_port: u16, answer_port: u16) {
        assert!(
            media_arrives(
                &self.callee_rtp,
                ("127.0.0.1", offer_port),
                &self.caller_rtp
            ),
            "callee → caller media did not go through the proxy"
        );
        assert!(
            media_arrives(
                &self.caller_rtp,
                ("127.0.0.1", answer_port),
                &self.callee_rtp
            ),
            "caller → callee media did not go through the proxy"
        );
    }

    /// The caller hangs up through the proxy's Record-Route.
    pub fn hang_up(&self, s: &super::common::Server, invite: &str, answer: &str) {
        use super::common::header;
        let rr = header(answer, "Record-Route").expect("Record-Route");
        let to = header(answer, "To").unwrap();
        let bye = super::common::request(
            "BYE",
            &format!("sip:bob@127.0.0.1:{}", self.callee.port()),
            self.caller.port(),
            &format!("Route: {rr}\r\n"),
        )
        .replace("To: <sip:bob@example.com>\r\n", &format!("To: {to}\r\n"));
        let bye = bye.replace(
            header(&bye, "Call-ID").unwrap(),
            header(invite, "Call-ID").unwrap(),
        );
        self.caller.send(s, bye.as_bytes());
    }
}
