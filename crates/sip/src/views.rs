//! `Message` accessors that return typed header views.
//!
//! Every call parses the needed header text again (no allocation; see
//! [`crate::headers`] for why), except the top Via, From, To and CSeq once
//! [`Message::remember_views`] ran: every message needs them several times,
//! so the worker has them parsed once and kept ([`crate::memo`]). Errors carry the header kind and the
//! absolute byte offset of the problem.

use crate::error::{HeaderError, SyntaxError};
use crate::header_kind::HeaderKind;
use crate::headers::{Auth, CSeq, Contact, ContentType, NameAddr, SipDate, Via};
use crate::message::{HeaderValue, Message};
use crate::params::Params;

fn located(kind: HeaderKind, v: &HeaderValue<'_>, e: SyntaxError) -> HeaderError {
    HeaderError::malformed(kind, v.span.start as usize + e.at, e.what)
}

impl Message {
    /// Parses every value of a list header with `parse`.
    fn typed_values<'m, T: 'm>(
        &'m self,
        kind: HeaderKind,
        parse: fn(&'m str) -> Result<T, SyntaxError>,
    ) -> impl Iterator<Item = Result<T, HeaderError>> + 'm {
        self.values(kind)
            .map(move |v| parse(v.text).map_err(|e| located(kind, &v, e)))
    }

    /// Parses the first line of a single-valued header; `Ok(None)` when absent.
    fn typed_first<'m, T>(
        &'m self,
        kind: HeaderKind,
        parse: impl FnOnce(&'m str) -> Result<T, SyntaxError>,
    ) -> Result<Option<T>, HeaderError> {
        match self.first_value(kind) {
            None => Ok(None),
            Some(v) => parse(v.text).map(Some).map_err(|e| located(kind, &v, e)),
        }
    }

    /// Parses the first line of a header that must be present (an error when it is absent),
    /// without going through [`Self::typed_first`]'s `Option`: the views are large, and
    /// every layer of `Result` around them is a copy.
    fn required_first<'m, T>(
        &'m self,
        kind: HeaderKind,
        parse: impl FnOnce(&'m str) -> Result<T, SyntaxError>,
    ) -> Result<T, HeaderError> {
        let v = self.first_value(kind).ok_or(HeaderError::missing(kind))?;
        parse(v.text).map_err(|e| located(kind, &v, e))
    }

    /// All Via values, top first, across all Via lines.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'_>, HeaderError>> + '_ {
        self.typed_values(HeaderKind::Via, Via::parse)
    }

    /// The topmost Via value.
    pub fn top_via(&self) -> Result<Via<'_>, HeaderError> {
        if let Some(r) = self.memo().top_via(self.head_text()) {
            return r;
        }
        let kind = HeaderKind::Via;
        // A Via value has no `,` outside quoted strings, so a first Via line that parses
        // whole holds one value: the usual case, which then needs no list split.
        if let Some(via) = self
            .find(kind)
            .and_then(|(_, h)| Via::parse(self.value_of(h)).ok())
        {
            return Ok(via);
        }
        self.required_first(kind, Via::parse)
    }

    /// The port of the topmost Via's sent-by (`Ok(None)` when it has none): what
    /// [`Self::top_via`] would give, read straight from the remembered view when there is
    /// one (a UDP reply's destination needs only this in the usual case).
    pub fn top_via_port(&self) -> Result<Option<u16>, HeaderError> {
        match self.memo().top_via_port() {
            Some(r) => r,
            None => self.top_via().map(|via| via.port()),
        }
    }

    /// The sent-by host and the parameters of the topmost Via: what [`Self::top_via`]
    /// would give, read from the remembered view when there is one (every reply checks them
    /// for `received`/`rport`).
    pub fn top_via_host_params(&self) -> Result<(&str, Params<'_>), HeaderError> {
        match self.memo().top_via_host_params(self.head_text()) {
            Some(r) => r,
            None => self.top_via().map(|via| (via.host(), via.params())),
        }
    }

    /// The From header.
    pub fn from(&self) -> Result<NameAddr<'_>, HeaderError> {
        if let Some(r) = self.memo().from(self.head_text()) {
            return r;
        }
        self.required_first(HeaderKind::From, NameAddr::parse)
    }

    /// The To header.
    pub fn to(&self) -> Result<NameAddr<'_>, HeaderError> {
        if let Some(r) = self.memo().to(self.head_text()) {
            return r;
        }
        self.required_first(HeaderKind::To, NameAddr::parse)
    }

    /// The Reply-To header, if present.
    pub fn reply_to(&self) -> Result<Option<NameAddr<'_>>, HeaderError> {
        self.typed_first(HeaderKind::ReplyTo, NameAddr::parse)
    }

    /// All Contact values (`*` included) across all Contact lines.
    pub fn contacts(&self) -> impl Iterator<Item = Result<Contact<'_>, HeaderError>> + '_ {
        self.typed_values(HeaderKind::Contact, Contact::parse)
    }

    /// All Route values, in order.
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'_>, HeaderError>> + '_ {
        self.typed_values(HeaderKind::Route, NameAddr::parse)
    }

    /// All Record-Route values, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'_>, HeaderError>> + '_ {
        self.typed_values(HeaderKind::RecordRoute, NameAddr::parse)
    }

    /// All Path values (RFC 3327), in order.
    pub fn paths(&self) -> impl Iterator<Item = Result<NameAddr<'_>, HeaderError>> + '_ {
        self.typed_values(HeaderKind::Path, NameAddr::parse)
    }

    /// The CSeq header.
    pub fn cseq(&self) -> Result<CSeq<'_>, HeaderError> {
        if let Some(r) = self.memo().cseq(self.head_text()) {
            return r;
        }
        self.required_first(HeaderKind::CSeq, CSeq::parse)
    }

    /// The Call-ID: one word of visible ASCII characters.
    pub fn call_id(&self) -> Result<&str, HeaderError> {
        self.required_first(HeaderKind::CallId, |s: &str| {
            match s.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
                _ if s.is_empty() => Err(SyntaxError::new(0, "empty Call-ID")),
                Some(i) => Err(SyntaxError::new(i, "bad character in Call-ID")),
                None => Ok(s),
            }
        })
    }

    /// Max-Forwards as a number (`Ok(None)` when absent). Values above 255 are
    /// returned as they are: deciding about them is the caller's job.
    pub fn max_forwards(&self) -> Result<Option<u32>, HeaderError> {
        self.number(HeaderKind::MaxForwards)
    }

    /// The Expires header as a number of seconds (`Ok(None)` when absent).
    pub fn expires(&self) -> Result<Option<u32>, HeaderError> {
        self.number(HeaderKind::Expires)
    }

    fn number(&self, kind: HeaderKind) -> Result<Option<u32>, HeaderError> {
        self.typed_first(kind, |s: &str| {
            crate::chars::parse_u32(s).map_err(|w| SyntaxError::new(0, w))
        })
    }

    /// The Content-Type header, if present.
    pub fn content_type(&self) -> Result<Option<ContentType<'_>>, HeaderError> {
        self.typed_first(HeaderKind::ContentType, ContentType::parse)
    }

    /// The Date header, if present.
    pub fn date(&self) -> Result<Option<SipDate>, HeaderError> {
        self.typed_first(HeaderKind::Date, SipDate::parse)
    }

    /// All credentials or challenges of one of the four auth header kinds
    /// (one per header line).
    pub fn auths(
        &self,
        kind: HeaderKind,
    ) -> impl Iterator<Item = Result<Auth<'_>, HeaderError>> + '_ {
        self.typed_values(kind, Auth::parse)
    }

    /// The tokens of a token-list header (Supported, Require, Proxy-Require,
    /// Unsupported, Allow ...) across all its lines; empty values are skipped.
    pub fn tokens(&self, kind: HeaderKind) -> impl Iterator<Item = Result<&str, HeaderError>> + '_ {
        self.values(kind)
            .filter(|v| !v.text.is_empty())
            .map(move |v| {
                if crate::chars::is_token_str(v.text) {
                    Ok(v.text)
                } else {
                    Err(HeaderError::malformed(
                        kind,
                        v.span.start as usize,
                        "expected a token",
                    ))
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::error::HeaderProblem;
    use crate::header_kind::HeaderKind;
    use crate::message::Message;

    const REQ: &str = "REGISTER sip:example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com:5070;branch=z9hG4bK2\r\n\
Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3\r\n\
From: \"A\" <sip:a@example.com>;tag=x\r\n\
To: <sip:a@example.com>\r\n\
Call-ID: 1@h\r\n\
CSeq: 2 REGISTER\r\n\
Max-Forwards: 70\r\n\
Expires: 3600\r\n\
Contact: <sip:a@1.2.3.4>;expires=60, *\r\n\
Route: <sip:p1;lr>, <sip:p2;lr>\r\n\
Record-Route: <sip:rr;lr>\r\n\
Path: <sip:path;lr>\r\n\
Reply-To: <sip:r@h>\r\n\
Supported: path, outbound\r\n\
Supported:\r\n\
Require: bad token!(\r\n\
Authorization: Digest realm=\"x\", nonce=\"y\"\r\n\
Date: Sat, 15 Oct 2005 04:44:56 GMT\r\n\
Content-Type: text/plain\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn typed_views() {
        let m = Message::parse_slice(REQ.as_bytes()).unwrap();
        let hosts: Vec<_> = m.vias().map(|v| v.unwrap().host()).collect();
        assert_eq!(hosts, ["a.example.com", "b.example.com", "c.example.com"]);
        assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK1"));
        assert_eq!(m.from().unwrap().tag(), Some("x"));
        assert_eq!(m.to().unwrap().tag(), None);
        assert_eq!(m.call_id(), Ok("1@h"));
        assert_eq!(m.cseq().unwrap().number, 2);
        assert_eq!(m.max_forwards(), Ok(Some(70)));
        assert_eq!(m.expires(), Ok(Some(3600)));
        assert_eq!(m.contacts().count(), 2);
        assert!(m.contacts().nth(1).unwrap().unwrap().addr().is_none());
        assert_eq!(m.routes().count(), 2);
        assert_eq!(
            m.record_routes().next().unwrap().unwrap().uri().host(),
            "rr"
        );
        assert_eq!(m.paths().count(), 1);
        assert!(m.reply_to().unwrap().is_some());
        let sup: Vec<_> = m
            .tokens(HeaderKind::Supported)
            .map(|t| t.unwrap())
            .collect();
        assert_eq!(sup, ["path", "outbound"]);
        assert!(m.tokens(HeaderKind::Require).next().unwrap().is_err());
        assert_eq!(
            m.auths(HeaderKind::Authorization)
                .next()
                .unwrap()
                .unwrap()
                .param("nonce")
                .as_deref(),
            Some("y")
        );
        assert_eq!(m.date().unwrap().unwrap().year, 2005);
        assert!(m.content_type().unwrap().unwrap().is("text", "plain"));
    }

    #[test]
    fn missing_and_malformed() {
        let m = Message::parse_slice(
            b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: x OPTIONS\r\nCall-ID: a b\r\n\r\n",
        )
        .unwrap();
        assert_eq!(m.from().unwrap_err().problem, HeaderProblem::Missing);
        assert_eq!(m.top_via().unwrap_err().header, HeaderKind::Via);
        let e = m.cseq().unwrap_err();
        assert_eq!((e.header, e.offset), (HeaderKind::CSeq, 31));
        assert_eq!(m.call_id().unwrap_err().offset, 52);
        assert_eq!(m.max_forwards(), Ok(None));
        assert_eq!(m.content_type(), Ok(None));
    }

    /// The top Via's port, read from the remembered view or not, is the full view's.
    #[test]
    fn top_via_port_is_the_views() {
        for via in [
            "Via: SIP/2.0/UDP h:5070;branch=z9hG4bK1\r\n",
            "Via: SIP/2.0/UDP h;rport;branch=z9hG4bK1\r\n",
            "v: SIP/2.0/UDP [::1]:6000 ;branch=z9hG4bK1, SIP/2.0/UDP b:1\r\n",
            "Via: SIP/2.0/UDP h:99999;branch=z9hG4bK1\r\n",
            "Via: bad\r\n",
            "",
        ] {
            let text = format!("OPTIONS sip:a@b SIP/2.0\r\n{via}Call-ID: x\r\n\r\n");
            let mut m = Message::parse_slice(text.as_bytes()).unwrap();
            let full = m.top_via().map(|v| v.port());
            assert_eq!(m.top_via_port(), full, "{via:?}");
            m.remember_views();
            assert_eq!(m.top_via_port(), full, "remembered: {via:?}");
        }
    }
}
