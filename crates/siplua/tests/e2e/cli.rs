//! The command line (`-c -f`, `-V`, `-l`, `-n`, `-L`), the global parameters of the
//! configuration, and a clean shutdown on SIGTERM.

use crate::common;

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A siplua started with extra command-line arguments; killed when dropped.
struct Proc {
    child: Child,
    log: std::path::PathBuf,
}

impl Proc {
    fn start(cfg_text: &str, args: &[&str]) -> Proc {
        let dir = scratch("cli");
        let path = dir.join("test.cfg");
        std::fs::write(&path, cfg_text).unwrap();
        let log = dir.join("siplua.log");
        let child = Command::new(bin())
            .arg("-f")
            .arg(&path)
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let p = Proc { child, log };
        assert!(p.wait_log("started:"), "did not start:\n{}", p.log_text());
        p
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_log(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a request to `port` and returns the reply.
fn ask(port: u16, user: &str) -> Option<String> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let me = sock.local_addr().unwrap().port();
    sock.send_to(
        request("OPTIONS", &format!("sip:{user}@127.0.0.1"), me, "").as_bytes(),
        ("127.0.0.1", port),
    )
    .unwrap();
    let mut buf = [0u8; 8192];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

const ANSWER: &str = r#"route {
    xlog("L_DBG", "debug-line $rU\n");
    append_to_reply("X-Log-Level: $log_level\r\n");
    sl_send_reply(200, "OK");
}"#;

#[test]
fn version() {
    let out = run_siplua(&["-V"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("siplua {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn check_only_accepts_a_good_config() {
    let (out, _) = check_config("good.cfg", &cfg("", ANSWER).replace("{PORT}", "5999"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("config file ok"));
    // -c opens no socket: checking a config whose port is taken still succeeds.
    let busy = UdpSocket::bind("127.0.0.1:0").unwrap();
    let text = cfg("", ANSWER).replace("{PORT}", &busy.local_addr().unwrap().port().to_string());
    let (out, _) = check_config("busy.cfg", &text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn missing_config_file_is_an_error() {
    let out = run_siplua(&["-c", "-f", "/nonexistent/siplua.cfg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/siplua.cfg"));
}

#[test]
fn listen_workers_and_log_level_options_override_the_config() {
    let configured = free_port();
    let cli_port = free_port();
    let text = cfg("", ANSWER).replace("{PORT}", &configured.to_string());
    let listen = format!("udp:127.0.0.1:{cli_port}");
    let p = Proc::start(&text, &["-l", &listen, "-n", "3", "-L", "4"]);
    let log = p.log_text();
    assert!(
        log.contains("3 UDP worker(s) per socket, 3 TCP worker(s)"),
        "{log}"
    );
    assert!(
        log.contains(&format!("listening on UDP:127.0.0.1:{cli_port}")),
        "{log}"
    );
    assert!(
        !log.contains(&format!(":{configured}")),
        "the configured sockets are replaced: {log}"
    );
    let reply = ask(cli_port, "cli").expect("answers on the -l socket");
    assert_eq!(status(&reply), 200);
    // -L sets log_level; xlog lines follow xlog_level (3 here), as in OpenSIPS.
    assert_eq!(header(&reply, "X-Log-Level"), Some("4"), "{reply}");
    assert!(
        !p.log_text().contains("debug-line cli"),
        "xlog_level 3 hides L_DBG xlog lines whatever log_level is:\n{}",
        p.log_text()
    );
    assert!(
        ask(configured, "old").is_none(),
        "nothing listens on the configured port"
    );
}

#[test]
fn bad_listen_option_is_refused() {
    let out = run_siplua(&["-c", "-l", "sctp:127.0.0.1:5060"]);
    assert!(!out.status.success());
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let server = Server::start(&cfg("", ANSWER));
    let c = UdpClient::new();
    assert_eq!(
        status(&c.ask(
            &server,
            &request("OPTIONS", "sip:x@127.0.0.1", c.port(), "")
        )),
        200
    );
    let log = server.log.clone();
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.contains("received signal 15, shutting down"), "{text}");
    assert!(
        text.contains("siplua stopped; totals:") && text.contains("core:rcv_requests=1"),
        "{text}"
    );
}

#[test]
fn every_global_parameter_of_the_issue_is_accepted() {
    let hop = UdpSocket::bind("127.0.0.1:0").unwrap();
    hop.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let hop_port = hop.local_addr().unwrap().port();
    let text = format!(
        "log_level = 3\n\
         xlog_level = 3\n\
         stderror_enabled = yes\n\
         syslog_enabled = no\n\
         syslog_facility = LOG_LOCAL0\n\
         children = 2\n\
         tcp_workers = 2\n\
         listen = udp:127.0.0.1:{{PORT}} as proxy.example.com:5099\n\
         socket = tcp:127.0.0.1:{{PORT}}\n\
         alias = sip.example.org\n\
         mpath = \"/usr/lib/x86_64-linux-gnu/opensips/modules/\"\n\
         server_header = \"Server: global-test\"\n\
         user_agent_header = \"User-Agent: global-test-ua\"\n\
         max_while_loops = 7\n\
         {ALL_MODULES}\n\
         route {{\n\
             if ($rU == \"fwd\") {{ forward(\"udp:127.0.0.1:{hop_port}\"); exit; }}\n\
             $var(n) = 0;\n\
             while (1) {{ $var(n) += 1; }}\n\
             if (is_myself(\"sip:x@sip.example.org\")) $var(alias) = \"alias\";\n\
             if (is_myself(\"sip:x@proxy.example.com:5099\")) $var(adv) = \"advertised\";\n\
             append_to_reply(\"X-N: $var(n)\\r\\nX-Alias: $var(alias)\\r\\nX-Adv: $var(adv)\\r\\n\");\n\
             sl_send_reply(200, \"OK\");\n\
         }}\n"
    );
    let server = Server::start(&text);
    assert!(
        server
            .log_text()
            .contains("2 UDP worker(s) per socket, 2 TCP worker(s)"),
        "{}",
        server.log_text()
    );
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", c.port(), ""),
    );
    assert_eq!(header(&reply, "Server"), Some("global-test"), "{reply}");
    assert_eq!(header(&reply, "X-N"), Some("7"), "max_while_loops: {reply}");
    assert_eq!(header(&reply, "X-Alias"), Some("alias"), "{reply}");
    assert_eq!(header(&reply, "X-Adv"), Some("advertised"), "{reply}");

    // The advertised address is what goes into our Via.
    c.send(
        &server,
        request("OPTIONS", "sip:fwd@127.0.0.1", c.port(), "").as_bytes(),
    );
    let mut buf = [0u8; 8192];
    let (n, _) = hop.recv_from(&mut buf).expect("forwarded");
    let fwd = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        headers(&fwd, "Via")[0].starts_with("SIP/2.0/UDP proxy.example.com:5099;branch=z9hG4bK"),
        "{fwd}"
    );
}

#[test]
fn stderror_disabled_without_syslog_still_logs_to_stderr() {
    // With neither destination enabled, siplua keeps stderr rather than going silent.
    let server =
        Server::start(&cfg("", ANSWER).replace("stderror_enabled = yes", "stderror_enabled = no"));
    assert!(server.log_text().contains("started:"));
}
