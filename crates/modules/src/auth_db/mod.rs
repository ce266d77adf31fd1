//! `auth_db`: digest authentication against the OpenSIPS `subscriber` table —
//! `www_authorize`, `proxy_authorize`, `db_is_to_authorized`, `db_is_from_authorized`,
//! `db_does_uri_exist`, `db_get_auth_id` — over the store `db_url` names (`text://` with db_text, `mysql://` with db_mysql).

pub mod columns;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::log::{emit, level};
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::{RouteMask, RouteType};
use siplua_core::value::Value;
use siplua_script::AssignOp;
use siplua_sip::Uri;

use crate::auth::api::{self, AuthApi, Kind, Lookup};
use crate::auth::credentials::Credentials;
use crate::auth::digest::{self, Algorithm};
use columns::{parse_load_credentials, Columns};
use store::Store;

/// The subscriber table versions this module reads (3.0/3.1 and 3.2+ layouts).
const SUBSCRIBER_VERSIONS: &[i64] = &[7, 8];

/// The module.
pub struct AuthDb {
    db_url: String,
    columns: Columns,
    load_credentials: Vec<(String, String)>,
    skip_version_check: bool,
    uri_user: String,
    uri_domain: String,
    uri_uriuser: String,
    shared: Option<Arc<Shared>>,
}

impl Default for AuthDb {
    fn default() -> Self {
        AuthDb {
            db_url: "mysql://opensipsro:opensipsro@localhost/opensips".into(),
            columns: Columns::default(),
            load_credentials: Vec::new(),
            skip_version_check: false,
            uri_user: "username".into(),
            uri_domain: "domain".into(),
            uri_uriuser: "uri_user".into(),
            shared: None,
        }
    }
}

/// What the functions share once loaded.
struct Shared {
    auth: Arc<AuthApi>,
    store: Box<dyn Store>,
    columns: Columns,
    load_credentials: Vec<(String, String)>,
    skip_version_check: bool,
    uri_columns: [String; 3],
    /// Tables whose version was checked (and the verdict).
    checked: Mutex<HashMap<String, bool>>,
}

const fn p(name: &'static str, kind: ModParamKind) -> ModParamSpec {
    ModParamSpec { name, kind }
}

const PARAMS: &[ModParamSpec] = &[
    p("db_url", ModParamKind::Str),
    p("calculate_ha1", ModParamKind::Int),
    p("use_domain", ModParamKind::Int),
    p("load_credentials", ModParamKind::Str),
    p("skip_version_check", ModParamKind::Int),
    p("user_column", ModParamKind::Str),
    p("domain_column", ModParamKind::Str),
    p("password_column", ModParamKind::Str),
    p("password_column_2", ModParamKind::Str),
    p("hash_column_sha256", ModParamKind::Str),
    p("hash_column_sha512t256", ModParamKind::Str),
    p("uri_user_column", ModParamKind::Str),
    p("uri_domain_column", ModParamKind::Str),
    p("uri_uriuser_column", ModParamKind::Str),
];

const REQUEST: RouteMask = RouteMask::of(&[RouteType::Request]);

impl Module for AuthDb {
    fn name(&self) -> &'static str {
        "auth_db"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let s = value.as_str();
        let c = &mut self.columns;
        match name {
            "db_url" => self.db_url = s,
            "calculate_ha1" => c.calculate_ha1 = value.as_int() != 0,
            "use_domain" => c.use_domain = value.as_int() != 0,
            "load_credentials" => self.load_credentials = parse_load_credentials(&s)?,
            "skip_version_check" => self.skip_version_check = value.as_int() != 0,
            "user_column" => c.user = s,
            "domain_column" => c.domain = s,
            "password_column" => c.password = Some(s),
            "password_column_2" => c.password_2 = s,
            "hash_column_sha256" => c.sha256 = s,
            "hash_column_sha512t256" => c.sha512t256 = s,
            "uri_user_column" => self.uri_user = s,
            "uri_domain_column" => self.uri_domain = s,
            "uri_uriuser_column" => self.uri_uriuser = s,
            _ => return Err(format!("module auth_db has no parameter {name}")),
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["auth"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let auth = env
            .apis
            .get::<AuthApi>()
            .ok_or("auth_db needs the auth module loaded before it")?;
        let store = store::open(env, "auth_db", &self.db_url)?;
        self.shared = Some(Arc::new(Shared {
            auth,
            store,
            columns: self.columns.clone(),
            load_credentials: self.load_credentials.clone(),
            skip_version_check: self.skip_version_check,
            uri_columns: [
                self.uri_user.clone(),
                self.uri_domain.clone(),
                self.uri_uriuser.clone(),
            ],
            checked: Mutex::new(HashMap::new()),
        }));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let Some(shared) = self.shared.clone() else {
            return Vec::new();
        };
        let authorize = |kind: Kind| {
            let s = shared.clone();
            move |ctx: &mut Context, args: &Args| {
                let realm = args.str(ctx, 0).unwrap_or_default().into_owned();
                let table = args.str(ctx, 1).unwrap_or_default().into_owned();
                s.authorize(ctx, &realm, &table, kind)
            }
        };
        let two = |a: &'static str, b: &'static str| {
            vec![
                ParamSpec::req(a, ParamKind::Str),
                ParamSpec::req(b, ParamKind::Str),
            ]
        };
        let (s1, s2, s3, s4) = (
            shared.clone(),
            shared.clone(),
            shared.clone(),
            shared.clone(),
        );
        vec![
            FunctionDecl::new(
                "www_authorize",
                two("realm", "table"),
                REQUEST,
                authorize(Kind::Www),
            ),
            FunctionDecl::new(
                "proxy_authorize",
                two("realm", "table"),
                REQUEST,
                authorize(Kind::Proxy),
            ),
            FunctionDecl::new(
                "db_is_to_authorized",
                vec![ParamSpec::req("table", ParamKind::Str)],
                REQUEST,
                move |ctx: &mut Context, args: &Args| {
                    let table = args.str(ctx, 0).unwrap_or_default().into_owned();
                    s1.is_authorized(ctx, &table, true)
                },
            ),
            FunctionDecl::new(
                "db_is_from_authorized",
                vec![ParamSpec::req("table", ParamKind::Str)],
                REQUEST,
                move |ctx: &mut Context, args: &Args| {
                    let table = args.str(ctx, 0).unwrap_or_default().into_owned();
                    s2.is_authorized(ctx, &table, false)
                },
            ),
            FunctionDecl::new(
                "db_does_uri_exist",
                two("uri", "table"),
                REQUEST,
                move |ctx: &mut Context, args: &Args| {
                    let uri = args.str(ctx, 0).unwrap_or_default().into_owned();
                    let table = args.str(ctx, 1).unwrap_or_default().into_owned();
                    s3.uri_exists(&uri, &table)
                },
            ),
            FunctionDecl::new(
                "db_get_auth_id",
                vec![
                    ParamSpec::req("table", ParamKind::Str),
                    ParamSpec::req("uri", ParamKind::Str),
                    ParamSpec::req("auth_user", ParamKind::Var),
                    ParamSpec::req("auth_realm", ParamKind::Var),
                ],
                REQUEST,
                move |ctx: &mut Context, args: &Args| s4.get_auth_id(ctx, args),
            ),
        ]
    }
}

impl Shared {
    /// False (logged once) when the table's version is not one this module reads.
    fn version_ok(&self, table: &str) -> bool {
        if self.skip_version_check {
            return true;
        }
        if let Some(ok) = self.checked.lock().get(table) {
            return *ok;
        }
        let ok = match self.store.version(table) {
            Ok(Some(v)) if SUBSCRIBER_VERSIONS.contains(&v) => true,
            Ok(v) => {
                emit(
                    level::ERR,
                    "auth_db",
                    &format!(
                        "table {table} has version {v:?}, expected one of {SUBSCRIBER_VERSIONS:?} \
                         (set skip_version_check for a custom table)"
                    ),
                );
                false
            }
            Err(e) => {
                emit(
                    level::ERR,
                    "auth_db",
                    &format!("cannot read the version of {table}: {e}"),
                );
                return false;
            }
        };
        self.checked.lock().insert(table.to_owned(), ok);
        ok
    }

    fn authorize(&self, ctx: &mut Context, realm: &str, table: &str, kind: Kind) -> i32 {
        if !self.version_ok(table) {
            return api::code::AUTH_ERROR;
        }
        // The `load_credentials` columns come with the HA1, in the same query (as OpenSIPS
        // reads them), and become AVPs once the response checks out.
        let mut loaded = Vec::new();
        let mut lookup = |_: &mut Context, c: &Credentials, realm: &str, alg: Algorithm| {
            self.ha1(c, realm, alg, table, &mut loaded)
        };
        let rc = self.auth.authorize(ctx, realm, kind, &mut lookup);
        if rc == api::code::AUTHORIZED {
            for ((avp, _), v) in self.load_credentials.iter().zip(loaded) {
                if let Some(v) = v {
                    ctx.avps.add(avp, Value::Str(v));
                }
            }
        }
        rc
    }

    /// The HA1 for the credentials; `loaded` receives the row's `load_credentials` columns.
    fn ha1(
        &self,
        c: &Credentials,
        realm: &str,
        alg: Algorithm,
        table: &str,
        loaded: &mut Vec<Option<String>>,
    ) -> Lookup {
        let domain = if c.domain().is_empty() {
            realm
        } else {
            c.domain()
        };
        let mut columns = vec![self.columns.secret_column(c, alg)];
        columns.extend(self.load_credentials.iter().map(|(_, col)| col.as_str()));
        let rows = match self
            .store
            .select(table, &columns, &self.columns.filter(c.user(), domain))
        {
            Ok(r) => r,
            Err(e) => return Lookup::Error(e),
        };
        let Some(mut row) = rows.into_iter().next() else {
            return Lookup::UnknownUser;
        };
        let extra = row.split_off(1.min(row.len()));
        let Some(secret) = row.pop().flatten().filter(|s| !s.is_empty()) else {
            return Lookup::UnknownUser;
        };
        *loaded = extra;
        if self.columns.calculate_ha1 {
            Lookup::Ha1(digest::ha1(alg, &c.username, realm, &secret))
        } else {
            Lookup::Ha1(secret)
        }
    }

    /// `db_is_to_authorized` / `db_is_from_authorized`: the To (From) URI belongs to the
    /// authorized user — same user (and host, with `use_domain`), or a row of `table`
    /// (the `uri` table) mapping the user to that URI user.
    fn is_authorized(&self, ctx: &Context, table: &str, to: bool) -> i32 {
        let Some(msg) = ctx.msg.as_ref() else {
            return -1;
        };
        let Some(c) = api::authorized_credentials(ctx, "auth_db") else {
            return -1;
        };
        let hdr = if to { msg.to() } else { msg.from() };
        let Ok(hdr) = hdr else {
            return -1;
        };
        let uri = hdr.uri();
        let (uuser, uhost) = (uri.user().unwrap_or(""), uri.host());
        let cred_domain = if c.domain().is_empty() {
            c.realm.as_str()
        } else {
            c.domain()
        };
        let domain_ok = !self.columns.use_domain || cred_domain.eq_ignore_ascii_case(uhost);
        if domain_ok && c.user() == uuser {
            return 1;
        }
        let [u, d, uu] = &self.uri_columns;
        let mut filter = vec![(u.as_str(), c.user()), (uu.as_str(), uuser)];
        if self.columns.use_domain {
            filter.push((d.as_str(), uhost));
        }
        match self.store.select(table, &[u.as_str()], &filter) {
            Ok(rows) if !rows.is_empty() => 1,
            Ok(_) => -1,
            Err(e) => {
                emit(level::ERR, "auth_db", &e);
                -1
            }
        }
    }

    /// `db_does_uri_exist(uri, table)`: a row for the URI's user (and host with
    /// `use_domain`) exists.
    fn uri_exists(&self, uri: &str, table: &str) -> i32 {
        let Ok(u) = Uri::parse(uri.trim()) else {
            return -1;
        };
        let user = u.user().unwrap_or("");
        match self.store.select(
            table,
            &[self.columns.user.as_str()],
            &self.columns.filter(user, u.host()),
        ) {
            Ok(rows) if !rows.is_empty() => 1,
            Ok(_) => -1,
            Err(e) => {
                emit(level::ERR, "auth_db", &e);
                -1
            }
        }
    }

    /// `db_get_auth_id(table, uri, auth_user, auth_realm)`: the credentials of the
    /// subscriber a URI names, stored into the two variables.
    fn get_auth_id(&self, ctx: &mut Context, args: &Args) -> i32 {
        let table = args.str(ctx, 0).unwrap_or_default().into_owned();
        let uri = args.str(ctx, 1).unwrap_or_default().into_owned();
        let Ok(u) = Uri::parse(uri.trim()) else {
            return -1;
        };
        let (user, host) = (u.user().unwrap_or("").to_owned(), u.host().to_owned());
        let cols = [self.columns.user.as_str(), self.columns.domain.as_str()];
        let row = match self
            .store
            .select(&table, &cols, &self.columns.filter(&user, &host))
        {
            Ok(rows) => rows.into_iter().next(),
            Err(e) => {
                emit(level::ERR, "auth_db", &e);
                return -1;
            }
        };
        let Some(row) = row else {
            return -1;
        };
        for (i, v) in row.into_iter().enumerate() {
            if let Some(pv) = args.pv(2 + i) {
                let value = v.map_or(Value::Null, Value::Str);
                if pv.set(ctx, AssignOp::Set, value).is_err() {
                    return -1;
                }
            }
        }
        1
    }
}
