//! Nonces: stateless HMAC tokens with an expiry, plus the replay guard that remembers which
//! nonces (and nonce counts) were already accepted.
//!
//! A nonce is `hex(expires ‖ index ‖ alg ‖ qop) ‖ hex(HMAC-SHA256(secret, those)[..16])`:
//! anyone can read it, nobody without the secret can make one, and checking it needs no
//! table. The index makes every nonce unique, so the guard can refuse a second use.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::Sha256;

use super::digest::Algorithm;

type HmacSha256 = Hmac<Sha256>;

const BODY_LEN: usize = 8 + 8 + 1 + 1;
const MAC_LEN: usize = 16;

/// What a valid nonce says about itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonceInfo {
    /// Unix time after which it is stale.
    pub expires: u64,
    /// Its unique index.
    pub index: u64,
    /// The algorithm it was issued for.
    pub alg: Algorithm,
    /// The qop it was issued with (bit 0 auth, bit 1 auth-int).
    pub qop: u8,
}

/// Why a nonce is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceError {
    /// Not one of ours (bad format, forged, or made with another secret).
    Invalid,
    /// Ours, but past its expiry.
    Expired,
}

/// Makes and checks nonces with one secret.
pub struct NonceCodec {
    /// The HMAC keyed once with the secret; each nonce starts from a copy.
    keyed: HmacSha256,
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl NonceCodec {
    /// A codec keyed with `secret`.
    pub fn new(secret: &[u8]) -> NonceCodec {
        NonceCodec {
            // HMAC accepts keys of any length.
            keyed: HmacSha256::new_from_slice(secret).expect("any key length"),
        }
    }

    fn mac(&self, body: &[u8]) -> HmacSha256 {
        let mut m = self.keyed.clone();
        m.update(body);
        m
    }

    /// Issues a nonce.
    pub fn issue(&self, info: NonceInfo) -> String {
        let mut body = [0u8; BODY_LEN];
        body[..8].copy_from_slice(&info.expires.to_be_bytes());
        body[8..16].copy_from_slice(&info.index.to_be_bytes());
        body[16] = info.alg.code();
        body[17] = info.qop;
        let tag = self.mac(&body).finalize().into_bytes();
        let mut s = super::digest::hex(&body);
        s.push_str(&super::digest::hex(&tag[..MAC_LEN]));
        s
    }

    /// Checks a nonce at time `now`.
    pub fn check(&self, nonce: &str, now: u64) -> Result<NonceInfo, NonceError> {
        let raw = unhex(nonce).ok_or(NonceError::Invalid)?;
        if raw.len() != BODY_LEN + MAC_LEN {
            return Err(NonceError::Invalid);
        }
        let (body, tag) = raw.split_at(BODY_LEN);
        self.mac(body)
            .verify_truncated_left(tag)
            .map_err(|_| NonceError::Invalid)?;
        let expires = u64::from_be_bytes(body[..8].try_into().map_err(|_| NonceError::Invalid)?);
        let index = u64::from_be_bytes(body[8..16].try_into().map_err(|_| NonceError::Invalid)?);
        let alg = Algorithm::from_code(body[16]).ok_or(NonceError::Invalid)?;
        if now > expires {
            return Err(NonceError::Expired);
        }
        Ok(NonceInfo {
            expires,
            index,
            alg,
            qop: body[17],
        })
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Remembers accepted nonces until they expire: without qop a nonce is good once, with qop
/// each use must carry a higher nonce count than the last accepted one.
pub struct ReplayGuard {
    state: Mutex<GuardState>,
    capacity: usize,
}

/// The remembered nonces and when expired ones are next swept out.
struct GuardState {
    seen: HashMap<u64, Seen>,
    next_sweep: u64,
}

#[derive(Clone, Copy)]
struct Seen {
    expires: u64,
    nc: Option<u32>,
}

impl ReplayGuard {
    /// A guard holding at most `capacity` live nonces (beyond that, new uses are refused
    /// until old nonces expire — a flood cannot grow memory without bound).
    pub fn new(capacity: usize) -> ReplayGuard {
        ReplayGuard {
            state: Mutex::new(GuardState {
                seen: HashMap::new(),
                next_sweep: 0,
            }),
            capacity,
        }
    }

    /// Records a use of `info` with nonce count `nc` (None without qop); false when it is a
    /// replay (or the table is full). Expired nonces are dropped at most once a second, so
    /// the table holds about the nonces of one lifetime, and a full table of live nonces
    /// is not rescanned on every request.
    pub fn accept(&self, info: &NonceInfo, nc: Option<u32>, now: u64) -> bool {
        let mut state = self.state.lock();
        if now >= state.next_sweep {
            state.seen.retain(|_, s| s.expires >= now);
            state.next_sweep = now + 1;
        }
        if let Some(prev) = state.seen.get_mut(&info.index) {
            return match (prev.nc, nc) {
                (Some(last), Some(n)) if n > last => {
                    prev.nc = Some(n);
                    true
                }
                _ => false,
            };
        }
        if state.seen.len() >= self.capacity {
            return false;
        }
        state.seen.insert(
            info.index,
            Seen {
                expires: info.expires,
                nc,
            },
        );
        true
    }

    /// How many nonces are remembered (for tests of the sweep).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.state.lock().seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(index: u64) -> NonceInfo {
        NonceInfo {
            expires: 1000,
            index,
            alg: Algorithm::Sha256,
            qop: 1,
        }
    }

    #[test]
    fn round_trip_forgery_and_expiry() {
        let c = NonceCodec::new(b"secret");
        let n = c.issue(info(7));
        assert_eq!(c.check(&n, 999), Ok(info(7)));
        assert_eq!(c.check(&n, 1001), Err(NonceError::Expired));
        assert_eq!(
            NonceCodec::new(b"other").check(&n, 999),
            Err(NonceError::Invalid)
        );
        let mut forged = n.clone().into_bytes();
        forged[15] = if forged[15] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(c.check(&forged, 999), Err(NonceError::Invalid));
        assert_eq!(c.check("zz", 0), Err(NonceError::Invalid));
        assert_eq!(c.check("", 0), Err(NonceError::Invalid));
        assert_eq!(c.check("é", 0), Err(NonceError::Invalid));
    }

    #[test]
    fn replays_are_refused() {
        let g = ReplayGuard::new(2);
        assert!(g.accept(&info(1), None, 0));
        assert!(!g.accept(&info(1), None, 0));
        assert!(g.accept(&info(2), Some(1), 0));
        assert!(g.accept(&info(2), Some(2), 0));
        assert!(!g.accept(&info(2), Some(2), 0));
        assert!(!g.accept(&info(2), Some(1), 0));
        // Full: refused until the old ones expire.
        assert!(!g.accept(&info(3), None, 10));
        assert!(g.accept(&info(3), None, 2000));
    }

    #[test]
    fn expired_nonces_are_forgotten_before_the_table_fills() {
        let g = ReplayGuard::new(1000);
        for i in 0..10 {
            assert!(g.accept(&info(i), None, 500));
        }
        // Within the same second no sweep runs; a second later the expired ones go.
        assert!(g.accept(&info(10), None, 500));
        assert_eq!(g.remembered(), 11);
        let late = NonceInfo {
            expires: 5000,
            ..info(11)
        };
        assert!(g.accept(&late, None, 1001));
        assert_eq!(g.remembered(), 1);
        // A swept nonce is expired, so the codec refuses it before the guard is asked.
    }
}
