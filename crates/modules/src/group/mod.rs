//! `group`: group membership from the database, as OpenSIPS 3.x does it —
//! `db_is_user_in(uri, group)` looks the user up in the `grp` table (per call, no cache, as
//! in OpenSIPS), `db_get_user_group(uri, $avp(gid))` matches the URI against the regular
//! expressions of `re_grp` (read at start-up, case-insensitive as in OpenSIPS), returning
//! how many groups it found. `uri` is a URI (`"$fu"`) or one of the older
//! names `Request-URI`, `To`, `From`, `Credentials`.

use std::sync::Arc;

use regex::{Regex, RegexBuilder};
use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::RouteMask;
use siplua_core::value::Value;
use siplua_sip::Uri;

use crate::auth_db::store::{self, Store};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("table"),
    ModParamSpec::str("user_column"),
    ModParamSpec::str("domain_column"),
    ModParamSpec::str("group_column"),
    ModParamSpec::int("use_domain"),
    ModParamSpec::str("re_table"),
    ModParamSpec::str("re_exp_column"),
    ModParamSpec::str("re_gid_column"),
    ModParamSpec::int("multiple_gid"),
    ModParamSpec::str("aaa_url"),
];

/// Table and column names.
#[derive(Clone, Debug)]
struct Settings {
    table: String,
    user: String,
    domain: String,
    group: String,
    use_domain: bool,
    re_table: Option<String>,
    re_exp: String,
    re_gid: String,
    multiple_gid: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            table: "grp".into(),
            user: "username".into(),
            domain: "domain".into(),
            group: "grp".into(),
            use_domain: false,
            re_table: None,
            re_exp: "reg_exp".into(),
            re_gid: "group_id".into(),
            multiple_gid: true,
        }
    }
}

/// What the functions share.
struct Shared {
    store: Box<dyn Store>,
    settings: Settings,
    /// `re_grp`, read at start-up: expression and group id.
    regexes: Vec<(Regex, i64)>,
}

/// The module.
#[derive(Default)]
pub struct Group {
    db_url: Option<String>,
    settings: Settings,
    shared: Option<Arc<Shared>>,
}

fn log_err(text: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "group", text);
    -1
}

/// The user and host the `uri` argument names in this message.
fn user_and_host(ctx: &Context, which: &str) -> Option<(String, String)> {
    let msg = ctx.msg.as_ref()?;
    let text = match which {
        "Request-URI" => ctx.ruri()?.to_owned(),
        "To" => msg.to().ok()?.uri().as_str().to_owned(),
        "From" => msg.from().ok()?.uri().as_str().to_owned(),
        "Credentials" => {
            let c = crate::auth::credentials::first_any(msg)?;
            return Some((c.user().to_owned(), c.domain().to_owned()));
        }
        uri => uri.to_owned(),
    };
    let uri = Uri::parse(&text).ok()?;
    Some((uri.user().unwrap_or("").to_owned(), uri.host().to_owned()))
}

impl Shared {
    fn is_user_in(&self, ctx: &Context, which: &str, group: &str) -> i32 {
        let Some((user, host)) = user_and_host(ctx, which) else {
            return log_err(&format!("db_is_user_in: no user in {which}"));
        };
        let st = &self.settings;
        let mut filter = vec![
            (st.user.as_str(), user.as_str()),
            (st.group.as_str(), group),
        ];
        if st.use_domain {
            filter.push((st.domain.as_str(), host.as_str()));
        }
        match self.store.select(&st.table, &[&st.group], &filter) {
            Ok(rows) if !rows.is_empty() => 1,
            Ok(_) => -1,
            Err(e) => log_err(&format!("db_is_user_in: {e}")),
        }
    }

    fn get_user_group(&self, ctx: &mut Context, which: &str, avp: &str) -> i32 {
        let Some((user, host)) = user_and_host(ctx, which) else {
            return log_err(&format!("db_get_user_group: no user in {which}"));
        };
        if user.is_empty() {
            return -1;
        }
        let subject = format!("sip:{user}@{host}");
        // OpenSIPS keeps the rows last-read-first: with multiple_gid 0 the last matching row
        // of the table wins.
        let mut found = 0;
        for (re, gid) in self.regexes.iter().rev() {
            if re.is_match(&subject) {
                ctx.avps.add(avp, Value::Int(*gid));
                found += 1;
                if !self.settings.multiple_gid {
                    break;
                }
            }
        }
        if found > 0 {
            found
        } else {
            -1
        }
    }
}

impl Module for Group {
    fn name(&self) -> &'static str {
        "group"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let st = &mut self.settings;
        match name {
            "db_url" => self.db_url = Some(value.as_str()),
            "table" => st.table = value.as_str(),
            "user_column" => st.user = value.as_str(),
            "domain_column" => st.domain = value.as_str(),
            "group_column" => st.group = value.as_str(),
            "use_domain" => st.use_domain = value.as_int() != 0,
            "re_table" => st.re_table = Some(value.as_str()),
            "re_exp_column" => st.re_exp = value.as_str(),
            "re_gid_column" => st.re_gid = value.as_str(),
            "multiple_gid" => st.multiple_gid = value.as_int() != 0,
            "aaa_url" => return Err("group: AAA (RADIUS/Diameter) is not supported".into()),
            _ => return Err(format!("module group has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let url = crate::db_mysql::url_or_default(env, self.db_url.as_deref());
        let store = store::open(env, "group", &url)?;
        let mut regexes = Vec::new();
        if let Some(table) = &self.settings.re_table {
            let st = &self.settings;
            let rows = store
                .select(table, &[&st.re_exp, &st.re_gid], &[])
                .map_err(|e| format!("group: cannot read {table}: {e}"))?;
            for row in rows {
                let exp = row.first().cloned().flatten().unwrap_or_default();
                let gid = row
                    .get(1)
                    .cloned()
                    .flatten()
                    .and_then(|g| g.parse().ok())
                    .unwrap_or(0);
                let re = RegexBuilder::new(&exp)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| format!("group: bad expression '{exp}' in {table}: {e}"))?;
                regexes.push((re, gid));
            }
        }
        self.shared = Some(Arc::new(Shared {
            store,
            settings: self.settings.clone(),
            regexes,
        }));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let other = shared.clone();
        vec![
            FunctionDecl::new(
                "db_is_user_in",
                vec![
                    ParamSpec::req("uri", ParamKind::Str),
                    ParamSpec::req("group", ParamKind::Str),
                ],
                RouteMask::ALL,
                move |ctx: &mut Context, args: &Args| {
                    let which = args.str(ctx, 0).unwrap_or_default().into_owned();
                    let group = args.str(ctx, 1).unwrap_or_default().into_owned();
                    shared.is_user_in(ctx, &which, &group)
                },
            ),
            FunctionDecl::new(
                "db_get_user_group",
                vec![
                    ParamSpec::req("uri", ParamKind::Str),
                    ParamSpec::req("output_avp", ParamKind::Var),
                ],
                RouteMask::ALL,
                move |ctx: &mut Context, args: &Args| {
                    let which = args.str(ctx, 0).unwrap_or_default().into_owned();
                    let Some(avp) = args.pv(1).and_then(|pv| avp_name(&pv.text)) else {
                        return log_err("db_get_user_group: the output must be $avp(name)");
                    };
                    other.get_user_group(ctx, &which, &avp)
                },
            ),
        ]
    }
}

/// `name` of `$avp(name)`.
fn avp_name(text: &str) -> Option<String> {
    text.strip_prefix("$avp(")
        .and_then(|s| s.strip_suffix(')'))
        .map(str::to_owned)
}
