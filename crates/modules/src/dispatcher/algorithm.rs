//! How `ds_select_dst` chooses inside a set: OpenSIPS 3.x's algorithm numbers, the text each
//! hashing algorithm hashes, and the choice of the first destination and its failover list.

use siplua_core::context::Context;
use siplua_sip::Uri;

use super::sets::DsSet;

/// An algorithm, by OpenSIPS' number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    /// 0: hash over the Call-ID.
    CallId,
    /// 1: hash over the From URI.
    FromUri,
    /// 2: hash over the To URI.
    ToUri,
    /// 3: hash over the Request-URI.
    RequestUri,
    /// 4: weighted round robin.
    RoundRobin,
    /// 5: hash over the authorization username, round robin without one.
    AuthUser,
    /// 6: random (weighted).
    Random,
    /// 7: hash over the `hash_pvar` format string.
    HashPvar,
    /// 8: the first active destination (priority order).
    First,
    /// 9: load by `pvar_algo_pattern` in OpenSIPS; here the first active destination.
    PvarLoad,
    /// 10: weight-based random (no call load is tracked).
    Weight,
}

impl Alg {
    /// The algorithm numbered `n`; the error names the known ones.
    pub fn from_number(n: i64) -> Result<Alg, String> {
        Ok(match n {
            0 => Alg::CallId,
            1 => Alg::FromUri,
            2 => Alg::ToUri,
            3 => Alg::RequestUri,
            4 => Alg::RoundRobin,
            5 => Alg::AuthUser,
            6 => Alg::Random,
            7 => Alg::HashPvar,
            8 => Alg::First,
            9 => Alg::PvarLoad,
            10 => Alg::Weight,
            _ => return Err(format!("unknown dispatcher algorithm {n} (0..10)")),
        })
    }
}

/// FNV-1a: a stable hash, so that one Call-ID always lands on the same destination.
pub fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The text a URI hashing algorithm hashes: `user@host[:port]`, or the user alone with
/// flag `u`.
pub fn uri_key(uri: &str, user_only: bool) -> Option<String> {
    let u = Uri::parse(uri.trim()).ok()?;
    let user = u.user().unwrap_or("");
    if user_only {
        return Some(user.to_owned());
    }
    Some(match u.port() {
        Some(p) => format!("{user}@{}:{p}", u.host()),
        None => format!("{user}@{}", u.host()),
    })
}

/// The From or To URI of the message.
pub fn from_to_uri(ctx: &Context, from: bool) -> Option<String> {
    let msg = ctx.msg.as_ref()?;
    let na = if from { msg.from() } else { msg.to() }.ok()?;
    Some(na.uri().as_str().to_owned())
}

/// How the first destination is found.
pub enum Choice {
    /// Index the weighted slots with this hash.
    Hash(u64),
    /// The next round-robin slot.
    RoundRobin,
    /// The first usable destination.
    First,
}

/// The destinations to try, first choice first: the chosen one, then (when `failover`) the
/// other usable ones in set order after it, then the set's last destination when
/// `use_default` reserves it; at most `max` of them. Empty when none is active.
pub fn candidates(
    set: &DsSet,
    choice: Choice,
    failover: bool,
    use_default: bool,
    max: usize,
) -> Vec<usize> {
    let n = set.dests.len();
    if n == 0 || max == 0 {
        return Vec::new();
    }
    let reserved = use_default.then(|| n - 1);
    let usable = |i: usize| set.dests[i].is_active() && Some(i) != reserved;
    let start = match choice {
        Choice::Hash(h) => set.slots[(h % set.slots.len() as u64) as usize],
        Choice::RoundRobin => {
            let k = set.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            set.slots[k % set.slots.len()]
        }
        Choice::First => 0,
    };
    let mut out: Vec<usize> = (0..n)
        .map(|k| (start + k) % n)
        .filter(|&i| usable(i))
        .collect();
    if !failover {
        out.truncate(1);
    }
    if let Some(last) = reserved.filter(|&l| set.dests[l].is_active()) {
        if failover || out.is_empty() {
            out.push(last);
        }
    }
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db_text::TextDb;
    use crate::dispatcher::sets::{DsState, Sets};

    fn set(rows: &str) -> Sets {
        let dir =
            std::env::temp_dir().join(format!("ds-alg-{}-{}", std::process::id(), hash(rows)));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("dispatcher"),
            format!("id(int,auto) setid(int) destination(string) socket(string,null) state(int) probe_mode(int) weight(string) priority(int) attrs(string,null) description(string,null)\n{rows}"),
        )
        .unwrap();
        let db = TextDb::open(&format!("text://{}", dir.display())).unwrap();
        Sets::load(&db, &Default::default()).unwrap()
    }

    #[test]
    fn round_robin_follows_weights_and_skips_inactive() {
        let s = set("1:1:sip\\:a.test::0:0:1:0::\n2:1:sip\\:b.test::0:0:2:0::\n3:1:sip\\:c.test::1:0:1:0::\n");
        let d = s.get(1).unwrap();
        let picks: Vec<usize> = (0..4)
            .map(|_| candidates(d, Choice::RoundRobin, false, false, 9)[0])
            .collect();
        // slots: a, b, b, c; c is inactive so its turn goes to the next active (a).
        assert_eq!(picks, vec![0, 1, 1, 0]);
        assert_eq!(candidates(d, Choice::First, true, false, 9), vec![0, 1]);
        d.dests[0].set_state(DsState::Probing);
        assert_eq!(candidates(d, Choice::First, true, false, 9), vec![1]);
    }

    #[test]
    fn priority_orders_and_default_is_last() {
        let s = set("1:1:sip\\:low.test::0:0:1:1::\n2:1:sip\\:high.test::0:0:1:5::\n3:1:sip\\:last.test::0:0:1:0::\n");
        let d = s.get(1).unwrap();
        assert_eq!(d.dests[0].uri, "sip:high.test");
        assert_eq!(
            candidates(d, Choice::Hash(7), true, true, 9).last(),
            Some(&2)
        );
        assert_eq!(candidates(d, Choice::First, true, false, 2), vec![0, 1]);
        assert_eq!(candidates(d, Choice::First, false, true, 9), vec![0]);
        assert_eq!(hash("abc"), hash("abc"));
        assert_eq!(
            uri_key("sip:bob@h.test:5080;x=1", false).unwrap(),
            "bob@h.test:5080"
        );
        assert_eq!(uri_key("sip:bob@h.test", true).unwrap(), "bob");
        assert!(Alg::from_number(11).is_err());
    }
}
