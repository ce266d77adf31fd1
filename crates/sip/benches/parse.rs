//! Parser benchmarks for siplua-sip, with one other Rust SIP parser
//! (`ezk-sip-types`) run on the same inputs in the same process, so the
//! ratio between the two does not depend on the machine.
//!
//! Run with short settings on a shared machine:
//!
//! ```text
//! cargo bench -p siplua-sip --bench parse -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Groups:
//! - `parse`: `Message::parse` alone (split into headers, frame the body);
//! - `core6`: parse + read the six headers every proxy reads (top Via
//!   branch and host, From tag, To, Call-ID, CSeq number and method,
//!   Max-Forwards), for siplua and for ezk — the figure the ratio is taken on;
//! - `lookup`: `get` and `find_name` on a parsed message;
//! - `typed`: Via and Contact typed views;
//! - `edit`: insert a Via, remove the top Via, replace Max-Forwards, apply.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use siplua_sip::edit::Edits;
use siplua_sip::{HeaderKind, Message};

/// An INVITE as a proxy receives it from another proxy: two Vias,
/// Record-Route, Route, a Contact with parameters and an SDP body.
const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP proxy1.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=192.0.2.10\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport=5060;received=192.0.2.101\r\n\
Max-Forwards: 69\r\n\
Record-Route: <sip:proxy1.atlanta.example.com;lr>\r\n\
Route: <sip:proxy2.biloxi.example.com;lr>\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com:5060;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY\r\n\
Supported: replaces, timer\r\n\
User-Agent: ExamplePhone/2.1\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 151\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0 8\r\n\
a=rtpmap:0 PCMU/8000\r\n";

/// A REGISTER relayed by an edge proxy: two Vias, Route, Path, a Contact
/// with parameters and digest credentials; no body.
const REGISTER: &[u8] = b"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP edge.biloxi.example.com:5060;branch=z9hG4bKa8e2f3.0;received=192.0.2.20\r\n\
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;rport=5060;received=192.0.2.4\r\n\
Max-Forwards: 69\r\n\
Route: <sip:registrar.biloxi.example.com;lr>\r\n\
Path: <sip:edge.biloxi.example.com;lr>\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=a73kszlfl\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@biloxi.example.com\r\n\
CSeq: 2 REGISTER\r\n\
Contact: <sip:bob@192.0.2.4:5060;transport=udp>;expires=3600;reg-id=1;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"\r\n\
Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:biloxi.example.com\", response=\"6629fae49393a05397450978507c4ef1\"\r\n\
Supported: path, outbound\r\n\
User-Agent: ExamplePhone/2.1\r\n\
Content-Length: 0\r\n\
\r\n";

const INPUTS: [(&str, &[u8]); 2] = [("invite", INVITE), ("register", REGISTER)];

/// What `core6` reads: the values a proxy needs for every request.
#[derive(Default)]
struct Core<'a> {
    branch: &'a str,
    via_host: &'a str,
    from_tag: &'a str,
    to_ok: bool,
    call_id: &'a str,
    cseq: u32,
    cseq_method: &'a str,
    max_forwards: u32,
}

impl Core<'_> {
    /// A checksum so the optimiser cannot skip any read.
    fn sum(&self) -> usize {
        self.branch.len()
            + self.via_host.len()
            + self.from_tag.len()
            + usize::from(self.to_ok)
            + self.call_id.len()
            + self.cseq as usize
            + self.cseq_method.len()
            + self.max_forwards as usize
    }
}

/// siplua: parse, then read the six core headers through the typed views.
fn siplua_core6(raw: &'static [u8]) -> usize {
    let m = Message::parse(Bytes::from_static(raw)).expect("siplua parses");
    let via = m.top_via().expect("via");
    let from = m.from().expect("from");
    let cseq = m.cseq().expect("cseq");
    let core = Core {
        branch: via.branch().unwrap_or(""),
        via_host: via.host(),
        from_tag: from.tag().unwrap_or(""),
        to_ok: m.to().is_ok(),
        call_id: m.call_id().expect("call-id"),
        cseq: cseq.number,
        cseq_method: cseq.method,
        max_forwards: m.max_forwards().ok().flatten().unwrap_or(0),
    };
    core.sum()
}

/// The other parser, driven the way its own transport layer drives it:
/// split lines, parse the start line, collect header lines, frame the body.
mod ezk {
    use bytes::Bytes;
    use ezk_sip_types::header::typed::{CSeq, CallID, ContentLength, FromTo, MaxForwards, Via};
    use ezk_sip_types::host::Host;
    use ezk_sip_types::msg::{Line, MessageLine, PullParser};
    use ezk_sip_types::parse::Parse;
    use ezk_sip_types::{Headers, Method, Name};

    /// A parsed message of the other parser.
    pub struct Parsed {
        pub line: MessageLine,
        pub headers: Headers,
        pub body: Bytes,
    }

    /// Parses a whole message into start line, headers and body.
    pub fn parse(buf: &Bytes) -> Option<Parsed> {
        let mut lines = PullParser::new(buf, 0);
        let mut start = None;
        let mut headers = Headers::new();
        for line in &mut lines {
            let line = std::str::from_utf8(line.ok()?).ok()?;
            if start.is_none() {
                start = Some(MessageLine::parse(buf)(line).ok()?.1);
            } else {
                let (_, l) = Line::parse(buf, line).ok()?;
                headers.insert(l.name, l.value);
            }
        }
        let head_end = lines.head_end();
        let body = match headers.get_named::<ContentLength>() {
            Ok(len) if len.0 > 0 => {
                let end = head_end.checked_add(len.0).filter(|&e| e <= buf.len())?;
                buf.slice(head_end..end)
            }
            Ok(_) => Bytes::new(),
            Err(_) => buf.slice(head_end..),
        };
        Some(Parsed {
            line: start?,
            headers,
            body,
        })
    }

    /// Parse + the six core headers, like `siplua_core6`.
    pub fn core6(buf: &Bytes) -> usize {
        let m = parse(buf).expect("ezk parses");
        let h = &m.headers;
        let via = h.get_named::<Via>().expect("via");
        let from = h.get::<FromTo>(Name::FROM).expect("from");
        let to = h.get::<FromTo>(Name::TO);
        let call_id = h.get_named::<CallID>().expect("call-id");
        let cseq = h.get_named::<CSeq>().expect("cseq");
        let mf = h.get_named::<MaxForwards>().expect("max-forwards");
        // Read the host and the method without allocating (no `to_string`).
        let via_host = match &via.sent_by.host {
            Host::Name(n) => n.as_str(),
            Host::IP4(_) | Host::IP6(_) => "ip",
        };
        let cseq_method = if cseq.method == Method::INVITE {
            "INVITE"
        } else if cseq.method == Method::REGISTER {
            "REGISTER"
        } else {
            "other"
        };
        let core = super::Core {
            branch: via.params.get_val("branch").map_or("", |b| b.as_str()),
            via_host,
            from_tag: from.tag.as_ref().map_or("", |t| t.as_str()),
            to_ok: to.is_ok(),
            call_id: call_id.0.as_str(),
            cseq: cseq.cseq,
            cseq_method,
            max_forwards: u32::from(mf.0),
        };
        core.sum() + m.body.len() + usize::from(m.line.is_request())
    }
}

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for (name, raw) in INPUTS {
        g.throughput(Throughput::Bytes(raw.len() as u64));
        g.bench_function(format!("{name}/siplua"), |b| {
            b.iter(|| Message::parse(Bytes::from_static(black_box(raw))).map(|m| m.headers().len()))
        });
        let buf = Bytes::from_static(raw);
        g.bench_function(format!("{name}/ezk"), |b| {
            b.iter(|| ezk::parse(black_box(&buf)).map(|m| m.body.len()))
        });
    }
    g.finish();
}

fn bench_core6(c: &mut Criterion) {
    let mut g = c.benchmark_group("core6");
    for (name, raw) in INPUTS {
        assert!(siplua_core6(raw) > 0);
        g.bench_function(format!("{name}/siplua"), |b| {
            b.iter(|| siplua_core6(black_box(raw)))
        });
        let buf = Bytes::from_static(raw);
        g.bench_function(format!("{name}/ezk"), |b| {
            b.iter(|| ezk::core6(black_box(&buf)))
        });
    }
    g.finish();
}

fn bench_lookup(c: &mut Criterion) {
    let m = Message::parse(Bytes::from_static(INVITE)).expect("parses");
    let mut g = c.benchmark_group("lookup");
    g.bench_function("get_call_id", |b| {
        b.iter(|| {
            black_box(&m)
                .get(black_box(HeaderKind::CallId))
                .map(str::len)
        })
    });
    g.bench_function("get_content_length_last", |b| {
        b.iter(|| {
            black_box(&m)
                .get(black_box(HeaderKind::ContentLength))
                .map(str::len)
        })
    });
    g.bench_function("find_name_known", |b| {
        b.iter(|| black_box(&m).find_name(black_box("call-id")).count())
    });
    g.bench_function("find_name_other", |b| {
        b.iter(|| black_box(&m).find_name(black_box("X-Not-There")).count())
    });
    g.finish();
}

fn bench_typed(c: &mut Criterion) {
    let mut g = c.benchmark_group("typed");
    for (name, raw) in INPUTS {
        let m = Message::parse(Bytes::from_static(raw)).expect("parses");
        g.bench_function(format!("{name}/vias"), |b| {
            b.iter(|| {
                black_box(&m)
                    .vias()
                    .map(|v| v.map_or(0, |v| v.branch().map_or(0, str::len) + v.host().len()))
                    .sum::<usize>()
            })
        });
        g.bench_function(format!("{name}/contacts"), |b| {
            b.iter(|| {
                black_box(&m)
                    .contacts()
                    .map(|c| {
                        c.ok()
                            .and_then(|c| {
                                c.addr()
                                    .map(|a| a.uri().host().len() + a.params().as_str().len())
                            })
                            .unwrap_or(0)
                    })
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

fn bench_edit(c: &mut Criterion) {
    let mut g = c.benchmark_group("edit");
    for (name, raw) in INPUTS {
        let m = Message::parse(Bytes::from_static(raw)).expect("parses");
        let mf = m
            .find(HeaderKind::MaxForwards)
            .map(|(i, _)| i)
            .expect("max-forwards");
        let mut edits = Edits::new();
        g.bench_function(format!("{name}/proxy_edits_apply"), |b| {
            b.iter(|| {
                let m = black_box(&m);
                edits.clear();
                edits
                    .insert_via(
                        m,
                        "SIP/2.0/UDP proxy.siplua.example.com:5060;branch=z9hG4bKsl.1",
                    )
                    .expect("via");
                edits.remove_top_via(m).expect("pop");
                edits.replace_value(m, mf, "68").expect("mf");
                edits.apply(m).len()
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_parse,
    bench_core6,
    bench_lookup,
    bench_typed,
    bench_edit
);
criterion_main!(benches);
