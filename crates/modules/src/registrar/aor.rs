//! The address-of-record key: which table entry a REGISTER (To URI) or a request (R-URI)
//! designates.
//!
//! The key is the user part alone (usrloc's `use_domain = 0`, OpenSIPS' default) or
//! `user@domain` (`use_domain = 1`): the domain is lowercased (host names are
//! case-insensitive), the port, parameters and scheme are dropped, the user part is unescaped
//! and compared as written unless `case_sensitive` is 0. A URI without a user part is keyed by
//! its domain alone, whatever `use_domain` says (OpenSIPS would key it by an empty user).

use siplua_sip::headers::NameAddr;
use siplua_sip::Uri;

/// How AORs are normalised (registrar parameters).
#[derive(Clone, Debug)]
pub struct AorRules {
    /// `case_sensitive`: compare user parts as written (default, RFC 3261) or lowercased.
    pub case_sensitive: bool,
    /// `realm_prefix`: a prefix stripped from domains (`sip.` makes `sip.example.com` and
    /// `example.com` the same AOR).
    pub realm_prefix: Option<String>,
    /// usrloc's `use_domain`: the domain is part of the key (else the user part alone is).
    pub use_domain: bool,
}

impl AorRules {
    /// The key of `text`: a SIP URI, a name-addr (`"A" <sip:a@b>`), or a bare `user@domain`.
    /// `None` when it is none of these.
    pub fn key(&self, text: &str) -> Option<String> {
        let text = text.trim();
        let with_scheme;
        let uri = if text.contains('<') {
            NameAddr::parse(text).ok()?.uri()
        } else {
            match Uri::parse(text) {
                Ok(u) if !u.host().is_empty() => u,
                _ => {
                    with_scheme = format!("sip:{text}");
                    Uri::parse(&with_scheme).ok()?
                }
            }
        };
        self.key_of(&uri)
    }

    /// The key of a URI already parsed (the To URI of a REGISTER): the same as [`Self::key`]
    /// of its text, without parsing it again.
    pub fn key_of_uri(&self, uri: &Uri) -> Option<String> {
        if uri.host().is_empty() {
            return self.key(uri.as_str());
        }
        self.key_of(uri)
    }

    fn key_of(&self, uri: &Uri) -> Option<String> {
        let mut host = uri.host();
        if host.is_empty() {
            return None;
        }
        if let Some(prefix) = self.realm_prefix.as_deref().filter(|p| !p.is_empty()) {
            let prefixed = host
                .get(..prefix.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(prefix));
            if host.len() > prefix.len() && prefixed {
                host = &host[prefix.len()..];
            }
        }
        let user = uri.user_decoded().filter(|u| !u.is_empty());
        if !self.use_domain {
            if let Some(user) = user {
                return Some(self.user_key(&user));
            }
        }
        let user_len = user.as_ref().map_or(0, |u| u.len() + 1);
        let mut key = String::with_capacity(user_len + host.len());
        match user {
            Some(user) if self.case_sensitive => key.push_str(&user),
            Some(user) => key.push_str(&user.to_lowercase()),
            None => {}
        }
        if user_len > 0 {
            key.push('@');
        }
        let start = key.len();
        key.push_str(host);
        key[start..].make_ascii_lowercase();
        Some(key)
    }

    /// The key of an AOR without its domain: the user part, lowercased unless case-sensitive.
    fn user_key(&self, user: &str) -> String {
        if self.case_sensitive {
            user.to_owned()
        } else {
            user.to_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let rules = AorRules {
            case_sensitive: true,
            realm_prefix: Some("sip.".into()),
            use_domain: true,
        };
        assert_eq!(
            rules
                .key("sip:Alice@Sip.Example.COM:5070;transport=tcp")
                .as_deref(),
            Some("Alice@example.com")
        );
        assert_eq!(rules.key("\"A\" <sip:%61b@h>").as_deref(), Some("ab@h"));
        assert_eq!(rules.key("bob@h").as_deref(), Some("bob@h"));
        assert_eq!(rules.key("sip:h").as_deref(), Some("h"));
        let to = Uri::parse("sip:Bob@SIP.Example.com;user=phone").unwrap();
        assert_eq!(rules.key_of_uri(&to).as_deref(), Some("Bob@example.com"));
        assert_eq!(rules.key("<bad").as_deref(), None);
        let rules = AorRules {
            case_sensitive: false,
            realm_prefix: None,
            use_domain: true,
        };
        assert_eq!(rules.key("sip:Alice@sip.h").as_deref(), Some("alice@sip.h"));
    }

    #[test]
    fn without_use_domain_the_user_part_is_the_key() {
        let mut rules = AorRules {
            case_sensitive: true,
            realm_prefix: None,
            use_domain: false,
        };
        assert_eq!(rules.key("sip:Alice@a.example").as_deref(), Some("Alice"));
        assert_eq!(
            rules.key("<sip:%41lice@b.example:5070>").as_deref(),
            Some("Alice")
        );
        assert_eq!(rules.key("alice@c").as_deref(), Some("alice"));
        // No user part: the domain stays the key.
        assert_eq!(rules.key("sip:Example.com").as_deref(), Some("example.com"));
        rules.case_sensitive = false;
        assert_eq!(rules.key("sip:Alice@a.example").as_deref(), Some("alice"));
    }
}
