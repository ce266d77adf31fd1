//! `domain`: which domains this proxy serves, from the `domain` table — `is_from_local()`,
//! `is_uri_host_local()`, `is_domain_local(domain)`, each with an optional variable that
//! receives the domain's `attrs` (OpenSIPS 3.x names and return codes: 1 local, -1 not,
//! -1 with an error logged when the database fails).
//!
//! With `db_mode` 0 (OpenSIPS' default) the table is read per call; with 1 it is read once at
//! start-up and again on MI `domain_reload`, and `accept_subdomain` is honoured. See
//! docs/compatibility.md.

mod cache;

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::mi::{MiCommand, MiError};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::CompiledPv;
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::value::Value;
use siplua_script::AssignOp;
use siplua_sip::Uri;

use crate::auth_db::store::{self, Store};
use crate::snapshot::Snapshot;
use cache::Domains;

const fn p(name: &'static str, kind: ModParamKind) -> ModParamSpec {
    ModParamSpec { name, kind }
}

const PARAMS: &[ModParamSpec] = &[
    p("db_url", ModParamKind::Str),
    p("db_mode", ModParamKind::Int),
    p("domain_table", ModParamKind::Str),
    p("domain_col", ModParamKind::Str),
    p("attrs_col", ModParamKind::Str),
    p("subdomain_col", ModParamKind::Str),
];

/// The module.
pub struct Domain {
    db_url: String,
    table: String,
    domain_col: String,
    attrs_col: String,
    subdomain_col: String,
    cached: bool,
    store: Option<Arc<Lookup>>,
}

impl Default for Domain {
    fn default() -> Self {
        Domain {
            db_url: "mysql://opensipsro:opensipsro@localhost/opensips".into(),
            table: "domain".into(),
            domain_col: "domain".into(),
            attrs_col: "attrs".into(),
            subdomain_col: "accept_subdomain".into(),
            cached: false,
            store: None,
        }
    }
}

/// The open table, its column names and, with `db_mode` 1, the copy in use.
struct Lookup {
    store: Box<dyn Store>,
    table: String,
    domain_col: String,
    attrs_col: String,
    subdomain_col: String,
    cache: Option<Snapshot<Domains>>,
}

impl Lookup {
    /// Reads the whole table for the cache.
    fn read_all(&self) -> Result<Domains, String> {
        let rows = self.store.select(
            &self.table,
            &[&self.domain_col, &self.attrs_col, &self.subdomain_col],
            &[],
        )?;
        let domains = Domains::from_rows(&rows);
        siplua_core::log::emit(
            siplua_core::log::level::INFO,
            "domain",
            &format!("{} domains loaded", domains.len()),
        );
        Ok(domains)
    }

    /// `Ok(Some(attrs))` when `domain` is local (attrs may be empty).
    fn find(&self, domain: &str) -> Result<Option<String>, String> {
        let domain = domain.trim_start_matches('[').trim_end_matches(']');
        if let Some(cache) = &self.cache {
            return Ok(cache.get().find(domain).map(str::to_owned));
        }
        let rows = self.store.select(
            &self.table,
            &[&self.domain_col, &self.attrs_col],
            &[(&self.domain_col, &domain.to_ascii_lowercase())],
        )?;
        Ok(rows
            .into_iter()
            .next()
            .map(|r| r.get(1).cloned().flatten().unwrap_or_default()))
    }

    /// The script functions' common part: look up, store attrs, return the code.
    fn check(&self, ctx: &mut Context, domain: Option<String>, attrs: Option<&CompiledPv>) -> i32 {
        let Some(domain) = domain.filter(|d| !d.is_empty()) else {
            return -1;
        };
        match self.find(&domain) {
            Ok(Some(a)) => {
                if let Some(pv) = attrs {
                    if let Err(e) = pv.set(ctx, AssignOp::Set, Value::Str(a)) {
                        siplua_core::log::emit(
                            siplua_core::log::level::ERR,
                            "domain",
                            &format!("cannot store the attributes: {e}"),
                        );
                    }
                }
                1
            }
            Ok(None) => -1,
            Err(e) => {
                siplua_core::log::emit(
                    siplua_core::log::level::ERR,
                    "domain",
                    &format!("cannot read table {}: {e}", self.table),
                );
                -1
            }
        }
    }
}

fn host_of(uri: Option<&str>) -> Option<String> {
    Uri::parse(uri?).ok().map(|u| u.host().to_owned())
}

impl Module for Domain {
    fn name(&self) -> &'static str {
        "domain"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "db_url" => self.db_url = value.as_str(),
            "domain_table" => self.table = value.as_str(),
            "domain_col" => self.domain_col = value.as_str(),
            "attrs_col" => self.attrs_col = value.as_str(),
            "subdomain_col" => self.subdomain_col = value.as_str(),
            "db_mode" => self.cached = value.as_int() != 0,
            _ => return Err(format!("module domain has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        self.store = Some(Arc::new(Lookup {
            store: store::open(env, "domain", &self.db_url)?,
            table: self.table.clone(),
            domain_col: self.domain_col.clone(),
            attrs_col: self.attrs_col.clone(),
            subdomain_col: self.subdomain_col.clone(),
            cache: self.cached.then(Snapshot::default),
        }));
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        let Some(look) = &self.store else {
            return Ok(());
        };
        let Some(cache) = &look.cache else {
            return Ok(());
        };
        cache
            .load_once(|| look.read_all())
            .map_err(|e| format!("cannot load the domain table: {e}"))
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(look) = self.store.clone() else {
            return Vec::new();
        };
        let dumper = look.clone();
        vec![
            MiCommand::new(
                "domain_reload",
                "reads the domain table again (db_mode 1; the copy in use stays when that fails)",
                vec![],
                move |_, _| {
                    let Some(cache) = &look.cache else {
                        return Err(MiError::new(500, "domain_reload needs db_mode 1"));
                    };
                    cache
                        .reload(|| look.read_all())
                        .map_err(|e| MiError::new(500, format!("Failed to reload: {e}")))?;
                    Ok(serde_json::Value::from("OK"))
                },
            ),
            MiCommand::new(
                "domain_dump",
                "lists the domains in use (db_mode 1)",
                vec![],
                move |_, _| match &dumper.cache {
                    Some(cache) => Ok(cache.get().dump()),
                    None => Err(MiError::new(500, "domain_dump needs db_mode 1")),
                },
            ),
        ]
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(look) = self.store.clone() else {
            return Vec::new();
        };
        let routes = RouteMask::of(&[RouteType::Request, RouteType::Branch, RouteType::Failure]);
        let (l1, l2, l3) = (look.clone(), look.clone(), look);
        vec![
            FunctionDecl::new(
                "is_from_local",
                vec![ParamSpec::opt("attrs_var", ParamKind::Var)],
                routes,
                move |ctx: &mut Context, args: &Args| {
                    let host = ctx
                        .msg
                        .as_ref()
                        .and_then(|m| m.from().ok().map(|f| f.uri().host().to_owned()));
                    l1.check(ctx, host, args.pv(0))
                },
            ),
            FunctionDecl::new(
                "is_uri_host_local",
                vec![ParamSpec::opt("attrs_var", ParamKind::Var)],
                routes,
                move |ctx: &mut Context, args: &Args| {
                    let host = host_of(ctx.ruri());
                    l2.check(ctx, host, args.pv(0))
                },
            ),
            FunctionDecl::new(
                "is_domain_local",
                vec![
                    ParamSpec::req("domain", ParamKind::Str),
                    ParamSpec::opt("attrs_var", ParamKind::Var),
                ],
                routes,
                move |ctx: &mut Context, args: &Args| {
                    let domain = args.str(ctx, 0).map(|d| d.into_owned());
                    l3.check(ctx, domain, args.pv(1))
                },
            ),
        ]
    }
}
