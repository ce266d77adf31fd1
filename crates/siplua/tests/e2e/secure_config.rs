//! `etc/secure.cfg` with `etc/secure.lua` and `etc/secure-users/`, unchanged but for its
//! ports and the `/etc/siplua/` directory (a scratch directory holding copies of those files
//! and certificates made with rcgen): SIPp registers two users with MD5 digest
//! authentication and calls from one to the other through the proxy; a wrong password, a
//! user registering another user's address and a caller claiming another user's From are
//! refused; a scanner is dropped by the sandboxed Lua blocklist; a REGISTER over TLS
//! authenticates; a flooding source is blocked by pike while the users still register.

use crate::auth_support;
use crate::common;
use crate::tls_support;

use std::net::UdpSocket;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use auth_support::{challenges, credentials, Answer};
use common::*;
use tls_support::{Pki, TlsClient};

/// The demo users shipped in `etc/secure-users/subscriber` (HA1 only) and their passwords.
const ALICE: (&str, &str) = ("alice", "alice-demo-pw");
const BOB: (&str, &str) = ("bob", "bob-demo-pw");

/// A running `etc/secure.cfg` and the TLS port it listens on.
struct Secure {
    server: Server,
    tls_port: u16,
    pki: Pki,
}

/// The shipped configuration with `/etc/siplua/` moved to `dir` and the ports moved to
/// free ones (`{PORT}` for UDP/TCP, `tls_port` for TLS).
fn secure_cfg(tls_port: u16) -> String {
    let text = std::fs::read_to_string(root().join("etc/secure.cfg")).expect("etc/secure.cfg");
    for line in [
        "socket = udp:127.0.0.1:5060",
        "socket = tcp:127.0.0.1:5060",
        "socket = tls:127.0.0.1:5061",
    ] {
        assert!(text.contains(line), "etc/secure.cfg has no `{line}`");
    }
    text.replace("/etc/siplua/", "{DIR}/")
        .replace("127.0.0.1:5060", "127.0.0.1:{PORT}")
        .replace("127.0.0.1:5061", &format!("127.0.0.1:{tls_port}"))
}

/// Copies the shipped Lua file and user directory into `dir` and writes certificates
/// where the configuration expects them (`tls/cert.pem`, `tls/key.pem`, `tls/ca.pem`).
fn install(dir: &Path) -> Pki {
    let etc = root().join("etc");
    std::fs::copy(etc.join("secure.lua"), dir.join("secure.lua")).expect("copy secure.lua");
    let users = dir.join("secure-users");
    std::fs::create_dir_all(&users).expect("users dir");
    for table in ["subscriber", "uri", "version"] {
        std::fs::copy(etc.join("secure-users").join(table), users.join(table))
            .expect("copy db_text table");
    }
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).expect("tls dir");
    let pki = Pki::generate(&tls);
    std::fs::copy(&pki.server.0, tls.join("cert.pem")).expect("cert.pem");
    std::fs::copy(&pki.server.1, tls.join("key.pem")).expect("key.pem");
    pki
}

fn start() -> Secure {
    let dir = scratch("secure");
    let pki = install(&dir);
    let tls_port = free_port();
    let server = Server::start_in(&dir, &secure_cfg(tls_port));
    Secure {
        server,
        tls_port,
        pki,
    }
}

fn next() -> u32 {
    static N: AtomicU32 = AtomicU32::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A REGISTER of `aor`@example.com from `client`, with `extra` header lines.
fn register_request(transport: &str, me: &str, aor: &str, extra: &str) -> String {
    let n = next();
    format!(
        "REGISTER sip:example.com SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {me};branch=z9hG4bK-sec-{n};rport\r\n\
         From: <sip:{aor}@example.com>;tag=r{n}\r\n\
         To: <sip:{aor}@example.com>\r\n\
         Call-ID: sec-{n}@test\r\n\
         CSeq: {n} REGISTER\r\n\
         Max-Forwards: 70\r\n\
         Contact: <sip:{aor}@{me}>\r\n\
         Expires: 600\r\n\
         {extra}Content-Length: 0\r\n\r\n"
    )
}

/// The `Authorization` line answering the challenge in `reply` as `user` with `password`.
fn answer(reply: &str, header: &str, method: &str, uri: &str, user: &str, pw: &str) -> String {
    let ch = challenges(reply, header)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {header} in:\n{reply}"));
    assert_eq!(ch.realm, "example.com", "{reply}");
    let a = Answer {
        username: user,
        password: pw,
        method,
        uri,
        qop: ch.qop.as_ref().map(|_| ("auth", 1)),
        body: b"",
    };
    let name = if header == "WWW-Authenticate" {
        "Authorization"
    } else {
        "Proxy-Authorization"
    };
    format!("{name}: {}\r\n", credentials(&ch, &a))
}

/// REGISTERs `aor` over UDP authenticating as `user`/`pw`; the final status.
fn register_as(s: &Server, aor: &str, user: &str, pw: &str) -> u16 {
    let c = UdpClient::new();
    let me = format!("127.0.0.1:{}", c.port());
    let first = c.ask(s, &register_request("UDP", &me, aor, ""));
    assert_eq!(status(&first), 401, "{first}\n{}", s.log_text());
    let auth = answer(
        &first,
        "WWW-Authenticate",
        "REGISTER",
        "sip:example.com",
        user,
        pw,
    );
    status(&c.ask(s, &register_request("UDP", &me, aor, &auth)))
}

/// Registers `user` with SIPp from `port` (its contact), authenticating itself.
fn sipp_register(s: &Server, (user, pw): (&str, &str), port: u16) {
    let out = sipp(&[
        "-sf",
        &scenario("register_secure_uac.xml"),
        "-s",
        user,
        "-au",
        user,
        "-ap",
        pw,
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-timeout",
        "15",
        "-timeout_error",
        &format!("127.0.0.1:{}", s.port),
    ]);
    assert!(
        out.status.success(),
        "SIPp could not register {user}:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        s.log_text()
    );
}

#[test]
fn the_shipped_file_checks_once_its_files_are_in_place() {
    if !Path::new("/etc/siplua").exists() {
        // Without the site's files `-c` names what is missing (certificates, user table).
        let out = run_siplua(&[
            "-c",
            "-f",
            &root().join("etc/secure.cfg").display().to_string(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(err.contains("/etc/siplua/tls/cert.pem"), "{err}");
        assert!(err.contains("/etc/siplua/secure-users"), "{err}");
    }
    let dir = scratch("secure-check");
    install(&dir);
    let path = dir.join("secure.cfg");
    let text = secure_cfg(free_port())
        .replace("{PORT}", &free_port().to_string())
        .replace("{DIR}", &dir.display().to_string());
    std::fs::write(&path, text).expect("write cfg");
    let out = run_siplua(&["-c", "-f", &path.display().to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn users_register_with_digest_and_call_each_other() {
    let s = start();
    let (alice_port, bob_port) = (free_port(), free_port());
    sipp_register(&s.server, ALICE, alice_port);
    sipp_register(&s.server, BOB, bob_port);

    // A wrong password is challenged again, never registered.
    assert_eq!(register_as(&s.server, "alice", "alice", "guess"), 401);
    assert!(s.server.wait_log("wrong password for alice"));
    // An unknown user neither.
    assert_eq!(register_as(&s.server, "mallory", "mallory", "x"), 401);
    // Alice, with her own password, may not register Bob's address.
    assert_eq!(register_as(&s.server, "bob", ALICE.0, ALICE.1), 403);
    assert!(s
        .server
        .wait_log("alice from 127.0.0.1 tried to register sip:bob@example.com"));

    // A call from Alice to Bob: challenged (407), then authenticated, record-routed, relayed
    // by tm to Bob's registered contact, ACK and BYE through the proxy.
    let _bob = SippCallee::start("call_uas.xml", bob_port, "u1", 2);
    let out = sipp(&[
        "-sf",
        &scenario("call_auth_uac.xml"),
        "-s",
        "bob",
        "-key",
        "caller",
        "alice",
        "-au",
        ALICE.0,
        "-ap",
        ALICE.1,
        "-m",
        "2",
        "-r",
        "2",
        "-i",
        "127.0.0.1",
        "-p",
        &alice_port.to_string(),
        "-timeout",
        "30",
        "-timeout_error",
        &format!("127.0.0.1:{}", s.server.port),
    ]);
    assert!(
        out.status.success(),
        "authenticated calls failed:\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        s.server.log_text()
    );
    assert!(s.server.log_text().contains("ACC: transaction answered"));
}

#[test]
fn a_caller_may_not_claim_another_users_from() {
    let s = start();
    let c = UdpClient::new();
    let me = format!("127.0.0.1:{}", c.port());
    let invite = |from: &str, extra: &str| {
        let n = next();
        format!(
            "INVITE sip:bob@example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP {me};branch=z9hG4bK-inv-{n};rport\r\n\
             From: <sip:{from}@example.com>;tag=i{n}\r\n\
             To: <sip:bob@example.com>\r\n\
             Call-ID: inv-{n}@test\r\n\
             CSeq: 1 INVITE\r\n\
             Max-Forwards: 70\r\n\
             Contact: <sip:{from}@{me}>\r\n\
             {extra}Content-Length: 0\r\n\r\n"
        )
    };
    let first = c.ask(&s.server, &invite("bob", ""));
    assert_eq!(status(&first), 407, "{first}");
    let auth = answer(
        &first,
        "Proxy-Authenticate",
        "INVITE",
        "sip:bob@example.com",
        ALICE.0,
        ALICE.1,
    );
    let reply = c.ask(&s.server, &invite("bob", &auth));
    assert_eq!(status(&reply), 403, "{reply}\n{}", s.server.log_text());
    assert_eq!(reason(&reply), "Forbidden auth ID");
}

#[test]
fn the_sandboxed_lua_blocklist_drops_scanners() {
    let s = start();
    let c = UdpClient::new();
    let options = |ua: &str| {
        request(
            "OPTIONS",
            "sip:example.com",
            c.port(),
            &format!("User-Agent: {ua}\r\n"),
        )
    };
    c.send(&s.server, options("friendly-scanner").as_bytes());
    assert!(c.silent_for(500), "a scanner got an answer");
    assert!(s
        .server
        .wait_log("scanner 'friendly-scanner' from 127.0.0.1 dropped"));
    // A phone is answered (challenged: From is a local user).
    let reply = c.ask(&s.server, &options("Linphone/5.2"));
    assert_eq!(status(&reply), 407, "{reply}");
}

#[test]
fn a_register_over_tls_authenticates() {
    let s = start();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], s.tls_port));
    let mut tls = TlsClient::connect(addr, s.pki.client_config(&s.pki.ca, None))
        .expect("TLS handshake with the server certificate");
    let me = tls.local.to_string();
    tls.send(&register_request("TLS", &me, "alice", ""))
        .unwrap();
    let first = tls
        .recv_final(Duration::from_secs(3))
        .expect("401 over TLS");
    assert_eq!(status(&first), 401, "{first}");
    let auth = answer(
        &first,
        "WWW-Authenticate",
        "REGISTER",
        "sip:example.com",
        ALICE.0,
        ALICE.1,
    );
    tls.send(&register_request("TLS", &me, "alice", &auth))
        .unwrap();
    let ok = tls
        .recv_final(Duration::from_secs(3))
        .expect("200 over TLS");
    assert_eq!(status(&ok), 200, "{ok}\n{}", s.server.log_text());
    let contact = header(&ok, "Contact").expect("Contact in 200");
    assert!(contact.contains(&format!("sip:alice@{me}")), "{contact}");
}

#[test]
fn pike_blocks_a_flooding_source_while_users_still_register() {
    let s = start();
    let target = s.server.addr();
    let flooder = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    flooder.set_nonblocking(true).unwrap();
    let port = flooder.local_addr().unwrap().port();
    // The flood: OPTIONS at up to ~20,000/s from one socket for 3 s (at most 60,000),
    // counting the answers it gets.
    let flood = std::thread::spawn(move || {
        let (mut sent, mut answered) = (0u32, 0u32);
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline && sent < 60_000 {
            let msg =
                request("OPTIONS", "sip:example.com", port, "").replace("127.0.0.1:", "127.0.0.2:");
            if flooder.send_to(msg.as_bytes(), target).is_ok() {
                sent += 1;
            }
            while flooder.recv_from(&mut buf).is_ok() {
                answered += 1;
            }
            if sent % 20 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let ended = Instant::now();
        std::thread::sleep(Duration::from_millis(200));
        while flooder.recv_from(&mut buf).is_ok() {
            answered += 1;
        }
        (sent, answered, ended, flooder)
    });
    assert!(
        s.server.wait_log("PIKE - BLOCKing ip 127.0.0.2"),
        "{}",
        s.server.log_text()
    );
    // During the flood the users register (SIPp, with digest authentication).
    sipp_register(&s.server, ALICE, free_port());
    sipp_register(&s.server, BOB, free_port());
    let registered = Instant::now();
    let (sent, answered, ended, flooder) = flood.join().expect("flooder");
    assert!(
        registered < ended,
        "the registrations took longer than the flood"
    );
    assert!(sent > 5000, "the flood sent only {sent}");
    // pike answers the first `reqs_density_per_unit` (30) requests, then nothing.
    assert!(
        answered <= 100,
        "pike let {answered} of {sent} flood requests through"
    );
    // Right after the flood the source is still blocked: no answer at all.
    flooder.set_nonblocking(false).unwrap();
    flooder
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let msg = request("OPTIONS", "sip:example.com", port, "").replace("127.0.0.1:", "127.0.0.2:");
    flooder.send_to(msg.as_bytes(), target).unwrap();
    let mut buf = [0u8; 4096];
    assert!(
        flooder.recv_from(&mut buf).is_err(),
        "blocked source answered"
    );
    // And the users are still served.
    assert_eq!(register_as(&s.server, "bob", BOB.0, BOB.1), 200);
}
