//! Parsing a typical INVITE or REGISTER, and reading the headers a proxy
//! needs, performs no heap allocation. A counting global allocator proves it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use siplua_sip::validate::check_request;
use siplua_sip::Message;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards every call unchanged to the system allocator; counting
// touches only a const-initialized thread-local `Cell`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@pc33.atlanta.example.com>\r\n\
Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n\
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n\
Supported: replaces, timer, 100rel\r\n\
User-Agent: Example UA 1.0\r\n\
P-Asserted-Identity: <sip:alice@atlanta.example.com>\r\n\
X-Custom-Header: some value\r\n\
Session-Expires: 1800\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 142\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

const REGISTER: &[u8] = b"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n\
Call-ID: 843817637684230@998sdasdh09\r\n\
CSeq: 1826 REGISTER\r\n\
Contact: <sip:bob@192.0.2.4>;expires=7200;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"\r\n\
Expires: 7200\r\n\
Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", nonce=\"dcd98b7102dd2f0e\", uri=\"sip:biloxi.example.com\", response=\"6629fae49393a05397450978507c4ef1\"\r\n\
Content-Length: 0\r\n\
\r\n";

fn read_everything(m: &Message) -> usize {
    let mut n = 0;
    n += m.vias().filter(|v| v.is_ok()).count();
    n += usize::from(m.top_via().is_ok_and(|v| v.branch().is_some()));
    n += usize::from(m.from().is_ok_and(|f| f.tag().is_some()));
    n += usize::from(m.to().is_ok());
    n += usize::from(m.call_id().is_ok());
    n += usize::from(m.cseq().is_ok());
    n += usize::from(m.max_forwards().is_ok());
    n += m.contacts().filter(|c| c.is_ok()).count();
    n += m.routes().filter(|r| r.is_ok()).count();
    n += usize::from(m.ruri().is_some_and(|u| !u.host().is_empty()));
    n += usize::from(check_request(m).is_ok());
    n += m.body().len();
    n
}

#[test]
fn parsing_typical_requests_does_not_allocate() {
    for (name, raw, expected) in [("INVITE", INVITE, 154), ("REGISTER", REGISTER, 10)] {
        let buf = Bytes::from_static(raw);
        let before = ALLOCATIONS.with(Cell::get);
        let m = Message::parse(buf).expect(name);
        let read = read_everything(&m);
        let after = ALLOCATIONS.with(Cell::get);
        assert_eq!(read, expected, "{name}: every view read successfully");
        assert_eq!(after - before, 0, "{name}: heap allocations while parsing");
        drop(m);
    }
    // The counter works: a copying parse allocates.
    let before = ALLOCATIONS.with(Cell::get);
    let m = Message::parse_slice(REGISTER).expect("copy");
    assert!(ALLOCATIONS.with(Cell::get) > before);
    drop(m);
}
