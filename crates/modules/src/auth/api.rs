//! The auth module's shared state and the flows every backend uses: challenging, checking
//! credentials against an HA1 the backend finds, and marking them authorized.
//!
//! `auth` publishes one [`AuthApi`]; `auth_db` (and `auth`'s own `pv_*_authorize`) call
//! [`AuthApi::authorize`] with a lookup that turns credentials into an HA1.

use std::sync::atomic::{AtomicU64, Ordering};

use siplua_core::context::Context;
use siplua_core::log::{emit, level};
use siplua_sip::{HeaderKind, Method};

use super::challenge::{header_line, ChallengeOpts};
use super::credentials::{self, Credentials, Found};
use super::digest::{self, Algorithm, Qop, ResponseInput};
use super::nonce::{self, NonceCodec, NonceError, NonceInfo, ReplayGuard};
use crate::tm::api::TmApi;

/// OpenSIPS' return codes of the authorize functions.
pub mod code {
    /// Authorized.
    pub const AUTHORIZED: i32 = 1;
    /// An error after which a reply was sent: the script stops.
    pub const ERROR_REPLIED: i32 = 0;
    /// The user does not exist.
    pub const USER_UNKNOWN: i32 = -1;
    /// Wrong password (or credentials that do not match the challenge).
    pub const INVALID_PASSWORD: i32 = -2;
    /// The nonce expired, is not ours, or was already used.
    pub const STALE_NONCE: i32 = -3;
    /// No credentials for the realm.
    pub const NO_CREDENTIALS: i32 = -4;
    /// An error; no reply was sent.
    pub const AUTH_ERROR: i32 = -5;
}

/// Which header pair a flow uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 401 with `WWW-Authenticate`, answered in `Authorization`.
    Www,
    /// 407 with `Proxy-Authenticate`, answered in `Proxy-Authorization`.
    Proxy,
}

impl Kind {
    fn credentials_header(self) -> HeaderKind {
        match self {
            Kind::Www => HeaderKind::Authorization,
            Kind::Proxy => HeaderKind::ProxyAuthorization,
        }
    }
}

/// What a backend found for a set of credentials.
pub enum Lookup {
    /// The HA1 to check the response with (for the credentials' base algorithm).
    Ha1(String),
    /// No such user (or no HA1 for this algorithm).
    UnknownUser,
    /// The backend failed (database down, ...): the request gets a 500.
    Error(String),
}

/// Per-message state: which credentials were authorized, whether the nonce was stale.
#[derive(Clone, Debug, Default)]
pub struct AuthState {
    /// The header kind and line of the authorized credentials.
    pub authorized: Option<(HeaderKind, usize)>,
    /// The last check found a stale nonce: the next challenge says `stale=true`.
    pub stale: bool,
}

/// Settings of the `auth` module that the flows need.
pub struct AuthSettings {
    /// Secret keying the nonces.
    pub secret: Vec<u8>,
    /// Nonce lifetime, seconds.
    pub nonce_expire: u64,
    /// Refuse a nonce's second use (and non-increasing nonce counts).
    pub nonce_check: bool,
    /// Prefix stripped from realms taken from the request.
    pub realm_prefix: String,
}

/// The published API.
pub struct AuthApi {
    codec: NonceCodec,
    guard: Option<ReplayGuard>,
    next_index: AtomicU64,
    nonce_expire: u64,
    realm_prefix: String,
}

/// How many live nonces the replay guard keeps at most.
const GUARD_CAPACITY: usize = 1 << 20;

impl AuthApi {
    /// Builds the shared state; the first nonce index is random so that indexes of servers
    /// sharing a secret do not collide.
    pub fn new(settings: AuthSettings) -> AuthApi {
        let mut start = [0u8; 8];
        let _ = getrandom::fill(&mut start);
        AuthApi {
            codec: NonceCodec::new(&settings.secret),
            guard: settings
                .nonce_check
                .then(|| ReplayGuard::new(GUARD_CAPACITY)),
            next_index: AtomicU64::new(u64::from_be_bytes(start) >> 1),
            nonce_expire: settings.nonce_expire,
            realm_prefix: settings.realm_prefix,
        }
    }

    /// The realm to use: `given`, or when empty the To host for REGISTER and the From host
    /// otherwise, without `realm_prefix`.
    pub fn realm(&self, ctx: &Context, given: &str) -> Option<String> {
        if !given.is_empty() {
            return Some(given.to_owned());
        }
        let msg = ctx.msg.as_ref()?;
        let hdr = if msg.method() == Some(Method::Register) {
            msg.to().ok()?
        } else {
            msg.from().ok()?
        };
        let host = hdr.uri().host().to_owned();
        Some(match host.strip_prefix(self.realm_prefix.as_str()) {
            Some(rest) if !self.realm_prefix.is_empty() => rest.to_owned(),
            _ => host,
        })
    }

    /// Sends a 401 or 407 challenge; 0 (the script stops) once sent, -1 when it could not be.
    pub fn challenge(
        &self,
        ctx: &mut Context,
        realm: &str,
        opts: &ChallengeOpts,
        kind: Kind,
    ) -> i32 {
        let Some(realm) = self.realm(ctx, realm) else {
            return if send(ctx, 400, "Bad Request", "") {
                0
            } else {
                -1
            };
        };
        let stale = ctx.ext::<AuthState>().is_some_and(|s| s.stale);
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let expires = nonce::now() + self.nonce_expire;
        let (name, code, reason) = match kind {
            Kind::Www => ("WWW-Authenticate", 401, "Unauthorized"),
            Kind::Proxy => ("Proxy-Authenticate", 407, "Proxy Authentication Required"),
        };
        let algs: Vec<Option<Algorithm>> = if opts.algorithms.is_empty() {
            vec![None]
        } else {
            opts.algorithms.iter().copied().map(Some).collect()
        };
        let mut headers = String::new();
        for alg in algs {
            let n = self.codec.issue(NonceInfo {
                expires,
                index,
                alg: alg.unwrap_or(Algorithm::Md5),
                qop: opts.qop_bits(),
            });
            headers.push_str(&header_line(name, &realm, &n, opts, stale, alg));
        }
        if send(ctx, code, reason, &headers) {
            0
        } else {
            -1
        }
    }

    /// Checks the credentials for `realm` in the request with the HA1 `lookup` finds, and
    /// marks them authorized: OpenSIPS' return codes (see [`code`]).
    pub fn authorize(
        &self,
        ctx: &mut Context,
        realm: &str,
        kind: Kind,
        lookup: &mut dyn FnMut(&mut Context, &Credentials, &str, Algorithm) -> Lookup,
    ) -> i32 {
        let Some(msg) = ctx.msg.as_ref() else {
            return code::AUTH_ERROR;
        };
        if matches!(msg.method(), Some(Method::Ack | Method::Cancel)) {
            return code::AUTHORIZED;
        }
        let Some(realm) = self.realm(ctx, realm) else {
            return if send(ctx, 400, "Bad Request", "") {
                code::ERROR_REPLIED
            } else {
                code::AUTH_ERROR
            };
        };
        let header = kind.credentials_header();
        let creds = match credentials::find(msg, header, &realm) {
            Found::Yes(c) => c,
            Found::None => return code::NO_CREDENTIALS,
            Found::Malformed => {
                return if send(ctx, 400, "Bad Credentials", "") {
                    code::ERROR_REPLIED
                } else {
                    code::AUTH_ERROR
                };
            }
        };
        let alg = if creds.algorithm.is_empty() {
            Algorithm::Md5
        } else {
            match Algorithm::parse(&creds.algorithm) {
                Some(a) => a,
                None => {
                    debug(&format!("unsupported algorithm {:?}", creds.algorithm));
                    return code::NO_CREDENTIALS;
                }
            }
        };
        let now = nonce::now();
        let info = match self.codec.check(&creds.nonce, now) {
            Ok(i) => i,
            Err(e) => {
                debug(match e {
                    NonceError::Expired => "stale nonce",
                    NonceError::Invalid => "nonce not issued by this server (or its secret)",
                });
                return self.stale(ctx);
            }
        };
        let qop = match self.qop_of(&creds, &info, alg) {
            Ok(q) => q,
            Err(why) => {
                debug(why);
                return code::INVALID_PASSWORD;
            }
        };
        let ha1 = match lookup(ctx, &creds, &realm, alg.base()) {
            Lookup::Ha1(h) => h,
            Lookup::UnknownUser => return code::USER_UNKNOWN,
            Lookup::Error(e) => {
                emit(
                    level::ERR,
                    "auth",
                    &format!("credentials lookup failed: {e}"),
                );
                return if send(ctx, 500, "Server Internal Error", "") {
                    code::ERROR_REPLIED
                } else {
                    code::AUTH_ERROR
                };
            }
        };
        let Some(msg) = ctx.msg.as_ref() else {
            return code::AUTH_ERROR;
        };
        let session = digest::session_ha1(alg, ha1.trim(), &creds.nonce, &creds.cnonce);
        let expected = digest::response(
            &session,
            &ResponseInput {
                alg,
                method: msg.method_str().unwrap_or(""),
                uri: &creds.uri,
                nonce: &creds.nonce,
                qop: qop.map(|q| (q, creds.nc.as_str(), creds.cnonce.as_str())),
                body: msg.body(),
            },
        );
        if !digest::same_response(&expected, &creds.response) {
            return code::INVALID_PASSWORD;
        }
        if let Some(guard) = &self.guard {
            let nc = qop.and_then(|_| u32::from_str_radix(&creds.nc, 16).ok());
            if qop.is_some() && nc.is_none() || !guard.accept(&info, nc, now) {
                debug("nonce (or nonce count) already used");
                return self.stale(ctx);
            }
        }
        state(ctx).authorized = Some((header, creds.header));
        code::AUTHORIZED
    }

    fn stale(&self, ctx: &mut Context) -> i32 {
        state(ctx).stale = true;
        code::STALE_NONCE
    }

    /// The qop of the credentials, checked against what the nonce offered.
    fn qop_of(
        &self,
        creds: &Credentials,
        info: &NonceInfo,
        alg: Algorithm,
    ) -> Result<Option<Qop>, &'static str> {
        if info.alg != alg {
            return Err("credentials use another algorithm than their nonce");
        }
        if creds.qop.is_empty() {
            return if info.qop == 0 {
                Ok(None)
            } else {
                Err("qop missing from the credentials")
            };
        }
        let q = Qop::parse(&creds.qop).ok_or("unknown qop")?;
        let bit = match q {
            Qop::Auth => 1,
            Qop::AuthInt => 2,
        };
        if info.qop & bit == 0 {
            return Err("qop not offered by the challenge");
        }
        Ok(Some(q))
    }
}

fn debug(text: &str) {
    emit(level::DBG, "auth", text);
}

/// The message's auth state, created on first use.
pub fn state<'c>(ctx: &'c mut Context) -> &'c mut AuthState {
    if ctx.ext::<AuthState>().is_none() {
        ctx.set_ext(AuthState::default());
    }
    ctx.ext_mut::<AuthState>().expect("just set")
}

/// The credentials a `www_authorize`/`proxy_authorize` of this message accepted (what
/// OpenSIPS' `get_authorized_cred` finds), for the checks that compare them with the From,
/// To or a given user; `None` (logged) when nothing was authorized yet.
pub fn authorized_credentials(ctx: &Context, origin: &str) -> Option<Credentials> {
    let msg = ctx.msg.as_ref()?;
    let Some((kind, index)) = ctx.ext::<AuthState>().and_then(|s| s.authorized) else {
        emit(
            level::ERR,
            origin,
            "no authorized credentials (call www/proxy_authorize first)",
        );
        return None;
    };
    msg.auths(kind)
        .zip(msg.find_all(kind))
        .find(|(_, (i, _))| *i == index)
        .and_then(|(a, (i, _))| Credentials::from_auth(i, &a.ok()?))
}

/// Sends a reply with `headers` added: through the transaction when tm has one for this
/// request, else statelessly (as OpenSIPS' signaling layer does). False (logged) on failure.
pub fn send(ctx: &mut Context, code: u16, reason: &str, headers: &str) -> bool {
    let queued = ctx.reply_headers.len();
    ctx.reply_headers.push_str(headers);
    let result = match ctx.core.apis.get::<TmApi>() {
        Some(tm) if tm.has_transaction(ctx) => {
            if tm.reply(ctx, i64::from(code), reason) > 0 {
                Ok(())
            } else {
                Err("the transaction did not take the reply".to_owned())
            }
        }
        _ => siplua_core::reply::send_reply(ctx, code, reason),
    };
    ctx.reply_headers.truncate(queued);
    result
        .map_err(|e| {
            emit(
                level::ERR,
                "auth",
                &format!("cannot send {code} {reason}: {e}"),
            )
        })
        .is_ok()
}
