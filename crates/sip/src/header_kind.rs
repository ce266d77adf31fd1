//! Header names: the known kinds, their canonical spelling and compact forms.
//!
//! The parser classifies every header once, so routing code compares a small
//! enum instead of strings, and compact forms (`v:`, `i:` ...) need no special
//! casing anywhere else.

/// Headers this crate knows by name. Anything else is `Other`, and its name is
/// read from the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is the header of the same name
pub enum HeaderKind {
    Via,
    From,
    To,
    CallId,
    CSeq,
    Contact,
    MaxForwards,
    ContentLength,
    ContentType,
    Route,
    RecordRoute,
    Expires,
    Authorization,
    ProxyAuthorization,
    WwwAuthenticate,
    ProxyAuthenticate,
    AuthenticationInfo,
    Supported,
    Require,
    ProxyRequire,
    Unsupported,
    Allow,
    AllowEvents,
    Event,
    UserAgent,
    Server,
    Accept,
    AcceptEncoding,
    AcceptLanguage,
    ContentEncoding,
    ContentDisposition,
    ContentLanguage,
    ReplyTo,
    Subject,
    Path,
    ServiceRoute,
    Date,
    ReferTo,
    ReferredBy,
    SessionExpires,
    MinSe,
    MinExpires,
    Identity,
    RetryAfter,
    Warning,
    Timestamp,
    Priority,
    Organization,
    InReplyTo,
    MimeVersion,
    AlertInfo,
    CallInfo,
    ErrorInfo,
    SubscriptionState,
    PAssertedIdentity,
    PPreferredIdentity,
    Privacy,
    RSeq,
    RAck,
    /// Not a known header.
    Other,
}

/// (kind, canonical name, compact form), most frequent headers first so that
/// the linear lookup ends early on typical messages.
const TABLE: &[(HeaderKind, &str, Option<u8>)] = &[
    (HeaderKind::Via, "Via", Some(b'v')),
    (HeaderKind::From, "From", Some(b'f')),
    (HeaderKind::To, "To", Some(b't')),
    (HeaderKind::CallId, "Call-ID", Some(b'i')),
    (HeaderKind::CSeq, "CSeq", None),
    (HeaderKind::Contact, "Contact", Some(b'm')),
    (HeaderKind::MaxForwards, "Max-Forwards", None),
    (HeaderKind::ContentLength, "Content-Length", Some(b'l')),
    (HeaderKind::ContentType, "Content-Type", Some(b'c')),
    (HeaderKind::Route, "Route", None),
    (HeaderKind::RecordRoute, "Record-Route", None),
    (HeaderKind::Expires, "Expires", None),
    (HeaderKind::Authorization, "Authorization", None),
    (HeaderKind::ProxyAuthorization, "Proxy-Authorization", None),
    (HeaderKind::WwwAuthenticate, "WWW-Authenticate", None),
    (HeaderKind::ProxyAuthenticate, "Proxy-Authenticate", None),
    (HeaderKind::AuthenticationInfo, "Authentication-Info", None),
    (HeaderKind::Supported, "Supported", Some(b'k')),
    (HeaderKind::Require, "Require", None),
    (HeaderKind::ProxyRequire, "Proxy-Require", None),
    (HeaderKind::Unsupported, "Unsupported", None),
    (HeaderKind::Allow, "Allow", None),
    (HeaderKind::AllowEvents, "Allow-Events", Some(b'u')),
    (HeaderKind::Event, "Event", Some(b'o')),
    (HeaderKind::UserAgent, "User-Agent", None),
    (HeaderKind::Server, "Server", None),
    (HeaderKind::Accept, "Accept", None),
    (HeaderKind::AcceptEncoding, "Accept-Encoding", None),
    (HeaderKind::AcceptLanguage, "Accept-Language", None),
    (HeaderKind::ContentEncoding, "Content-Encoding", Some(b'e')),
    (HeaderKind::ContentDisposition, "Content-Disposition", None),
    (HeaderKind::ContentLanguage, "Content-Language", None),
    (HeaderKind::ReplyTo, "Reply-To", None),
    (HeaderKind::Subject, "Subject", Some(b's')),
    (HeaderKind::Path, "Path", None),
    (HeaderKind::ServiceRoute, "Service-Route", None),
    (HeaderKind::Date, "Date", None),
    (HeaderKind::ReferTo, "Refer-To", Some(b'r')),
    (HeaderKind::ReferredBy, "Referred-By", Some(b'b')),
    (HeaderKind::SessionExpires, "Session-Expires", Some(b'x')),
    (HeaderKind::MinSe, "Min-SE", None),
    (HeaderKind::MinExpires, "Min-Expires", None),
    (HeaderKind::Identity, "Identity", Some(b'y')),
    (HeaderKind::RetryAfter, "Retry-After", None),
    (HeaderKind::Warning, "Warning", None),
    (HeaderKind::Timestamp, "Timestamp", None),
    (HeaderKind::Priority, "Priority", None),
    (HeaderKind::Organization, "Organization", None),
    (HeaderKind::InReplyTo, "In-Reply-To", None),
    (HeaderKind::MimeVersion, "MIME-Version", None),
    (HeaderKind::AlertInfo, "Alert-Info", None),
    (HeaderKind::CallInfo, "Call-Info", None),
    (HeaderKind::ErrorInfo, "Error-Info", None),
    (HeaderKind::SubscriptionState, "Subscription-State", None),
    (HeaderKind::PAssertedIdentity, "P-Asserted-Identity", None),
    (HeaderKind::PPreferredIdentity, "P-Preferred-Identity", None),
    (HeaderKind::Privacy, "Privacy", None),
    (HeaderKind::RSeq, "RSeq", None),
    (HeaderKind::RAck, "RAck", None),
];

impl HeaderKind {
    /// Classifies a header name: case-insensitive, compact forms included.
    pub fn from_name(name: &[u8]) -> HeaderKind {
        if let [c] = name {
            let c = c.to_ascii_lowercase();
            return TABLE
                .iter()
                .find(|(_, _, compact)| *compact == Some(c))
                .map_or(HeaderKind::Other, |(kind, _, _)| *kind);
        }
        TABLE
            .iter()
            .find(|(_, full, _)| {
                full.len() == name.len() && full.as_bytes().eq_ignore_ascii_case(name)
            })
            .map_or(HeaderKind::Other, |(kind, _, _)| *kind)
    }

    /// Canonical spelling, used when this crate writes a header (`"Other"` for `Other`).
    pub fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .map_or("Other", |(_, full, _)| full)
    }

    /// The one-letter compact form, if the header has one.
    pub fn compact(self) -> Option<char> {
        TABLE
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .and_then(|(_, _, compact)| compact.map(char::from))
    }

    /// True for headers whose grammar is a comma-separated list, so that one
    /// line may carry several values (`Via: a, b`) — RFC 3261 §7.3.1.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            HeaderKind::Via
                | HeaderKind::Contact
                | HeaderKind::Route
                | HeaderKind::RecordRoute
                | HeaderKind::Path
                | HeaderKind::ServiceRoute
                | HeaderKind::Supported
                | HeaderKind::Require
                | HeaderKind::ProxyRequire
                | HeaderKind::Unsupported
                | HeaderKind::Allow
                | HeaderKind::AllowEvents
                | HeaderKind::Accept
                | HeaderKind::AcceptEncoding
                | HeaderKind::AcceptLanguage
                | HeaderKind::ContentEncoding
                | HeaderKind::ContentLanguage
                | HeaderKind::InReplyTo
                | HeaderKind::AlertInfo
                | HeaderKind::CallInfo
                | HeaderKind::ErrorInfo
                | HeaderKind::Warning
                | HeaderKind::PAssertedIdentity
                | HeaderKind::PPreferredIdentity
                | HeaderKind::Privacy
        )
    }

    /// True for headers that may appear only once in a message (a repeat makes
    /// the request invalid, RFC 4475 multi01).
    pub fn is_single(self) -> bool {
        matches!(
            self,
            HeaderKind::From
                | HeaderKind::To
                | HeaderKind::CallId
                | HeaderKind::CSeq
                | HeaderKind::MaxForwards
                | HeaderKind::ContentLength
                | HeaderKind::ContentType
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (kind, name, compact) in TABLE {
            assert_eq!(HeaderKind::from_name(name.as_bytes()), *kind);
            assert_eq!(
                HeaderKind::from_name(name.to_ascii_uppercase().as_bytes()),
                *kind
            );
            assert_eq!(kind.name(), *name);
            if let Some(c) = compact {
                assert_eq!(HeaderKind::from_name(&[*c]), *kind);
                assert_eq!(HeaderKind::from_name(&[c.to_ascii_uppercase()]), *kind);
            }
        }
    }

    #[test]
    fn compact_forms() {
        let expect = [
            ("i", HeaderKind::CallId),
            ("m", HeaderKind::Contact),
            ("e", HeaderKind::ContentEncoding),
            ("l", HeaderKind::ContentLength),
            ("f", HeaderKind::From),
            ("t", HeaderKind::To),
            ("v", HeaderKind::Via),
            ("s", HeaderKind::Subject),
            ("k", HeaderKind::Supported),
            ("c", HeaderKind::ContentType),
            ("o", HeaderKind::Event),
            ("u", HeaderKind::AllowEvents),
            ("r", HeaderKind::ReferTo),
            ("b", HeaderKind::ReferredBy),
            ("x", HeaderKind::SessionExpires),
            ("y", HeaderKind::Identity),
            ("z", HeaderKind::Other),
        ];
        for (n, k) in expect {
            assert_eq!(HeaderKind::from_name(n.as_bytes()), k, "{n}");
        }
        assert_eq!(
            HeaderKind::from_name(b"MaX-fOrWaRdS"),
            HeaderKind::MaxForwards
        );
        assert_eq!(HeaderKind::from_name(b"C%6Fntact"), HeaderKind::Other);
        assert_eq!(HeaderKind::from_name(b""), HeaderKind::Other);
        assert_eq!(HeaderKind::Other.name(), "Other");
        assert_eq!(HeaderKind::Via.compact(), Some('v'));
        assert!(HeaderKind::Via.is_list() && !HeaderKind::To.is_list());
        assert!(HeaderKind::CSeq.is_single() && !HeaderKind::Via.is_single());
    }
}
