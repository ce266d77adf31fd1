//! Property tests: no input makes the crate panic, generated messages parse
//! back to what was generated, and edits change exactly what they say.

use bytes::Bytes;
use proptest::prelude::*;
use siplua_sip::edit::{Edits, Position};
use siplua_sip::framing::{next_frame, FrameLimits};
use siplua_sip::headers::{Auth, CSeq, Contact, ContentType, NameAddr, SipDate, Via};
use siplua_sip::partial::PartialMessage;
use siplua_sip::reply::ReplyBuilder;
use siplua_sip::validate::{check_request, check_response};
use siplua_sip::{uri_eq, HeaderKind, Message, Uri};

const KINDS: &[HeaderKind] = &[
    HeaderKind::Via,
    HeaderKind::From,
    HeaderKind::To,
    HeaderKind::CallId,
    HeaderKind::CSeq,
    HeaderKind::Contact,
    HeaderKind::Route,
    HeaderKind::RecordRoute,
    HeaderKind::Supported,
    HeaderKind::Require,
    HeaderKind::Allow,
    HeaderKind::Accept,
    HeaderKind::Other,
];

/// Calls every accessor and builder on a parsed message.
fn exercise(m: &Message) {
    let _ = m.vias().count();
    let _ = (
        m.top_via(),
        m.from(),
        m.to(),
        m.reply_to(),
        m.cseq(),
        m.call_id(),
    );
    let _ = (m.max_forwards(), m.expires(), m.content_type(), m.date());
    let _ =
        m.contacts().count() + m.routes().count() + m.record_routes().count() + m.paths().count();
    for kind in [
        HeaderKind::Authorization,
        HeaderKind::ProxyAuthorization,
        HeaderKind::WwwAuthenticate,
        HeaderKind::ProxyAuthenticate,
    ] {
        for a in m.auths(kind).flatten() {
            let _ = (a.params().count(), a.param("realm"));
        }
    }
    for &kind in KINDS {
        let _ = m.tokens(kind).count() + m.values(kind).count();
    }
    let _ = (
        m.ruri(),
        m.method(),
        m.method_str(),
        m.status_code(),
        m.reason(),
        m.version(),
        m.body(),
    );
    let _ = (check_request(m), check_response(m));
    let _ = ReplyBuilder::new(m, 400, "")
        .server("s")
        .to_tag("t")
        .build();
    let mut e = Edits::new();
    let _ = e.remove_top_via(m);
    let _ = e.insert_via(m, "SIP/2.0/UDP proxy;branch=z9hG4bKx");
    let _ = e.insert_record_route(m, "<sip:proxy;lr>");
    let _ = e.set_ruri(m, "sip:x@y");
    let _ = e.replace_body(m, b"new", Some("text/plain"));
    if !m.headers().is_empty() {
        let _ = e.replace_value(m, 0, "v");
        let _ = e.remove_header(m, m.headers().len() - 1);
    }
    let _ = e.apply(m);
}

fn exercise_bytes(data: &[u8]) {
    if let Ok(m) = Message::parse(Bytes::copy_from_slice(data)) {
        exercise(&m);
        let mut kept = m.clone();
        kept.remember_views();
        assert_eq!(kept.top_via(), m.top_via());
        assert_eq!((kept.from(), kept.to()), (m.from(), m.to()));
        assert_eq!(kept.cseq(), m.cseq());
        assert_eq!(check_request(&kept), check_request(&m));
        assert_eq!(check_response(&kept), check_response(&m));
    }
    if let Some(p) = PartialMessage::scan(Bytes::copy_from_slice(data)) {
        let _ = ReplyBuilder::from_partial(&p, 400, "Bad Request").build();
    }
    let _ = next_frame(data, &FrameLimits::default());
    let _ = next_frame(
        data,
        &FrameLimits {
            max_head: 8,
            max_body: 4,
        },
    );
}

const BASE: &str = "INVITE sip:bob@biloxi.com;transport=tcp SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776;rport, SIP/2.0/TCP [::1]:5060\r\n\
To: \"Bob \\\"B\\\"\" <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com?x=%41>;tag=19\r\n\
Call-ID: a84b@pc33\r\n\
CSeq: 314159 INVITE\r\n\
Contact: *, <sip:a@b>;expires=5\r\n\
Authorization: Digest realm=\"r\", nonce=x\r\n\
Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n\
Content-Type: application/sdp;a=b\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\r\n";

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        exercise_bytes(&data);
    }

    #[test]
    fn mutated_messages_never_panic(
        muts in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut data = BASE.as_bytes().to_vec();
        for (pos, byte, op) in muts {
            let at = pos % (data.len() + 1);
            match op {
                0 => data.insert(at, byte),
                1 if at < data.len() => { data.remove(at); }
                _ if at < data.len() => data[at] = byte,
                _ => {}
            }
        }
        exercise_bytes(&data);
    }

    #[test]
    fn arbitrary_text_never_panics_views(s in "\\PC{0,80}", t in "[ -~]{0,60}") {
        for text in [s.as_str(), t.as_str()] {
            let _ = (Via::parse(text), NameAddr::parse(text), Contact::parse(text), CSeq::parse(text));
            let _ = (ContentType::parse(text), Auth::parse(text).map(|a| a.params().count()), SipDate::parse(text));
            if let (Ok(a), Ok(b)) = (Uri::parse(text), Uri::parse("sip:a@b;lr")) {
                let _ = (uri_eq(&a, &b), uri_eq(&a, &a), a.user_decoded(), a.header("x"), a.host_kind());
            }
        }
    }
}

/// A header name that is not Content-Length (which would change framing).
fn header_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9-]{0,12}".prop_filter("not Content-Length", |n| {
        HeaderKind::from_name(n.as_bytes()) != HeaderKind::ContentLength
    })
}

/// A header value without leading or trailing space (values are trimmed).
fn header_value() -> impl Strategy<Value = String> {
    "[!-~]{1,4}( [!-~]{1,6}){0,3}"
}

#[derive(Debug, Clone)]
struct Generated {
    method: String,
    user: String,
    host: String,
    branch: String,
    tag: String,
    call_id: String,
    cseq: u32,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Generated {
    fn text(&self) -> Vec<u8> {
        let mut s = format!(
            "{m} sip:{u}@{h} SIP/2.0\r\nVia: SIP/2.0/UDP {h}:5060;branch=z9hG4bK{b}\r\nFrom: <sip:{u}@{h}>;tag={t}\r\nTo: <sip:{u}@{h}>\r\nCall-ID: {c}\r\nCSeq: {n} {m}\r\nMax-Forwards: 70\r\n",
            m = self.method, u = self.user, h = self.host, b = self.branch, t = self.tag, c = self.call_id, n = self.cseq
        );
        for (name, value) in &self.headers {
            s.push_str(&format!("{name}: {value}\r\n"));
        }
        s.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        prop_oneof![
            Just("INVITE".to_string()),
            Just("REGISTER".to_string()),
            "[A-Z]{3,10}"
        ],
        "[a-z0-9._-]{1,12}",
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}",
        "[A-Za-z0-9.-]{1,16}",
        "[A-Za-z0-9]{1,12}",
        "[A-Za-z0-9.@-]{1,24}",
        any::<u32>(),
        proptest::collection::vec(("X-[A-Za-z0-9-]{0,12}", header_value()), 0..12),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(method, user, host, branch, tag, call_id, cseq, headers, body)| Generated {
                method,
                user,
                host,
                branch,
                tag,
                call_id,
                cseq,
                headers,
                body,
            },
        )
}

#[derive(Debug, Clone)]
enum EditOp {
    Add {
        boundary: usize,
        after: bool,
        name: String,
        value: String,
    },
    Remove(usize),
    Replace(usize, String),
}

fn edit_ops() -> impl Strategy<Value = Vec<EditOp>> {
    proptest::collection::vec(
        prop_oneof![
            (any::<usize>(), any::<bool>(), header_name(), header_value()).prop_map(
                |(boundary, after, name, value)| EditOp::Add {
                    boundary,
                    after,
                    name,
                    value
                }
            ),
            any::<usize>().prop_map(EditOp::Remove),
            (any::<usize>(), header_value()).prop_map(|(i, v)| EditOp::Replace(i, v)),
        ],
        0..10,
    )
}

fn header_pairs(m: &Message) -> Vec<(String, String)> {
    (0..m.headers().len())
        .map(|i| {
            (
                m.header_name(i).unwrap_or("").to_string(),
                m.header_value(i).unwrap_or("").to_string(),
            )
        })
        .collect()
}

proptest! {
    #[test]
    fn generated_messages_parse(g in generated()) {
        let m = Message::parse(Bytes::from(g.text())).unwrap();
        prop_assert_eq!(m.method_str(), Some(g.method.as_str()));
        let ruri = m.ruri().unwrap();
        prop_assert_eq!((ruri.user(), ruri.host()), (Some(g.user.as_str()), g.host.as_str()));
        let via = m.top_via().unwrap();
        let branch = format!("z9hG4bK{}", g.branch);
        prop_assert_eq!(via.rfc3261_branch(), Some(branch.as_str()));
        prop_assert_eq!(via.port(), Some(5060));
        prop_assert_eq!(m.from().unwrap().tag(), Some(g.tag.as_str()));
        prop_assert_eq!(m.call_id(), Ok(g.call_id.as_str()));
        prop_assert_eq!(m.cseq().unwrap().number, g.cseq);
        prop_assert_eq!(m.body(), &g.body[..]);
        prop_assert_eq!(check_request(&m), Ok(()));
        let extra = &header_pairs(&m)[6..6 + g.headers.len()];
        prop_assert_eq!(extra, &g.headers[..]);
        prop_assert_eq!(Edits::new().apply(&m), g.text());
    }

    #[test]
    fn edits_change_exactly_what_they_say(g in generated(), ops in edit_ops()) {
        let m = Message::parse(Bytes::from(g.text())).unwrap();
        let original = header_pairs(&m);
        let n = original.len();
        let mut edits = Edits::new();
        // Model: additions per boundary (0..=n) in recording order, and the fate of each header.
        let mut adds: Vec<Vec<(String, String)>> = vec![Vec::new(); n + 1];
        let mut fate: Vec<Option<Option<String>>> = vec![None; n];
        for op in ops {
            match op {
                EditOp::Add { boundary, after, name, value } => {
                    let b = boundary % (n + 1);
                    let pos = match (b, after) {
                        (0, _) => Position::Top,
                        (b, _) if b == n => Position::End,
                        (b, true) => Position::After(b - 1),
                        (b, false) => Position::Before(b),
                    };
                    edits.add_header(&m, &name, &value, pos).unwrap();
                    adds[b].push((name, value));
                }
                EditOp::Remove(i) => {
                    let i = i % n;
                    if fate[i].is_none() && HeaderKind::from_name(original[i].0.as_bytes()) != HeaderKind::ContentLength {
                        edits.remove_header(&m, i).unwrap();
                        fate[i] = Some(None);
                    }
                }
                EditOp::Replace(i, v) => {
                    let i = i % n;
                    if fate[i].is_none() && HeaderKind::from_name(original[i].0.as_bytes()) != HeaderKind::ContentLength {
                        edits.replace_value(&m, i, &v).unwrap();
                        fate[i] = Some(Some(v));
                    }
                }
            }
        }
        let mut expected = Vec::new();
        for b in 0..=n {
            expected.extend(adds[b].iter().cloned());
            if b < n {
                match &fate[b] {
                    None => expected.push(original[b].clone()),
                    Some(Some(v)) => expected.push((original[b].0.clone(), v.clone())),
                    Some(None) => {}
                }
            }
        }
        let out = edits.apply(&m);
        let edited = Message::parse(Bytes::from(out)).unwrap();
        prop_assert_eq!(header_pairs(&edited), expected);
        prop_assert_eq!(edited.ruri_str(), m.ruri_str());
        prop_assert_eq!(edited.body(), m.body());
    }

    #[test]
    fn framing_splits_concatenated_messages(gs in proptest::collection::vec(generated(), 1..4), pings in any::<bool>()) {
        let mut stream = Vec::new();
        let mut lens = Vec::new();
        for g in &gs {
            if pings {
                stream.extend_from_slice(b"\r\n\r\n");
            }
            let t = g.text();
            lens.push(t.len());
            stream.extend_from_slice(&t);
        }
        let mut pos = 0;
        let mut got = Vec::new();
        while pos < stream.len() {
            match next_frame(&stream[pos..], &FrameLimits::default()).unwrap() {
                siplua_sip::framing::Frame::KeepAlive { skip, .. } => pos += skip,
                siplua_sip::framing::Frame::Message { len } => {
                    prop_assert!(Message::parse(Bytes::copy_from_slice(&stream[pos..pos + len])).is_ok());
                    got.push(len);
                    pos += len;
                }
                siplua_sip::framing::Frame::NeedMore => prop_assert!(false, "complete stream reported incomplete"),
            }
        }
        prop_assert_eq!(got, lens);
    }
}
