//! The embedded default configuration: it loads, and answers OPTIONS with 200 over UDP and
//! TCP and other requests with 501.

mod common;

use common::*;

/// The default configuration with its sockets moved to a free port.
fn default_cfg() -> String {
    std::fs::read_to_string(root().join("etc/opensips.cfg"))
        .unwrap()
        .replace("udp:127.0.0.1:5060", "udp:127.0.0.1:{PORT}")
        .replace("tcp:127.0.0.1:5060", "tcp:127.0.0.1:{PORT}")
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
