//! The address-of-record key: which table entry a REGISTER (To URI) or a request (R-URI)
//! designates.
//!
//! The key is `user@domain` (OpenSIPS with `use_domain = 1`): the domain is lowercased (host
//! names are case-insensitive), the port, parameters and scheme are dropped, the user part is
//! unescaped and compared as written unless `case_sensitive` is 0. A URI without a user part
//! is keyed by its domain alone.

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
        let mut host = uri.host().to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        if let Some(prefix) = self.realm_prefix.as_deref().filter(|p| !p.is_empty()) {
            if host.len() > prefix.len() && host.starts_with(&prefix.to_ascii_lowercase()) {
                host.drain(..prefix.len());
            }
        }
        match uri.user_decoded().filter(|u| !u.is_empty()) {
            Some(user) if self.case_sensitive => Some(format!("{user}@{host}")),
            Some(user) => Some(format!("{}@{host}", user.to_lowercase())),
            None => Some(host),
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
        assert_eq!(rules.key("<bad").as_deref(), None);
        let rules = AorRules {
            case_sensitive: false,
            realm_prefix: None,
        };
        assert_eq!(rules.key("sip:Alice@sip.h").as_deref(), Some("alice@sip.h"));
    }
}
