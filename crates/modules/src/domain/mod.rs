//! `domain`: which domains this proxy serves, from the `domain` table — `is_from_local()`,
//! `is_uri_host_local()`, `is_domain_local(domain)`, each with an optional variable that
//! receives the domain's `attrs` (OpenSIPS 3.x names and return codes: 1 local, -1 not,
//! -1 with an error logged when the database fails).
//!
//! The table is read per call (db_text re-reads a changed file, MySQL answers from its own
//! cache), so `db_mode` is accepted and an edit is seen at once; see docs/compatibility.md.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::pv::CompiledPv;
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::value::Value;
use siplua_script::AssignOp;
use siplua_sip::Uri;

use crate::auth_db::store::{self, Store};

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
    store: Option<Arc<Lookup>>,
}

impl Default for Domain {
    fn default() -> Self {
        Domain {
            db_url: "mysql://opensipsro:opensipsro@localhost/opensips".into(),
            table: "domain".into(),
            domain_col: "domain".into(),
            attrs_col: "attrs".into(),
            store: None,
        }
    }
}

/// The open table and its column names.
struct Lookup {
    store: Box<dyn Store>,
    table: String,
    domain_col: String,
    attrs_col: String,
}

impl Lookup {
    /// `Ok(Some(attrs))` when `domain` is local (attrs may be empty).
    fn find(&self, domain: &str) -> Result<Option<String>, String> {
        let domain = domain.trim_start_matches('[').trim_end_matches(']');
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
            "db_mode" | "subdomain_col" => {}
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
        }));
        Ok(())
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
