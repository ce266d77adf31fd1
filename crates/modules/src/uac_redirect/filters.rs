//! The accept and deny filters of `uac_redirect`: regular expressions over a redirect
//! contact's URI. An accept filter that matches takes the contact, else a deny filter that
//! matches drops it, else the default rule (`default_filter`, accept unless set to `deny`)
//! decides. The module parameters give the default filters; `set_accept_filter` and
//! `set_deny_filter` add more for the message being routed, or replace them.

use std::sync::Arc;

use regex::Regex;

/// The filters in force for one message.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Accept filters from the module parameter (kept unless reset).
    pub default_accept: Option<Arc<Regex>>,
    /// Deny filters from the module parameter.
    pub default_deny: Option<Arc<Regex>>,
    /// Accept filters added by the script for this message.
    pub added_accept: Vec<Arc<Regex>>,
    /// Deny filters added by the script for this message.
    pub added_deny: Vec<Arc<Regex>>,
    /// What a contact no filter matches gets: `true` accept, `false` deny.
    pub default_rule_accepts: bool,
}

/// Which list a `set_*_filter` call changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `set_accept_filter`
    Accept,
    /// `set_deny_filter`
    Deny,
}

/// The `flags` argument of `set_*_filter`: which filters of that kind go before the new one
/// is added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reset {
    /// `reset_default`: the module parameter's filter.
    pub default: bool,
    /// `reset_added`: filters added earlier for this message.
    pub added: bool,
}

impl Reset {
    /// Reads the flags: a comma-separated list of `reset_all`, `reset_default` and
    /// `reset_added` (empty: nothing is reset).
    pub fn parse(text: &str) -> Result<Reset, String> {
        let mut r = Reset::default();
        for flag in text.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            match flag {
                "reset_all" => {
                    r.default = true;
                    r.added = true;
                }
                "reset_default" => r.default = true,
                "reset_added" => r.added = true,
                other => {
                    return Err(format!(
                        "unknown filter flag '{other}' (reset_all, reset_default, reset_added)"
                    ))
                }
            }
        }
        Ok(r)
    }
}

impl Filters {
    /// Adds `re` to the filters of `kind`, after dropping those `reset` names.
    pub fn add(&mut self, kind: Kind, re: Arc<Regex>, reset: Reset) {
        let (default, added) = match kind {
            Kind::Accept => (&mut self.default_accept, &mut self.added_accept),
            Kind::Deny => (&mut self.default_deny, &mut self.added_deny),
        };
        if reset.default {
            *default = None;
        }
        if reset.added {
            added.clear();
        }
        added.push(re);
    }

    /// Whether the contact URI `uri` may be used.
    pub fn accepts(&self, uri: &str) -> bool {
        let any = |default: &Option<Arc<Regex>>, added: &[Arc<Regex>]| {
            default.iter().chain(added).any(|re| re.is_match(uri))
        };
        if any(&self.default_accept, &self.added_accept) {
            return true;
        }
        if any(&self.default_deny, &self.added_deny) {
            return false;
        }
        self.default_rule_accepts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> Arc<Regex> {
        Arc::new(Regex::new(s).unwrap())
    }

    #[test]
    fn accept_beats_deny_and_the_default_rule_decides_the_rest() {
        let mut f = Filters {
            default_deny: Some(re("example\\.net")),
            default_rule_accepts: true,
            ..Filters::default()
        };
        assert!(!f.accepts("sip:a@example.net"));
        assert!(f.accepts("sip:a@example.com"));
        f.add(Kind::Accept, re("^sip:vip"), Reset::default());
        assert!(f.accepts("sip:vip@example.net"));
        f.default_rule_accepts = false;
        assert!(!f.accepts("sip:a@example.com"));
        f.add(
            Kind::Deny,
            re("nothing"),
            Reset::parse("reset_all").unwrap(),
        );
        assert!(f.default_deny.is_none());
        assert!(f.accepts("sip:vip@example.net"));
        assert!(Reset::parse("reset_some").is_err());
        assert_eq!(
            Reset::parse(" reset_added ").unwrap(),
            Reset {
                default: false,
                added: true
            }
        );
    }
}
