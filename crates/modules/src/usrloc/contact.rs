//! One registered binding (RFC 3261 §10.3): what `save()` stores for a Contact of a REGISTER
//! and what `lookup()` turns back into a destination.

use siplua_transport::{ConnId, SocketId};

/// The q-value of a contact that did not give one (OpenSIPS' `Q_UNSPECIFIED`).
pub const Q_UNSET: i32 = -1;

/// A stored binding. Every field a later request needs to reach the user agent is here, so a
/// lookup never looks at the REGISTER again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UContact {
    /// The Contact URI as the user agent sent it (without `<>` and header parameters).
    pub uri: String,
    /// Absolute Unix time (seconds) at which the binding ends.
    pub expires: i64,
    /// q-value in thousandths, [`Q_UNSET`] when the Contact had none.
    pub q: i32,
    /// Call-ID of the REGISTER that created or last refreshed it (ordering, §10.3 step 7).
    pub callid: String,
    /// CSeq number of that REGISTER.
    pub cseq: u32,
    /// Where the REGISTER really came from (`sip:ip:port;transport=x`) when the user agent is
    /// behind a NAT: requests go there instead of to the Contact.
    pub received: Option<String>,
    /// The Path vector (RFC 3327) as a comma-separated list of name-addrs.
    pub path: Option<String>,
    /// The local socket the REGISTER arrived on (requests leave from it again).
    pub socket: Option<SocketId>,
    /// The TCP connection of the REGISTER, kept for `tcp_persistent_flag`.
    pub conn: Option<ConnId>,
    /// User-Agent header of the REGISTER.
    pub user_agent: Option<String>,
    /// Contact flags (module-defined, kept for the management interface).
    pub flags: u32,
    /// Branch flags restored on the branch `lookup()` builds (NAT flag among them).
    pub cflags: u64,
    /// Methods the user agent accepts (`methods` Contact parameter or Allow header); `None`
    /// means all.
    pub methods: Option<Vec<String>>,
    /// `+sip.instance` (RFC 5626), as written (quotes kept).
    pub instance: Option<String>,
    /// `reg-id` (RFC 5626).
    pub reg_id: Option<u32>,
    /// Unix time of the last change, to prefer the most recent among equal q-values.
    pub last_modified: i64,
}

impl UContact {
    /// A binding of `uri` with nothing else known yet (the caller fills what it has).
    pub fn new(uri: &str) -> UContact {
        UContact {
            uri: uri.to_owned(),
            expires: 0,
            q: Q_UNSET,
            callid: String::new(),
            cseq: 0,
            received: None,
            path: None,
            socket: None,
            conn: None,
            user_agent: None,
            flags: 0,
            cflags: 0,
            methods: None,
            instance: None,
            reg_id: None,
            last_modified: 0,
        }
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
        self.methods
            .as_ref()
            .is_none_or(|m| m.iter().any(|x| x == method))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_and_methods() {
        let mut c = UContact::new("sip:a@h");
        c.expires = 100;
        assert!(c.is_valid(99));
        assert!(!c.is_valid(100));
        assert_eq!(c.remaining(40), 60);
        assert_eq!(c.remaining(140), 0);
        assert!(c.supports("INVITE"));
        c.methods = Some(vec!["MESSAGE".into()]);
        assert!(!c.supports("INVITE"));
        assert!(c.supports("MESSAGE"));
    }
}
