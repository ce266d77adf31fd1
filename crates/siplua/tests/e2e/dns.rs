//! RFC 3263 resolution end to end: a real siplua whose `dns_server` is a real dnsmasq on
//! loopback (records from each test's command line), relaying with tm to UDP sockets that
//! play the next hops. Checks SRV priority order, NAPTR, explicit ports, the cache (a second
//! request after dnsmasq is gone), and DNS failover on 503 and on timeout.

use crate::common;
use crate::dns_support;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use common::*;
use dns_support::Dnsmasq;

/// A next hop: a UDP socket that receives requests and answers them.
struct Hop {
    sock: UdpSocket,
}

impl Hop {
    fn new() -> Hop {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        Hop { sock }
    }

    fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
    }

    /// The next datagram within `ms`, with its source.
    fn request(&self, ms: u64) -> Option<(String, SocketAddr)> {
        self.sock
            .set_read_timeout(Some(Duration::from_millis(ms)))
            .unwrap();
        let mut buf = vec![0u8; 65536];
        let (n, from) = self.sock.recv_from(&mut buf).ok()?;
        Some((String::from_utf8_lossy(&buf[..n]).into_owned(), from))
    }

    /// Answers `req` with `code`.
    fn reply(&self, req: &str, from: SocketAddr, code: u16) {
        let mut out = format!("SIP/2.0 {code} Test\r\n");
        for name in ["Via", "From", "Call-ID", "CSeq"] {
            for v in headers(req, name) {
                out.push_str(&format!("{name}: {v}\r\n"));
            }
        }
        out.push_str(&format!(
            "To: {};tag=hop\r\nContent-Length: 0\r\n\r\n",
            header(req, "To").unwrap()
        ));
        self.sock.send_to(out.as_bytes(), from).unwrap();
    }
}

/// A proxy relaying every request statefully to its Request-URI, resolved through `dns`.
fn proxy(dns: &Dnsmasq, globals: &str) -> Server {
    Server::start(&format!(
        r#"
log_level = 3
xlog_level = 3
udp_workers = 2
socket = udp:127.0.0.1:{{PORT}}
dns_server = "127.0.0.1:{}"
dns_retr_time = 1
{globals}
loadmodule "proto_udp.so"
loadmodule "sl.so"
loadmodule "tm.so"
modparam("tm", "fr_timeout", 1)

route {{
    if (!t_relay()) {{ xlog("L_INFO", "relay failed for $ru\n"); sl_reply_error(); }}
}}
"#,
        dns.port
    ))
}

/// Two SRV targets for example.test over UDP: priority 10 on `first`, 20 on `second`.
fn srv_zone(first: &Hop, second: &Hop) -> Vec<String> {
    vec![
        format!(
            "--srv-host=_sip._udp.example.test,b.example.test,{},20,0",
            second.port()
        ),
        format!(
            "--srv-host=_sip._udp.example.test,a.example.test,{},10,0",
            first.port()
        ),
        "--host-record=a.example.test,127.0.0.1".into(),
        "--host-record=b.example.test,127.0.0.1".into(),
    ]
}

#[test]
fn srv_priority_and_the_cache() {
    let (first, second) = (Hop::new(), Hop::new());
    let mut dns = Dnsmasq::start(&srv_zone(&first, &second));
    let server = proxy(&dns, "");
    let client = UdpClient::new();

    client.send(
        &server,
        request("OPTIONS", "sip:user@example.test", client.port(), "").as_bytes(),
    );
    let (req, from) = first.request(3000).unwrap_or_else(|| {
        panic!(
            "nothing at the priority-10 target; log:\n{}",
            server.log_text()
        )
    });
    assert!(
        req.starts_with("OPTIONS sip:user@example.test SIP/2.0"),
        "{req}"
    );
    first.reply(&req, from, 200);
    assert_eq!(status(&client.recv().expect("200 relayed")), 200);
    assert!(
        second.request(200).is_none(),
        "the priority-20 target got a request"
    );
    let asked = dns.queries();
    for q in [
        "NAPTR example.test",
        "SRV _sip._udp.example.test",
        "A a.example.test",
    ] {
        assert!(asked.iter().any(|a| a == q), "{q} not asked: {asked:?}");
    }

    // The answers are cached: with the name server gone the next request still resolves.
    dns.kill();
    client.send(
        &server,
        request("OPTIONS", "sip:other@example.test", client.port(), "").as_bytes(),
    );
    let (req, from) = first
        .request(3000)
        .unwrap_or_else(|| panic!("second request not relayed; log:\n{}", server.log_text()));
    assert!(req.starts_with("OPTIONS sip:other@example.test"), "{req}");
    first.reply(&req, from, 200);
    assert_eq!(status(&client.recv().expect("200 relayed")), 200);

    // A name that resolves to nothing fails the relay (not the server), within the deadline.
    let reply = client.ask(
        &server,
        &request("OPTIONS", "sip:x@nowhere.test", client.port(), ""),
    );
    assert!(status(&reply) >= 400, "{reply}");
    assert!(server
        .log_text()
        .contains("relay failed for sip:x@nowhere.test"));
}

#[test]
fn naptr_then_srv_and_explicit_ports() {
    let (via_naptr, via_srv, direct) = (Hop::new(), Hop::new(), Hop::new());
    let dns = Dnsmasq::start(&[
        "--naptr-record=nap.test,10,0,s,SIP+D2U,,_sip._udp.pool.nap.test".into(),
        format!(
            "--srv-host=_sip._udp.pool.nap.test,h.nap.test,{},10,0",
            via_naptr.port()
        ),
        format!(
            "--srv-host=_sip._udp.nap.test,h.nap.test,{},10,0",
            via_srv.port()
        ),
        "--host-record=h.nap.test,127.0.0.1".into(),
        "--host-record=nap.test,127.0.0.1".into(),
    ]);
    let client = UdpClient::new();
    let relay = |server: &Server, ruri: &str, hop: &Hop| {
        client.send(
            server,
            request("OPTIONS", ruri, client.port(), "").as_bytes(),
        );
        let (req, from) = hop
            .request(3000)
            .unwrap_or_else(|| panic!("{ruri} did not reach its hop; log:\n{}", server.log_text()));
        hop.reply(&req, from, 200);
        assert_eq!(status(&client.recv().expect("200 relayed")), 200);
    };

    let server = proxy(&dns, "");
    relay(&server, "sip:u@nap.test", &via_naptr);
    // An explicit port: the host's A record only, no NAPTR or SRV.
    relay(
        &server,
        &format!("sip:u@nap.test:{}", direct.port()),
        &direct,
    );
    assert!(via_srv.request(200).is_none());

    let server = proxy(&dns, "dns_try_naptr = no");
    relay(&server, "sip:u@nap.test", &via_srv);
}

#[test]
fn failover_to_the_next_srv_target() {
    let (first, second) = (Hop::new(), Hop::new());
    let dns = Dnsmasq::start(&srv_zone(&first, &second));
    let server = proxy(&dns, "");
    let client = UdpClient::new();

    // 503 from the first target: the same request goes to the second.
    client.send(
        &server,
        request("OPTIONS", "sip:user@example.test", client.port(), "").as_bytes(),
    );
    let (req, from) = first.request(3000).expect("request at the first target");
    first.reply(&req, from, 503);
    let (req2, from2) = second
        .request(3000)
        .unwrap_or_else(|| panic!("no failover after 503; log:\n{}", server.log_text()));
    assert_eq!(header(&req2, "Call-ID"), header(&req, "Call-ID"));
    second.reply(&req2, from2, 200);
    assert_eq!(status(&client.recv().expect("200 relayed")), 200);

    // No answer from the first target: after fr_timeout (1 s) the second one gets it.
    client.send(
        &server,
        request("OPTIONS", "sip:late@example.test", client.port(), "").as_bytes(),
    );
    assert!(first.request(3000).is_some());
    let (req2, from2) = loop {
        let (r, f) = second
            .request(3000)
            .unwrap_or_else(|| panic!("no failover after timeout; log:\n{}", server.log_text()));
        if r.starts_with("OPTIONS sip:late@") {
            break (r, f);
        }
    };
    second.reply(&req2, from2, 200);
    let reply = loop {
        let r = client.recv().expect("reply relayed");
        if status(&r) >= 200 {
            break r;
        }
    };
    assert_eq!(status(&reply), 200);

    // With failover disabled a 503 is the end of it.
    let server = proxy(&dns, "disable_dns_failover = yes");
    let (first, second) = (first, second);
    client.send(
        &server,
        request("OPTIONS", "sip:user@example.test", client.port(), "").as_bytes(),
    );
    let (req, from) = loop {
        let (r, f) = first.request(3000).expect("request at the first target");
        if header(&r, "Via").is_some_and(|v| v.contains(&format!(":{}", server.port))) {
            break (r, f);
        }
    };
    first.reply(&req, from, 503);
    let reply = client.recv().expect("final reply");
    assert!(status(&reply) >= 500, "{reply}");
    assert!(
        second.request(300).is_none(),
        "failover happened although disabled"
    );
}
