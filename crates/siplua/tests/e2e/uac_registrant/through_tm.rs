//! The REGISTERs are tm's client transactions: over UDP tm retransmits one the registrar
//! ignored (the registrar answers the retransmission) and gives up after tm's `fr_timeout`
//! (`REGISTER_TIMEOUT_STATE`, then a retry on a new Call-ID); a registrar over TCP gets the
//! challenge answered on the connection siplua opened; without tm the configuration does not
//! load, as in OpenSIPS.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use super::*;

/// The next datagram on `sock`, retransmissions included.
fn datagram(sock: &UdpSocket, server: &Server) -> (String, std::net::SocketAddr) {
    let mut buf = vec![0u8; 65536];
    let (n, from) = sock
        .recv_from(&mut buf)
        .unwrap_or_else(|e| panic!("no REGISTER ({e}); log:\n{}", server.log_text()));
    (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
}

/// A row of `registrar` for `aor` with password `pw`.
fn row<'a>(registrar: &'a str, aor: &'a str, binding: &'a str) -> Row<'a> {
    Row {
        registrar,
        aor,
        password: "pw",
        binding,
        params: "",
        expiry: 600,
        socket: "",
        state: 0,
    }
}

/// An ignored REGISTER is retransmitted by tm after T1 with the same bytes; the answer to the
/// retransmission registers. A REGISTER never answered ends after tm's `fr_timeout` (2 s
/// here; siplua's own transaction waited 30 s) and is retried on a new Call-ID.
#[test]
fn udp_retransmissions_and_timeout_are_tm_s() {
    let dir = scratch("reg_tm_udp");
    let registrar = Registrar::new();
    let reg_uri = registrar.uri();
    let aor = "sip:rt@trunk.example";
    let binding = "sip:rt@siplua.test";
    write_text_table(&dir, &[row(&reg_uri, aor, binding)]);
    let extra = "modparam(\"tm\", \"fr_timeout\", 2)\n";
    let mi = MiServer::start(
        &globals(&format!("text://{}", dir.display()), "db_text", extra),
        ROUTES,
    );
    let server = &mi.server;

    let (first, _) = datagram(&registrar.sock, server);
    let sent = Instant::now();
    assert!(first.starts_with("REGISTER "), "{first}");
    let (again, from) = datagram(&registrar.sock, server);
    let after = sent.elapsed();
    assert_eq!(again, first, "a retransmission is the same request");
    assert!(
        after >= Duration::from_millis(400) && after < Duration::from_millis(1500),
        "retransmitted after {after:?}"
    );
    registrar.answer(&again, from, 200, "OK", "Expires: 600\r\n");
    let r = wait_state(&mi, aor, "REGISTERED_STATE");
    assert_eq!(r["expires"], 600, "{r}");

    // Forced again, never answered: tm's fr_timeout ends it.
    let key = format!(r#"{{"aor":"{aor}","contact":"{binding}"}}"#);
    assert_eq!(mi_call(&mi, "reg_force_register", &key)["result"], "OK");
    let (forced, _) = datagram(&registrar.sock, server);
    let forced_at = Instant::now();
    assert_eq!(header(&forced, "CSeq"), Some("2 REGISTER"), "{forced}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = record(&mi, aor)["state"].clone();
        if state == "REGISTER_TIMEOUT_STATE" {
            break;
        }
        assert_eq!(state, "REGISTERING_STATE", "while waiting");
        assert!(
            Instant::now() < deadline,
            "no timeout; log:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let waited = forced_at.elapsed();
    assert!(
        waited >= Duration::from_millis(1800) && waited < Duration::from_millis(3500),
        "timed out after {waited:?}"
    );
    // The retry (failure_retry_interval 2 s) starts over on a new Call-ID.
    let retry = loop {
        let (m, from) = datagram(&registrar.sock, server);
        if header(&m, "Call-ID") != header(&forced, "Call-ID") {
            break (m, from);
        }
    };
    assert_eq!(header(&retry.0, "CSeq"), Some("1 REGISTER"), "{}", retry.0);
    registrar.answer(&retry.0, retry.1, 200, "OK", "Expires: 600\r\n");
    wait_state(&mi, aor, "REGISTERED_STATE");
}

/// One request read from a TCP stream (no body).
fn read_request(reader: &mut BufReader<TcpStream>) -> String {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).expect("read the REGISTER");
        assert!(n > 0, "connection closed after {text:?}");
        text.push_str(&line);
        if line == "\r\n" {
            return text;
        }
    }
}

/// A registrar reached over TCP: siplua connects, the 401 comes back on that connection and
/// is answered on it, the 200 registers.
#[test]
fn registers_over_tcp() {
    let dir = scratch("reg_tm_tcp");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let reg_uri = format!(
        "sip:127.0.0.1:{};transport=tcp",
        listener.local_addr().unwrap().port()
    );
    let aor = "sip:tcp@trunk.example";
    write_text_table(&dir, &[row(&reg_uri, aor, "sip:tcp@siplua.test")]);
    let mi = MiServer::start(
        &globals(&format!("text://{}", dir.display()), "db_text", ""),
        ROUTES,
    );
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(6)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);

    let first = read_request(&mut reader);
    assert!(
        first.starts_with(&format!("REGISTER {reg_uri} SIP/2.0\r\n")),
        "{first}"
    );
    assert!(
        header(&first, "Via").unwrap().starts_with("SIP/2.0/TCP "),
        "{first}"
    );
    let challenge = reply_to(&first, 401, "Unauthorized").replace(
        "Content-Length: 0\r\n",
        "WWW-Authenticate: Digest realm=\"trunk.example\", nonce=\"tcpnonce\", qop=\"auth\"\r\nContent-Length: 0\r\n",
    );
    writer.write_all(challenge.as_bytes()).unwrap();

    let second = read_request(&mut reader);
    assert_eq!(header(&second, "CSeq"), Some("2 REGISTER"), "{second}");
    assert_eq!(header(&second, "Call-ID"), header(&first, "Call-ID"));
    let auth = header(&second, "Authorization").expect("credentials");
    assert_eq!(param(auth, "nonce"), "tcpnonce");
    assert_eq!(
        param(auth, "response"),
        expected_response(Algorithm::Md5, "REGISTER", auth, "pw")
    );
    let ok = reply_to(&second, 200, "OK").replace(
        "Content-Length: 0\r\n",
        "Expires: 900\r\nContent-Length: 0\r\n",
    );
    writer.write_all(ok.as_bytes()).unwrap();
    let r = wait_state(&mi, aor, "REGISTERED_STATE");
    assert_eq!(r["expires"], 900, "{r}");
    assert_eq!(r["ip"], "127.0.0.1", "{r}");
}

/// Without tm loaded the configuration is refused, naming the dependency, at the
/// `loadmodule` line.
#[test]
fn needs_tm() {
    let dir = scratch("reg_tm_missing");
    write_text_table(&dir, &[]);
    let url = format!("text://{}", dir.display());
    let text = cfg(
        &globals(&url, "db_text", "").replace("loadmodule \"tm.so\"\n", ""),
        ROUTES,
    )
    .replace("{PORT}", &free_port().to_string());
    let (out, path) = check_config("registrant_no_tm.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("needs module tm") && err.contains(&format!("{}:", path.display())),
        "{err}"
    );
}
