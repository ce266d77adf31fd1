//! One registered binding (RFC 3261 §10.3): what `save()` stores for a Contact of a REGISTER
//! and what `lookup()` turns back into a destination.
//!
//! A table holds one of these per registered device, so it is kept small: its strings (URI,
//! Call-ID, NAT source, Path, User-Agent, `+sip.instance`, methods) live back to back in one
//! exact-size allocation, with their end offsets and a bit per optional field present.

use std::fmt;

use siplua_transport::{ConnId, SocketId};

/// The q-value of a contact that did not give one (OpenSIPS' `Q_UNSPECIFIED`).
pub const Q_UNSET: i32 = -1;

/// The text fields of a binding, borrowed, to build a [`UContact`] from.
#[derive(Clone, Copy, Debug, Default)]
pub struct ContactText<'a> {
    /// The Contact URI as the user agent sent it (without `<>` and header parameters).
    pub uri: &'a str,
    /// Call-ID of the REGISTER that created or last refreshed it.
    pub callid: &'a str,
    /// The NAT source (`sip:ip:port;transport=x`) requests go to instead of the Contact.
    pub received: Option<&'a str>,
    /// The Path vector (RFC 3327) as a comma-separated list of name-addrs.
    pub path: Option<&'a str>,
    /// User-Agent header of the REGISTER.
    pub user_agent: Option<&'a str>,
    /// `+sip.instance` (RFC 5626), as written (quotes kept).
    pub instance: Option<&'a str>,
    /// Methods the user agent accepts, comma-separated without spaces; `None` means all.
    pub methods: Option<&'a str>,
}

/// Positions of the text fields in [`UContact::text`], in [`ContactText`] order.
const URI: usize = 0;
const CALLID: usize = 1;
const RECEIVED: usize = 2;
const PATH: usize = 3;
const USER_AGENT: usize = 4;
const INSTANCE: usize = 5;
const METHODS: usize = 6;
const FIELDS: usize = 7;

/// A stored binding. Every field a later request needs to reach the user agent is here, so a
/// lookup never looks at the REGISTER again. The text fields are read with their accessors
/// ([`UContact::uri`], ...) and set together by [`UContact::new`].
#[derive(Clone, PartialEq, Eq)]
pub struct UContact {
    /// The text fields back to back, in [`ContactText`] order.
    text: Box<str>,
    /// Where each text field but the last ends in `text`.
    ends: [u32; FIELDS - 1],
    /// Bit `i` set: the optional text field `i` is present (possibly empty).
    present: u8,
    /// Absolute Unix time (seconds) at which the binding ends.
    pub expires: i64,
    /// Unix time of the last change, to prefer the most recent among equal q-values.
    pub last_modified: i64,
    /// Branch flags restored on the branch `lookup()` builds (NAT flag among them).
    pub cflags: u64,
    /// The TCP connection of the REGISTER, kept for `tcp_persistent_flag`.
    pub conn: Option<ConnId>,
    /// q-value in thousandths, [`Q_UNSET`] when the Contact had none.
    pub q: i32,
    /// CSeq number of the REGISTER that created or last refreshed it.
    pub cseq: u32,
    /// Contact flags (module-defined, kept for the management interface).
    pub flags: u32,
    /// `reg-id` (RFC 5626).
    pub reg_id: Option<u32>,
    /// The local socket the REGISTER arrived on (requests leave from it again).
    pub socket: Option<SocketId>,
}

impl UContact {
    /// A binding with these text fields and nothing else known yet (the caller fills what
    /// it has).
    pub fn new(t: ContactText<'_>) -> UContact {
        let fields = [
            Some(t.uri),
            Some(t.callid),
            t.received,
            t.path,
            t.user_agent,
            t.instance,
            t.methods,
        ];
        let mut text = String::with_capacity(fields.iter().flatten().map(|f| f.len()).sum());
        let mut ends = [0; FIELDS - 1];
        let mut present = 0;
        for (i, field) in fields.iter().enumerate() {
            if let Some(f) = field {
                text.push_str(f);
                present |= 1 << i;
            }
            if let Some(end) = ends.get_mut(i) {
                // A SIP message, and so any of its fields, is far below 4 GiB.
                *end = u32::try_from(text.len()).expect("contact text over 4 GiB");
            }
        }
        UContact {
            text: text.into_boxed_str(),
            ends,
            present,
            expires: 0,
            last_modified: 0,
            cflags: 0,
            conn: None,
            q: Q_UNSET,
            cseq: 0,
            flags: 0,
            reg_id: None,
            socket: None,
        }
    }

    /// Text field `i`, present or not.
    fn field(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        &self.text[start..end]
    }

    /// Optional text field `i`.
    fn optional(&self, i: usize) -> Option<&str> {
        (self.present & (1 << i) != 0).then(|| self.field(i))
    }

    /// The Contact URI as the user agent sent it (without `<>` and header parameters).
    pub fn uri(&self) -> &str {
        self.field(URI)
    }

    /// Call-ID of the REGISTER that created or last refreshed it (ordering, §10.3 step 7).
    pub fn callid(&self) -> &str {
        self.field(CALLID)
    }

    /// Where the REGISTER really came from (`sip:ip:port;transport=x`) when the user agent is
    /// behind a NAT: requests go there instead of to the Contact.
    pub fn received(&self) -> Option<&str> {
        self.optional(RECEIVED)
    }

    /// The Path vector (RFC 3327) as a comma-separated list of name-addrs.
    pub fn path(&self) -> Option<&str> {
        self.optional(PATH)
    }

    /// User-Agent header of the REGISTER.
    pub fn user_agent(&self) -> Option<&str> {
        self.optional(USER_AGENT)
    }

    /// `+sip.instance` (RFC 5626), as written (quotes kept).
    pub fn instance(&self) -> Option<&str> {
        self.optional(INSTANCE)
    }

    /// Methods the user agent accepts (`methods` Contact parameter or Allow header); `None`
    /// means all.
    pub fn methods(&self) -> Option<impl Iterator<Item = &str> + '_> {
        self.optional(METHODS)
            .map(|m| m.split(',').filter(|m| !m.is_empty()))
    }

    /// True while the binding has not expired at `now`.
    pub fn is_valid(&self, now: i64) -> bool {
        self.expires > now
    }

    /// Seconds left at `now` (0 once expired), as the 200 reply to a REGISTER shows them.
    pub fn remaining(&self, now: i64) -> i64 {
        (self.expires - now).max(0)
    }

    /// Whether the user agent accepts `method` (method names are case-sensitive, RFC 3261
    /// §7.1).
    pub fn supports(&self, method: &str) -> bool {
        self.methods().is_none_or(|mut m| m.any(|x| x == method))
    }
}

impl fmt::Debug for UContact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UContact")
            .field("uri", &self.uri())
            .field("callid", &self.callid())
            .field("received", &self.received())
            .field("path", &self.path())
            .field("user_agent", &self.user_agent())
            .field("instance", &self.instance())
            .field("methods", &self.optional(METHODS))
            .field("expires", &self.expires)
            .field("last_modified", &self.last_modified)
            .field("cflags", &self.cflags)
            .field("conn", &self.conn)
            .field("q", &self.q)
            .field("cseq", &self.cseq)
            .field("flags", &self.flags)
            .field("reg_id", &self.reg_id)
            .field("socket", &self.socket)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_and_methods() {
        let mut c = UContact::new(ContactText {
            uri: "sip:a@h",
            ..ContactText::default()
        });
        c.expires = 100;
        assert!(c.is_valid(99));
        assert!(!c.is_valid(100));
        assert_eq!(c.remaining(40), 60);
        assert_eq!(c.remaining(140), 0);
        assert!(c.supports("INVITE"));
        let c = UContact::new(ContactText {
            uri: "sip:a@h",
            methods: Some("MESSAGE,BYE"),
            ..ContactText::default()
        });
        assert!(!c.supports("INVITE"));
        assert!(c.supports("MESSAGE") && c.supports("BYE"));
        let none = UContact::new(ContactText {
            uri: "sip:a@h",
            methods: Some(""),
            ..ContactText::default()
        });
        assert!(!none.supports("INVITE"), "an empty list accepts nothing");
    }

    #[test]
    fn text_fields() {
        let c = UContact::new(ContactText {
            uri: "sip:a@h",
            callid: "c1",
            received: Some(""),
            path: None,
            user_agent: Some("ua"),
            instance: None,
            methods: Some("INVITE"),
        });
        assert_eq!((c.uri(), c.callid()), ("sip:a@h", "c1"));
        assert_eq!(c.received(), Some(""), "present and empty is not absent");
        assert_eq!((c.path(), c.instance()), (None, None));
        assert_eq!(c.user_agent(), Some("ua"));
        assert_eq!(c.methods().unwrap().collect::<Vec<_>>(), ["INVITE"]);
        let other = UContact::new(ContactText {
            uri: "sip:a@h",
            callid: "c1",
            user_agent: Some("ua"),
            methods: Some("INVITE"),
            ..ContactText::default()
        });
        assert_ne!(c, other, "the same text with another field present differs");
    }
}
