//! Parse arbitrary bytes as a SIP message, then exercise everything a proxy
//! does with one: every typed view, the request/response checks, a reply,
//! and an empty edit list (which must give back the message byte for byte).
//! Nothing may panic; the asserts are the crate's documented invariants.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use siplua_sip::edit::Edits;
use siplua_sip::headers::{Auth, Contact, NameAddr, SipDate, Via};
use siplua_sip::partial::PartialMessage;
use siplua_sip::reply::ReplyBuilder;
use siplua_sip::validate::{check_request, check_response};
use siplua_sip::{uri_eq, HeaderKind, Message, Uri};

/// Every accessor of a URI.
fn touch_uri(u: &Uri<'_>) {
    let _ = (u.as_str(), u.scheme(), u.scheme_str(), u.opaque());
    let _ = (u.user(), u.user_decoded(), u.password(), u.host());
    let _ = (u.host_kind(), u.port(), u.transport(), u.user_param());
    let _ = (
        u.method_param(),
        u.maddr(),
        u.ttl(),
        u.lr(),
        u.headers_str(),
    );
    let _ = u.params().iter().count();
    let _ = u.headers().count();
    let _ = u.header("subject");
    assert!(uri_eq(u, u), "a URI equals itself: {:?}", u.as_str());
}

fn touch_name_addr(a: &NameAddr<'_>) {
    let _ = (a.display_raw(), a.display_name(), a.is_bracketed());
    let _ = (a.tag(), a.expires(), a.q(), a.params().iter().count());
    touch_uri(&a.uri());
}

fn touch_via(v: &Via<'_>) {
    let _ = (v.protocol_name(), v.protocol_version(), v.transport());
    let _ = (v.host(), v.port(), v.branch(), v.rfc3261_branch());
    let _ = (v.received(), v.rport(), v.maddr(), v.ttl());
    let _ = v.params().iter().count();
}

fn touch_auth(a: &Auth<'_>) {
    let _ = (a.scheme(), a.is_digest(), a.param("nonce"));
    for p in a.params() {
        let _ = p.unquoted();
    }
}

/// The typed parsers on the raw input, whatever the message parser thought.
fn parse_fragments(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = Uri::parse(s) {
        touch_uri(&u);
    }
    if let Ok(v) = Via::parse(s) {
        touch_via(&v);
    }
    if let Ok(a) = NameAddr::parse(s) {
        touch_name_addr(&a);
    }
    if let Ok(Some(a)) = Contact::parse(s).map(|c| c.addr().copied()) {
        touch_name_addr(&a);
    }
    if let Ok(a) = Auth::parse(s) {
        touch_auth(&a);
    }
    let _ = SipDate::parse(s);
}

fn touch_message(m: &Message) {
    let _ = (m.method(), m.method_str(), m.ruri_str(), m.version());
    let _ = (
        m.is_sip_2_0(),
        m.status_code(),
        m.reason(),
        m.content_length(),
    );
    let _ = (m.body().len(), m.has_blank_line(), m.headers_start());
    if let Some(u) = m.ruri() {
        touch_uri(&u);
    }
    for (i, h) in m.headers().iter().enumerate() {
        let name = m.header_name(i).unwrap_or_default();
        assert_eq!(HeaderKind::from_name(name.as_bytes()), h.kind());
        assert_eq!(m.header_value(i), Some(m.value_of(h)));
        assert!(h.line_span().start <= h.value_span().start);
        let _ = m.find_name(name).count();
    }
    for kind in [
        HeaderKind::Via,
        HeaderKind::Contact,
        HeaderKind::Route,
        HeaderKind::Other,
    ] {
        for v in m.values(kind) {
            assert_eq!(m.text(v.span), v.text);
        }
    }
    for v in m.vias().flatten() {
        touch_via(&v);
    }
    let _ = m.top_via();
    for a in [m.from(), m.to()].into_iter().flatten() {
        touch_name_addr(&a);
    }
    if let Ok(Some(a)) = m.reply_to() {
        touch_name_addr(&a);
    }
    for c in m.contacts().flatten() {
        if let Some(a) = c.addr() {
            touch_name_addr(a);
        }
    }
    for a in m
        .routes()
        .chain(m.record_routes())
        .chain(m.paths())
        .flatten()
    {
        touch_name_addr(&a);
    }
    if let Ok(c) = m.cseq() {
        let _ = c.method_kind();
    }
    let _ = (m.call_id(), m.max_forwards(), m.expires(), m.date());
    if let Ok(Some(ct)) = m.content_type() {
        let _ = ct.is("application", "sdp");
    }
    for kind in [
        HeaderKind::Authorization,
        HeaderKind::ProxyAuthorization,
        HeaderKind::WwwAuthenticate,
        HeaderKind::ProxyAuthenticate,
    ] {
        for a in m.auths(kind).flatten() {
            touch_auth(&a);
        }
    }
    for kind in [
        HeaderKind::Supported,
        HeaderKind::Require,
        HeaderKind::Allow,
    ] {
        let _ = m.tokens(kind).count();
    }
}

fuzz_target!(|data: &[u8]| {
    parse_fragments(data);
    let buf = Bytes::copy_from_slice(data);
    match Message::parse(buf.clone()) {
        Ok(m) => {
            touch_message(&m);
            if m.is_request() {
                if check_request(&m).is_ok() {
                    let reply = ReplyBuilder::new(&m, 200, "").build();
                    let _ = reply.map(|r| Message::parse(Bytes::from(r)));
                }
                let _ = ReplyBuilder::new(&m, 400, "Bad Request").build();
            } else {
                let _ = check_response(&m);
            }
            // No edits: the output is the message as received.
            let out = Edits::new().apply(&m);
            assert_eq!(out, m.as_bytes());
            // ... and it parses again into the same header index.
            let again = Message::parse(Bytes::from(out)).expect("message bytes re-parse");
            assert_eq!(again.headers(), m.headers());
            assert_eq!(again.body(), m.body());
        }
        Err(_) => {
            if let Some(p) = PartialMessage::scan(buf) {
                let _ = p.method_str();
                let _ = ReplyBuilder::from_partial(&p, 400, "").build();
            }
        }
    }
});
