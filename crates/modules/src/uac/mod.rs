//! `uac` and `uac_auth`: the OpenSIPS 3.x UAC modules. `uac` rewrites the From and To of
//! forwarded requests (`uac_replace_from`, `uac_replace_to`) and answers an upstream's
//! 401/407 challenge from a failure route (`uac_auth`); `uac_auth` holds the credentials
//! (`credential` parameters, `auth_*_avp` AVPs) `uac_auth()` uses.
//!
//! Replies relayed upstream get the request's original From, To and CSeq back from tm, so
//! every `restore_mode` restores the replies of the transaction; sequential requests are
//! restored from a Record-Route parameter (`restore`), see docs/uac.md.

pub mod auth;
pub mod credentials;
pub mod digest;
pub mod replace;
pub mod restore;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::module::{
    InitEnv, MessageHooks, ModParamKind, ModParamSpec, ModParamValue, Module,
};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_sip::HeaderKind;

use credentials::{AvpSpecs, Credential, CredentialStore};
use replace::Which;
use restore::{Mode, Settings};

const fn p(name: &'static str, kind: ModParamKind) -> ModParamSpec {
    ModParamSpec { name, kind }
}

const UAC_PARAMS: &[ModParamSpec] = &[
    p("restore_mode", ModParamKind::Str),
    p("restore_passwd", ModParamKind::Str),
    p("rr_from_store_param", ModParamKind::Str),
    p("rr_to_store_param", ModParamKind::Str),
    p("force_dialog", ModParamKind::Int),
];

const UAC_AUTH_PARAMS: &[ModParamSpec] = &[
    p("credential", ModParamKind::Str),
    p("auth_realm_avp", ModParamKind::Str),
    p("auth_username_avp", ModParamKind::Str),
    p("auth_password_avp", ModParamKind::Str),
];

fn log_err(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "uac", text);
}

/// The `uac` module.
#[derive(Default)]
pub struct Uac {
    credentials: Option<Arc<CredentialStore>>,
    settings: Arc<Settings>,
}

impl Module for Uac {
    fn name(&self) -> &'static str {
        "uac"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        UAC_PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let s = Arc::make_mut(&mut self.settings);
        let text = value.as_str();
        match name {
            "restore_mode" => {
                s.mode = Mode::parse(&text)
                    .ok_or_else(|| format!("unsupported value {text:?} for restore_mode"))?
            }
            "restore_passwd" => s.passwd = text,
            "rr_from_store_param" | "rr_to_store_param" if text.trim().is_empty() => {
                return Err(format!("{name} cannot be empty"))
            }
            "rr_from_store_param" => s.from_param = text.trim().to_owned(),
            "rr_to_store_param" => s.to_param = text.trim().to_owned(),
            "force_dialog" => {}
            _ => return Err(format!("module uac has no parameter {name}")),
        }
        Ok(())
    }

    fn optional_dependencies(&self) -> &'static [&'static str] {
        &["uac_auth"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        self.credentials = env.apis.get::<CredentialStore>();
        Ok(())
    }

    fn message_hooks(&self) -> MessageHooks {
        MessageHooks {
            message: self.settings.mode == Mode::Auto,
            ..MessageHooks::default()
        }
    }

    /// `restore_mode` auto: sequential requests get their replaced From/To swapped back.
    fn on_message(&self, ctx: &mut Context) {
        let sequential = ctx
            .msg
            .as_ref()
            .is_some_and(|m| m.method().is_some() && m.to().ok().and_then(|t| t.tag()).is_some());
        if sequential {
            self.settings.restore(ctx, Which::From);
            self.settings.restore(ctx, Which::To);
        }
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let routes = RouteMask::of(&[RouteType::Request, RouteType::Branch, RouteType::Failure]);
        let replace_params = vec![
            ParamSpec::opt("display", ParamKind::Str),
            ParamSpec::opt("uri", ParamKind::Str),
        ];
        let creds = self.credentials.clone();
        let (s1, s2, s3, s4) = (
            self.settings.clone(),
            self.settings.clone(),
            self.settings.clone(),
            self.settings.clone(),
        );
        vec![
            FunctionDecl::new(
                "uac_replace_from",
                replace_params.clone(),
                routes,
                move |ctx, args| replace_call(ctx, args, Which::From, &s1),
            ),
            FunctionDecl::new(
                "uac_replace_to",
                replace_params,
                routes,
                move |ctx, args| replace_call(ctx, args, Which::To, &s2),
            ),
            FunctionDecl::new("uac_restore_from", vec![], routes, move |ctx, _| {
                s3.restore(ctx, Which::From)
            }),
            FunctionDecl::new("uac_restore_to", vec![], routes, move |ctx, _| {
                s4.restore(ctx, Which::To)
            }),
            FunctionDecl::new(
                "uac_auth",
                vec![ParamSpec::opt("algorithms", ParamKind::StaticStr)],
                RouteMask::of(&[RouteType::Failure]),
                move |ctx: &mut Context, args: &Args| {
                    let Some(store) = &creds else {
                        log_err("uac_auth() needs the uac_auth module loaded before uac");
                        return -1;
                    };
                    let allowed = args.custom::<Vec<crate::auth::digest::Algorithm>>(0);
                    auth::uac_auth(ctx, store, allowed.map_or(&[], |v| v.as_slice()))
                },
            )
            .with_fixup(algorithms_fixup),
        ]
    }
}

/// Load-time check of `uac_auth`'s constant algorithm list (an unknown name is a
/// configuration error).
fn algorithms_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(slot) = args.get_mut(0) {
        if let PreparedArg::Str(s) = slot {
            let list = auth::parse_algorithms(s)?;
            *slot = PreparedArg::Custom(Arc::new(list));
        }
    }
    Ok(())
}

/// `uac_replace_from(uri)`, `uac_replace_from(display, uri)` (and `_to`): one argument is the
/// URI (the pre-3.0 form), two are display name and URI (an omitted display keeps it).
fn replace_call(ctx: &mut Context, args: &Args, which: Which, settings: &Settings) -> i32 {
    let (display, uri) = if args.has(1) {
        (args.str(ctx, 0).map(|d| d.into_owned()), args.str(ctx, 1))
    } else {
        (None, args.str(ctx, 0))
    };
    let Some(uri) = uri.map(|u| u.into_owned()) else {
        return -1;
    };
    let kind = match which {
        Which::From => HeaderKind::From,
        Which::To => HeaderKind::To,
    };
    let Some(msg) = ctx.msg else {
        return -1;
    };
    let Some((index, h)) = msg.find(kind) else {
        log_err("no From/To header to replace");
        return -1;
    };
    let value = match replace::new_value(msg.value_of(h), display.as_deref(), &uri) {
        Ok(v) => v,
        Err(e) => {
            log_err(&format!("cannot replace: {e}"));
            return -1;
        }
    };
    match ctx.edits.replace_value(msg, index, &value) {
        Ok(()) => {
            if let Ok(old) = siplua_sip::headers::NameAddr::parse(msg.value_of(h)) {
                let original = old.uri().as_str();
                let new = if uri.is_empty() {
                    original
                } else {
                    uri.as_str()
                };
                settings.store(ctx, which, original, new);
            }
            1
        }
        Err(e) => {
            log_err(&format!("cannot replace: {e}"));
            -1
        }
    }
}

/// The `uac_auth` module: parses the credentials and publishes them for `uac`.
#[derive(Default)]
pub struct UacAuth {
    list: Vec<Credential>,
    realm_avp: Option<String>,
    username_avp: Option<String>,
    password_avp: Option<String>,
}

impl Module for UacAuth {
    fn name(&self) -> &'static str {
        "uac_auth"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        UAC_AUTH_PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let text = value.as_str();
        match name {
            "credential" => self.list.push(Credential::parse(&text)?),
            "auth_realm_avp" => self.realm_avp = Some(text),
            "auth_username_avp" => self.username_avp = Some(text),
            "auth_password_avp" => self.password_avp = Some(text),
            _ => return Err(format!("module uac_auth has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let avps = AvpSpecs::new(
            self.realm_avp.as_deref(),
            self.username_avp.as_deref(),
            self.password_avp.as_deref(),
        )?;
        env.apis.publish(Arc::new(CredentialStore {
            list: std::mem::take(&mut self.list),
            avps,
        }));
        Ok(())
    }
}
