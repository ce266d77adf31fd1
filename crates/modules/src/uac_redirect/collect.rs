//! Which contacts of the 3xx replies become new targets: per reply, the contacts in order of
//! `q` (highest first; a contact without `q` counts as 1.0), at most `max_branch` of them
//! (0: all), the filters applied, and at most `max_total` in all (0: all).

use siplua_sip::headers::Contact;
use siplua_sip::Message;

use super::filters::Filters;

/// One contact chosen for redirection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The contact URI.
    pub uri: String,
    /// Its q-value in thousandths (-1 when the contact had none).
    pub q: i32,
}

/// The contacts of `replies` (oldest branch first) that the limits and filters let through.
pub fn targets(
    replies: &[Message],
    filters: &Filters,
    max_total: usize,
    max_branch: usize,
) -> Vec<Target> {
    let mut chosen: Vec<Target> = Vec::new();
    for reply in replies {
        let mut contacts: Vec<Target> = reply
            .contacts()
            .filter_map(Result::ok)
            .filter_map(|c| match c {
                Contact::Addr(a) => Some(Target {
                    uri: a.uri().as_str().to_owned(),
                    q: a.q().and_then(siplua_core::corefn::parse_q).unwrap_or(-1),
                }),
                Contact::Star => None,
            })
            .collect();
        // Stable: contacts of equal q keep the order of the reply.
        contacts.sort_by_key(|t| std::cmp::Reverse(if t.q < 0 { 1000 } else { t.q }));
        let mut from_branch = 0;
        for t in contacts {
            if max_branch > 0 && from_branch == max_branch {
                break;
            }
            if max_total > 0 && chosen.len() == max_total {
                return chosen;
            }
            if !filters.accepts(&t.uri) || chosen.iter().any(|c| c.uri == t.uri) {
                continue;
            }
            from_branch += 1;
            chosen.push(t);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn reply(contacts: &str) -> Message {
        let text = format!(
            "SIP/2.0 302 Moved\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n\
             To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContact: {contacts}\r\n\r\n"
        );
        Message::parse_slice(text.as_bytes()).unwrap()
    }

    fn uris(t: &[Target]) -> Vec<&str> {
        t.iter().map(|t| t.uri.as_str()).collect()
    }

    #[test]
    fn contacts_by_q_with_per_branch_and_total_limits_and_filters() {
        let replies = [
            reply("<sip:low@h>;q=0.1, <sip:top@h>, <sip:mid@h>;q=0.5"),
            reply("<sip:second@h>;q=0.9, <sip:mid@h>;q=0.7"),
        ];
        let accept_all = Filters {
            default_rule_accepts: true,
            ..Filters::default()
        };
        assert_eq!(
            uris(&targets(&replies, &accept_all, 0, 0)),
            ["sip:top@h", "sip:mid@h", "sip:low@h", "sip:second@h"]
        );
        assert_eq!(
            uris(&targets(&replies, &accept_all, 0, 1)),
            ["sip:top@h", "sip:second@h"]
        );
        assert_eq!(
            uris(&targets(&replies, &accept_all, 2, 0)),
            ["sip:top@h", "sip:mid@h"]
        );
        let no_top = Filters {
            default_deny: Some(Arc::new(regex::Regex::new("top").unwrap())),
            ..accept_all.clone()
        };
        assert_eq!(
            uris(&targets(&replies, &no_top, 0, 1)),
            ["sip:mid@h", "sip:second@h"]
        );
        assert_eq!(targets(&replies, &accept_all, 0, 0)[0].q, -1);
    }
}
