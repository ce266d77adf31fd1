//! Flood and overload, end to end: a sender at several times the server's capacity (many
//! sockets on 127.0.0.2) while a well-behaved client (127.0.0.1) registers and calls through
//! `etc/residential.cfg` at a low rate.
//!
//! Capacity is made small on purpose: the route first spends ~0.3 ms in a `while` loop, so
//! two workers handle a few thousand requests per second and a flood of 20,000 per second
//! is several times that, even on a 2-core CI machine.
//!
//! - With `pike_check_req()` first in the route, the flooding address is blocked, the
//!   well-behaved client keeps > 99% success, memory stays bounded and the server answers
//!   at once when the flood stops.
//! - Without pike, the overload path answers the flood with `503` + `Retry-After` instead of
//!   queueing without end; memory stays bounded; the server recovers within seconds.

use crate::common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;

/// Flood requests per second.
const FLOOD_RATE: u64 = 20_000;
/// Sockets the flood is spread over.
const FLOOD_SOCKETS: usize = 32;
/// Largest RSS growth accepted during a flood (a leak of even 300 bytes per flood message
/// would exceed it). The flood's OPTIONS have no user part: the route answers them 484
/// statelessly, so no transaction state (which tm keeps for 32 s per request it answers,
/// bounded by the processed rate, not the offered one) blurs the measure.
const RSS_GROWTH_LIMIT_KB: u64 = 96 * 1024;

/// The residential configuration with a costly start of route (and pike when asked).
fn flood_cfg(pike: bool) -> String {
    let pike_check = if pike {
        "if (!pike_check_req()) { exit; }\n"
    } else {
        ""
    };
    let head = format!(
        "route {{\n{pike_check}\t$var(i) = 0;\n\twhile ($var(i) < 500) {{ $var(i) = $var(i) + 1; }}\n"
    );
    let text = std::fs::read_to_string(root().join("etc/residential.cfg"))
        .expect("etc/residential.cfg")
        // A TCP socket too: with log_level 1 there is no "started" line, and the test
        // harness knows the server is up when it accepts.
        .replace(
            "socket = udp:127.0.0.1:5060",
            "socket = udp:127.0.0.1:{PORT}\nsocket = tcp:127.0.0.1:{PORT}",
        )
        .replace(
            "loadmodule \"proto_udp.so\"",
            "loadmodule \"proto_udp.so\"\nloadmodule \"proto_tcp.so\"",
        )
        .replace("log_level = 3", "log_level = 1")
        .replace(
            "udp_workers = 4",
            "udp_workers = 2\nmax_while_loops = 100000",
        )
        .replace("loadmodule \"mi_fifo.so\"", "")
        .replace(
            "modparam(\"mi_fifo\", \"fifo_name\", \"/tmp/siplua_fifo\")",
            "",
        )
        .replace("modparam(\"mi_fifo\", \"fifo_mode\", 0666)", "")
        .replacen("route {\n", &head, 1);
    if pike {
        text.replace(
            "loadmodule \"proto_udp.so\"",
            "loadmodule \"proto_udp.so\"\nloadmodule \"pike.so\"\n\
             modparam(\"pike\", \"sampling_time_unit\", 1)\n\
             modparam(\"pike\", \"reqs_density_per_unit\", 300)",
        )
    } else {
        text
    }
}

/// What the flood sender saw.
#[derive(Default)]
struct FloodStats {
    sent: AtomicU64,
    replies: AtomicU64,
    unavailable_with_retry_after: AtomicU64,
}

/// A running flood; stops when [`Flood::stop`] is called.
struct Flood {
    stop: Arc<AtomicBool>,
    stats: Arc<FloodStats>,
    thread: Option<JoinHandle<()>>,
}

impl Flood {
    fn start(target: SocketAddr) -> Flood {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(FloodStats::default());
        let (s, st) = (stop.clone(), stats.clone());
        let thread = std::thread::spawn(move || flood(target, &s, &st));
        Flood {
            stop,
            stats,
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.stop();
    }
}

fn flood(target: SocketAddr, stop: &AtomicBool, stats: &FloodStats) {
    let socks: Vec<UdpSocket> = (0..FLOOD_SOCKETS)
        .map(|_| {
            let s = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    let start = Instant::now();
    let mut n: u64 = 0;
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        // Paced: by now `elapsed * FLOOD_RATE` requests should have gone out.
        let due = (start.elapsed().as_micros() as u64) * FLOOD_RATE / 1_000_000;
        while n < due {
            let sock = &socks[(n as usize) % FLOOD_SOCKETS];
            let port = sock.local_addr().unwrap().port();
            let msg = format!(
                "OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
                 Via: SIP/2.0/UDP 127.0.0.2:{port};branch=z9hG4bK-flood-{n}\r\n\
                 From: <sip:flood@127.0.0.2>;tag=f{n}\r\n\
                 To: <sip:flood@127.0.0.1>\r\n\
                 Call-ID: flood-{n}@127.0.0.2\r\n\
                 CSeq: 1 OPTIONS\r\n\
                 Max-Forwards: 70\r\n\
                 Content-Length: 0\r\n\r\n"
            );
            let _ = sock.send_to(msg.as_bytes(), target);
            n += 1;
        }
        stats.sent.store(n, Ordering::Relaxed);
        for sock in &socks {
            while let Ok(len) = sock.recv(&mut buf) {
                stats.replies.fetch_add(1, Ordering::Relaxed);
                let text = String::from_utf8_lossy(&buf[..len]);
                if status(&text) == 503 && header(&text, "Retry-After") == Some("5") {
                    stats
                        .unavailable_with_retry_after
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Resident memory of a process, in KiB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Samples the peak RSS of `pid` until `stop`.
fn watch_rss(pid: u32, stop: Arc<AtomicBool>) -> JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(rss_kb(pid));
            std::thread::sleep(Duration::from_millis(100));
        }
        peak
    })
}

/// One REGISTER from a well-behaved UDP client: retransmitted at T1 doubling, as RFC 3261
/// §17.1.2 asks, for at most ~4 s; true on a 200.
fn register_once(proxy: &Server, client: &UdpClient, user: &str, contact_port: u16) -> bool {
    let req = request(
        "REGISTER",
        &format!("sip:127.0.0.1:{}", proxy.port),
        client.port(),
        &format!("Contact: <sip:{user}@127.0.0.1:{contact_port}>\r\nExpires: 600\r\n"),
    )
    .replace(
        "To: <sip:bob@example.com>",
        &format!("To: <sip:{user}@127.0.0.1>"),
    )
    .replace(
        "From: <sip:alice@example.com>",
        &format!("From: <sip:{user}@127.0.0.1>"),
    );
    let mut wait = Duration::from_millis(500);
    for _ in 0..4 {
        client.send(proxy, req.as_bytes());
        let deadline = Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match client.recv_timeout(left.max(Duration::from_millis(1))) {
                Some(reply) if status(&reply) == 200 => return true,
                Some(_) => continue,
                None => break,
            }
        }
        wait *= 2;
    }
    false
}

/// True when the proxy answers a burst of 20 OPTIONS from 127.0.0.1 with 404 (the route's
/// answer for an unknown user), every one within a second.
fn answers_normally(proxy: &Server) -> bool {
    let c = UdpClient::new();
    (0..20).all(|_| {
        c.send(
            proxy,
            request("OPTIONS", "sip:nobody@127.0.0.1", c.port(), "").as_bytes(),
        );
        matches!(c.recv_timeout(Duration::from_secs(1)), Some(r) if status(&r) == 404)
    })
}

#[test]
fn pike_blocks_the_flood_and_the_well_behaved_client_keeps_working() {
    let proxy = Server::start(&flood_cfg(true));
    let pid = proxy.pid().unwrap();
    let (caller_port, callee_port) = (free_port(), free_port());
    let registrar = UdpClient::new();
    assert!(register_once(&proxy, &registrar, "bob", callee_port));
    let _bob = SippCallee::start("call_uas.xml", callee_port, "u1", 60);
    let rss_before = rss_kb(pid);
    let rss_stop = Arc::new(AtomicBool::new(false));
    let rss = watch_rss(pid, rss_stop.clone());

    let mut flood = Flood::start(proxy.addr());
    std::thread::sleep(Duration::from_millis(500));
    // 60 calls at 5 per second and 40 registrations at 4 per second, during the flood.
    let sipp = std::thread::scope(|s| {
        let sipp = s.spawn(|| {
            SippCalls {
                service: "bob",
                calls: 60,
                port: Some(caller_port),
                rate: Some(5),
                timeout: 60,
                ..SippCalls::default()
            }
            .run(&proxy)
        });
        let mut ok = 0;
        for _ in 0..40 {
            if register_once(&proxy, &registrar, "bob", callee_port) {
                ok += 1;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        (sipp.join().unwrap(), ok)
    });
    let ((calls_ok, sipp_tail), registers_ok) = sipp;
    let sent = flood.stats.sent.load(Ordering::Relaxed);
    let flood_replies = flood.stats.replies.load(Ordering::Relaxed);
    flood.stop();
    rss_stop.store(true, Ordering::Relaxed);
    let rss_peak = rss.join().unwrap();

    eprintln!(
        "pike: {sent} flood requests, {flood_replies} answered; registrations {registers_ok}/40; \
         RSS {rss_before} KiB before, peak {rss_peak} KiB"
    );
    assert!(sent > FLOOD_RATE * 10, "the flood ran: {sent} requests");
    assert!(
        calls_ok,
        "every call of the well-behaved client succeeded during the flood:\n{sipp_tail}"
    );
    assert!(
        registers_ok * 100 >= 40 * 99,
        "registrations: {registers_ok}/40"
    );
    // Blocked: only the requests of the first sampling unit(s) got an answer.
    assert!(
        flood_replies * 20 < sent,
        "flood mostly unanswered: {flood_replies} replies to {sent}"
    );
    let log = proxy.log_text();
    assert!(log.contains("PIKE - BLOCKing ip 127.0.0.2"), "{log}");
    assert!(!log.contains("BLOCKing ip 127.0.0.1"), "{log}");
    assert!(
        rss_peak < rss_before + RSS_GROWTH_LIMIT_KB,
        "RSS {rss_before} KiB before, peak {rss_peak} KiB"
    );
    let recovered = Instant::now();
    assert!(answers_normally(&proxy), "{}", proxy.log_text());
    assert!(recovered.elapsed() < Duration::from_secs(5));
}

#[test]
fn overload_answers_503_with_retry_after_and_recovers() {
    let proxy = Server::start(
        &flood_cfg(false).replace("udp_workers = 2", "udp_workers = 2\nmaxbuffer = 262144"),
    );
    let pid = proxy.pid().unwrap();
    assert!(answers_normally(&proxy));
    let rss_before = rss_kb(pid);
    let rss_stop = Arc::new(AtomicBool::new(false));
    let rss = watch_rss(pid, rss_stop.clone());

    let mut flood = Flood::start(proxy.addr());
    std::thread::sleep(Duration::from_secs(8));
    flood.stop();
    rss_stop.store(true, Ordering::Relaxed);
    let rss_peak = rss.join().unwrap();
    let sent = flood.stats.sent.load(Ordering::Relaxed);
    let shed = flood
        .stats
        .unavailable_with_retry_after
        .load(Ordering::Relaxed);
    let replies = flood.stats.replies.load(Ordering::Relaxed);

    eprintln!(
        "overload: {sent} flood requests, {replies} answered, {shed} with 503 + Retry-After; \
         RSS {rss_before} KiB before, peak {rss_peak} KiB"
    );
    assert!(sent > FLOOD_RATE * 6, "the flood ran: {sent} requests");
    assert!(
        shed * 4 > replies,
        "most answers to the flood are 503 + Retry-After: {shed} of {replies} ({sent} sent)"
    );
    assert!(
        rss_peak < rss_before + RSS_GROWTH_LIMIT_KB,
        "RSS {rss_before} KiB before, peak {rss_peak} KiB"
    );
    // Recovery: the queue drains within a couple of seconds and requests are served again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !answers_normally(&proxy) {
        assert!(
            Instant::now() < deadline,
            "not recovered 5 s after the flood"
        );
    }
}

#[test]
fn tcp_overload_answers_503_over_the_connection() {
    let server = Server::start(&cfg(
        "max_while_loops = 100000",
        r#"route {
            $var(i) = 0;
            while ($var(i) < 500) { $var(i) = $var(i) + 1; }
            sl_send_reply(200, "OK");
        }"#,
    ));
    // 3000 requests in one go: the reader queue (1024) fills faster than one worker runs
    // the route, and what is taken past 80% of it is answered 503 at once.
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let burst: String = (0..3000)
        .map(|_| request("OPTIONS", "sip:x@127.0.0.1", 5060, "").replace("UDP", "TCP"))
        .collect();
    let writer = {
        let mut w = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            use std::io::Write;
            w.write_all(burst.as_bytes()).unwrap();
        })
    };
    let mut text = String::new();
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + Duration::from_secs(20);
    while text.matches("SIP/2.0 ").count() < 3000 && Instant::now() < deadline {
        use std::io::Read;
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    writer.join().unwrap();
    let ok = text.matches("SIP/2.0 200 OK").count();
    let shed = text.matches("SIP/2.0 503 Service Unavailable").count();
    eprintln!("tcp: {ok} answered 200, {shed} answered 503");
    assert_eq!(ok + shed, 3000, "every request answered");
    assert!(shed > 0 && ok > 0, "{ok} 200s, {shed} 503s");
    assert_eq!(text.matches("Retry-After: 5\r\n").count(), shed);
}
