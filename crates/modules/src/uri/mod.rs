//! `uri` (OpenSIPS 1.x–2.x) and `uri_db` (1.x): the URI checks that OpenSIPS 3.0 spread over
//! `sipmsgops` and `auth_db`. Configurations migrated from 2.x still load them, so siplua
//! accepts both names:
//!
//! - the renamed calls are aliases of the `sipmsgops` declarations (`uri_param` →
//!   `ruri_has_param`, `add_uri_param` → `ruri_add_param`, `del_uri_param` →
//!   `ruri_del_param`, `tel2sip` → `ruri_tel2sip`, `has_totag`, `is_uri_user_e164`);
//! - `is_user`, `db_check_to`, `db_check_from`, `db_does_uri_exist` and `db_get_auth_id`
//!   keep their 2.x form (no table argument: `db_table`, `use_uri_table` and the column
//!   parameters decide) and are in [`checks`]. `uri_db` exports the last four under their
//!   1.x names `check_to`, `check_from`, `does_uri_exist`, `get_auth_id`.
//!
//! The AAA checks (`aaa_does_uri_exist`, `aaa_does_uri_user_exist`) are not provided: their
//! parameters are accepted, the functions stay unknown at load time.

mod checks;

use std::sync::Arc;

use siplua_core::function::{FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};

use crate::auth_db::store;
use crate::sipmsgops::SipMsgOps;
use checks::{Checks, Settings};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("aaa_url"),
    ModParamSpec::int("service_type"),
    ModParamSpec::int("use_sip_uri_host"),
    ModParamSpec::str("db_url"),
    ModParamSpec::str("db_table"),
    ModParamSpec::str("user_column"),
    ModParamSpec::str("domain_column"),
    ModParamSpec::str("uriuser_column"),
    ModParamSpec::int("use_uri_table"),
    ModParamSpec::int("use_domain"),
];

/// 2.x names of `sipmsgops` functions: (2.x name, 3.x name).
const ALIASES: &[(&str, &str)] = &[
    ("has_totag", "has_totag"),
    ("uri_param", "ruri_has_param"),
    ("add_uri_param", "ruri_add_param"),
    ("del_uri_param", "ruri_del_param"),
    ("tel2sip", "ruri_tel2sip"),
    ("is_uri_user_e164", "is_uri_user_e164"),
];

/// The module, under the name it was loaded by (`uri` or `uri_db`).
pub struct Uri {
    name: &'static str,
    db_url: String,
    settings: Settings,
    checks: Option<Arc<Checks>>,
}

impl Uri {
    /// OpenSIPS 2.x's `uri`.
    pub fn v2() -> Uri {
        Uri::named("uri")
    }

    /// OpenSIPS 1.x's `uri_db` (the database half of `uri`, with the 1.x function names).
    pub fn v1_db() -> Uri {
        Uri::named("uri_db")
    }

    fn named(name: &'static str) -> Uri {
        Uri {
            name,
            db_url: String::new(),
            settings: Settings::default(),
            checks: None,
        }
    }

    /// The function names of this generation: db_check_to, db_check_from,
    /// db_does_uri_exist, db_get_auth_id, in that order.
    fn db_names(&self) -> [&'static str; 4] {
        if self.name == "uri_db" {
            ["check_to", "check_from", "does_uri_exist", "get_auth_id"]
        } else {
            [
                "db_check_to",
                "db_check_from",
                "db_does_uri_exist",
                "db_get_auth_id",
            ]
        }
    }
}

impl Module for Uri {
    fn name(&self) -> &'static str {
        self.name
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let s = &mut self.settings;
        match name {
            // AAA is not provided; its parameters are accepted so that the config loads.
            "aaa_url" | "service_type" | "use_sip_uri_host" => {}
            "db_url" => self.db_url = value.as_str(),
            "db_table" => s.table = value.as_str(),
            "user_column" => s.user_column = value.as_str(),
            "domain_column" => s.domain_column = value.as_str(),
            "uriuser_column" => s.uriuser_column = value.as_str(),
            "use_uri_table" => s.use_uri_table = value.as_int() != 0,
            "use_domain" => s.use_domain = value.as_int() != 0,
            _ => return Err(format!("module {} has no parameter {name}", self.name)),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let store = if self.db_url.is_empty() {
            None
        } else {
            Some(store::open(env, self.name, &self.db_url)?)
        };
        self.checks = Some(Arc::new(Checks::new(self.settings.clone(), store)));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let mut out = Vec::new();
        if self.name == "uri" {
            let sipmsgops = SipMsgOps.functions();
            for (old, new) in ALIASES {
                if let Some(f) = sipmsgops.iter().find(|f| f.name == *new) {
                    out.push(FunctionDecl {
                        name: old,
                        ..f.clone()
                    });
                }
            }
        }
        let Some(checks) = self.checks.clone() else {
            return out;
        };
        let request = RouteMask::of(&[RouteType::Request]);
        let [to, from, exists, auth_id] = self.db_names();
        let module = self.name;
        let c = checks.clone();
        out.push(
            FunctionDecl::new(to, vec![], request, move |ctx, _| c.check_header(ctx, true))
                .with_fixup(checks.needs_db_for_uri_table(module, to)),
        );
        let c = checks.clone();
        out.push(
            FunctionDecl::new(from, vec![], request, move |ctx, _| {
                c.check_header(ctx, false)
            })
            .with_fixup(checks.needs_db_for_uri_table(module, from)),
        );
        let c = checks.clone();
        out.push(
            FunctionDecl::new(exists, vec![], request, move |ctx, _| c.uri_exists(ctx))
                .with_fixup(checks.needs_db(module, exists)),
        );
        let c = checks.clone();
        out.push(
            FunctionDecl::new(
                auth_id,
                vec![
                    ParamSpec::req("uri", ParamKind::Str),
                    ParamSpec::req("auth_user", ParamKind::Var),
                    ParamSpec::req("auth_realm", ParamKind::Var),
                ],
                request,
                move |ctx, args| c.get_auth_id(ctx, args),
            )
            .with_fixup(checks.needs_db(module, auth_id)),
        );
        if self.name == "uri" {
            let c = checks;
            out.push(FunctionDecl::new(
                "is_user",
                vec![ParamSpec::req("username", ParamKind::Str)],
                request,
                move |ctx, args| c.is_user(ctx, args),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_name_existing_sipmsgops_functions() {
        let names: Vec<&str> = SipMsgOps.functions().iter().map(|f| f.name).collect();
        for (_, new) in ALIASES {
            assert!(names.contains(new), "{new} is not a sipmsgops function");
        }
    }
}
