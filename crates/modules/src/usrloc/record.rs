//! An address-of-record and its bindings, with the contact operations `save()`, `remove()`
//! and the management interface use (insert, update, delete, find).

use siplua_sip::{uri_eq, Uri};

use super::contact::UContact;

/// How a Contact of a REGISTER is matched against the stored bindings (usrloc
/// `matching_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchingMode {
    /// Same Contact URI (RFC 3261 §19.1.4 comparison): mode 0, the default.
    Contact,
    /// Same Contact URI and same Call-ID: mode 1.
    ContactCallId,
}

/// What identifies one binding when a REGISTER refreshes or removes it.
#[derive(Clone, Copy, Debug)]
pub struct ContactKey<'a> {
    /// The Contact URI.
    pub uri: &'a str,
    /// The Call-ID of the REGISTER (used by [`MatchingMode::ContactCallId`]).
    pub callid: &'a str,
    /// `+sip.instance` and `reg-id` (RFC 5626): when both are given they identify the flow
    /// whatever the URI is.
    pub instance: Option<(&'a str, u32)>,
}

/// One AOR (`user@domain`) and its bindings, in insertion order. The bindings are kept at
/// exact capacity: a table holds many records of one or two bindings each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aor {
    aor: Box<str>,
    contacts: Vec<UContact>,
}

impl Aor {
    /// An AOR without bindings.
    pub fn new(aor: &str) -> Aor {
        Aor {
            aor: aor.into(),
            contacts: Vec::new(),
        }
    }

    /// The AOR as stored (the table key).
    pub fn aor(&self) -> &str {
        &self.aor
    }

    /// Every binding, expired ones included until the timer removes them.
    pub fn contacts(&self) -> &[UContact] {
        &self.contacts
    }

    /// True when no binding is left.
    pub fn is_empty(&self) -> bool {
        self.contacts.is_empty()
    }

    /// The position of the binding `key` designates.
    pub fn find(&self, key: &ContactKey, mode: MatchingMode) -> Option<usize> {
        if let Some((instance, reg_id)) = key.instance {
            if let Some(i) = self
                .contacts
                .iter()
                .position(|c| c.instance() == Some(instance) && c.reg_id == Some(reg_id))
            {
                return Some(i);
            }
        }
        // Parsed only when a stored URI is not the same text.
        let mut parsed = None;
        self.contacts.iter().position(|c| {
            (mode == MatchingMode::Contact || c.callid() == key.callid)
                && (c.uri() == key.uri
                    || same_uri(
                        parsed
                            .get_or_insert_with(|| Uri::parse(key.uri).ok())
                            .as_ref(),
                        key.uri,
                        c.uri(),
                    ))
        })
    }

    /// Adds a binding.
    pub fn insert(&mut self, contact: UContact) {
        self.contacts.reserve_exact(1);
        self.contacts.push(contact);
    }

    /// Replaces the binding at `index` (no-op when out of range).
    pub fn update(&mut self, index: usize, contact: UContact) {
        if let Some(slot) = self.contacts.get_mut(index) {
            *slot = contact;
        }
    }

    /// Removes and returns the binding at `index`.
    pub fn delete(&mut self, index: usize) -> Option<UContact> {
        let gone = (index < self.contacts.len()).then(|| self.contacts.remove(index));
        self.contacts.shrink_to_fit();
        gone
    }

    /// Removes every binding for which `drop` is true; returns how many went.
    pub fn delete_where(&mut self, mut drop: impl FnMut(&UContact) -> bool) -> usize {
        let before = self.contacts.len();
        self.contacts.retain(|c| !drop(c));
        self.contacts.shrink_to_fit();
        before - self.contacts.len()
    }

    /// Removes the bindings expired at `now`; returns how many went.
    pub fn expire(&mut self, now: i64) -> usize {
        self.delete_where(|c| !c.is_valid(now))
    }
}

/// URI equality per RFC 3261 §19.1.4 when both parse, else byte equality.
fn same_uri(parsed: Option<&Uri>, text: &str, stored: &str) -> bool {
    match (parsed, Uri::parse(stored)) {
        (Some(a), Ok(b)) => uri_eq(a, &b),
        _ => text == stored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usrloc::contact::ContactText;

    fn contact(uri: &str, callid: &str, instance: Option<&str>) -> UContact {
        let mut c = UContact::new(ContactText {
            uri,
            callid,
            instance,
            ..ContactText::default()
        });
        c.expires = 100;
        c
    }

    #[test]
    fn matching_modes_and_instances() {
        let mut aor = Aor::new("alice@example.com");
        aor.insert(contact("sip:alice@10.0.0.1:5060", "c1", None));
        let key = ContactKey {
            uri: "sip:alice@10.0.0.1",
            callid: "c2",
            instance: None,
        };
        // Port 5060 written or not is not the same URI (§19.1.4).
        assert_eq!(aor.find(&key, MatchingMode::Contact), None);
        let key = ContactKey {
            uri: "sip:ALICE@10.0.0.1:5060",
            ..key
        };
        assert_eq!(
            aor.find(&key, MatchingMode::Contact),
            None,
            "user is case-sensitive"
        );
        let key = ContactKey {
            uri: "sip:alice@10.0.0.1:5060;transport=udp",
            ..key
        };
        // A transport parameter on one side only does not match (§19.1.4).
        assert_eq!(aor.find(&key, MatchingMode::Contact), None);
        let key = ContactKey {
            uri: "sip:alice@10.0.0.1:5060",
            ..key
        };
        assert_eq!(aor.find(&key, MatchingMode::Contact), Some(0));
        assert_eq!(aor.find(&key, MatchingMode::ContactCallId), None);

        let mut c = contact("sip:alice@10.0.0.9", "c3", Some("\"<urn:uuid:1>\""));
        c.reg_id = Some(1);
        aor.insert(c);
        let key = ContactKey {
            uri: "sip:other@10.0.0.7",
            callid: "c4",
            instance: Some(("\"<urn:uuid:1>\"", 1)),
        };
        assert_eq!(aor.find(&key, MatchingMode::Contact), Some(1));
        assert_eq!(aor.expire(100), 2);
        assert!(aor.is_empty());
    }
}
