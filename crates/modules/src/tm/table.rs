//! The transaction table, shared by every worker: server transactions by their RFC 3261
//! §17.2.3 key, client branches by our Via branch. Sharded, so workers handling different
//! calls do not contend on one lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use siplua_sip::{HeaderKind, Message};

use super::params::Matching;
use super::tx::TxRef;

const SHARDS: usize = 64;

/// One shard's map. foldhash with a random seed per process: the keys are Via branches
/// chosen by peers, and SipHash cost a few thousand instructions per call.
type Shard<V> = HashMap<String, V, foldhash::quality::RandomState>;

/// A map split into independently locked shards.
struct Sharded<V> {
    shards: Vec<Mutex<Shard<V>>>,
}

impl<V: Clone> Sharded<V> {
    fn new() -> Self {
        Sharded {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }

    fn shard(&self, key: &str) -> &Mutex<Shard<V>> {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        &self.shards[(h % SHARDS as u64) as usize]
    }

    fn get(&self, key: &str) -> Option<V> {
        self.shard(key).lock().get(key).cloned()
    }

    /// Inserts unless present; returns the value now in the map.
    fn insert_new(&self, key: String, value: V) -> (V, bool) {
        let mut shard = self.shard(&key).lock();
        match shard.get(&key) {
            Some(existing) => (existing.clone(), false),
            None => {
                shard.insert(key, value.clone());
                (value, true)
            }
        }
    }

    fn insert(&self, key: String, value: V) {
        self.shard(&key).lock().insert(key, value);
    }

    fn remove(&self, key: &str) {
        self.shard(key).lock().remove(key);
    }
}

/// All live transactions.
pub struct TxTable {
    server: Sharded<TxRef>,
    client: Sharded<(TxRef, usize)>,
    next_id: AtomicU64,
}

impl Default for TxTable {
    fn default() -> Self {
        TxTable {
            server: Sharded::new(),
            client: Sharded::new(),
            next_id: AtomicU64::new(1),
        }
    }
}

impl TxTable {
    /// A fresh transaction number.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The server transaction filed under `key`.
    pub fn find(&self, key: &str) -> Option<TxRef> {
        self.server.get(key)
    }

    /// Files a transaction unless one with the same key exists (a retransmission raced us);
    /// returns the one in the table and whether it is the one given.
    pub fn insert(&self, tx: TxRef) -> (TxRef, bool) {
        self.server.insert_new(tx.key.clone(), tx)
    }

    /// Files a client branch under its Via branch id.
    pub fn add_branch(&self, id: String, tx: TxRef, index: usize) {
        self.client.insert(id, (tx, index));
    }

    /// The transaction and branch index a reply with this top-Via branch belongs to.
    pub fn find_branch(&self, id: &str) -> Option<(TxRef, usize)> {
        self.client.get(id)
    }

    /// Forgets one branch (it could not be sent).
    pub fn remove_branch(&self, id: &str) {
        self.client.remove(id);
    }

    /// Forgets a transaction and its branches.
    pub fn remove(&self, tx: &TxRef, branch_ids: &[String]) {
        self.server.remove(&tx.key);
        for id in branch_ids {
            self.client.remove(id);
        }
    }
}

/// The server-transaction key of a request (RFC 3261 §17.2.3): top Via branch, sent-by and
/// method, an ACK filed with its INVITE. Without an RFC 3261 branch, the RFC 2543 fallback:
/// Call-ID, CSeq number, From tag, and the Request-URI and top Via unless `matching` leaves
/// them out. `method` overrides the request's (a CANCEL looks up its INVITE).
pub fn server_key(msg: &Message, method: Option<&str>, matching: Matching) -> Option<String> {
    let via = msg.top_via().ok()?;
    let cseq = msg.cseq().ok()?;
    let m = method.unwrap_or(if cseq.method.eq_ignore_ascii_case("ACK") {
        "INVITE"
    } else {
        cseq.method
    });
    match via.rfc3261_branch() {
        Some(branch) => {
            let host = via.host();
            let mut key = String::with_capacity(branch.len() + host.len() + m.len() + 8);
            key.push_str(branch);
            key.push('|');
            key.extend(host.chars().map(|c| c.to_ascii_lowercase()));
            key.push(':');
            key.push_str(itoa::Buffer::new().format(via.port().unwrap_or(5060)));
            key.push('|');
            key.push_str(m);
            Some(key)
        }
        None => {
            let from_tag = msg
                .from()
                .ok()
                .and_then(|f| f.tag().map(str::to_owned))
                .unwrap_or_default();
            let ruri = if matching.ruri {
                msg.ruri_str().unwrap_or("")
            } else {
                ""
            };
            let via = if matching.via1 { via.host() } else { "" };
            Some(format!(
                "2543|{}|{}|{from_tag}|{ruri}|{via}|{m}",
                msg.get(HeaderKind::CallId).unwrap_or(""),
                cseq.number,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(method: &str, branch: &str) -> Message {
        let raw = format!(
            "{method} sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5062;branch={branch}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        );
        Message::parse_slice(raw.as_bytes()).unwrap()
    }

    #[test]
    fn ack_matches_its_invite_and_cancel_does_not() {
        let inv = server_key(&msg("INVITE", "z9hG4bKa"), None, Matching::default()).unwrap();
        assert_eq!(
            server_key(&msg("ACK", "z9hG4bKa"), None, Matching::default()).unwrap(),
            inv
        );
        assert_ne!(
            server_key(&msg("CANCEL", "z9hG4bKa"), None, Matching::default()).unwrap(),
            inv
        );
        assert_eq!(
            server_key(
                &msg("CANCEL", "z9hG4bKa"),
                Some("INVITE"),
                Matching::default()
            )
            .unwrap(),
            inv
        );
        assert_ne!(
            server_key(&msg("INVITE", "z9hG4bKb"), None, Matching::default()).unwrap(),
            inv
        );
        assert!(server_key(&msg("INVITE", "old"), None, Matching::default())
            .unwrap()
            .starts_with("2543|"));
    }

    /// Two RFC 2543 requests that differ only in the Request-URI and top Via are one
    /// transaction when `ruri_matching` and `via1_matching` are 0, two by default.
    #[test]
    fn rfc2543_matching_keys_follow_the_parameters() {
        let a = msg("INVITE", "old");
        let b = Message::parse_slice(
            String::from_utf8_lossy(a.as_bytes())
                .replace("sip:b@h SIP", "sip:other@h SIP")
                .replace("10.0.0.1:5062", "10.0.0.9:5062")
                .as_bytes(),
        )
        .unwrap();
        let by_default = Matching::default();
        assert_ne!(
            server_key(&a, None, by_default),
            server_key(&b, None, by_default)
        );
        let loose = Matching {
            ruri: false,
            via1: false,
        };
        assert_eq!(server_key(&a, None, loose), server_key(&b, None, loose));
        let only_via = Matching {
            ruri: false,
            via1: true,
        };
        assert_ne!(
            server_key(&a, None, only_via),
            server_key(&b, None, only_via)
        );
    }
}
