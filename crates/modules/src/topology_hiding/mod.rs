//! `topology_hiding`: OpenSIPS 3.x topology hiding on top of the dialog module —
//! `topology_hiding([flags])` on the initial INVITE, `topology_hiding_match()` for the
//! sequential requests, `$TH_callee_callid` / `$TH_caller_callid`. Each side sees only the
//! proxy: one Via, no Record-Route or Route, our Contact (and with flag `C` another
//! Call-ID); what the other side needs is kept with the dialog (see docs/compatibility.md).
//!
//! Layout: `settings` (parameters and flags), `store` (the hidden dialogs), `contact` (our
//! Contact), `callid` (flag `C`), `initial` (`topology_hiding`), `matching`
//! (`topology_hiding_match`), `replies` (the reply hook).

mod callid;
mod contact;
mod initial;
mod matching;
mod replies;
mod settings;
mod store;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::module::{InitEnv, MessageHooks, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::PvDecl;
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::value::Value;

use crate::dialog::DialogApi;
use settings::{name_list, Flags, Settings};
use store::Store;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("force_dialog"),
    ModParamSpec::str("th_passed_contact_uri_params"),
    ModParamSpec::str("th_passed_contact_params"),
    ModParamSpec::str("th_callid_passwd"),
    ModParamSpec::str("th_callid_prefix"),
    ModParamSpec::str("th_contact_encode_passwd"),
    ModParamSpec::str("th_contact_encode_param"),
    ModParamSpec::str("th_contact_encode_scheme"),
];

fn log_err(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::ERR, "topology_hiding", text);
}

/// The hidden dialog of the message being processed (for `$TH_*_callid`).
#[derive(Clone, Debug)]
pub struct ThCurrent {
    /// Its token.
    pub token: String,
    /// The Call-ID the caller side uses.
    pub caller_callid: String,
    /// The Call-ID the callee side uses.
    pub callee_callid: String,
}

/// The module.
#[derive(Default)]
pub struct TopologyHiding {
    settings: Arc<Settings>,
    store: Option<Arc<Store>>,
}

impl Module for TopologyHiding {
    fn name(&self) -> &'static str {
        "topology_hiding"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["tm"]
    }

    fn optional_dependencies(&self) -> &'static [&'static str] {
        &["dialog"]
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let s = Arc::make_mut(&mut self.settings);
        let text = value.as_str();
        match name {
            "force_dialog" => s.force_dialog = value.as_int() != 0,
            "th_passed_contact_uri_params" => s.passed_uri_params = name_list(&text),
            "th_passed_contact_params" => s.passed_params = name_list(&text),
            "th_callid_passwd" => s.callid_passwd = text,
            "th_callid_prefix" if text.is_empty() => {
                return Err("th_callid_prefix cannot be empty".into())
            }
            "th_callid_prefix" => s.callid_prefix = text,
            "th_contact_encode_passwd" => s.contact_encode_passwd = text,
            "th_contact_encode_param" if text.trim().is_empty() => {
                return Err("th_contact_encode_param cannot be empty".into())
            }
            "th_contact_encode_param" => s.contact_encode_param = text.trim().to_owned(),
            "th_contact_encode_scheme" => {}
            _ => return Err(format!("module topology_hiding has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        match env.apis.get::<DialogApi>() {
            Some(api) => self.store = Some(Arc::new(Store::new(api))),
            None if env.loaded.iter().any(|m| m == "dialog") => {
                return Err("the dialog module published no API (its initialisation failed)".into())
            }
            None => siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "topology_hiding",
                "the dialog module is not loaded: siplua hides topology only with a dialog, \
                 topology_hiding() will fail",
            ),
        }
        Ok(())
    }

    fn message_hooks(&self) -> MessageHooks {
        MessageHooks {
            message: self.store.is_some(),
            ..MessageHooks::default()
        }
    }

    /// Replies of hidden dialogs get our Contact and lose their Record-Route.
    fn on_message(&self, ctx: &mut Context) {
        let is_reply = ctx.msg.is_some_and(|m| !m.is_request());
        if let (true, Some(store)) = (is_reply, &self.store) {
            replies::on_reply(ctx, store, &self.settings);
        }
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let req = RouteMask::of(&[RouteType::Request]);
        let (s1, s2) = (self.settings.clone(), self.settings.clone());
        let (st1, st2) = (self.store.clone(), self.store.clone());
        vec![
            FunctionDecl::new(
                "topology_hiding",
                vec![ParamSpec::opt("flags", ParamKind::StaticStr)],
                req,
                move |ctx: &mut Context, args: &Args| {
                    let flags = args.custom::<Flags>(0).copied().unwrap_or_default();
                    let Some(store) = &st1 else {
                        log_err("topology_hiding(): the dialog module is not loaded");
                        return -1;
                    };
                    match initial::hide(ctx, store, &s1, flags) {
                        Ok(()) => 1,
                        Err(e) => {
                            log_err(&format!("topology_hiding(): {e}"));
                            -1
                        }
                    }
                },
            )
            .with_fixup(flags_fixup),
            FunctionDecl::new(
                "topology_hiding_match",
                vec![ParamSpec::opt("flags", ParamKind::Str)],
                req,
                move |ctx: &mut Context, _: &Args| match &st2 {
                    Some(store) => matching::topology_hiding_match(ctx, store, &s2),
                    None => -1,
                },
            ),
        ]
    }

    fn pseudo_variables(&self) -> Vec<PvDecl> {
        let callid = |name: &'static str, callee: bool| PvDecl {
            name,
            takes_inner: false,
            get: Arc::new(move |ctx: &Context, _| match ctx.ext::<ThCurrent>() {
                Some(th) if callee => Value::Str(th.callee_callid.clone()),
                Some(th) => Value::Str(th.caller_callid.clone()),
                None => Value::Null,
            }),
            set: None,
        };
        vec![
            callid("TH_callee_callid", true),
            callid("TH_caller_callid", false),
        ]
    }
}

/// Load-time check of the constant flags of `topology_hiding()`.
fn flags_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(slot) = args.get_mut(0) {
        if let PreparedArg::Str(s) = slot {
            let flags = Flags::parse(s)?;
            *slot = PreparedArg::Custom(Arc::new(flags));
        }
    }
    Ok(())
}
