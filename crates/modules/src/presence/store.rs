//! The presence state shared by every worker, in memory: publications per presentity and
//! event (RFC 3903), and subscription dialogs (RFC 6665) by their dialog id.

use std::collections::HashMap;
use std::sync::Arc;

use siplua_transport::SocketId;

use super::events::EventPackage;

/// One publication of a presentity (an event state with its entity-tag).
#[derive(Clone, Debug)]
pub struct Publication {
    /// The current entity-tag (`SIP-ETag`), new on every refresh.
    pub etag: String,
    /// The published document.
    pub body: String,
    /// Unix time it expires.
    pub expires_at: u64,
    /// Order of creation (aggregation puts the newest last).
    pub seq: u64,
}

/// Whether the watcher may see the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Authorized: NOTIFYs carry the state.
    Active,
    /// Not authorized yet: NOTIFYs carry no body.
    Pending,
}

/// One subscription dialog, as the notifier (UAS) sees it.
#[derive(Clone)]
pub struct Subscription {
    /// `sip:user@domain` of the presentity.
    pub pres_uri: String,
    /// The event package.
    pub event: Arc<EventPackage>,
    /// The Event header's `id` parameter, repeated in NOTIFYs.
    pub event_id: Option<String>,
    /// The watcher's From URI.
    pub watcher_uri: String,
    /// Call-ID.
    pub call_id: String,
    /// Our tag (the To-tag of our 2xx).
    pub local_tag: String,
    /// The watcher's From tag.
    pub remote_tag: String,
    /// Our From header value in NOTIFYs (the SUBSCRIBE's To with our tag).
    pub local_hdr: String,
    /// The NOTIFYs' To header value (the SUBSCRIBE's From).
    pub remote_hdr: String,
    /// Where NOTIFYs go (the watcher's Contact).
    pub remote_target: String,
    /// The route set (`<uri>` each), from the SUBSCRIBE's Record-Route.
    pub route_set: Vec<String>,
    /// CSeq of the last NOTIFY sent.
    pub local_cseq: u32,
    /// CSeq of the last SUBSCRIBE received.
    pub remote_cseq: u32,
    /// Unix time the subscription ends.
    pub expires_at: u64,
    /// Active or pending.
    pub status: Status,
    /// The socket the SUBSCRIBE arrived on (NOTIFYs leave from it).
    pub socket: Option<SocketId>,
    /// Our Contact URI.
    pub contact: String,
}

impl Subscription {
    /// The dialog id this subscription is filed under.
    pub fn key(&self) -> String {
        dialog_key(&self.call_id, &self.local_tag, &self.remote_tag)
    }
}

/// The key of a subscription dialog: Call-ID, our tag, the watcher's tag.
pub fn dialog_key(call_id: &str, local_tag: &str, remote_tag: &str) -> String {
    format!("{call_id}|{local_tag}|{remote_tag}")
}

/// Publications and subscriptions.
#[derive(Default)]
pub struct Store {
    /// Publications by (presentity URI, event name).
    pub publications: HashMap<(String, String), Vec<Publication>>,
    /// Subscriptions by dialog key.
    pub subscriptions: HashMap<String, Subscription>,
}

impl Store {
    /// The live publications of a presentity for an event, oldest first.
    pub fn bodies(&self, pres_uri: &str, event: &str, now: u64) -> Vec<&Publication> {
        let mut list: Vec<&Publication> = self
            .publications
            .get(&(pres_uri.to_owned(), event.to_owned()))
            .map(|v| v.iter().filter(|p| p.expires_at > now).collect())
            .unwrap_or_default();
        list.sort_by_key(|p| p.seq);
        list
    }

    /// The keys of the subscriptions to a presentity's event.
    pub fn watchers_of(&self, pres_uri: &str, event: &str) -> Vec<String> {
        self.subscriptions
            .iter()
            .filter(|(_, s)| s.pres_uri == pres_uri && s.event.name == event)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Removes the publications expired by `now` (kept `offset` seconds longer); returns
    /// the (presentity, event) pairs that lost one.
    pub fn expire_publications(&mut self, now: u64, offset: u64) -> Vec<(String, String)> {
        let mut changed = Vec::new();
        self.publications.retain(|key, list| {
            let before = list.len();
            list.retain(|p| p.expires_at + offset > now);
            if list.len() != before {
                changed.push(key.clone());
            }
            !list.is_empty()
        });
        changed
    }

    /// Removes and returns the subscriptions expired by `now` (kept `offset` seconds longer).
    pub fn expire_subscriptions(&mut self, now: u64, offset: u64) -> Vec<Subscription> {
        let keys: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|(_, s)| s.expires_at + offset <= now)
            .map(|(k, _)| k.clone())
            .collect();
        keys.iter()
            .filter_map(|k| self.subscriptions.remove(k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publication(etag: &str, expires_at: u64, seq: u64) -> Publication {
        Publication {
            etag: etag.into(),
            body: etag.into(),
            expires_at,
            seq,
        }
    }

    #[test]
    fn expiry_keeps_the_offset_and_reports_changes() {
        let mut s = Store::default();
        let key = ("sip:a@h".to_owned(), "presence".to_owned());
        s.publications.insert(
            key.clone(),
            vec![publication("new", 200, 2), publication("old", 100, 1)],
        );
        assert_eq!(
            s.bodies("sip:a@h", "presence", 50)
                .iter()
                .map(|p| p.etag.as_str())
                .collect::<Vec<_>>(),
            vec!["old", "new"]
        );
        assert!(s.expire_publications(105, 10).is_empty());
        assert_eq!(s.expire_publications(110, 10), vec![key.clone()]);
        assert_eq!(s.publications[&key].len(), 1);
        assert_eq!(s.expire_publications(300, 0), vec![key.clone()]);
        assert!(s.publications.is_empty());
    }
}
