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

/// Longest canonical name in [`TABLE`] (`P-Preferred-Identity`).
const MAX_NAME_LEN: usize = 20;

/// Names in [`TABLE`] that share a length and a first letter: at most two
/// (`Call-ID`/`Contact`, `Reply-To`/`Refer-To` ...).
const BUCKET: usize = 2;

/// No entry in a bucket slot.
const EMPTY: u8 = u8::MAX;

/// Index of a name's bucket: its length and its first letter (case-folded).
/// `None` for names no known header can have.
const fn bucket_of(len: usize, first: u8) -> Option<usize> {
    let first = first.to_ascii_lowercase();
    if len < 2 || len > MAX_NAME_LEN || !first.is_ascii_lowercase() {
        return None;
    }
    Some(len * 26 + (first - b'a') as usize)
}

/// Words of a name, zero-padded: names are compared 8 bytes at a time.
const WORDS: usize = MAX_NAME_LEN.div_ceil(8);

/// A canonical name prepared for case-insensitive comparison: its bytes
/// lowercased, and a mask with 0x20 on letter bytes. For any input byte `b`
/// at a letter position, `b | 0x20` equals the lowercase letter only when `b`
/// is that letter in either case; other positions (`-`) must match exactly.
#[derive(Clone, Copy)]
struct Folded {
    lower: [u64; WORDS],
    mask: [u64; WORDS],
}

const fn fold(name: &[u8]) -> Folded {
    let mut lower = [0u8; WORDS * 8];
    let mut mask = [0u8; WORDS * 8];
    let mut i = 0;
    while i < name.len() {
        if name[i].is_ascii_alphabetic() {
            lower[i] = name[i].to_ascii_lowercase();
            mask[i] = 0x20;
        } else {
            lower[i] = name[i];
        }
        i += 1;
    }
    let mut f = Folded {
        lower: [0; WORDS],
        mask: [0; WORDS],
    };
    let mut w = 0;
    while w < WORDS {
        let mut lw = [0u8; 8];
        let mut mw = [0u8; 8];
        let mut j = 0;
        while j < 8 {
            lw[j] = lower[w * 8 + j];
            mw[j] = mask[w * 8 + j];
            j += 1;
        }
        f.lower[w] = u64::from_le_bytes(lw);
        f.mask[w] = u64::from_le_bytes(mw);
        w += 1;
    }
    f
}

/// Classification tables built from [`TABLE`] at compile time, so that
/// [`HeaderKind::from_name`] compares at most two candidates, a word at a
/// time, instead of walking the whole table — it runs once for every header
/// of every message.
struct Lookup {
    /// `TABLE` indexes by (length, first letter); `EMPTY` for no entry.
    full: [[u8; BUCKET]; (MAX_NAME_LEN + 1) * 26],
    /// `TABLE` index by compact letter (`a`..=`z`); `EMPTY` for no entry.
    compact: [u8; 26],
    /// Each `TABLE` name prepared for comparison.
    folded: [Folded; TABLE.len()],
}

static LOOKUP: Lookup = {
    let empty = Folded {
        lower: [0; WORDS],
        mask: [0; WORDS],
    };
    let mut l = Lookup {
        full: [[EMPTY; BUCKET]; (MAX_NAME_LEN + 1) * 26],
        compact: [EMPTY; 26],
        folded: [empty; TABLE.len()],
    };
    let mut i = 0;
    while i < TABLE.len() {
        let (_, name, compact) = TABLE[i];
        let name = name.as_bytes();
        let Some(b) = bucket_of(name.len(), name[0]) else {
            panic!("header name outside the lookup table");
        };
        let mut slot = 0;
        while l.full[b][slot] != EMPTY {
            slot += 1; // fails to compile if a bucket overflows
        }
        l.full[b][slot] = i as u8;
        l.folded[i] = fold(name);
        if let Some(c) = compact {
            l.compact[(c - b'a') as usize] = i as u8;
        }
        i += 1;
    }
    l
};

/// The kind of [`TABLE`] entry `i` (`Other` for [`EMPTY`]).
fn kind_at(i: u8) -> HeaderKind {
    TABLE
        .get(usize::from(i))
        .map_or(HeaderKind::Other, |(kind, _, _)| *kind)
}

/// `chunk` (at most eight bytes) as a little-endian word, zero-padded.
fn word(chunk: &[u8]) -> u64 {
    match chunk.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => chunk
            .iter()
            .rev()
            .fold(0u64, |w, &b| (w << 8) | u64::from(b)),
    }
}

/// Marks the bytes of `w` equal to `b` (0x80 in their lane). Only the lowest mark is
/// reliable (a borrow may mark a lane above a true one), which is all a search needs.
const fn lanes_equal(w: u64, b: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = w ^ (ONES * b as u64);
    x.wrapping_sub(ONES) & !x & (ONES << 7)
}

/// Classifies a name of `len` bytes starting with `first`, given as zero-padded words.
fn classify(input: &[u64; WORDS], len: usize, first: u8) -> HeaderKind {
    if len == 1 {
        let i = first.to_ascii_lowercase().wrapping_sub(b'a');
        return LOOKUP
            .compact
            .get(usize::from(i))
            .map_or(HeaderKind::Other, |&i| kind_at(i));
    }
    let Some(&[a, b]) = bucket_of(len, first).and_then(|b| LOOKUP.full.get(b)) else {
        return HeaderKind::Other;
    };
    if is_entry(input, a) {
        kind_at(a)
    } else if is_entry(input, b) {
        kind_at(b)
    } else {
        HeaderKind::Other
    }
}

/// True when `input` spells the name of [`TABLE`] entry `i`, in any case (false for
/// [`EMPTY`]). `input` has the length of the entry's name (it comes from its bucket), so
/// the words past the name are zero on both sides and all of them can be compared, with
/// no branch on the length.
#[inline]
fn is_entry(input: &[u64; WORDS], i: u8) -> bool {
    LOOKUP.folded.get(usize::from(i)).is_some_and(|f| {
        input
            .iter()
            .zip(f.mask.iter().zip(&f.lower))
            .fold(0, |diff, (w, (mask, lower))| diff | ((w | mask) ^ lower))
            == 0
    })
}

impl HeaderKind {
    /// Classifies a header name: case-insensitive, compact forms included.
    pub fn from_name(name: &[u8]) -> HeaderKind {
        let (Some(&first), true) = (name.first(), name.len() <= MAX_NAME_LEN) else {
            return HeaderKind::Other;
        };
        let mut input = [0u64; WORDS];
        for (slot, chunk) in input.iter_mut().zip(name.chunks(8)) {
            *slot = word(chunk);
        }
        classify(&input, name.len(), first)
    }

    /// The known header whose name starts at `data[pos]` and ends right before the first
    /// `:`, with the name's length. The parser tries it on every header line: it reads
    /// the name a word at a time, and a known name needs no check of its bytes (each one
    /// is a token character). `None` when the text before the `:` is not a known name
    /// (an unknown one, or a name followed by SP/HT), or too near the end of `data` to
    /// read whole words; the caller then scans the name byte by byte and classifies it
    /// with [`HeaderKind::from_name`].
    #[inline]
    pub(crate) fn known_at(data: &[u8], pos: usize) -> Option<(HeaderKind, usize)> {
        let mut input = [0u64; WORDS];
        for w in 0..WORDS {
            let chunk = data.get(pos + 8 * w..)?.first_chunk::<8>()?;
            let x = u64::from_le_bytes(*chunk);
            let ends = lanes_equal(x, b':');
            if ends != 0 {
                let n = ends.trailing_zeros() as usize / 8;
                *input.get_mut(w)? = x & ((1u64 << (8 * n)) - 1);
                let len = 8 * w + n;
                let kind = classify(&input, len, *data.get(pos)?);
                return (kind != HeaderKind::Other).then_some((kind, len));
            }
            *input.get_mut(w)? = x;
        }
        None
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

    /// The classification by definition: a case-insensitive match of a canonical name or
    /// of a compact letter.
    fn by_table(name: &[u8]) -> HeaderKind {
        TABLE
            .iter()
            .find(|(_, full, compact)| {
                full.as_bytes().eq_ignore_ascii_case(name)
                    || matches!((compact, name), (Some(c), [n]) if c.eq_ignore_ascii_case(n))
            })
            .map_or(HeaderKind::Other, |(kind, _, _)| *kind)
    }

    #[test]
    fn names_inside_a_buffer() {
        let mut names: Vec<Vec<u8>> = vec![b"".to_vec(), b"x".to_vec(), b"-".to_vec()];
        for (_, name, _) in TABLE {
            let name = name.as_bytes();
            names.push(name.to_ascii_uppercase());
            names.push(name[..name.len() - 1].to_vec());
            names.push([name, b"s"].concat());
            for i in 0..name.len() {
                let mut changed = name.to_vec();
                changed[i] ^= 0x20; // the other case of a letter, a different byte otherwise
                names.push(changed.clone());
                changed[i] = b'.';
                names.push(changed);
            }
        }
        for name in &names {
            let expected = by_table(name);
            assert_eq!(HeaderKind::from_name(name), expected, "{name:?}");
            // In a message the name is followed by more bytes, which must not count.
            for tail in [&b":"[..], b": value\r\n", b":Via: SIP/2.0/UDP h\r\n\r\n"] {
                let data = [b"X: y\r\n", name.as_slice(), tail].concat();
                match HeaderKind::known_at(&data, 6) {
                    Some(found) => assert_eq!(found, (expected, name.len()), "{name:?}"),
                    // Not known, or too near the end to read the words holding it and its end.
                    None => assert!(
                        expected == HeaderKind::Other || data.len() < 6 + 8 * (name.len() / 8 + 1),
                        "{name:?} followed by {tail:?}"
                    ),
                }
            }
            // A name followed by SP or HT is left to the byte-by-byte scan.
            for tail in [
                &b" : value\r\n                "[..],
                b"\t:Via: SIP/2.0/UDP h\r\n\r\n",
            ] {
                let data = [b"X: y\r\n", name.as_slice(), tail].concat();
                assert_eq!(HeaderKind::known_at(&data, 6), None, "{name:?} {tail:?}");
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
        // Case folding applies to letters only: 0x0D | 0x20 is '-', '@' | 0x20 is '`'.
        assert_eq!(HeaderKind::from_name(b"Call\rID"), HeaderKind::Other);
        assert_eq!(HeaderKind::from_name(b"Call-\x09D"), HeaderKind::Other);
        assert_eq!(HeaderKind::from_name(b"CALL-ID"), HeaderKind::CallId);
        assert_eq!(HeaderKind::from_name(b"Call-IDs"), HeaderKind::Other);
        assert_eq!(
            HeaderKind::from_name(b"P-Preferred-Identity!"),
            HeaderKind::Other
        );
        assert_eq!(HeaderKind::from_name(b""), HeaderKind::Other);
        assert_eq!(HeaderKind::Other.name(), "Other");
        assert_eq!(HeaderKind::Via.compact(), Some('v'));
        assert!(HeaderKind::Via.is_list() && !HeaderKind::To.is_list());
        assert!(HeaderKind::CSeq.is_single() && !HeaderKind::Via.is_single());
    }
}
