//! `proto_tls` + `tls_mgm` end to end, with certificates generated at test time and a rustls
//! SIP client (Debian's SIPp is built without TLS): REGISTER and a whole call over TLS
//! through the proxy (the callee reached over the connection it registered on), client TLS
//! from one siplua to another that verifies and requires certificates, version limits, the
//! `[domain]` form, and peers that never finish a handshake or speak plain SIP to the port.

mod common;
mod tls_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
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
fn tls_request(method: &str, ruri: &str, me: SocketAddr, user: &str, call: &str, extra: &str) -> String {
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
        let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
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
    out.push_str(&format!("Contact: <{contact}>\r\nContent-Length: 0\r\n\r\n"));
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
        .send(&tls_request("REGISTER", &aor, a, "alice", "reg-a", "Expires: 600\r\n"))
        .unwrap();
    let reply = alice.recv_final(WAIT).expect("REGISTER answered over TLS");
    assert_eq!(status(&reply), 200, "{reply}\n{}", proxy.log_text());
    assert!(proxy.wait_log("REGISTER over tls from 127.0.0.1"), "{}", proxy.log_text());

    // Bob calls her over his own TLS connection.
    let mut bob = TlsClient::connect(tls_addr(tls), client_cfg).expect("bob handshake");
    let b = bob.local;
    bob.send(&tls_request("INVITE", &aor, b, "bob", "call-1", "")).unwrap();
    let invite = alice.recv(WAIT).expect("INVITE reaches alice on her connection");
    assert!(invite.starts_with("INVITE "), "{invite}");
    let top_via = header(&invite, "Via").unwrap();
    assert!(
        top_via.starts_with(&format!("SIP/2.0/TLS 127.0.0.1:{tls};")),
        "{invite}"
    );
    let rr = header(&invite, "Record-Route").expect("record-routed");
    assert!(rr.contains(&format!("127.0.0.1:{tls};transport=tls")), "{rr}");
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
