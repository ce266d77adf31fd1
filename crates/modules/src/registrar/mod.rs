//! `registrar`: REGISTER processing (RFC 3261 §10.3) and the lookups that route requests to
//! registered user agents — `save()`, `lookup()`, `registered()` / `is_registered()`,
//! `remove()` — on top of the API `usrloc` publishes (and nothing else of usrloc).
//!
//! Statistics: `registrar:accepted_regs`, `registrar:rejected_regs`, and the settings
//! `registrar:default_expires`, `registrar:max_expires`, `registrar:max_contacts`.

mod aor;
mod flags;
mod lookup;
pub(crate) mod nat;
mod query;
mod remove;
mod reply;
mod save;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::flags::{flag_bit, FlagSet};
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::stats::Counter;

use crate::usrloc::Usrloc;

use aor::AorRules;
use flags::{LookupFlags, PathMode, SaveFlags};

/// The registrar's parameters, read by every function.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `default_expires`: lifetime of a Contact that names none (and no Expires header).
    pub default_expires: u32,
    /// `min_expires`: a shorter non-zero lifetime is answered 423 (0 disables).
    pub min_expires: u32,
    /// `max_expires`: longer lifetimes are cut to it (0 disables).
    pub max_expires: u32,
    /// `max_contacts`: bindings allowed per AOR (0 = unlimited).
    pub max_contacts: u32,
    /// `default_q`: q-value (thousandths) of Contacts without one; -1 leaves it unset.
    pub default_q: i32,
    /// `tcp_persistent_flag`: message flag that keeps the TCP connection of a REGISTER as the
    /// way to its contact.
    pub tcp_persistent_flag: Option<u32>,
    /// `retry_after`: adds `Retry-After` to the registrar's 5xx replies when non-zero.
    pub retry_after: u32,
    /// `use_path`: path mode when `save()` names none (siplua: 1 = `path` strict mode).
    pub default_path: PathMode,
    /// AOR normalisation.
    pub aor: AorRules,
    /// `sock_hdr_name`: a header of the REGISTER naming the socket (`proto:ip:port`) its
    /// contacts are reached through, added by a proxy in front with `add_sock_hdr`.
    pub sock_hdr_name: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_expires: 3600,
            min_expires: 60,
            max_expires: 0,
            max_contacts: 0,
            default_q: -1,
            tcp_persistent_flag: None,
            retry_after: 0,
            default_path: PathMode::Ignore,
            aor: AorRules {
                case_sensitive: true,
                realm_prefix: None,
                use_domain: false,
            },
            sock_hdr_name: None,
        }
    }
}

/// What the script functions share: the usrloc API, the settings, the counters.
pub struct Registrar {
    /// The published usrloc service.
    pub usrloc: Arc<Usrloc>,
    /// Parameters.
    pub settings: Settings,
    /// `registrar:accepted_regs`.
    pub accepted: Counter,
    /// `registrar:rejected_regs`.
    pub rejected: Counter,
}

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("default_expires"),
    ModParamSpec::int("min_expires"),
    ModParamSpec::int("max_expires"),
    ModParamSpec::int("max_contacts"),
    ModParamSpec::int("default_q"),
    ModParamSpec::str("tcp_persistent_flag"),
    ModParamSpec::int("retry_after"),
    ModParamSpec::int("use_path"),
    ModParamSpec::int("case_sensitive"),
    ModParamSpec::str("realm_prefix"),
    ModParamSpec::str("sock_hdr_name"),
    ModParamSpec::str("received_avp"),
    ModParamSpec::str("received_param"),
];

/// The module.
#[derive(Default)]
pub struct RegistrarModule {
    settings: Settings,
    shared: Option<Arc<Registrar>>,
}

fn non_negative(name: &str, v: i64) -> Result<u32, String> {
    u32::try_from(v).map_err(|_| format!("{name} must be a number of at least 0, got {v}"))
}

impl Module for RegistrarModule {
    fn name(&self) -> &'static str {
        "registrar"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["usrloc"]
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let s = &mut self.settings;
        let v = value.as_int();
        match name {
            "default_expires" => s.default_expires = non_negative(name, v)?,
            "min_expires" => s.min_expires = non_negative(name, v)?,
            "max_expires" => s.max_expires = non_negative(name, v)?,
            "max_contacts" => s.max_contacts = non_negative(name, v)?,
            "retry_after" => s.retry_after = non_negative(name, v)?,
            "default_q" => {
                if !(-1..=1000).contains(&v) {
                    return Err(format!("default_q must be -1 or 0..1000, got {v}"));
                }
                s.default_q = v as i32;
            }
            "tcp_persistent_flag" => {
                let text = value.as_str();
                s.tcp_persistent_flag = match text.trim() {
                    "-1" | "" => None,
                    t => Some(flag_bit(FlagSet::Message, t)?),
                };
            }
            "use_path" => {
                s.default_path = if v != 0 {
                    PathMode::Strict
                } else {
                    PathMode::Ignore
                }
            }
            "case_sensitive" => s.aor.case_sensitive = v != 0,
            "realm_prefix" => s.aor.realm_prefix = Some(value.as_str()),
            "sock_hdr_name" => {
                s.sock_hdr_name = Some(value.as_str()).filter(|n| !n.trim().is_empty())
            }
            // Set by nathelper's fix_nated_register in OpenSIPS; siplua detects NAT itself.
            "received_avp" | "received_param" => {}
            _ => return Err(format!("module registrar has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let usrloc = env
            .apis
            .get::<Usrloc>()
            .ok_or("the usrloc module published no API (its initialisation failed)")?;
        self.settings.aor.use_domain = usrloc.use_domain();
        let s = &self.settings;
        let stat = |n: &str| env.stats.counter("registrar", n);
        let setting = |n: &str| env.stats.gauge("registrar", n);
        setting("default_expires").set(i64::from(s.default_expires));
        setting("max_expires").set(i64::from(s.max_expires));
        setting("max_contacts").set(i64::from(s.max_contacts));
        self.shared = Some(Arc::new(Registrar {
            usrloc,
            settings: self.settings.clone(),
            accepted: stat("accepted_regs"),
            rejected: stat("rejected_regs"),
        }));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let request = RouteMask::of(&[RouteType::Request]);
        let request_failure = RouteMask::of(&[RouteType::Request, RouteType::Failure]);
        let table = || ParamSpec::req("domain", ParamKind::StaticStr);
        let (r1, r2, r3, r4) = (shared.clone(), shared.clone(), shared.clone(), shared);
        let r5 = r3.clone();
        let (r6, r7) = (r3.clone(), r3.clone());
        vec![
            FunctionDecl::new(
                "add_sock_hdr",
                vec![ParamSpec::req("hdr_name", ParamKind::Str)],
                request,
                |ctx: &mut Context, args: &Args| {
                    let name = args.str(ctx, 0).unwrap_or_default().into_owned();
                    query::add_sock_hdr(ctx, &name)
                },
            ),
            FunctionDecl::new(
                "is_contact_registered",
                vec![
                    table(),
                    ParamSpec::opt("aor", ParamKind::Str),
                    ParamSpec::opt("contact", ParamKind::Str),
                    ParamSpec::opt("callid", ParamKind::Str),
                ],
                RouteMask::WITH_MESSAGE,
                move |ctx: &mut Context, args: &Args| query::contact_registered(ctx, &r6, args),
            ),
            FunctionDecl::new(
                "is_ip_registered",
                vec![
                    table(),
                    ParamSpec::opt("aor", ParamKind::Str),
                    ParamSpec::req("ip", ParamKind::Str),
                ],
                RouteMask::WITH_MESSAGE,
                move |ctx: &mut Context, args: &Args| query::ip_registered(ctx, &r7, args),
            ),
            FunctionDecl::new(
                "save",
                vec![
                    table(),
                    ParamSpec::opt("flags", ParamKind::Str),
                    ParamSpec::opt("aor", ParamKind::Str),
                ],
                request,
                move |ctx: &mut Context, args: &Args| {
                    let flags = match save_flags(ctx, args) {
                        Ok(f) => f,
                        Err(e) => return log_error("save", &e),
                    };
                    let aor = args.str(ctx, 2).map(|a| a.into_owned());
                    let table = args.str(ctx, 0).unwrap_or_default().into_owned();
                    save::save(ctx, &r1, &table, &flags, aor.as_deref())
                },
            )
            .with_fixup(flags::save_fixup),
            FunctionDecl::new(
                "lookup",
                vec![
                    table(),
                    ParamSpec::opt("flags", ParamKind::Str),
                    ParamSpec::opt("aor", ParamKind::Str),
                ],
                request_failure,
                move |ctx: &mut Context, args: &Args| {
                    let flags = match lookup_flags(ctx, args) {
                        Ok(f) => f,
                        Err(e) => return log_error("lookup", &e),
                    };
                    let aor = args.str(ctx, 2).map(|a| a.into_owned());
                    let table = args.str(ctx, 0).unwrap_or_default().into_owned();
                    lookup::lookup(ctx, &r2, &table, &flags, aor.as_deref())
                },
            )
            .with_fixup(flags::lookup_fixup),
            FunctionDecl::new(
                "registered",
                vec![table(), ParamSpec::opt("aor", ParamKind::Str)],
                RouteMask::WITH_MESSAGE,
                move |ctx: &mut Context, args: &Args| {
                    query::registered(ctx, &r5, args, query::DefaultAor::RequestUri)
                },
            ),
            FunctionDecl::new(
                "is_registered",
                vec![table(), ParamSpec::opt("aor", ParamKind::Str)],
                RouteMask::WITH_MESSAGE,
                move |ctx: &mut Context, args: &Args| {
                    query::registered(ctx, &r3, args, query::DefaultAor::ToOrFrom)
                },
            ),
            FunctionDecl::new(
                "remove",
                vec![
                    table(),
                    ParamSpec::req("aor", ParamKind::Str),
                    ParamSpec::opt("contact", ParamKind::Str),
                    ParamSpec::opt("next_hop", ParamKind::Str),
                    ParamSpec::opt("sip_instance", ParamKind::Str),
                ],
                RouteMask::ALL,
                move |ctx: &mut Context, args: &Args| remove::remove(ctx, &r4, args),
            ),
        ]
    }
}

/// The flags of a `save()` call: prepared at load time, or parsed now when dynamic.
fn save_flags(ctx: &Context, args: &Args) -> Result<SaveFlags, String> {
    match args.custom::<SaveFlags>(1) {
        Some(f) => Ok(f.clone()),
        None => SaveFlags::parse(&args.str(ctx, 1).unwrap_or_default()),
    }
}

/// The flags of a `lookup()` call.
fn lookup_flags(ctx: &Context, args: &Args) -> Result<LookupFlags, String> {
    match args.custom::<LookupFlags>(1) {
        Some(f) => Ok(f.clone()),
        None => LookupFlags::parse(&args.str(ctx, 1).unwrap_or_default()),
    }
}

/// Logs a registrar error and returns OpenSIPS' internal-error code.
fn log_error(function: &str, what: &str) -> i32 {
    siplua_core::log::emit(
        siplua_core::log::level::ERR,
        "registrar",
        &format!("{function}: {what}"),
    );
    -3
}
