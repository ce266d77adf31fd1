//! `proto_tls` + `tls_mgm` end to end, with certificates generated at test time and a rustls
//! SIP client (Debian's SIPp is built without TLS): REGISTER and a whole call over TLS
//! through the proxy (the callee reached over the connection it registered on), client TLS
//! from one siplua to another that verifies and requires certificates, version limits, the
//! `[domain]` form, and peers that never finish a handshake or speak plain SIP to the port.

use crate::common;
use crate::tls_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use common::*;
use tls_support::{Pki, TlsClient};

const WAIT: Duration = Duration::from_secs(5);

/// Proxy + registrar; `{TLS}` is its TLS port, `{TLSPARAMS}` the `tls_mgm` parameters.
const PROXY: &str = r#"log_level = 3
xlog_level = 3
stderror_enabled = yes
syslog_enabled = no
udp_workers = 1
tcp_workers = 2
socket = udp:127.0.0.1:{PORT}
socket = tcp:127.0.0.1:{PORT}
socket = tls:127.0.0.1:{TLS}
loadmodule "proto_udp.so"
loadmodule "proto_tcp.so"
loadmodule "proto_tls.so"
loadmodule "tls_mgm.so"
{TLSPARAMS}
modparam("proto_tls", "tls_handshake_timeout", 600)
modparam("proto_tls", "tls_send_timeout", 1000)
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "signaling.so"
loadmodule "sipmsgops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
route {
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
            exit;
        }
        if (is_method("ACK")) {
            if (t_check_trans())
                t_relay();
            exit;
        }
        sl_send_reply(404, "Not here");
        exit;
    }
    if (is_method("REGISTER")) {
        xlog("L_INFO", "REGISTER over $proto from $si\n");
        if (!save("location"))
            sl_send_reply(500, "save failed");
        exit;
    }
    record_route();
    if (!lookup("location")) {
        sl_send_reply(404, "Not Found");
        exit;
    }
    append_hf("X-Proto: $proto\r\n");
    if (!t_relay())
        sl_send_reply(500, "relay failed");
}
"#;

/// `tls_mgm` lines for a server that does not ask clients for certificates.
fn server_params(pki: &Pki, method: &str) -> String {
    format!(
        r#"modparam("tls_mgm", "certificate", "{}")
modparam("tls_mgm", "private_key", "{}")
modparam("tls_mgm", "ca_list", "{}")
modparam("tls_mgm", "verify_cert", "0")
modparam("tls_mgm", "require_cert", "0")
modparam("tls_mgm", "tls_method", "{method}")
modparam("tls_mgm", "ciphers_list", "HIGH:!aNULL")"#,
        pki.server.0.display(),
        pki.server.1.display(),
        pki.ca.display()
    )
}

/// Starts `cfg` in `dir` with a free TLS port put for `{TLS}`; returns the server and that port.
fn start(dir: &Path, cfg: &str) -> (Server, u16) {
    let tls = free_port();
    let server = Server::start_in(dir, &cfg.replace("{TLS}", &tls.to_string()));
    (server, tls)
}

fn tls_addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A request from the user agent at `me` (TLS), with its Via and Contact there.
fn tls_request(
    method: &str,
    ruri: &str,
    me: SocketAddr,
    user: &str,
    call: &str,
    extra: &str,
) -> String {
    format!(
        "{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/TLS {me};branch=z9hG4bK-{call}-{method}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag=from-{call}\r\n\
         To: <{to}>\r\nCall-ID: {call}\r\nCSeq: 1 {method}\r\n\
         Contact: <sip:{user}@{me};transport=tls>\r\n{extra}Content-Length: 0\r\n\r\n",
        to = ruri.split(';').next().unwrap_or(ruri),
    )
}

/// A reply to `req` as its user agent server would send it (Vias, From, To with a tag,
/// Call-ID, CSeq and Record-Route copied).
fn reply_to(req: &str, code: u16, contact: &str) -> String {
    let mut out = format!("SIP/2.0 {code} OK\r\n");
    for line in req.lines() {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match name.as_str() {
            "via" | "v" | "from" | "f" | "call-id" | "i" | "cseq" | "record-route" => {
                out.push_str(line);
                out.push_str("\r\n");
            }
            "to" | "t" if line.contains("tag=") => {
                out.push_str(line);
                out.push_str("\r\n");
            }
            "to" | "t" => {
                out.push_str(line);
                out.push_str(";tag=callee\r\n");
            }
            _ => {}
        }
    }
    out.push_str(&format!(
        "Contact: <{contact}>\r\nContent-Length: 0\r\n\r\n"
    ));
    out
}

#[test]
fn register_and_call_over_tls() {
    let dir = scratch("tls-call");
    let pki = Pki::generate(&dir);
    let cfg = PROXY.replace("{TLSPARAMS}", &server_params(&pki, "TLSv1_2-TLSv1_3"));
    let (proxy, tls) = start(&dir, &cfg);
    let client_cfg = pki.client_config(&pki.ca, None);

    // Alice registers over TLS, with her connection's own address as contact.
    let mut alice = TlsClient::connect(tls_addr(tls), client_cfg.clone()).expect("alice handshake");
    assert_eq!(alice.version(), "TLSv1_3");
    let a = alice.local;
    let aor = format!("sip:alice@127.0.0.1:{tls}");
    alice
        .send(&tls_request(
            "REGISTER",
            &aor,
            a,
            "alice",
            "reg-a",
            "Expires: 600\r\n",
        ))
        .unwrap();
    let reply = alice.recv_final(WAIT).expect("REGISTER answered over TLS");
    assert_eq!(status(&reply), 200, "{reply}\n{}", proxy.log_text());
    assert!(
        proxy.wait_log("REGISTER over tls from 127.0.0.1"),
        "{}",
        proxy.log_text()
    );

    // Bob calls her over his own TLS connection.
    let mut bob = TlsClient::connect(tls_addr(tls), client_cfg).expect("bob handshake");
    let b = bob.local;
    bob.send(&tls_request("INVITE", &aor, b, "bob", "call-1", ""))
        .unwrap();
    let invite = alice
        .recv(WAIT)
        .expect("INVITE reaches alice on her connection");
    assert!(invite.starts_with("INVITE "), "{invite}");
    let top_via = header(&invite, "Via").unwrap();
    assert!(
        top_via.starts_with(&format!("SIP/2.0/TLS 127.0.0.1:{tls};")),
        "{invite}"
    );
    let rr = header(&invite, "Record-Route").expect("record-routed");
    assert!(
        rr.contains(&format!("127.0.0.1:{tls};transport=tls")),
        "{rr}"
    );
    assert_eq!(header(&invite, "X-Proto"), Some("tls"));

    let alice_contact = format!("sip:alice@{a};transport=tls");
    alice.send(&reply_to(&invite, 200, &alice_contact)).unwrap();
    let ok = bob.recv_final(WAIT).expect("200 back to bob");
    assert_eq!(status(&ok), 200, "{ok}");
    let route = header(&ok, "Record-Route").expect("RR in 200").to_owned();

    // ACK and BYE follow the route set back over alice's connection.
    let in_dialog = |method: &str, cseq: u32| {
        format!(
            "{method} {alice_contact} SIP/2.0\r\nVia: SIP/2.0/TLS {b};branch=z9hG4bK-d-{method}\r\n\
             Max-Forwards: 70\r\nRoute: {route}\r\nFrom: <sip:bob@127.0.0.1>;tag=from-call-1\r\n\
             To: <{aor}>;tag=callee\r\nCall-ID: call-1\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    bob.send(&in_dialog("ACK", 1)).unwrap();
    let ack = alice.recv(WAIT).expect("ACK reaches alice");
    assert!(ack.starts_with("ACK "), "{ack}");
    bob.send(&in_dialog("BYE", 2)).unwrap();
    let bye = alice.recv(WAIT).expect("BYE reaches alice");
    assert!(bye.starts_with("BYE "), "{bye}");
    alice.send(&reply_to(&bye, 200, &alice_contact)).unwrap();
    let bye_ok = bob.recv_final(WAIT).expect("200 for BYE");
    assert_eq!(status(&bye_ok), 200, "{bye_ok}");
    assert!(bye_ok.contains("CSeq: 2 BYE"), "{bye_ok}");
}

/// B: a TLS server (declared with the older `listen=`) that verifies and requires client
/// certificates and says how it got the request.
const B_CFG: &str = r#"log_level = 3
xlog_level = 3
stderror_enabled = yes
syslog_enabled = no
udp_workers = 1
tcp_workers = 1
socket = udp:127.0.0.1:{PORT}
socket = tcp:127.0.0.1:{PORT}
listen = tls:127.0.0.1:{TLS}
loadmodule "proto_udp.so"
loadmodule "proto_tcp.so"
loadmodule "proto_tls.so"
loadmodule "tls_mgm.so"
modparam("tls_mgm", "server_domain", "b")
modparam("tls_mgm", "certificate", "[b]{CERT}")
modparam("tls_mgm", "private_key", "[b]{KEY}")
modparam("tls_mgm", "ca_list", "[b]{CA}")
modparam("tls_mgm", "verify_cert", "[b]1")
modparam("tls_mgm", "require_cert", "[b]1")
modparam("proto_tls", "tls_handshake_timeout", 2000)
loadmodule "sl.so"
loadmodule "sipmsgops.so"
route {
    xlog("L_INFO", "B got $ci over $proto from port $sp\n");
    append_to_reply("X-B-Proto: $proto\r\nX-B-Port: $sp\r\nX-B-Via: $hdr(Via)\r\n");
    sl_send_reply(200, "B got it");
}
"#;

/// A: UDP in front, relays over TLS to `{BTLS}` with the client domain given in `{CLIENT}`.
const A_CFG: &str = r#"log_level = 3
xlog_level = 3
stderror_enabled = yes
syslog_enabled = no
udp_workers = 1
tcp_workers = 1
socket = udp:127.0.0.1:{PORT}
socket = tcp:127.0.0.1:{PORT}
socket = tls:127.0.0.1:{TLS}
loadmodule "proto_udp.so"
loadmodule "proto_tcp.so"
loadmodule "proto_tls.so"
loadmodule "tls_mgm.so"
modparam("tls_mgm", "server_domain", "a-in")
modparam("tls_mgm", "client_domain", "a-out")
modparam("tls_mgm", "certificate", "[a-in]{SERVERCERT}")
modparam("tls_mgm", "private_key", "[a-in]{SERVERKEY}")
modparam("tls_mgm", "verify_cert", "[a-in]0")
{CLIENT}
modparam("proto_tls", "tls_handshake_timeout", 2000)
loadmodule "sl.so"
loadmodule "tm.so"
modparam("tm", "fr_timeout", 2)
loadmodule "signaling.so"
route {
    if ($rU == "viadu")
        $du = "sip:127.0.0.1:{BTLS};transport=tls";
    if (!t_relay())
        sl_send_reply(500, "relay failed");
}
"#;

fn start_b(pki: &Pki) -> (Server, u16) {
    let cfg = B_CFG
        .replace("{CERT}", &pki.server.0.display().to_string())
        .replace("{KEY}", &pki.server.1.display().to_string())
        .replace("{CA}", &pki.ca.display().to_string());
    start(&scratch("tls-b"), &cfg)
}

/// Starts A relaying to B's TLS port, with these `client_domain` lines.
fn start_a(pki: &Pki, b_tls: u16, client: &str) -> Server {
    let cfg = A_CFG
        .replace("{SERVERCERT}", &pki.server.0.display().to_string())
        .replace("{SERVERKEY}", &pki.server.1.display().to_string())
        .replace("{CLIENT}", client)
        .replace("{BTLS}", &b_tls.to_string());
    start(&scratch("tls-a"), &cfg).0
}

fn client_lines(pki: &Pki, ca: &Path, with_cert: bool) -> String {
    let mut lines = format!(
        "modparam(\"tls_mgm\", \"ca_list\", \"[a-out]{}\")\nmodparam(\"tls_mgm\", \"verify_cert\", \"[a-out]1\")\n",
        ca.display()
    );
    if with_cert {
        lines.push_str(&format!(
            "modparam(\"tls_mgm\", \"certificate\", \"[a-out]{}\")\nmodparam(\"tls_mgm\", \"private_key\", \"[a-out]{}\")\n",
            pki.client.0.display(),
            pki.client.1.display()
        ));
    }
    lines
}

/// Sends an OPTIONS to A over UDP and returns A's final answer.
fn ask_a(a: &Server, ruri: &str, call: &str) -> String {
    let client = UdpClient::new();
    let req = request("OPTIONS", ruri, client.port(), "")
        .replace("Call-ID: ", &format!("Call-ID: {call}-"));
    client.send(a, req.as_bytes());
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while std::time::Instant::now() < deadline {
        match client.recv_timeout(Duration::from_millis(500)) {
            Some(r) if status(&r) >= 200 => return r,
            _ => {}
        }
    }
    panic!("no final reply from A for {call}; A log:\n{}", a.log_text());
}

#[test]
fn client_tls_to_a_server_that_requires_certificates() {
    let dir = scratch("tls-pki");
    let pki = Pki::generate(&dir);
    let (b, b_tls) = start_b(&pki);
    let a = start_a(&pki, b_tls, &client_lines(&pki, &pki.ca, true));

    // $du with ;transport=tls, then a sips: request URI: both go over TLS, on one connection.
    let first = ask_a(&a, "sip:viadu@127.0.0.1", "good");
    assert_eq!(
        status(&first),
        200,
        "{first}\nA:\n{}\nB:\n{}",
        a.log_text(),
        b.log_text()
    );
    assert_eq!(header(&first, "X-B-Proto"), Some("tls"));
    let a_via = header(&first, "X-B-Via").unwrap();
    assert!(a_via.starts_with("SIP/2.0/TLS 127.0.0.1:"), "{a_via}");
    let second = ask_a(&a, &format!("sips:bob@127.0.0.1:{b_tls}"), "sips");
    assert_eq!(status(&second), 200, "{second}\nA:\n{}", a.log_text());
    assert_eq!(
        header(&first, "X-B-Port"),
        header(&second, "X-B-Port"),
        "the second request reuses A's TLS connection"
    );
    assert!(b.wait_log("B got sips-"));
}

#[test]
fn client_tls_refuses_a_server_signed_by_an_unknown_ca() {
    let dir = scratch("tls-pki");
    let pki = Pki::generate(&dir);
    let (b, b_tls) = start_b(&pki);
    let a = start_a(&pki, b_tls, &client_lines(&pki, &pki.other_ca, true));
    let reply = ask_a(&a, "sip:viadu@127.0.0.1", "wrongca");
    assert!(status(&reply) >= 400, "{reply}");
    assert!(!b.log_text().contains("B got wrongca-"), "{}", b.log_text());
}

#[test]
fn server_requiring_a_certificate_refuses_a_client_without_one() {
    let dir = scratch("tls-pki");
    let pki = Pki::generate(&dir);
    let (b, b_tls) = start_b(&pki);
    let a = start_a(&pki, b_tls, &client_lines(&pki, &pki.ca, false));
    let reply = ask_a(&a, "sip:viadu@127.0.0.1", "nocert");
    assert!(status(&reply) >= 400, "{reply}");
    assert!(!b.log_text().contains("B got nocert-"), "{}", b.log_text());
    // The same refusal seen by a direct client: no answer to a request.
    let mut direct = match TlsClient::connect(tls_addr(b_tls), pki.client_config(&pki.ca, None)) {
        Ok(c) => c,
        Err(_) => return,
    };
    let me = direct.local;
    let _ = direct.send(&tls_request(
        "OPTIONS",
        "sip:b@127.0.0.1",
        me,
        "x",
        "direct",
        "",
    ));
    assert!(direct.recv(Duration::from_secs(2)).is_none());
}

#[test]
fn bad_peers_on_the_tls_port_neither_crash_nor_block_the_server() {
    let dir = scratch("tls-bad");
    let pki = Pki::generate(&dir);
    let cfg = PROXY.replace("{TLSPARAMS}", &server_params(&pki, "SSLv23"));
    let (mut proxy, tls) = start(&dir, &cfg);

    // A silent peer that never starts a handshake.
    let mut silent = TcpStream::connect(tls_addr(tls)).unwrap();
    // Plain SIP sent to the TLS port: no SIP answer, the connection is closed.
    let plain = request("OPTIONS", "sip:x@127.0.0.1", 5999, "");
    let mut p = TcpStream::connect(tls_addr(tls)).unwrap();
    p.set_read_timeout(Some(WAIT)).unwrap();
    p.write_all(plain.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let _ = p.read_to_end(&mut buf);
    assert!(
        !String::from_utf8_lossy(&buf).contains("SIP/2.0"),
        "{buf:?}"
    );
    // Garbage that looks like the start of a TLS record.
    let mut g = TcpStream::connect(tls_addr(tls)).unwrap();
    g.write_all(b"\x16\x03\x01\x00\x05hello\x16\x03\x01\xff\xff")
        .unwrap();
    // A client that trusts another CA: no connection.
    assert!(TlsClient::connect(tls_addr(tls), pki.client_config(&pki.other_ca, None)).is_err());

    // Meanwhile a real client registers.
    let mut ok = TlsClient::connect(tls_addr(tls), pki.client_config(&pki.ca, None)).unwrap();
    let me = ok.local;
    ok.send(&tls_request(
        "REGISTER",
        "sip:carol@127.0.0.1",
        me,
        "carol",
        "reg-c",
        "",
    ))
    .unwrap();
    let reply = ok.recv_final(WAIT).expect("REGISTER answered");
    assert_eq!(status(&reply), 200, "{reply}");

    // The silent peer is dropped after tls_handshake_timeout (600 ms).
    silent.set_read_timeout(Some(WAIT)).unwrap();
    let started = std::time::Instant::now();
    let mut one = [0u8; 1];
    assert!(matches!(silent.read(&mut one), Ok(0) | Err(_)));
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(proxy.is_running());
    let udp = UdpClient::new();
    let r = udp
        .request(
            &proxy,
            &request("OPTIONS", "sip:nobody@127.0.0.1", udp.port(), ""),
        )
        .expect("UDP still served");
    assert_eq!(status(&r), 404, "{r}");
}

#[test]
fn tls_method_and_domain_prefix_limit_the_versions() {
    let dir = scratch("tls-method");
    let pki = Pki::generate(&dir);
    let params = format!(
        r#"modparam("tls_mgm", "server_domain", "only13")
modparam("tls_mgm", "certificate", "[only13]{}")
modparam("tls_mgm", "private_key", "[only13]{}")
modparam("tls_mgm", "verify_cert", "[only13]0")
modparam("tls_mgm", "require_cert", "[only13]0")
modparam("tls_mgm", "tls_method", "[only13]TLSv1_3")"#,
        pki.server.0.display(),
        pki.server.1.display()
    );
    let (_proxy, tls) = start(&dir, &PROXY.replace("{TLSPARAMS}", &params));
    let c = TlsClient::connect(tls_addr(tls), pki.client_config(&pki.ca, None)).unwrap();
    assert_eq!(c.version(), "TLSv1_3");
    let only12 = pki.client_config_versions(&pki.ca, &[&rustls::version::TLS12]);
    assert!(TlsClient::connect(tls_addr(tls), only12).is_err());

    let (_proxy12, tls12) = start(
        &scratch("tls-method12"),
        &PROXY.replace("{TLSPARAMS}", &server_params(&pki, "TLSv1_2")),
    );
    let c = TlsClient::connect(tls_addr(tls12), pki.client_config(&pki.ca, None)).unwrap();
    assert_eq!(c.version(), "TLSv1_2");
}

#[test]
fn tls_configuration_errors_name_the_line_or_the_file() {
    let dir = scratch("tls-errors");
    let pki = Pki::generate(&dir);
    let unknown = PROXY
        .replace(
            "{TLSPARAMS}",
            "modparam(\"tls_mgm\", \"certificate\", \"[nope]/x.pem\")",
        )
        .replace("{TLS}", "5999")
        .replace("{PORT}", "5998");
    let (out, path) = check_config("unknown-domain.cfg", &unknown);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&format!("{}:14:", path.display())), "{err}");
    assert!(err.contains("nope"), "{err}");

    let missing = PROXY
        .replace(
            "{TLSPARAMS}",
            &server_params(&pki, "SSLv23")
                .replace(&pki.server.0.display().to_string(), "/nonexistent/cert.pem"),
        )
        .replace("{TLS}", "5999")
        .replace("{PORT}", "5998");
    let (out, _) = check_config("missing-cert.cfg", &missing);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("tls_mgm") && err.contains("/nonexistent/cert.pem"),
        "{err}"
    );

    let no_cert = PROXY
        .replace("{TLSPARAMS}", "")
        .replace("{TLS}", "5999")
        .replace("{PORT}", "5998");
    let (out, _) = check_config("no-cert.cfg", &no_cert);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("certificate"));
}

#[test]
fn the_tls_block_of_the_opensips_template_works() {
    let dir = scratch("tls-template");
    let pki = Pki::generate(&dir);
    // As OpenSIPS' generated configuration writes it (TLSv1 is raised to TLS 1.2 by siplua),
    // with the TLS library module it loads (siplua's library is always rustls).
    let params = format!(
        r#"loadmodule "tls_wolfssl.so"
modparam("tls_mgm", "server_domain", "default")
modparam("tls_mgm", "match_ip_address", "[default]*")
modparam("tls_mgm", "verify_cert", "[default]0")
modparam("tls_mgm", "require_cert", "[default]0")
modparam("tls_mgm", "tls_method", "[default]TLSv1")
modparam("tls_mgm", "certificate", "[default]{}")
modparam("tls_mgm", "private_key", "[default]{}")
modparam("tls_mgm", "ca_list", "[default]{}")"#,
        pki.server.0.display(),
        pki.server.1.display(),
        pki.ca.display()
    );
    let (proxy, tls) = start(&dir, &PROXY.replace("{TLSPARAMS}", &params));
    assert!(
        proxy.log_text().contains("TLSv1 is not available"),
        "{}",
        proxy.log_text()
    );
    let mut c = TlsClient::connect(tls_addr(tls), pki.client_config(&pki.ca, None)).unwrap();
    assert_eq!(c.version(), "TLSv1_2");
    let me = c.local;
    c.send(&tls_request(
        "REGISTER",
        "sip:dave@127.0.0.1",
        me,
        "dave",
        "reg-d",
        "",
    ))
    .unwrap();
    let reply = c.recv_final(WAIT).expect("REGISTER answered");
    assert_eq!(status(&reply), 200, "{reply}");
}
