//! Malformed input: every invalid message of RFC 4475 (read at test time from
//! `../shared/testdata/rfc4475`, or `$SIPLUA_RFC4475_DIR`) sent to the server over UDP gets the
//! treatment the RFC asks for — a stateless 400 (505 for the unknown version), nothing for an
//! invalid response — and the server goes on serving.
//!
//! The messages are sent byte-exact except for one edit: `;rport` is inserted before the first
//! `;branch=` (that is, into the top Via). Their Via sent-by hosts (`host5.example.com`,
//! `192.0.2.53`) are not this test's socket, and for a parsed request without `rport` the
//! server answers, as RFC 3261 §18.2.2 says, at the source IP and the Via's port; with
//! `rport` (RFC 3581) the reply comes back to the test's socket. Messages that do not parse
//! are answered at the source address anyway, so the edit changes nothing for them.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;

/// What the server must do with a message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A stateless reply with this code, sent by the core before the script.
    Reply(u16),
    /// The message is valid enough for the script, which answers it.
    Script,
    /// Nothing is sent back (an invalid response).
    Nothing,
}

use Expect::*;

/// The invalid messages of RFC 4475 §3.1.2 and what a server does with each.
const INVALID: &[(&str, &str, Expect)] = &[
    (
        "badinv01",
        "3.1.2.1 extraneous header field separators",
        Reply(400),
    ),
    (
        "clerr",
        "3.1.2.2 Content-Length larger than message (UDP: 400)",
        Reply(400),
    ),
    ("ncl", "3.1.2.3 negative Content-Length", Reply(400)),
    (
        "scalar02",
        "3.1.2.4 request scalar fields with overlarge values",
        Reply(400),
    ),
    (
        "scalarlg",
        "3.1.2.5 response scalar fields with overlarge values",
        Nothing,
    ),
    (
        "quotbal",
        "3.1.2.6 unterminated quoted string in display name",
        Reply(400),
    ),
    ("ltgtruri", "3.1.2.7 <> enclosing Request-URI", Reply(400)),
    (
        "lwsruri",
        "3.1.2.8 malformed Request-URI (embedded LWS)",
        Reply(400),
    ),
    (
        "lwsstart",
        "3.1.2.9 multiple SP separating Request-Line elements",
        Reply(400),
    ),
    (
        "trws",
        "3.1.2.10 SP characters at end of Request-Line",
        Reply(400),
    ),
    (
        "escruri",
        "3.1.2.11 escaped headers in SIP Request-URI",
        Reply(400),
    ),
    // §3.1.2.12: the Date header is not needed to route; an element may ignore it.
    ("baddate", "3.1.2.12 invalid time zone in Date", Script),
    // §3.1.2.13: only a registrar interprets Contact; routing goes on.
    (
        "regbadct",
        "3.1.2.13 name-addr URI not enclosed in <>",
        Script,
    ),
    ("badaspec", "3.1.2.14 spaces within addr-spec", Reply(400)),
    (
        "baddn",
        "3.1.2.15 non-token characters in display name",
        Reply(400),
    ),
    ("badvers", "3.1.2.16 unknown protocol version", Reply(505)),
    (
        "mismatch01",
        "3.1.2.17 start line and CSeq method mismatch",
        Reply(400),
    ),
    (
        "mismatch02",
        "3.1.2.18 unknown method with CSeq method mismatch",
        Reply(400),
    ),
    ("bigcode", "3.1.2.19 overlarge response code", Nothing),
];

fn dir() -> PathBuf {
    std::env::var_os("SIPLUA_RFC4475_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/testdata/rfc4475"))
}

/// The message as sent: byte-exact but for `;rport` in the top Via (see the module doc).
fn load(name: &str) -> Vec<u8> {
    let path = dir().join(format!("{name}.dat"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let Some(at) = data
        .windows(8)
        .position(|w| w.eq_ignore_ascii_case(b";branch="))
    else {
        return data;
    };
    let mut out = data[..at].to_vec();
    out.extend_from_slice(b";rport");
    out.extend_from_slice(&data[at..]);
    out
}

fn server() -> Server {
    Server::start(&cfg(
        "server_header = \"siplua-torture\"",
        r#"route {
            append_to_reply("X-Script: ran\r\n");
            sl_send_reply(200, "Script Ran");
        }"#,
    ))
}

/// The server still answers a good request.
fn assert_alive(server: &mut Server, c: &UdpClient, after: &str) {
    assert!(
        server.is_running(),
        "server died after {after}:\n{}",
        server.log_text()
    );
    let reply = c.request(
        server,
        &request("OPTIONS", "sip:alive@127.0.0.1", c.port(), ""),
    );
    let reply = reply.unwrap_or_else(|| panic!("no answer after {after}:\n{}", server.log_text()));
    assert_eq!(status(&reply), 200, "after {after}: {reply}");
}

#[test]
fn invalid_messages_get_the_rfc_treatment() {
    let mut server = server();
    let c = UdpClient::new();
    let mut failures = Vec::new();
    for (name, what, expect) in INVALID {
        c.send(&server, &load(name));
        let got = c.recv_timeout(Duration::from_millis(if *expect == Nothing {
            300
        } else {
            2000
        }));
        let ok = match (expect, &got) {
            (Nothing, None) => true,
            (Reply(code), Some(r)) => {
                status(r) == *code
                    && header(r, "X-Script").is_none()
                    && header(r, "Server") == Some("siplua-torture")
            }
            (Script, Some(r)) => status(r) == 200 && header(r, "X-Script") == Some("ran"),
            _ => false,
        };
        if !ok {
            failures.push(format!("{name} ({what}): expected {expect:?}, got {got:?}"));
        }
        if let (Reply(_), Some(r)) = (expect, &got) {
            // A reason that says what is wrong, not just the code.
            if reason(r).is_empty() {
                failures.push(format!("{name}: empty reason phrase"));
            }
        }
        assert_alive(&mut server, &c, name);
    }
    assert!(
        failures.is_empty(),
        "{}\nserver log:\n{}",
        failures.join("\n"),
        server.log_text()
    );
}

#[test]
fn replies_to_invalid_requests_echo_call_id_and_vias() {
    let server = server();
    let c = UdpClient::new();
    for name in ["ncl", "badvers", "mismatch01", "lwsstart"] {
        let sent = String::from_utf8_lossy(&load(name)).into_owned();
        let reply = c.ask(&server, &sent);
        assert_eq!(
            header(&reply, "Call-ID"),
            header(&sent, "Call-ID"),
            "{name}: {reply}"
        );
        assert_eq!(
            header(&reply, "CSeq"),
            header(&sent, "CSeq"),
            "{name}: {reply}"
        );
        // The top Via gains the source (RFC 3261 §18.2.1, RFC 3581): each torture message
        // names a host other than 127.0.0.1, and `load` gave it an empty rport.
        let mut vias: Vec<String> = headers(&sent, "Via")
            .iter()
            .map(|v| v.to_string())
            .collect();
        vias[0] = vias[0].replacen(";rport;", &format!(";rport={};", c.port()), 1)
            + ";received=127.0.0.1";
        assert_eq!(headers(&reply, "Via"), vias, "{name}: {reply}");
        let to = header(&reply, "To").unwrap_or("");
        assert!(
            to.contains("tag="),
            "{name}: a To tag on the reply: {reply}"
        );
    }
}

#[test]
fn every_torture_message_leaves_the_server_serving() {
    let mut server = server();
    let c = UdpClient::new();
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("RFC 4475 folder (set SIPLUA_RFC4475_DIR)")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".dat")
                .map(String::from)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 49, "{names:?}");
    for name in &names {
        c.send(&server, &load(name));
        // Drain whatever comes back (at most one reply per message).
        let first = c.recv_timeout(Duration::from_millis(150));
        if first.is_some() {
            assert!(c.silent_for(50), "{name}: more than one reply");
        }
        assert_alive(&mut server, &c, name);
    }
    assert!(
        server.stop().success(),
        "clean shutdown after the torture run"
    );
}

#[test]
fn garbage_and_empty_datagrams_are_ignored() {
    let mut server = server();
    let c = UdpClient::new();
    for junk in [
        &b""[..],
        b"\r\n\r\n",
        b"hello world",
        &[0xffu8, 0x00, 0xfe, 0x10][..],
        b"INVITE",
        b"SIP/2.0 200 OK\r\n\r\n",
    ] {
        c.send(&server, junk);
        assert!(c.silent_for(100), "no reply to {junk:?}");
        assert_alive(&mut server, &c, &format!("{junk:?}"));
    }
    // A request line and Via but nothing else: 400 to the source.
    let bare = format!("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK-bare;rport\r\n\r\n", c.port());
    let reply = c.ask(&server, &bare);
    assert_eq!(status(&reply), 400, "{reply}");
}
