//! Shared harness for the end-to-end tests: start the real `siplua` binary on a free
//! loopback port with a test configuration, talk to it over real UDP/TCP sockets, run SIPp.
//!
//! Every test file does `mod common;` and uses what it needs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary under test (built by cargo for this test run).
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_siplua")
}

/// The workspace root (for `tests/scenarios`, `etc/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A directory of its own for one test (configs, Lua files, logs).
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "siplua-test-{}-{name}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A port free on 127.0.0.1 for both UDP and TCP (best effort: bound then released).
pub fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A running siplua; killed (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
    pub log: PathBuf,
}

impl Server {
    /// Writes `cfg` (with `{PORT}` replaced by a free port) to a file and starts siplua on it,
    /// waiting until it answers. Extra files (e.g. Lua scripts) can be put in `dir` first via
    /// [`Server::start_in`].
    pub fn start(cfg: &str) -> Server {
        Server::start_in(&scratch("srv"), cfg)
    }

    /// Like [`Server::start`], in a given directory (`{DIR}` in `cfg` is replaced by it).
    /// A free port can be taken by another test between [`free_port`] and siplua's bind: a
    /// server that could not bind it is started again on another port.
    pub fn start_in(dir: &Path, cfg: &str) -> Server {
        let mut tries = 0;
        loop {
            match Server::try_start(dir, cfg, free_port(), &[]) {
                Ok(server) => return server,
                Err(log) if log.contains("Address already in use") && tries < 5 => tries += 1,
                Err(log) => panic!("siplua did not start; log:\n{log}"),
            }
        }
    }

    /// Like [`Server::start_in`] on a given port (to start a server again where it was).
    pub fn start_on(dir: &Path, cfg: &str, port: u16) -> Server {
        Server::start_with_args(dir, cfg, port, &[])
    }

    /// Like [`Server::start_on`], with extra command-line arguments (`-o name=value`).
    pub fn start_with_args(dir: &Path, cfg: &str, port: u16, args: &[&str]) -> Server {
        Server::try_start(dir, cfg, port, args)
            .unwrap_or_else(|log| panic!("siplua did not start; log:\n{log}"))
    }

    /// Starts siplua and waits until it answers; the log when it did not start.
    fn try_start(dir: &Path, cfg: &str, port: u16, args: &[&str]) -> Result<Server, String> {
        let text = cfg
            .replace("{PORT}", &port.to_string())
            .replace("{DIR}", &dir.display().to_string());
        let path = dir.join("test.cfg");
        std::fs::write(&path, text).expect("write cfg");
        let log = dir.join("siplua.log");
        let child = Command::new(bin())
            .arg("-f")
            .arg(&path)
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start siplua");
        let mut server = Server {
            port,
            dir: dir.to_path_buf(),
            child: Some(child),
            log,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::fs::read_to_string(&self.log)
                .unwrap_or_default()
                .contains("started:")
            {
                return Ok(());
            }
            if !self.is_running() {
                break;
            }
            // With log_level below INFO there is no "started:" line: a TCP socket that
            // accepts means the transports are up (the line, when it comes, follows at once).
            if TcpStream::connect(self.addr()).is_ok() {
                let grace = Instant::now() + Duration::from_secs(1);
                while Instant::now() < grace && !self.log_text().contains("started:") {
                    std::thread::sleep(Duration::from_millis(10));
                }
                // The socket that accepted may be another process's: ours then has exited.
                if self.is_running() {
                    return Ok(());
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(self.log_text())
    }

    /// The server's process id (None once stopped).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// What the server logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// Kills the process with SIGKILL (a crash: no shutdown code runs) and waits for it.
    pub fn kill(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits for the exit status (clean shutdown check).
    pub fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        unsafe_sigterm(child.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe_sigterm(c.id());
            std::thread::sleep(Duration::from_millis(50));
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn unsafe_sigterm(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

/// Runs `siplua` with arguments to completion (e.g. `-c -f file`).
pub fn run_siplua(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("run siplua")
}

/// A UDP client on a free loopback port.
pub struct UdpClient {
    pub sock: UdpSocket,
}

impl UdpClient {
    /// Binds a new client socket.
    pub fn new() -> UdpClient {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        UdpClient { sock }
    }

    /// This client's port (to put in Via headers).
    pub fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
    }

    /// Sends raw bytes to the server.
    pub fn send(&self, server: &Server, data: &[u8]) {
        self.sock.send_to(data, server.addr()).expect("send");
    }

    /// Waits for one datagram (None on timeout).
    pub fn recv(&self) -> Option<String> {
        let mut buf = vec![0u8; 65536];
        match self.sock.recv_from(&mut buf) {
            Ok((n, _)) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(_) => None,
        }
    }

    /// Waits at most `d` for a datagram.
    pub fn recv_timeout(&self, d: Duration) -> Option<String> {
        self.sock.set_read_timeout(Some(d)).unwrap();
        let r = self.recv();
        self.sock
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        r
    }

    /// Sends a request and returns the first reply.
    pub fn request(&self, server: &Server, data: &str) -> Option<String> {
        self.send(server, data.as_bytes());
        self.recv()
    }
}

impl Default for UdpClient {
    fn default() -> Self {
        UdpClient::new()
    }
}

/// A request with the usual headers; `{PORT}` in `extra` is the client's port.
/// `method`, request-URI, and extra header lines (each ending in CRLF) are given.
pub fn request(method: &str, ruri: &str, client_port: u16, extra: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{method} {ruri} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-test-{n};rport\r\n\
         From: <sip:alice@example.com>;tag=from{n}\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: call-{n}@test\r\n\
         CSeq: {n} {method}\r\n\
         Max-Forwards: 70\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}

/// The status code of a reply's first line.
pub fn status(reply: &str) -> u16 {
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The value of the first header `name` in a message (case-insensitive).
pub fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Sends raw bytes over a new TCP connection and reads until a full message arrives.
pub fn tcp_request(server: &Server, data: &[u8]) -> Option<String> {
    let mut s = TcpStream::connect(server.addr()).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.write_all(data).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    (!buf.is_empty()).then(|| String::from_utf8_lossy(&buf).into_owned())
}

/// Runs SIPp with arguments (a scenario from `tests/scenarios` is given as `-sf` with its
/// full path by the caller); returns its output. SIPp's own exit code is 0 when every call
/// succeeded.
pub fn sipp(args: &[&str]) -> Output {
    Command::new("sipp")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("sipp is installed (Debian sip-tester)")
}

/// Path of a scenario in `tests/scenarios`.
pub fn scenario(name: &str) -> String {
    root()
        .join("tests/scenarios")
        .join(name)
        .display()
        .to_string()
}

/// Every module the script-language tests use, loaded in a test configuration.
pub const ALL_MODULES: &str = "loadmodule \"proto_udp.so\"\nloadmodule \"proto_tcp.so\"\nloadmodule \"sl.so\"\nloadmodule \"signaling.so\"\nloadmodule \"sipmsgops.so\"\nloadmodule \"maxfwd.so\"\n";

/// A whole test configuration: one UDP and one TCP socket on `{PORT}`, one worker of each
/// (so `$var`s are predictable), INFO logging to stderr, every module, then `globals` (extra
/// global parameters, `modparam`s) and `routes` (the script).
pub fn cfg(globals: &str, routes: &str) -> String {
    format!(
        "log_level = 3\nxlog_level = 3\nstderror_enabled = yes\nsyslog_enabled = no\n\
         udp_workers = 1\ntcp_workers = 1\n\
         socket = udp:127.0.0.1:{{PORT}}\nsocket = tcp:127.0.0.1:{{PORT}}\n\
         {globals}\n{ALL_MODULES}\n{routes}\n"
    )
}

/// A proxy config as the e2e tests write them by hand: logging to stderr at level 3, one UDP
/// socket on `{PORT}` served by `udp_workers` workers, `proto_udp` and then `modules` loaded
/// (names without `.so`, in order), followed by `rest` (modparams and routes) as given.
pub fn udp_proxy_cfg(udp_workers: u32, modules: &[&str], rest: &str) -> String {
    let mut text = format!(
        "log_level = 3\nxlog_level = 3\nstderror_enabled = yes\nudp_workers = {udp_workers}\n\
         socket = udp:127.0.0.1:{{PORT}}\nloadmodule \"proto_udp.so\"\n"
    );
    for m in modules {
        text.push_str(&format!("loadmodule \"{m}.so\"\n"));
    }
    text.push_str(rest);
    text
}

/// Writes `text` to `NAME` in a scratch directory and runs `siplua -c -f` on it; returns the
/// output and the file's path (error lines start with it).
pub fn check_config(name: &str, text: &str) -> (Output, PathBuf) {
    let path = scratch("check").join(name);
    std::fs::write(&path, text).expect("write cfg");
    let out = Command::new(bin())
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .output()
        .expect("run siplua -c");
    (out, path)
}

impl Server {
    /// Waits (up to 3 s) until the log contains `needle`; true when it does.
    pub fn wait_log(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            if self.log_text().contains(needle) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl UdpClient {
    /// Sends a request and returns the first reply, panicking (with the server log) when
    /// none comes.
    pub fn ask(&self, server: &Server, data: &str) -> String {
        self.request(server, data)
            .unwrap_or_else(|| panic!("no reply to:\n{data}\nserver log:\n{}", server.log_text()))
    }

    /// True when nothing arrives within `ms` milliseconds.
    pub fn silent_for(&self, ms: u64) -> bool {
        self.recv_timeout(Duration::from_millis(ms)).is_none()
    }
}

/// The values of every header `name` in a message, in order (case-insensitive).
pub fn headers<'a>(msg: &'a str, name: &str) -> Vec<&'a str> {
    msg.split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .collect()
}

/// The reason phrase of a reply's first line.
pub fn reason(reply: &str) -> &str {
    let first = reply.lines().next().unwrap_or("");
    first.splitn(3, ' ').nth(2).unwrap_or("").trim_end()
}

/// A SIPp callee running in the background for the duration of a test (killed when
/// dropped); `transport` is SIPp's `-t` (`u1`, `t1`).
pub struct SippCallee(std::process::Child);

impl SippCallee {
    /// Starts `scenario_name` listening on `port` for `calls` calls.
    pub fn start(scenario_name: &str, port: u16, transport: &str, calls: usize) -> SippCallee {
        let child = Command::new("sipp")
            .args([
                "-sf",
                &scenario(scenario_name),
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .args(["-t", transport, "-m", &calls.to_string(), "-timeout", "30"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp is installed (Debian sip-tester)");
        std::thread::sleep(Duration::from_millis(300));
        SippCallee(child)
    }
}

impl Drop for SippCallee {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The last `n` lines of a tool's output (for failure messages).
pub fn tail(text: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(text);
    let mut lines: Vec<&str> = text.lines().rev().take(n).collect();
    lines.reverse();
    lines.join("\n")
}

/// A SIPp caller run: `calls` calls of a UAC scenario to the user `service` through a
/// server. Fill in what differs from [`SippCalls::default`] and [`run`](SippCalls::run) it
/// (or [`assert_ok`](SippCalls::assert_ok)).
pub struct SippCalls<'a> {
    /// The scenario in `tests/scenarios`.
    pub scenario: &'a str,
    /// The Request-URI user (SIPp's `-s`).
    pub service: &'a str,
    /// How many calls (`-m`).
    pub calls: usize,
    /// SIPp's transport mode (`u1`, `t1`).
    pub transport: &'a str,
    /// The caller's local port (its Contact); a free one when None.
    pub port: Option<u16>,
    /// Calls per second (`-r`); SIPp's default when None.
    pub rate: Option<usize>,
    /// Seconds before SIPp gives up and fails (`-timeout`, with `-timeout_error`).
    pub timeout: u32,
}

impl Default for SippCalls<'_> {
    fn default() -> Self {
        SippCalls {
            scenario: "call_uac.xml",
            service: "service",
            calls: 1,
            transport: "u1",
            port: None,
            rate: None,
            timeout: 30,
        }
    }
}

impl SippCalls<'_> {
    /// Runs SIPp against `server` to completion: whether every call succeeded, and a report
    /// (exit status, the tail of SIPp's statistics, its stderr) for failure messages.
    pub fn run(&self, server: &Server) -> (bool, String) {
        let port = self.port.unwrap_or_else(free_port).to_string();
        let (calls, timeout) = (self.calls.to_string(), self.timeout.to_string());
        let rate = self.rate.map(|r| r.to_string());
        let target = format!("127.0.0.1:{}", server.port);
        let scenario_path = scenario(self.scenario);
        let mut args = vec![
            "-sf",
            &scenario_path,
            &target,
            "-t",
            self.transport,
            "-i",
            "127.0.0.1",
            "-p",
            &port,
            "-s",
            self.service,
            "-m",
            &calls,
            "-timeout",
            &timeout,
            "-timeout_error",
        ];
        if let Some(rate) = &rate {
            args.extend(["-r", rate.as_str()]);
        }
        let out = sipp(&args);
        let report = format!(
            "sipp {} -t {} to {}: {:?}\n{}\n{}",
            self.scenario,
            self.transport,
            self.service,
            out.status,
            tail(&out.stdout, 40),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), report)
    }

    /// Runs SIPp against `server` and asserts every call succeeded.
    pub fn assert_ok(&self, server: &Server) {
        let (ok, report) = self.run(server);
        assert!(ok, "{report}\nserver log:\n{}", server.log_text());
    }
}

/// Writes SIPp's injection file for `users` users `{prefix}user0`, `{prefix}user1`, … into
/// `dir/name` (for `register_users.xml`) and returns its path.
pub fn users_csv(dir: &Path, name: &str, prefix: &str, users: usize) -> PathBuf {
    let mut csv = String::from("SEQUENTIAL\n");
    for i in 0..users {
        csv.push_str(&format!("{prefix}user{i};\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).expect("write users csv");
    path
}

/// Registers every user of `users` (a file from [`users_csv`]) with SIPp
/// (`tests/scenarios/register_users.xml`) over `transport` (`u1`, `t1`), `count` of them,
/// and asserts no registration failed.
pub fn sipp_register_users(server: &Server, users: &Path, transport: &str, count: usize) {
    let dir = scratch("sipp-reg");
    let local_port = free_port().to_string();
    let target = format!("127.0.0.1:{}", server.port);
    let out = sipp(&[
        &target,
        "-sf",
        &scenario("register_users.xml"),
        "-inf",
        users.to_str().unwrap(),
        "-t",
        transport,
        "-i",
        "127.0.0.1",
        "-p",
        &local_port,
        "-m",
        &count.to_string(),
        "-r",
        "500",
        "-timeout",
        "60s",
        "-timeout_error",
        "-nostdin",
        "-trace_err",
        "-error_file",
        dir.join("errors.log").to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "sipp -t {transport}: {}\n{}\nerrors:\n{}\nserver log:\n{}",
        tail(&out.stdout, 30),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(dir.join("errors.log")).unwrap_or_default(),
        server.log_text()
    );
}

/// A next hop played by the test: a UDP socket on 127.0.0.1 with a 3 s read timeout.
pub struct NextHop {
    pub sock: UdpSocket,
}

impl NextHop {
    pub fn new() -> NextHop {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        NextHop { sock }
    }

    pub fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
    }

    /// The next datagram and where it came from; panics with the server's log when none came.
    pub fn recv(&self, server: &Server) -> (String, SocketAddr) {
        let mut buf = vec![0u8; 65536];
        let (n, from) = self.sock.recv_from(&mut buf).unwrap_or_else(|_| {
            panic!(
                "nothing reached the next hop; server log:\n{}",
                server.log_text()
            )
        });
        (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
    }
}

/// One datagram received on `sock` (a next hop played by the test), as text.
pub fn recv_datagram(sock: &UdpSocket) -> Option<String> {
    let mut buf = vec![0u8; 65536];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// The next INVITE a next hop receives (ACKs of earlier branches and retransmissions are
/// skipped).
pub fn recv_invite(sock: &UdpSocket) -> Option<String> {
    loop {
        let m = recv_datagram(sock)?;
        if m.starts_with("INVITE ") {
            return Some(m);
        }
    }
}

/// The first final reply at the caller (provisional replies skipped).
pub fn recv_final(c: &UdpClient) -> Option<String> {
    loop {
        let m = c.recv()?;
        if status(&m) >= 200 {
            return Some(m);
        }
    }
}

/// A next hop's reply to `req`: its Vias, From, To (tagged `t<code>`), Call-ID and CSeq.
pub fn reply_to(req: &str, code: u16, reason: &str) -> String {
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    for line in req.split("\r\n").skip(1) {
        let name = line.split(':').next().unwrap_or("").trim();
        match name.to_ascii_lowercase().as_str() {
            "via" | "from" | "call-id" | "cseq" => out.push_str(&format!("{line}\r\n")),
            "to" => out.push_str(&format!("{line};tag=t{code}\r\n")),
            _ => {}
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

/// One expression checked through a reply header: (header suffix, script expression,
/// expected value). The route appends `X-NAME: EXPR` for each; the test reads them back.
pub type HeaderCheck<'a> = (&'a str, &'a str, &'a str);

/// The `append_to_reply` text for `checks`: one `X-NAME: EXPR` line each (CRLF escaped as
/// the script writes it).
pub fn check_header_lines(checks: &[HeaderCheck]) -> String {
    checks
        .iter()
        .map(|(n, e, _)| format!("X-{n}: {e}\\r\\n"))
        .collect()
}

/// Asserts that `reply` carries each check's expected value, listing every mismatch at once.
pub fn assert_check_headers(reply: &str, checks: &[HeaderCheck]) {
    let wrong: Vec<String> = checks
        .iter()
        .filter(|(n, _, v)| header(reply, &format!("X-{n}")) != Some(*v))
        .map(|(n, e, v)| {
            format!(
                "{e}: expected {v:?}, got {:?}",
                header(reply, &format!("X-{n}"))
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}\n{reply}", wrong.join("\n"));
}
