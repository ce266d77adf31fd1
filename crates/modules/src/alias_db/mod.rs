//! `alias_db`: aliases from a database table (`dbaliases` by default) —
//! `alias_db_lookup(table[, flags])` turns an alias Request-URI into the user it stands for,
//! `alias_db_find(table, input, output[, flags])` does the same from any URI into a variable
//! (OpenSIPS 3.x names; 1 found, -1 not found or error).
//!
//! Flags: `d` matches the alias by user only (ignoring the domain, like `use_domain` 0);
//! `r` (reverse: user to alias) is supported too. More than one match: the first is used
//! (`append_branches` is accepted; see docs/compatibility.md).

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
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
    p("user_column", ModParamKind::Str),
    p("domain_column", ModParamKind::Str),
    p("alias_user_column", ModParamKind::Str),
    p("alias_domain_column", ModParamKind::Str),
    p("use_domain", ModParamKind::Int),
    p("domain_prefix", ModParamKind::Str),
    p("append_branches", ModParamKind::Int),
];

/// Column names and options.
#[derive(Clone)]
struct Columns {
    user: String,
    domain: String,
    alias_user: String,
    alias_domain: String,
    use_domain: bool,
    domain_prefix: String,
}

/// The module.
pub struct AliasDb {
    db_url: String,
    cols: Columns,
    shared: Option<Arc<Shared>>,
}

struct Shared {
    store: Box<dyn Store>,
    cols: Columns,
}

impl Default for AliasDb {
    fn default() -> Self {
        AliasDb {
            db_url: "mysql://opensipsro:opensipsro@localhost/opensips".into(),
            cols: Columns {
                user: "username".into(),
                domain: "domain".into(),
                alias_user: "alias_username".into(),
                alias_domain: "alias_domain".into(),
                use_domain: false,
                domain_prefix: String::new(),
            },
            shared: None,
        }
    }
}

impl Shared {
    /// The target URI of `uri` in `table` (or its alias with `reverse`).
    fn find(&self, table: &str, uri: &str, flags: &str) -> Result<Option<String>, String> {
        let Ok(parsed) = Uri::parse(uri) else {
            return Ok(None);
        };
        let user = parsed.user().unwrap_or("");
        let mut domain = parsed.host();
        if !self.cols.domain_prefix.is_empty() {
            domain = domain
                .strip_prefix(self.cols.domain_prefix.as_str())
                .unwrap_or(domain);
        }
        let c = &self.cols;
        let reverse = flags.contains('r');
        let use_domain = if flags.contains('d') {
            false
        } else {
            c.use_domain || flags.contains('D')
        };
        let (key_user, key_domain, out_user, out_domain) = if reverse {
            (&c.user, &c.domain, &c.alias_user, &c.alias_domain)
        } else {
            (&c.alias_user, &c.alias_domain, &c.user, &c.domain)
        };
        let mut filter = vec![(key_user.as_str(), user)];
        if use_domain {
            filter.push((key_domain.as_str(), domain));
        }
        let rows = self.store.select(table, &[out_user, out_domain], &filter)?;
        Ok(rows.into_iter().next().map(|r| {
            let u = r.first().cloned().flatten().unwrap_or_default();
            let d = r.get(1).cloned().flatten().unwrap_or_default();
            format!("sip:{u}@{d}")
        }))
    }
}

fn log_err(e: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "alias_db", e);
    -1
}

impl Module for AliasDb {
    fn name(&self) -> &'static str {
        "alias_db"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let c = &mut self.cols;
        match name {
            "db_url" => self.db_url = value.as_str(),
            "user_column" => c.user = value.as_str(),
            "domain_column" => c.domain = value.as_str(),
            "alias_user_column" => c.alias_user = value.as_str(),
            "alias_domain_column" => c.alias_domain = value.as_str(),
            "use_domain" => c.use_domain = value.as_int() != 0,
            "domain_prefix" => c.domain_prefix = value.as_str(),
            "append_branches" => {}
            _ => return Err(format!("module alias_db has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        self.shared = Some(Arc::new(Shared {
            store: store::open(env, "alias_db", &self.db_url)?,
            cols: self.cols.clone(),
        }));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let s2 = shared.clone();
        let routes = RouteMask::of(&[RouteType::Request, RouteType::Failure, RouteType::Branch]);
        vec![
            FunctionDecl::new(
                "alias_db_lookup",
                vec![
                    ParamSpec::req("table_name", ParamKind::Str),
                    ParamSpec::opt("flags", ParamKind::Str),
                ],
                routes,
                move |ctx: &mut Context, args: &Args| {
                    let table = args.str(ctx, 0).unwrap_or_default().into_owned();
                    let flags = args.str(ctx, 1).unwrap_or_default().into_owned();
                    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
                        return -1;
                    };
                    match shared.find(&table, &ruri, &flags) {
                        Ok(Some(uri)) => {
                            ctx.new_ruri = Some(uri);
                            1
                        }
                        Ok(None) => -1,
                        Err(e) => log_err(&format!("alias_db_lookup: {e}")),
                    }
                },
            ),
            FunctionDecl::new(
                "alias_db_find",
                vec![
                    ParamSpec::req("table_name", ParamKind::Str),
                    ParamSpec::req("input", ParamKind::Str),
                    ParamSpec::req("output", ParamKind::Var),
                    ParamSpec::opt("flags", ParamKind::Str),
                ],
                routes,
                move |ctx: &mut Context, args: &Args| {
                    let table = args.str(ctx, 0).unwrap_or_default().into_owned();
                    let input = args.str(ctx, 1).unwrap_or_default().into_owned();
                    let flags = args.str(ctx, 3).unwrap_or_default().into_owned();
                    let Some(out) = args.pv(2) else { return -1 };
                    match s2.find(&table, &input, &flags) {
                        Ok(Some(uri)) => match out.set(ctx, AssignOp::Set, Value::Str(uri)) {
                            Ok(()) => 1,
                            Err(e) => log_err(&format!("alias_db_find: {e}")),
                        },
                        Ok(None) => -1,
                        Err(e) => log_err(&format!("alias_db_find: {e}")),
                    }
                },
            ),
        ]
    }
}
