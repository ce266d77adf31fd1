//! RFC 4475 torture tests: every message of the RFC's archive, read at test
//! time from `../shared/testdata/rfc4475` (or `$SIPLUA_RFC4475_DIR`), with the
//! verdict the RFC asks of a server and the assertions it makes.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bytes::Bytes;
use siplua_sip::edit::Edits;
use siplua_sip::partial::PartialMessage;
use siplua_sip::reply::ReplyBuilder;
use siplua_sip::text::{unfold, unquote};
use siplua_sip::uri::Scheme;
use siplua_sip::validate::{check_request, check_response};
use siplua_sip::{uri_eq, HeaderKind, Message, Method, ParseErrorKind, Uri};

/// What a server must do with a message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// Parses and passes the pre-routing checks.
    Parses,
    /// Rejected by the parser with this error.
    ParseError(ParseErrorKind),
    /// Parses, but the pre-routing checks answer this code, blaming this header.
    Rejected(u16, Option<HeaderKind>),
    /// Parses and passes the checks; reading this typed header fails.
    HeaderError(HeaderKind),
    /// Parses; the transaction layer must not use the branch as an RFC 3261 id.
    TransactionLayer,
}

use Verdict::*;

struct Case {
    file: &'static str,
    section: &'static str,
    verdict: Verdict,
    check: fn(&Message),
}

fn none(_: &Message) {}

fn dir() -> PathBuf {
    std::env::var_os("SIPLUA_RFC4475_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/rfc4475")
        })
}

fn values(m: &Message, k: HeaderKind) -> Vec<&str> {
    m.values(k).map(|v| v.text).collect()
}

fn other_header<'m>(m: &'m Message, name: &str) -> &'m str {
    let (i, _) = m
        .find_name(name)
        .next()
        .unwrap_or_else(|| panic!("no {name}"));
    m.header_value(i).unwrap()
}

fn wsinv(m: &Message) {
    assert_eq!(m.method(), Some(Method::Invite));
    assert_eq!(
        m.ruri_str(),
        Some("sip:vivekg@chair-dnrc.example.com;unknownparam")
    );
    let to = m.to().unwrap();
    assert_eq!(
        (to.display_raw(), to.uri().as_str()),
        (None, "sip:vivekg@chair-dnrc.example.com")
    );
    assert_eq!(to.tag(), Some("1918181833n"));
    let from = m.from().unwrap();
    assert_eq!(from.display_name().as_deref(), Some(r#"J Rosenberg \""#));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(m.max_forwards(), Ok(Some(68)));
    assert_eq!(m.call_id(), Ok("wsinv.ndaksdj@192.0.2.1"));
    let cseq = m.cseq().unwrap();
    assert_eq!((cseq.number, cseq.method), (9, "INVITE"));
    let vias: Vec<_> = m.vias().map(|v| v.unwrap()).collect();
    let summary: Vec<_> = vias
        .iter()
        .map(|v| (v.transport(), v.host(), v.branch().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("UDP", "192.0.2.2", "390skdjuw"),
            ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
            ("UDP", "192.168.255.111", "z9hG4bK30239")
        ]
    );
    assert_eq!(m.get(HeaderKind::Subject), Some(""));
    assert_eq!(
        unfold(other_header(m, "NewFangledHeader")),
        "newfangled value continued newfangled value"
    );
    assert_eq!(other_header(m, "UnknownHeaderWithUnusualValue"), ";;,,;;,;");
    let route = m.routes().next().unwrap().unwrap();
    assert!(route.uri().lr());
    assert_eq!(route.uri().params().value("unknownwith"), Some("value"));
    assert!(route.uri().params().has("unknown-no-value"));
    let contact = m.contacts().next().unwrap().unwrap();
    let addr = contact.addr().unwrap();
    assert_eq!(addr.display_name().as_deref(), Some(r#"Quoted string """#));
    assert_eq!(addr.params().value("newparam"), Some("newvalue"));
    assert_eq!(addr.params().get("secondparam"), Some(None));
    assert_eq!(addr.q(), Some("0.33"));
    assert_eq!(m.body().len(), 150);
}

fn intmeth(m: &Message) {
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(
        (m.method(), m.method_str()),
        (Some(Method::Other), Some(method))
    );
    let ruri = m.ruri().unwrap();
    assert_eq!(
        ruri.user(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        ruri.password(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK-.!%66*_+`'~"));
    let to = m.to().unwrap();
    assert_eq!(
        to.display_name().as_deref(),
        Some("BEL:\x07 NUL:\0 DEL:\x7f")
    );
    assert_eq!(
        to.uri().user(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    let from = m.from().unwrap();
    assert_eq!(from.display_raw(), Some("token1~` token2'+_ token3*%!.-"));
    assert_eq!(
        from.params()
            .value("fromParam''~+*_!.-%")
            .map(unquote)
            .as_deref(),
        Some("работающий")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        m.call_id(),
        Ok(r#"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#)
    );
    assert_eq!(m.cseq().unwrap().method, method);
    assert_eq!(m.max_forwards(), Ok(Some(255)));
    assert_eq!(
        other_header(m, "extensionHeader-!.%*+_`'~"),
        "\u{feff}大停電"
    );
}

fn esc01(m: &Message) {
    let ruri = m.ruri().unwrap();
    assert_eq!(
        ruri.user_decoded().as_deref(),
        Some("sips:user@example.com")
    );
    assert_eq!(ruri.host(), "example.net");
    let to = m.to().unwrap().uri();
    assert_eq!(to.user_decoded().as_deref(), Some("user"));
    assert!(uri_eq(&to, &Uri::parse("sip:user@example.com").unwrap()));
    assert_eq!(
        m.from().unwrap().uri().user_decoded().as_deref(),
        Some("I have spaces")
    );
    let contact = m.contacts().next().unwrap().unwrap().addr().unwrap().uri();
    assert_eq!(contact.user_decoded().as_deref(), Some("caller"));
    let params: Vec<_> = contact
        .params()
        .iter()
        .map(|p| {
            (
                siplua_sip::escape::decode(p.name),
                p.value.map(siplua_sip::escape::decode),
            )
        })
        .collect();
    assert_eq!(params.len(), 2);
    assert_eq!((params[0].0.as_ref(), params[0].1.as_deref()), ("lr", None));
    assert_eq!(
        (params[1].0.as_ref(), params[1].1.as_deref()),
        ("name", Some("value%41"))
    );
    assert!(m.content_type().unwrap().unwrap().is("application", "sdp"));
}

fn escnull(m: &Message) {
    assert_eq!(
        m.to().unwrap().uri().user_decoded().as_deref(),
        Some("null-\0-null")
    );
    let users: Vec<_> = m
        .contacts()
        .map(|c| {
            c.unwrap()
                .addr()
                .unwrap()
                .uri()
                .user_decoded()
                .unwrap()
                .into_owned()
        })
        .collect();
    assert_eq!(users, ["\0", "\0\0"]);
}

fn esc02(m: &Message) {
    assert_eq!(
        (m.method(), m.method_str()),
        (Some(Method::Other), Some("RE%47IST%45R"))
    );
    assert_eq!(m.to().unwrap().display_name().as_deref(), Some("%Z%45"));
    assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK209%fzsnel234"));
    assert_eq!(m.contacts().count(), 2, "C%6Fntact is not Contact");
    assert_eq!(m.find_name("C%6Fntact").count(), 1);
}

fn lwsdisp(m: &Message) {
    let from = m.from().unwrap();
    assert_eq!(
        (from.display_name().as_deref(), from.tag()),
        (Some("caller"), Some("323"))
    );
}

fn longreq(m: &Message) {
    let to = m.to().unwrap();
    let display = to.display_name().unwrap();
    assert_eq!(display.len(), 103);
    assert_eq!(display.matches("extreme").count(), 10);
    assert_eq!(to.uri().port(), Some(6000));
    let params: Vec<_> = to.uri().params().iter().collect();
    assert_eq!(params.len(), 3);
    assert_eq!(params[0].value.map(str::len), Some(89));
    assert_eq!(params[1].value, Some("shortvalue"));
    assert_eq!(params[2].value, None);
    let from = m.from().unwrap();
    assert_eq!(from.tag().map(str::len), Some(155));
    assert_eq!(from.uri().user().map(str::len), Some(115));
    assert_eq!(from.params().iter().count(), 3);
    assert_eq!(m.call_id().map(str::len), Ok(141));
    let vias: Vec<_> = m.vias().map(|v| v.unwrap()).collect();
    assert_eq!(vias.len(), 34);
    assert_eq!(vias[0].host(), "sip33.example.com");
    assert_eq!(vias[32].host(), "sip1.example.com");
    assert_eq!(vias[33].received(), Some("192.0.2.5"));
    assert_eq!(vias[33].branch().map(str::len), Some(215));
    let (i, _) = m.find(HeaderKind::Other).unwrap();
    assert_eq!(m.header_name(i).map(str::len), Some(93));
    assert_eq!(m.header_value(i).map(str::len), Some(306));
    let contact = m.contacts().next().unwrap().unwrap();
    assert_eq!(
        contact.addr().unwrap().uri().user().map(str::len),
        Some(115)
    );
    assert_eq!(m.body().len(), 150);
}

fn dblreq(m: &Message) {
    assert_eq!(m.method(), Some(Method::Register));
    assert_eq!(m.as_bytes().len(), 300);
    assert_eq!(m.buffer().len(), 750);
    assert_eq!(m.call_id(), Ok("dblreq.0ha0isndaksdj99sdfafnl3lk233412"));
    assert_eq!(m.body(), b"");
}

fn semiuri(m: &Message) {
    let ruri = m.ruri().unwrap();
    assert_eq!(
        (ruri.user(), ruri.host()),
        (Some("user;par=u%40example.net"), "example.com")
    );
    assert_eq!(
        ruri.user_decoded().as_deref(),
        Some("user;par=u@example.net")
    );
    assert!(ruri.params().is_empty());
    assert_eq!(values(m, HeaderKind::Accept).len(), 6);
    assert_eq!(values(m, HeaderKind::Accept)[5], "message/sipfrag");
}

fn transports(m: &Message) {
    let t: Vec<_> = m.vias().map(|v| v.unwrap().transport()).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    assert_eq!(m.call_id(), Ok("transports.kijh4akdnaqjkwendsasfdj"));
}

fn mpart01(m: &Message) {
    assert_eq!(m.method(), Some(Method::Message));
    let body = m.body();
    assert_eq!(body.len(), 553);
    assert!(body.starts_with(b"--7a9cbec02ceef655\r\n"));
    assert!(body.ends_with(b"--7a9cbec02ceef655--\r\n"));
    let ct = m.content_type().unwrap().unwrap();
    assert!(ct.is("multipart", "mixed"));
    assert_eq!(ct.params.value("boundary"), Some("7a9cbec02ceef655"));
    assert_eq!(m.top_via().unwrap().rport(), Some(None));
    assert!(m.get(HeaderKind::Identity).is_some_and(|v| v.len() == 172));
    assert_eq!(m.date().unwrap().map(|d| d.year), Some(2005));
}

fn unreason(m: &Message) {
    assert_eq!(m.status_code(), Some(200));
    assert_eq!(
        m.reason(),
        Some("= 2**3 * 5**2 но сто девяносто девять - простое")
    );
    assert_eq!(m.body().len(), 154);
}

fn noreason(m: &Message) {
    assert_eq!((m.status_code(), m.reason()), (Some(100), Some("")));
}

fn scalar02(m: &Message) {
    assert_eq!(
        m.max_forwards(),
        Ok(Some(300)),
        "numeric; the 255 limit is the caller's"
    );
    assert!(m.expires().is_err());
    let contact = m.contacts().next().unwrap().unwrap();
    let addr = contact.addr().unwrap();
    assert!(addr.params().has("expires"));
    assert_eq!(addr.expires(), None, "overflowing expires reads as absent");
}

fn badinv01(m: &Message) {
    assert!(m.contacts().next().unwrap().is_err());
}

fn badbranch(m: &Message) {
    let via = m.top_via().unwrap();
    assert_eq!(
        (via.branch(), via.rfc3261_branch()),
        (Some("z9hG4bK"), None)
    );
}

fn unkscm(m: &Message) {
    let ruri = m.ruri().unwrap();
    assert_eq!(
        (ruri.scheme(), ruri.scheme_str()),
        (Scheme::Other, "nobodyKnowsThisScheme")
    );
    assert_eq!(ruri.opaque(), "totallyopaquecontent");
}

fn novelsc(m: &Message) {
    let ruri = m.ruri().unwrap();
    assert_eq!(
        (ruri.scheme(), ruri.scheme_str()),
        (Scheme::Other, "soap.beep")
    );
    assert_eq!(ruri.opaque(), "//192.0.2.103:3002");
}

fn unksm2(m: &Message) {
    assert_eq!(m.to().unwrap().uri().scheme_str(), "isbn");
    assert_eq!(m.from().unwrap().uri().as_str(), "http://www.example.com");
    assert_eq!(m.from().unwrap().tag(), Some("3234233"));
    let contact = m.contacts().next().unwrap().unwrap();
    assert_eq!(contact.addr().unwrap().uri().scheme_str(), "name");
}

fn bext01(m: &Message) {
    let req: Vec<_> = m.tokens(HeaderKind::Require).map(|t| t.unwrap()).collect();
    assert_eq!(req, ["nothingSupportsThis", "nothingSupportsThisEither"]);
    let preq: Vec<_> = m
        .tokens(HeaderKind::ProxyRequire)
        .map(|t| t.unwrap())
        .collect();
    assert_eq!(preq, ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]);
}

fn invut(m: &Message) {
    assert!(m
        .content_type()
        .unwrap()
        .unwrap()
        .is("application", "unknownformat"));
    assert_eq!(m.body().len(), 40);
}

fn regaut01(m: &Message) {
    let auth = m.auths(HeaderKind::Authorization).next().unwrap().unwrap();
    assert_eq!(auth.scheme(), "NoOneKnowsThisScheme");
    assert_eq!(auth.param("opaque-data").as_deref(), Some("here"));
}

fn bcast(m: &Message) {
    let hosts: Vec<_> = m.vias().map(|v| v.unwrap().host()).collect();
    assert_eq!(hosts, ["192.0.2.198", "255.255.255.255"]);
}

fn zeromf(m: &Message) {
    assert_eq!(m.max_forwards(), Ok(Some(0)));
}

fn cparam01(m: &Message) {
    let c = m.contacts().next().unwrap().unwrap();
    let addr = c.addr().unwrap();
    assert!(addr.params().has("unknownparam"));
    assert!(addr.uri().params().is_empty());
}

fn cparam02(m: &Message) {
    let c = m.contacts().next().unwrap().unwrap();
    let addr = c.addr().unwrap();
    assert!(addr.params().is_empty());
    assert!(addr.uri().params().has("unknownparam"));
}

fn regescrt(m: &Message) {
    let c = m.contacts().next().unwrap().unwrap();
    assert_eq!(
        c.addr().unwrap().uri().header("Route").as_deref(),
        Some("<sip:sip.example.com>")
    );
}

fn sdp01(m: &Message) {
    assert_eq!(values(m, HeaderKind::Accept), ["text/nobodyKnowsThis"]);
}

fn inv2543(m: &Message) {
    assert_eq!(m.top_via().unwrap().branch(), None);
    assert_eq!(m.content_length(), None);
    assert_eq!(
        m.body().len(),
        105,
        "no Content-Length on UDP: the rest of the datagram"
    );
    assert_eq!(m.from().unwrap().tag(), None);
    assert_eq!(
        m.record_routes().next().unwrap().unwrap().uri().maddr(),
        Some("ss1.example.com")
    );
    assert_eq!(m.from().unwrap().uri().user_param(), Some("phone"));
    // addr-spec form: `;user=phone` belongs to the header, not the URI (RFC 3261 §20.10).
    assert_eq!(m.to().unwrap().params().value("user"), Some("phone"));
}

fn mismatch02(m: &Message) {
    assert_eq!(m.method_str(), Some("NEWMETHOD"));
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { file: "wsinv", section: "3.1.1.1", verdict: Parses, check: wsinv },
    Case { file: "intmeth", section: "3.1.1.2", verdict: Parses, check: intmeth },
    Case { file: "esc01", section: "3.1.1.3", verdict: Parses, check: esc01 },
    Case { file: "escnull", section: "3.1.1.4", verdict: Parses, check: escnull },
    Case { file: "esc02", section: "3.1.1.5", verdict: Parses, check: esc02 },
    Case { file: "lwsdisp", section: "3.1.1.6", verdict: Parses, check: lwsdisp },
    Case { file: "longreq", section: "3.1.1.7", verdict: Parses, check: longreq },
    Case { file: "dblreq", section: "3.1.1.8", verdict: Parses, check: dblreq },
    Case { file: "semiuri", section: "3.1.1.9", verdict: Parses, check: semiuri },
    Case { file: "transports", section: "3.1.1.10", verdict: Parses, check: transports },
    Case { file: "mpart01", section: "3.1.1.11", verdict: Parses, check: mpart01 },
    Case { file: "unreason", section: "3.1.1.12", verdict: Parses, check: unreason },
    Case { file: "noreason", section: "3.1.1.13", verdict: Parses, check: noreason },
    Case { file: "badinv01", section: "3.1.2.1", verdict: Rejected(400, Some(HeaderKind::Via)), check: badinv01 },
    Case { file: "clerr", section: "3.1.2.2", verdict: ParseError(ParseErrorKind::BodyTruncated), check: none },
    Case { file: "ncl", section: "3.1.2.3", verdict: ParseError(ParseErrorKind::BadContentLength), check: none },
    Case { file: "scalar02", section: "3.1.2.4", verdict: Rejected(400, Some(HeaderKind::CSeq)), check: scalar02 },
    Case { file: "scalarlg", section: "3.1.2.5", verdict: Rejected(400, Some(HeaderKind::CSeq)), check: none },
    Case { file: "quotbal", section: "3.1.2.6", verdict: Rejected(400, Some(HeaderKind::To)), check: none },
    Case { file: "ltgtruri", section: "3.1.2.7", verdict: ParseError(ParseErrorKind::BadRequestUri), check: none },
    Case { file: "lwsruri", section: "3.1.2.8", verdict: ParseError(ParseErrorKind::BadRequestUri), check: none },
    Case { file: "lwsstart", section: "3.1.2.9", verdict: ParseError(ParseErrorKind::BadRequestLine), check: none },
    Case { file: "trws", section: "3.1.2.10", verdict: ParseError(ParseErrorKind::BadRequestLine), check: none },
    Case { file: "escruri", section: "3.1.2.11", verdict: ParseError(ParseErrorKind::BadRequestUri), check: none },
    Case { file: "baddate", section: "3.1.2.12", verdict: HeaderError(HeaderKind::Date), check: none },
    Case { file: "regbadct", section: "3.1.2.13", verdict: HeaderError(HeaderKind::Contact), check: none },
    Case { file: "badaspec", section: "3.1.2.14", verdict: Rejected(400, Some(HeaderKind::To)), check: none },
    Case { file: "baddn", section: "3.1.2.15", verdict: Rejected(400, Some(HeaderKind::From)), check: none },
    Case { file: "badvers", section: "3.1.2.16", verdict: Rejected(505, None), check: none },
    Case { file: "mismatch01", section: "3.1.2.17", verdict: Rejected(400, Some(HeaderKind::CSeq)), check: none },
    Case { file: "mismatch02", section: "3.1.2.18", verdict: Rejected(400, Some(HeaderKind::CSeq)), check: mismatch02 },
    Case { file: "bigcode", section: "3.1.2.19", verdict: ParseError(ParseErrorKind::BadStatusCode), check: none },
    Case { file: "badbranch", section: "3.2.1", verdict: TransactionLayer, check: badbranch },
    Case { file: "insuf", section: "3.3.1", verdict: Rejected(400, Some(HeaderKind::From)), check: none },
    Case { file: "unkscm", section: "3.3.2", verdict: Parses, check: unkscm },
    Case { file: "novelsc", section: "3.3.3", verdict: Parses, check: novelsc },
    Case { file: "unksm2", section: "3.3.4", verdict: Parses, check: unksm2 },
    Case { file: "bext01", section: "3.3.5", verdict: Parses, check: bext01 },
    Case { file: "invut", section: "3.3.6", verdict: Parses, check: invut },
    Case { file: "regaut01", section: "3.3.7", verdict: Parses, check: regaut01 },
    Case { file: "multi01", section: "3.3.8", verdict: Rejected(400, Some(HeaderKind::CSeq)), check: none },
    Case { file: "mcl01", section: "3.3.9", verdict: ParseError(ParseErrorKind::ConflictingContentLength), check: none },
    Case { file: "bcast", section: "3.3.10", verdict: Parses, check: bcast },
    Case { file: "zeromf", section: "3.3.11", verdict: Parses, check: zeromf },
    Case { file: "cparam01", section: "3.3.12", verdict: Parses, check: cparam01 },
    Case { file: "cparam02", section: "3.3.13", verdict: Parses, check: cparam02 },
    Case { file: "regescrt", section: "3.3.14", verdict: Parses, check: regescrt },
    Case { file: "sdp01", section: "3.3.15", verdict: Parses, check: sdp01 },
    Case { file: "inv2543", section: "3.4.1", verdict: Parses, check: inv2543 },
    // Not from the RFC: an extra sample with no SIP-Version in the request line.
    Case { file: "test", section: "extra", verdict: ParseError(ParseErrorKind::BadRequestLine), check: none },
];

fn read(case: &Case) -> Vec<u8> {
    let path = dir().join(format!("{}.dat", case.file));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn check_validity(m: &Message) -> Result<(), siplua_sip::validate::Invalid> {
    if m.is_request() {
        check_request(m)
    } else {
        check_response(m)
    }
}

fn typed_error(m: &Message, kind: HeaderKind) -> bool {
    match kind {
        HeaderKind::Date => m.date().is_err(),
        HeaderKind::Contact => m.contacts().any(|c| c.is_err()),
        other => panic!("no typed reader for {other:?} in this table"),
    }
}

fn verdict_of(data: &[u8], expected: Verdict) -> Verdict {
    let m = match Message::parse(Bytes::copy_from_slice(data)) {
        Err(e) => return ParseError(e.kind),
        Ok(m) => m,
    };
    if let Err(inv) = check_validity(&m) {
        return Rejected(inv.code, inv.header);
    }
    match expected {
        HeaderError(kind) if typed_error(&m, kind) => HeaderError(kind),
        TransactionLayer if m.top_via().is_ok_and(|v| v.rfc3261_branch().is_none()) => {
            TransactionLayer
        }
        _ => Parses,
    }
}

#[test]
fn table_covers_the_folder() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .expect("RFC 4475 folder (set SIPLUA_RFC4475_DIR)")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".dat"))
                .map(String::from)
        })
        .collect();
    let in_table: BTreeSet<String> = CASES.iter().map(|c| c.file.to_string()).collect();
    assert_eq!(on_disk, in_table);
    assert_eq!(CASES.iter().filter(|c| c.section != "extra").count(), 49);
}

#[test]
fn verdicts() {
    let mut failures = Vec::new();
    for case in CASES {
        let got = verdict_of(&read(case), case.verdict);
        if got != case.verdict {
            failures.push(format!(
                "{} (§{}): expected {:?}, got {:?}",
                case.file, case.section, case.verdict, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn remembered_views_match_fresh_parses() {
    for case in CASES {
        let Ok(fresh) = Message::parse(Bytes::from(read(case))) else {
            continue;
        };
        let mut kept = fresh.clone();
        kept.remember_views();
        assert_eq!(kept.top_via(), fresh.top_via(), "{}", case.file);
        assert_eq!(kept.from(), fresh.from(), "{}", case.file);
        assert_eq!(kept.to(), fresh.to(), "{}", case.file);
        assert_eq!(kept.cseq(), fresh.cseq(), "{}", case.file);
        assert_eq!(
            check_validity(&kept),
            check_validity(&fresh),
            "{}",
            case.file
        );
    }
}

#[test]
fn rfc_assertions() {
    for case in CASES {
        if let Ok(m) = Message::parse(Bytes::from(read(case))) {
            (case.check)(&m);
        }
    }
}

#[test]
fn empty_edits_round_trip() {
    let mut parsed = 0;
    for case in CASES {
        let data = read(case);
        if let Ok(m) = Message::parse(Bytes::from(data.clone())) {
            parsed += 1;
            assert_eq!(Edits::new().apply(&m), m.as_bytes(), "{}", case.file);
            if case.file != "dblreq" {
                assert_eq!(
                    m.as_bytes(),
                    &data[..],
                    "{}: message is the whole datagram",
                    case.file
                );
            }
        }
    }
    assert_eq!(parsed, 40);
}

#[test]
fn unparseable_requests_still_get_a_400() {
    for case in CASES.iter().filter(|c| matches!(c.verdict, ParseError(_))) {
        let data = read(case);
        let partial = PartialMessage::scan(Bytes::from(data.clone()));
        if data.starts_with(b"SIP/") {
            assert!(
                partial.is_none(),
                "{}: responses are not answered",
                case.file
            );
            continue;
        }
        if case.file == "test" {
            assert!(partial.is_none(), "no Via: nowhere to send a reply");
            continue;
        }
        let partial = partial.unwrap_or_else(|| panic!("{}: no partial message", case.file));
        let reply = ReplyBuilder::from_partial(&partial, 400, "Bad Request")
            .build()
            .unwrap();
        let reply = Message::parse(Bytes::from(reply)).unwrap();
        assert_eq!(reply.status_code(), Some(400), "{}", case.file);
        let req_via = partial
            .headers()
            .iter()
            .find(|h| h.kind() == HeaderKind::Via)
            .unwrap();
        let req_via = &partial.buffer()[req_via.value_span().range()];
        assert_eq!(
            reply.get(HeaderKind::Via).unwrap().as_bytes(),
            req_via,
            "{}",
            case.file
        );
        assert!(
            reply.to().is_err() || reply.to().unwrap().tag().is_some(),
            "{}",
            case.file
        );
    }
}

#[test]
fn valid_requests_get_replies() {
    for case in CASES.iter().filter(|c| c.verdict == Parses) {
        let m = Message::parse(Bytes::from(read(case))).unwrap();
        if m.is_response() {
            continue;
        }
        let out = ReplyBuilder::new(&m, 200, "").build().unwrap();
        let reply = Message::parse(Bytes::from(out)).unwrap();
        assert_eq!(reply.vias().count(), m.vias().count(), "{}", case.file);
        assert_eq!(reply.call_id(), m.call_id(), "{}", case.file);
        assert!(reply.to().unwrap().tag().is_some(), "{}", case.file);
        assert_eq!(check_response(&reply), Ok(()), "{}", case.file);
    }
}
