//! `auth`: digest authentication common to every backend — challenges (`www_challenge`,
//! `proxy_challenge`), nonces, the check of credentials, `consume_credentials`, the
//! Remote-Party-ID helpers, `pv_www_authorize` / `pv_proxy_authorize` with the password in a
//! pseudo-variable, and the auth pseudo-variables (`$au`, `$ar`, ...).
//!
//! Backends (`auth_db`) use the [`api::AuthApi`] this module publishes.

pub mod api;
pub mod challenge;
pub mod credentials;
pub mod digest;
pub mod nonce;
mod pv;
mod rpid;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::{CompiledPv, NoModulePvs, PvDecl};
use siplua_core::route_type::{RouteMask, RouteType};

use api::{AuthApi, AuthSettings, Kind, Lookup};
use challenge::ChallengeOpts;

/// The module.
pub struct Auth {
    secret: Option<String>,
    nonce_expire: i64,
    rpid_prefix: String,
    rpid_suffix: String,
    realm_prefix: String,
    rpid_avp: Option<String>,
    username_spec: Option<Arc<CompiledPv>>,
    password_spec: Option<Arc<CompiledPv>>,
    calculate_ha1: bool,
    disable_nonce_check: bool,
    api: Option<Arc<AuthApi>>,
}

impl Default for Auth {
    fn default() -> Self {
        Auth {
            secret: None,
            nonce_expire: 30,
            rpid_prefix: String::new(),
            rpid_suffix: ";party=calling;id-type=subscriber;screen=yes".into(),
            realm_prefix: String::new(),
            rpid_avp: Some("rpid".into()),
            username_spec: None,
            password_spec: None,
            calculate_ha1: false,
            disable_nonce_check: false,
            api: None,
        }
    }
}

const fn p(name: &'static str, kind: ModParamKind) -> ModParamSpec {
    ModParamSpec { name, kind }
}

const PARAMS: &[ModParamSpec] = &[
    p("secret", ModParamKind::Str),
    p("nonce_expire", ModParamKind::Int),
    p("rpid_prefix", ModParamKind::Str),
    p("rpid_suffix", ModParamKind::Str),
    p("realm_prefix", ModParamKind::Str),
    p("rpid_avp", ModParamKind::Str),
    p("username_spec", ModParamKind::Str),
    p("password_spec", ModParamKind::Str),
    p("calculate_ha1", ModParamKind::Int),
    p("disable_nonce_check", ModParamKind::Int),
];

const REQUEST: RouteMask = RouteMask::of(&[RouteType::Request]);

fn spec(text: &str) -> Result<Option<Arc<CompiledPv>>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("NULL") {
        return Ok(None);
    }
    CompiledPv::parse(t, &NoModulePvs)
        .map(|pv| Some(Arc::new(pv)))
        .map_err(|e| format!("bad pseudo-variable {t:?}: {e}"))
}

impl Module for Auth {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "secret" => self.secret = Some(value.as_str()),
            "nonce_expire" => {
                let v = value.as_int();
                if v <= 0 {
                    return Err(format!("nonce_expire must be positive, got {v}"));
                }
                self.nonce_expire = v;
            }
            "rpid_prefix" => self.rpid_prefix = value.as_str(),
            "rpid_suffix" => self.rpid_suffix = value.as_str(),
            "realm_prefix" => self.realm_prefix = value.as_str(),
            "rpid_avp" => self.rpid_avp = rpid::avp_name(&value.as_str()),
            "username_spec" => self.username_spec = spec(&value.as_str())?,
            "password_spec" => self.password_spec = spec(&value.as_str())?,
            "calculate_ha1" => self.calculate_ha1 = value.as_int() != 0,
            "disable_nonce_check" => self.disable_nonce_check = value.as_int() != 0,
            _ => return Err(format!("module auth has no parameter {name}")),
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["signaling"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let secret = match &self.secret {
            Some(s) if !s.is_empty() => s.as_bytes().to_vec(),
            _ => {
                let mut r = vec![0u8; 32];
                getrandom::fill(&mut r).map_err(|e| format!("no random source: {e}"))?;
                r
            }
        };
        let api = Arc::new(AuthApi::new(AuthSettings {
            secret,
            nonce_expire: self.nonce_expire as u64,
            nonce_check: !self.disable_nonce_check,
            realm_prefix: self.realm_prefix.clone(),
        }));
        env.apis.publish(api.clone());
        self.api = Some(api);
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(api) = self.api.clone() else {
            return Vec::new();
        };
        let challenge_params = || {
            vec![
                ParamSpec::req("realm", ParamKind::Str),
                ParamSpec::opt("qop", ParamKind::Str),
                ParamSpec::opt("algorithms", ParamKind::Str),
            ]
        };
        let challenge = |kind: Kind| {
            let api = api.clone();
            move |ctx: &mut Context, args: &Args| {
                let realm = args.str(ctx, 0).unwrap_or_default().into_owned();
                let opts = match args.custom::<ChallengeOpts>(1) {
                    Some(o) => o.clone(),
                    None => {
                        let q = args.str(ctx, 1).unwrap_or_default().into_owned();
                        let a = args.str(ctx, 2).unwrap_or_default().into_owned();
                        match ChallengeOpts::parse(&q, &a) {
                            Ok(o) => o,
                            Err(e) => {
                                siplua_core::log::emit(siplua_core::log::level::ERR, "auth", &e);
                                return -1;
                            }
                        }
                    }
                };
                api.challenge(ctx, &realm, &opts, kind)
            }
        };
        let pv_authorize = |kind: Kind| {
            let api = api.clone();
            let user = self.username_spec.clone();
            let pass = self.password_spec.clone();
            let calc = self.calculate_ha1;
            move |ctx: &mut Context, args: &Args| {
                let realm = args.str(ctx, 0).unwrap_or_default().into_owned();
                let mut lookup =
                    |ctx: &mut Context, c: &credentials::Credentials, realm: &str, alg| {
                        pv_lookup(ctx, c, realm, alg, user.as_deref(), pass.as_deref(), calc)
                    };
                api.authorize(ctx, &realm, kind, &mut lookup)
            }
        };
        let avp = self.rpid_avp.clone();
        let avp2 = self.rpid_avp.clone();
        let (prefix, suffix) = (self.rpid_prefix.clone(), self.rpid_suffix.clone());
        vec![
            FunctionDecl::new(
                "www_challenge",
                challenge_params(),
                REQUEST,
                challenge(Kind::Www),
            )
            .with_fixup(challenge::fixup),
            FunctionDecl::new(
                "proxy_challenge",
                challenge_params(),
                REQUEST,
                challenge(Kind::Proxy),
            )
            .with_fixup(challenge::fixup),
            FunctionDecl::new(
                "pv_www_authorize",
                vec![ParamSpec::req("realm", ParamKind::Str)],
                REQUEST,
                pv_authorize(Kind::Www),
            ),
            FunctionDecl::new(
                "pv_proxy_authorize",
                vec![ParamSpec::req("realm", ParamKind::Str)],
                REQUEST,
                pv_authorize(Kind::Proxy),
            ),
            FunctionDecl::new("consume_credentials", vec![], REQUEST, |ctx, _| {
                consume(ctx)
            }),
            FunctionDecl::new("is_rpid_user_e164", vec![], REQUEST, move |ctx, _| {
                rpid::is_user_e164(ctx, avp.as_deref())
            }),
            FunctionDecl::new(
                "append_rpid_hf",
                vec![
                    ParamSpec::opt("prefix", ParamKind::Str),
                    ParamSpec::opt("suffix", ParamKind::Str),
                ],
                RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Branch]),
                move |ctx: &mut Context, args: &Args| {
                    let (pre, suf) = if args.has(0) || args.has(1) {
                        (
                            args.str(ctx, 0).unwrap_or_default().into_owned(),
                            args.str(ctx, 1).unwrap_or_default().into_owned(),
                        )
                    } else {
                        (prefix.clone(), suffix.clone())
                    };
                    rpid::append(ctx, avp2.as_deref(), &pre, &suf)
                },
            ),
        ]
    }

    fn pseudo_variables(&self) -> Vec<PvDecl> {
        pv::declarations()
    }
}

/// The HA1 for `pv_*_authorize`: the username pseudo-variable must name the credentials'
/// user, the password one holds the password (or the HA1 when `calculate_ha1` is 0).
fn pv_lookup(
    ctx: &mut Context,
    c: &credentials::Credentials,
    realm: &str,
    alg: digest::Algorithm,
    user: Option<&CompiledPv>,
    pass: Option<&CompiledPv>,
    calculate_ha1: bool,
) -> Lookup {
    let (Some(user), Some(pass)) = (user, pass) else {
        return Lookup::Error("username_spec and password_spec must be set".into());
    };
    let u = user.get(ctx);
    if u.is_null() || !u.as_str().eq_ignore_ascii_case(&c.username) {
        return Lookup::UnknownUser;
    }
    let p = pass.get(ctx);
    if p.is_null() || p.as_str().is_empty() {
        return Lookup::Error("the password pseudo-variable is empty".into());
    }
    if calculate_ha1 {
        Lookup::Ha1(digest::ha1(alg, &c.username, realm, &p.as_str()))
    } else {
        Lookup::Ha1(p.as_str().into_owned())
    }
}

/// Removes the authorized credentials header; 1, or -1 when nothing was authorized.
fn consume(ctx: &mut Context) -> i32 {
    let Some((_, index)) = ctx.ext::<api::AuthState>().and_then(|s| s.authorized) else {
        return -1;
    };
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    match ctx.edits.remove_header(msg, index) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}
