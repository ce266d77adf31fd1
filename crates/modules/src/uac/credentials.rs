//! The `uac_auth` module's credentials: the `credential` parameters
//! (`user:realm:password`, or `user:realm:0x<md5 ha1>`) and the credentials the script puts
//! in the `auth_*_avp` AVPs, which are looked at first (as OpenSIPS does).

use siplua_core::context::Context;
use siplua_core::pv::{CompiledPv, NoModulePvs};

use crate::auth::digest::{self, Algorithm};

/// One set of credentials for a realm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The username sent.
    pub user: String,
    /// The realm it is for.
    pub realm: String,
    /// The plain password, or a precomputed MD5 HA1.
    pub secret: Secret,
}

/// How the password is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// In clear: works with every algorithm.
    Password(String),
    /// `0x` + 32 lowercase hex digits: H(user:realm:password) with MD5 only.
    Md5Ha1(String),
}

impl Credential {
    /// Parses `user:realm:password` (the password may contain `:`).
    pub fn parse(text: &str) -> Result<Credential, String> {
        let mut parts = text.trim().splitn(3, ':');
        let (Some(user), Some(realm), Some(pass)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("credential {text:?} is not user:realm:password"));
        };
        if user.is_empty() {
            return Err(format!("credential {text:?} has no user"));
        }
        Ok(Credential {
            user: user.to_owned(),
            realm: realm.to_owned(),
            secret: Secret::from_text(pass),
        })
    }

    /// HA1 for `alg` (already the session HA1 for `-sess`); `None` when only an MD5 HA1 is
    /// known and the challenge asks for another hash.
    pub fn ha1(&self, alg: Algorithm, nonce: &str, cnonce: &str) -> Option<String> {
        let stored = match &self.secret {
            Secret::Password(p) => digest::ha1(alg.base(), &self.user, &self.realm, p),
            Secret::Md5Ha1(h) if alg.base() == Algorithm::Md5 => h.clone(),
            Secret::Md5Ha1(_) => return None,
        };
        Some(digest::session_ha1(alg, &stored, nonce, cnonce))
    }
}

impl Secret {
    fn from_text(pass: &str) -> Secret {
        match pass.strip_prefix("0x") {
            Some(h) if h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Secret::Md5Ha1(h.to_ascii_lowercase())
            }
            _ => Secret::Password(pass.to_owned()),
        }
    }
}

/// The three AVPs of `auth_realm_avp`, `auth_username_avp`, `auth_password_avp`.
pub struct AvpSpecs {
    realm: CompiledPv,
    user: CompiledPv,
    password: CompiledPv,
}

impl AvpSpecs {
    /// Compiles the three specs; all or none must be set (as OpenSIPS requires).
    pub fn new(
        realm: Option<&str>,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<Option<AvpSpecs>, String> {
        let pv = |t: &str| {
            CompiledPv::parse(t.trim(), &NoModulePvs)
                .map_err(|e| format!("bad pseudo-variable {t:?}: {e}"))
        };
        match (realm, user, password) {
            (None, None, None) => Ok(None),
            (Some(r), Some(u), Some(p)) => Ok(Some(AvpSpecs {
                realm: pv(r)?,
                user: pv(u)?,
                password: pv(p)?,
            })),
            _ => Err("auth_realm_avp, auth_username_avp and auth_password_avp go together".into()),
        }
    }
}

/// Every credential `uac_auth()` may use; what the `uac_auth` module publishes.
#[derive(Default)]
pub struct CredentialStore {
    /// From `credential` parameters, in order.
    pub list: Vec<Credential>,
    /// From the AVPs, when configured.
    pub avps: Option<AvpSpecs>,
}

impl CredentialStore {
    /// The credentials for `realm`: the AVPs' when they are set and name this realm, else the
    /// first `credential` with this realm.
    pub fn lookup(&self, ctx: &Context, realm: &str) -> Option<Credential> {
        if let Some(a) = &self.avps {
            let text = |pv: &CompiledPv| {
                let v = pv.get(ctx);
                (!v.is_null()).then(|| v.as_str().into_owned())
            };
            if let (Some(r), Some(u), Some(p)) = (text(&a.realm), text(&a.user), text(&a.password))
            {
                if r == realm && !u.is_empty() {
                    return Some(Credential {
                        user: u,
                        realm: r,
                        secret: Secret::from_text(&p),
                    });
                }
            }
        }
        self.list.iter().find(|c| c.realm == realm).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passwords_and_ha1() {
        let c = Credential::parse("alice:sip.example:se:cret").unwrap();
        assert_eq!(c.secret, Secret::Password("se:cret".into()));
        let h = digest::ha1(Algorithm::Md5, "alice", "sip.example", "se:cret");
        let c2 = Credential::parse(&format!("alice:sip.example:0x{h}")).unwrap();
        assert_eq!(
            c2.ha1(Algorithm::Md5, "n", "c"),
            c.ha1(Algorithm::Md5, "n", "c")
        );
        assert_eq!(c2.ha1(Algorithm::Sha256, "n", "c"), None);
        assert!(c.ha1(Algorithm::Sha256, "n", "c").is_some());
        assert!(Credential::parse("alice:realm").is_err());
        assert!(Credential::parse(":realm:pw").is_err());
    }
}
