//! SIP capture to Homer end to end: `proto_hep` + `tracer` (3.x `trace()`) and `siptrace`
//! (2.x `sip_trace()`). The test plays the Homer collector on a UDP (or TCP) socket, decodes
//! the HEPv3 chunks of what arrives and checks addresses, ports, protocol numbers, capture
//! id, correlation id and that the payload is the exact SIP message that crossed the wire.

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::time::Duration;

use crate::common;

use common::*;

/// One decoded HEPv3 packet: chunk type id to data.
struct Hep(HashMap<u16, Vec<u8>>);

impl Hep {
    /// Decodes a whole packet (the test's own reading of the format), panicking on a
    /// malformed one.
    fn decode(p: &[u8]) -> Hep {
        assert_eq!(&p[..4], b"HEP3", "magic");
        assert_eq!(u16::from_be_bytes([p[4], p[5]]) as usize, p.len(), "length");
        let mut chunks = HashMap::new();
        let mut i = 6;
        while i < p.len() {
            let vendor = u16::from_be_bytes([p[i], p[i + 1]]);
            let ty = u16::from_be_bytes([p[i + 2], p[i + 3]]);
            let len = u16::from_be_bytes([p[i + 4], p[i + 5]]) as usize;
            assert_eq!(vendor, 0, "generic chunks only");
            assert!(len >= 6 && i + len <= p.len(), "chunk {ty} length {len}");
            chunks.insert(ty, p[i + 6..i + len].to_vec());
            i += len;
        }
        Hep(chunks)
    }

    fn u8(&self, ty: u16) -> u8 {
        self.0[&ty][0]
    }

    fn u16(&self, ty: u16) -> u16 {
        u16::from_be_bytes(self.0[&ty][..2].try_into().unwrap())
    }

    fn u32(&self, ty: u16) -> u32 {
        u32::from_be_bytes(self.0[&ty][..4].try_into().unwrap())
    }

    fn ip(&self, ty: u16) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(
            <[u8; 4]>::try_from(&self.0[&ty][..]).unwrap(),
        ))
    }

    fn src(&self) -> SocketAddr {
        SocketAddr::new(self.ip(3), self.u16(7))
    }

    fn dst(&self) -> SocketAddr {
        SocketAddr::new(self.ip(4), self.u16(8))
    }

    fn payload(&self) -> String {
        String::from_utf8(self.0[&0x0f].clone()).unwrap()
    }

    fn text(&self, ty: u16) -> String {
        String::from_utf8(self.0[&ty].clone()).unwrap()
    }

    /// Checks the chunks every SIP capture over UDP/IPv4 carries.
    fn assert_sip_over_udp(&self, capture_id: u32) {
        assert_eq!(self.u8(1), 2, "IPv4 family");
        assert_eq!(self.u8(2), 17, "UDP");
        assert_eq!(self.u8(0x0b), 1, "protocol type SIP");
        assert_eq!(self.u32(0x0c), capture_id, "capture id");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as u32;
        let sec = self.u32(9);
        assert!(sec <= now && now - sec < 30, "timestamp {sec} vs {now}");
        assert!(self.u32(0x0a) < 1_000_000, "microseconds");
    }
}

/// The test's Homer collector on UDP.
struct Collector(UdpSocket);

impl Collector {
    fn new() -> Collector {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        Collector(s)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    /// The next packet, or None within the timeout.
    fn next(&self) -> Option<Hep> {
        let mut buf = vec![0u8; 70_000];
        let (n, _) = self.0.recv_from(&mut buf).ok()?;
        Some(Hep::decode(&buf[..n]))
    }

    /// `n` packets, panicking with the server log when fewer come.
    fn take(&self, n: usize, server: &Server) -> Vec<Hep> {
        (0..n)
            .map(|i| {
                self.next().unwrap_or_else(|| {
                    panic!("HEP packet {i} of {n} missing; log:\n{}", server.log_text())
                })
            })
            .collect()
    }

    /// Every packet until the collector has been silent for a moment.
    fn drain(&self) -> Vec<Hep> {
        self.0
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let all = std::iter::from_fn(|| self.next()).collect();
        self.0
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        all
    }

    fn silent(&self) -> bool {
        self.0
            .set_read_timeout(Some(Duration::from_millis(400)))
            .unwrap();
        let r = self.next().is_none();
        self.0
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        r
    }
}

/// The one packet of `packets` going from `src` to `dst`.
fn between(packets: &[Hep], src: SocketAddr, dst: SocketAddr) -> &Hep {
    let found: Vec<&Hep> = packets
        .iter()
        .filter(|p| p.src() == src && p.dst() == dst)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one packet {src} -> {dst}; got {:?}",
        packets
            .iter()
            .map(|p| (p.src(), p.dst()))
            .collect::<Vec<_>>()
    );
    found[0]
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn hep_globals(collector: u16, module: &str, extra: &str) -> String {
    format!(
        "loadmodule \"proto_hep.so\"\nloadmodule \"{module}.so\"\n{extra}\n\
         modparam(\"proto_hep\", \"hep_id\", \"[hep_dst] 127.0.0.1:{collector}; transport=udp; version=3\")\n\
         modparam(\"proto_hep\", \"hep_capture_id\", 2001)\n\
         modparam(\"proto_hep\", \"homer5_on\", 1)\n\
         modparam(\"{module}\", \"trace_id\", \"[tid]uri=hep:hep_dst\")\n"
    )
}

#[test]
fn message_scope_captures_the_request_and_the_stateless_reply() {
    let col = Collector::new();
    let s = Server::start(&cfg(
        &hep_globals(col.port(), "tracer", ""),
        r#"route {
            if ($rU == "traced") {
                trace("tid", "m", "sip");
            }
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:traced@127.0.0.1", c.port(), "");
    let reply = c.ask(&s, &req);
    assert_eq!(status(&reply), 200, "{reply}");
    let client = local(c.port());
    let packets = col.take(2, &s);
    let r = between(&packets, client, s.addr());
    r.assert_sip_over_udp(2001);
    assert_eq!(r.payload(), req, "the request as received");
    assert_eq!(
        r.text(0x11),
        header(&req, "Call-ID").unwrap(),
        "correlation id"
    );
    let a = between(&packets, s.addr(), client);
    a.assert_sip_over_udp(2001);
    assert_eq!(a.payload(), reply, "the reply as sent");
    assert!(col.silent(), "nothing more");

    let other = request("OPTIONS", "sip:plain@127.0.0.1", c.port(), "");
    assert_eq!(status(&c.ask(&s, &other)), 200);
    assert!(col.silent(), "an untraced request is not captured");
}

#[test]
fn transaction_scope_captures_both_legs_of_a_relayed_request() {
    let col = Collector::new();
    let hop = NextHop::new();
    let s = Server::start(&cfg(
        &hep_globals(col.port(), "tracer", "loadmodule \"tm.so\""),
        &r#"route {
            trace("tid", "t");
            t_relay("udp:127.0.0.1:HOP");
        }"#
        .replace("HOP", &hop.port().to_string()),
    ));
    let c = UdpClient::new();
    let req = request("MESSAGE", "sip:bob@127.0.0.1", c.port(), "");
    c.send(&s, req.as_bytes());
    let (fwd, from) = hop.recv(&s);
    let answer = reply_to(&fwd, 200, "OK");
    hop.sock.send_to(answer.as_bytes(), from).unwrap();
    let relayed = recv_final(&c).expect("the 200 relayed");
    let (client, hop_addr) = (local(c.port()), local(hop.port()));
    let packets = col.take(4, &s);
    for p in &packets {
        p.assert_sip_over_udp(2001);
    }
    assert_eq!(between(&packets, client, s.addr()).payload(), req);
    let out = between(&packets, from, hop_addr);
    assert_eq!(out.payload(), fwd, "the forwarded copy as sent");
    assert_eq!(between(&packets, hop_addr, from).payload(), answer);
    assert_eq!(between(&packets, s.addr(), client).payload(), relayed);
    assert!(col.silent(), "nothing more");
}

#[test]
fn siptrace_2x_dialog_scope_follows_the_bye() {
    let col = Collector::new();
    let hop = NextHop::new();
    let s = Server::start(&cfg(
        &hep_globals(col.port(), "siptrace", "loadmodule \"tm.so\""),
        &r#"route {
            if (!has_totag()) {
                sip_trace("tid", "d");
            }
            t_relay("udp:127.0.0.1:HOP");
        }"#
        .replace("HOP", &hop.port().to_string()),
    ));
    let c = UdpClient::new();
    let invite = request("INVITE", "sip:bob@127.0.0.1", c.port(), "");
    c.send(&s, invite.as_bytes());
    let (fwd, from) = hop.recv(&s);
    let ok = reply_to(&fwd, 200, "OK");
    hop.sock.send_to(ok.as_bytes(), from).unwrap();
    recv_final(&c).expect("the 200 relayed");
    // INVITE in and out, 200 in, 100 Trying and 200 out.
    let first = col.drain();
    assert_eq!(first.len(), 5, "{}", s.log_text());
    assert_eq!(between(&first, local(c.port()), s.addr()).payload(), invite);
    // The BYE of the same call: the script does not call sip_trace() for it.
    let to = format!("{};tag=t200", header(&invite, "To").unwrap());
    let bye = invite
        .replacen("INVITE sip", "BYE sip", 1)
        .replace(
            &format!("To: {}", header(&invite, "To").unwrap()),
            &format!("To: {to}"),
        )
        .replace(" INVITE\r\n", " BYE\r\n")
        .replace("branch=z9hG4bK-test-", "branch=z9hG4bK-bye-");
    c.send(&s, bye.as_bytes());
    let (fwd_bye, _) = hop.recv(&s);
    assert!(fwd_bye.starts_with("BYE "), "{fwd_bye}");
    hop.sock
        .send_to(reply_to(&fwd_bye, 200, "OK").as_bytes(), from)
        .unwrap();
    recv_final(&c).expect("the BYE's 200 relayed");
    let second = col.drain();
    assert_eq!(second.len(), 4, "BYE in and out, its 200 in and out");
    let bye_in = between(&second, local(c.port()), s.addr());
    assert_eq!(bye_in.payload(), bye);
    assert_eq!(between(&second, from, local(hop.port())).payload(), fwd_bye);
    for p in &second {
        p.assert_sip_over_udp(2001);
        assert_eq!(p.text(0x11), header(&invite, "Call-ID").unwrap());
    }
}

#[test]
fn hep_over_tcp_is_the_default_transport_and_trace_local_ip_is_the_source() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"proto_hep.so\"\nloadmodule \"tracer.so\"\n\
             modparam(\"proto_hep\", \"hep_id\", \"[h] 127.0.0.1:{port}\")\n\
             modparam(\"tracer\", \"trace_id\", \"[tid]uri=hep:h\")\n\
             modparam(\"tracer\", \"trace_local_ip\", \"udp:10.1.1.1:5064\")\n"
        ),
        r#"route { trace("tid", "m"); sl_send_reply(404, "Not Here"); }"#,
    ));
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:x@127.0.0.1", c.port(), "");
    let reply = c.ask(&s, &req);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut packets = Vec::new();
    let mut buf = Vec::new();
    while packets.len() < 2 {
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).expect("HEP over TCP");
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
        while buf.len() >= 6 {
            let len = u16::from_be_bytes([buf[4], buf[5]]) as usize;
            if buf.len() < len {
                break;
            }
            packets.push(Hep::decode(&buf[..len]));
            buf.drain(..len);
        }
    }
    assert_eq!(between(&packets, local(c.port()), s.addr()).payload(), req);
    // trace_local_ip stands for the source of what siplua sends.
    let out = between(&packets, "10.1.1.1:5064".parse().unwrap(), local(c.port()));
    assert_eq!(out.payload(), reply);
    out.assert_sip_over_udp(1);
}

/// The position-carrying load error for `body`, as `siplua -c` prints it.
fn load_error(name: &str, body: &str) -> String {
    let text = format!(
        "socket = udp:127.0.0.1:{}\nloadmodule \"proto_udp.so\"\nloadmodule \"sl.so\"\n{body}",
        free_port()
    );
    let (out, path) = check_config(name, &text);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{name} loaded:\n{err}");
    err.replace(&path.display().to_string(), "FILE")
}

#[test]
fn bad_hep_id_and_trace_id_are_load_errors() {
    let err = load_error(
        "bad-hep-id.cfg",
        "loadmodule \"proto_hep.so\"\n\
         modparam(\"proto_hep\", \"hep_id\", \"[h] 127.0.0.1:9060; version=7\")\n",
    );
    assert!(err.contains("FILE:5:"), "{err}");
    assert!(err.contains("bad version '7'"), "{err}");

    let err = load_error(
        "bad-trace-id.cfg",
        "loadmodule \"tracer.so\"\n\
         modparam(\"tracer\", \"trace_id\", \"[t]uri=mysql://u:p@localhost/opensips\")\n",
    );
    assert!(err.contains("FILE:5:"), "{err}");
    assert!(err.contains("not supported by siplua"), "{err}");

    let err = load_error(
        "unknown-hep.cfg",
        "loadmodule \"proto_hep.so\"\nloadmodule \"tracer.so\"\n\
         modparam(\"tracer\", \"trace_id\", \"[t]uri=hep:nowhere\")\n",
    );
    assert!(err.contains("no hep_id 'nowhere'"), "{err}");

    let err = load_error(
        "unknown-trace-id.cfg",
        "loadmodule \"proto_hep.so\"\nloadmodule \"tracer.so\"\n\
         modparam(\"proto_hep\", \"hep_id\", \"[h] 127.0.0.1:9060\")\n\
         modparam(\"tracer\", \"trace_id\", \"[t]uri=hep:h\")\n\
         route {\n    trace(\"other\", \"t\");\n}\n",
    );
    assert!(err.contains("FILE:9:5:"), "{err}");
    assert!(err.contains("unknown trace_id 'other'"), "{err}");
}

#[test]
fn mi_trace_lists_and_switches_tracing() {
    use crate::mi_support::MiServer;
    let col = Collector::new();
    let mi = MiServer::start(
        &hep_globals(col.port(), "tracer", ""),
        r#"route { trace("tid", "m"); sl_send_reply(200, "OK"); }"#,
    );
    let call = |params: &str| {
        let (code, body) = mi.post(&format!(
            r#"{{"jsonrpc":"2.0","method":"trace","params":{params},"id":1}}"#
        ));
        assert_eq!(code, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()
    };
    let r = call("{}");
    assert_eq!(r["result"]["global"], "on", "{r}");
    assert_eq!(r["result"]["ids"][0]["name"], "tid", "{r}");
    assert_eq!(r["result"]["ids"][0]["uris"][0], "hep:hep_dst", "{r}");

    let c = UdpClient::new();
    let options = || request("OPTIONS", "sip:x@127.0.0.1", c.port(), "");
    assert_eq!(call(r#"{"mode":"off"}"#)["result"], "OK");
    assert_eq!(status(&c.ask(&mi.server, &options())), 200);
    assert!(col.silent(), "global switch off");

    call(r#"{"mode":"on"}"#);
    call(r#"{"mode":"off","id":"tid"}"#);
    assert_eq!(call("{}")["result"]["ids"][0]["state"], "off");
    assert_eq!(status(&c.ask(&mi.server, &options())), 200);
    assert!(col.silent(), "trace id off");

    call(r#"{"mode":"on","id":"tid"}"#);
    assert_eq!(status(&c.ask(&mi.server, &options())), 200);
    assert_eq!(col.take(2, &mi.server).len(), 2, "on again");
    let r = call(r#"{"mode":"maybe"}"#);
    assert!(r["error"].is_object(), "{r}");
}

#[test]
fn siptrace_1x_duplicate_uri_copies_the_plain_message() {
    let copy = UdpSocket::bind("127.0.0.1:0").unwrap();
    copy.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"siptrace.so\"\n\
             modparam(\"siptrace\", \"duplicate_uri\", \"sip:127.0.0.1:{}\")\n\
             modparam(\"siptrace\", \"trace_flag\", 22)\n",
            copy.local_addr().unwrap().port()
        ),
        r#"route { sip_trace(); sl_send_reply(200, "OK"); }"#,
    ));
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:x@127.0.0.1", c.port(), "");
    let reply = c.ask(&s, &req);
    let mut got = vec![
        recv_datagram(&copy).expect("the request copied"),
        recv_datagram(&copy).expect("the reply copied"),
    ];
    got.sort();
    let mut want = vec![req, reply];
    want.sort();
    assert_eq!(got, want, "plain copies of the request and the reply");
    assert!(
        s.log_text().contains("trace_flag has no effect"),
        "{}",
        s.log_text()
    );
}
