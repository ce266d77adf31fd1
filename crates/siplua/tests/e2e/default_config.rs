//! The default configuration (etc/opensips.cfg + etc/opensips.lua): as a file and as the
//! embedded default the binary runs without -f. It loads, refuses scanners from Lua, answers
//! OPTIONS with 200 (headers added by Lua) over UDP and TCP and other requests with 501.

use crate::common;

use common::*;

/// The default configuration with its sockets moved to a free port and its Lua file found
/// from any working directory.
fn default_cfg() -> String {
    std::fs::read_to_string(root().join("etc/opensips.cfg"))
        .unwrap()
        .replace("udp:127.0.0.1:5060", "udp:127.0.0.1:{PORT}")
        .replace("tcp:127.0.0.1:5060", "tcp:127.0.0.1:{PORT}")
        .replace(
            "\"etc/opensips.lua\"",
            &format!("\"{}\"", root().join("etc/opensips.lua").display()),
        )
}

#[test]
fn default_config_checks_clean() {
    let out = run_siplua(&["-c"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("config file ok"));
}

#[test]
fn default_config_answers_options_over_udp_and_tcp() {
    let server = Server::start(&default_cfg());
    let client = UdpClient::new();
    let reply = client
        .request(
            &server,
            &request("OPTIONS", "sip:ping@127.0.0.1", client.port(), ""),
        )
        .expect("UDP reply");
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(header(&reply, "Server"), Some("siplua"));
    assert_eq!(header(&reply, "Allow"), Some("OPTIONS"));
    assert!(
        header(&reply, "X-Lua").is_some_and(|v| v.contains("answered by this worker")),
        "{reply}"
    );
    assert!(header(&reply, "To").unwrap().contains(";tag="), "{reply}");

    let tcp = request("OPTIONS", "sip:ping@127.0.0.1", 1, "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    let reply = tcp_request(&server, tcp.as_bytes()).expect("TCP reply");
    assert_eq!(status(&reply), 200, "{reply}");

    let reply = client
        .request(
            &server,
            &request("MESSAGE", "sip:bob@127.0.0.1", client.port(), ""),
        )
        .expect("reply");
    assert_eq!(status(&reply), 501, "{reply}");
    assert!(server.stop().success());
}

#[test]
fn default_config_refuses_scanners_from_lua() {
    let server = Server::start(&default_cfg());
    let client = UdpClient::new();
    let scan = request(
        "OPTIONS",
        "sip:100@127.0.0.1",
        client.port(),
        "User-Agent: friendly-scanner\r\n",
    );
    let reply = client.request(&server, &scan).expect("reply");
    assert_eq!(status(&reply), 403, "{reply}");
}

/// `siplua` with no -f: the embedded copies of both files, sockets moved with -l.
#[test]
fn embedded_default_runs_without_a_config_file() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let port = free_port();
    let dir = scratch("embedded");
    let log = dir.join("siplua.log");
    let mut child = Command::new(bin())
        .args([
            "-l",
            &format!("udp:127.0.0.1:{port}"),
            "-l",
            &format!("tcp:127.0.0.1:{port}"),
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("started:")
    {
        assert!(
            Instant::now() < deadline,
            "did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let client = UdpClient::new();
    client
        .sock
        .send_to(
            request("OPTIONS", "sip:ping@127.0.0.1", client.port(), "").as_bytes(),
            ("127.0.0.1", port),
        )
        .unwrap();
    let reply = client.recv().expect("reply");
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let status_code = child.wait().unwrap();
    assert_eq!(status(&reply), 200, "{reply}");
    assert!(
        header(&reply, "X-Lua").is_some(),
        "Lua ran from the embedded copy: {reply}"
    );
    assert!(status_code.success());
    let written = std::env::temp_dir().join(format!("siplua-default-{}.lua", child.id()));
    assert!(
        !written.exists(),
        "the embedded Lua file is removed at exit"
    );
}
