//! The checks of OpenSIPS 2.x's `uri` module that read the digest credentials or the
//! database: `is_user`, `db_check_to`/`db_check_from`, `db_does_uri_exist`,
//! `db_get_auth_id`. Return codes are OpenSIPS': 1, or -1 internal error, -2 no authorized
//! credentials, -4 user not found, -5 no row, -8 query error, -9 spoofed user (the `uri`
//! table has no such pair), -10 the usernames differ.

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::log::{emit, level};
use siplua_core::value::Value;
use siplua_script::AssignOp;
use siplua_sip::Uri;

use crate::auth::api::authorized_credentials;
use crate::auth_db::store::Store;

const ERR_INTERNAL: i32 = -1;
const ERR_CREDENTIALS: i32 = -2;
const ERR_USERNOTFOUND: i32 = -4;
const ERR_DBEMPTYRES: i32 = -5;
const ERR_DBQUERY: i32 = -8;
const ERR_SPOOFEDUSER: i32 = -9;
const ERR_NOMATCH: i32 = -10;

/// The module parameters the checks read (OpenSIPS' defaults).
#[derive(Clone, Debug)]
pub struct Settings {
    /// `db_table`.
    pub table: String,
    /// `user_column`.
    pub user_column: String,
    /// `domain_column`.
    pub domain_column: String,
    /// `uriuser_column`.
    pub uriuser_column: String,
    /// `use_uri_table`: check against the `uri` table instead of the digest username.
    pub use_uri_table: bool,
    /// `use_domain`: match the domain column too (`db_does_uri_exist`, `db_get_auth_id`).
    pub use_domain: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            table: "subscriber".into(),
            user_column: "username".into(),
            domain_column: "domain".into(),
            uriuser_column: "uri_user".into(),
            use_uri_table: false,
            use_domain: false,
        }
    }
}

/// The settings and the database of `db_url` (none when it is not set).
pub struct Checks {
    settings: Settings,
    store: Option<Box<dyn Store>>,
}

type Fixup = Box<dyn Fn(&mut [PreparedArg]) -> Result<(), String> + Send + Sync>;

impl Checks {
    /// Checks over `store`.
    pub fn new(settings: Settings, store: Option<Box<dyn Store>>) -> Checks {
        Checks { settings, store }
    }

    /// A load-time check that `db_url` is set, for the functions that always query.
    pub fn needs_db(&self, module: &'static str, function: &'static str) -> Fixup {
        let missing = self.store.is_none();
        Box::new(move |_| {
            if missing {
                Err(format!(
                    "{function} needs a database: set modparam(\"{module}\", \"db_url\", ...)"
                ))
            } else {
                Ok(())
            }
        })
    }

    /// The same for `db_check_to`/`db_check_from`, which query only with `use_uri_table`.
    pub fn needs_db_for_uri_table(&self, module: &'static str, function: &'static str) -> Fixup {
        let missing = self.store.is_none() && self.settings.use_uri_table;
        Box::new(move |_| {
            if missing {
                Err(format!(
                    "{function} with use_uri_table needs a database: set modparam(\"{module}\", \"db_url\", ...)"
                ))
            } else {
                Ok(())
            }
        })
    }

    /// `is_user(name)`: the authorized digest username (its user part) is exactly `name`.
    pub fn is_user(&self, ctx: &mut Context, args: &Args) -> i32 {
        let want = args.str(ctx, 0).unwrap_or_default().into_owned();
        match authorized_credentials(ctx, "uri") {
            Some(c) if !c.user().is_empty() && c.user() == want => 1,
            _ => -1,
        }
    }

    /// `db_check_to()` / `db_check_from()`: the To (From) URI's user is the authorized
    /// digest user (case-insensitive), or with `use_uri_table` a row of the table pairs the
    /// digest user and realm with that URI user.
    pub fn check_header(&self, ctx: &mut Context, to: bool) -> i32 {
        let Some(msg) = ctx.msg.as_ref() else {
            return ERR_INTERNAL;
        };
        let header = if to { msg.to() } else { msg.from() };
        let Ok(header) = header else {
            return ERR_INTERNAL;
        };
        let uri_user = header.uri().user().unwrap_or("").to_owned();
        let Some(c) = authorized_credentials(ctx, "uri") else {
            return ERR_CREDENTIALS;
        };
        if uri_user.is_empty() {
            return ERR_USERNOTFOUND;
        }
        let s = &self.settings;
        if !s.use_uri_table {
            return if c.user().eq_ignore_ascii_case(&uri_user) {
                1
            } else {
                ERR_NOMATCH
            };
        }
        let realm = if c.domain().is_empty() {
            c.realm.as_str()
        } else {
            c.domain()
        };
        let filter = [
            (s.user_column.as_str(), c.user()),
            (s.domain_column.as_str(), realm),
            (s.uriuser_column.as_str(), uri_user.as_str()),
        ];
        match self.select(&[s.user_column.as_str()], &filter) {
            Ok(rows) if rows.is_empty() => ERR_SPOOFEDUSER,
            Ok(_) => 1,
            Err(()) => ERR_DBQUERY,
        }
    }

    /// `db_does_uri_exist()`: a row for the Request-URI's user (the `uri_user` column with
    /// `use_uri_table`) and, with `use_domain`, its host.
    pub fn uri_exists(&self, ctx: &mut Context) -> i32 {
        let Some(ruri) = ctx.ruri().map(str::to_owned) else {
            return ERR_INTERNAL;
        };
        let Ok(uri) = Uri::parse(&ruri) else {
            return ERR_INTERNAL;
        };
        let s = &self.settings;
        let key = if s.use_uri_table {
            &s.uriuser_column
        } else {
            &s.user_column
        };
        let filter = self.user_filter(key, uri.user().unwrap_or(""), uri.host());
        match self.select(&[key.as_str()], &filter) {
            Ok(rows) if rows.is_empty() => ERR_DBEMPTYRES,
            Ok(_) => 1,
            Err(()) => ERR_USERNOTFOUND,
        }
    }

    /// `db_get_auth_id(uri, auth_user, auth_realm)`: the subscriber (or, with
    /// `use_uri_table`, the owner of the URI user) a URI names; its username and domain go
    /// into the two variables.
    pub fn get_auth_id(&self, ctx: &mut Context, args: &Args) -> i32 {
        let text = args.str(ctx, 0).unwrap_or_default().into_owned();
        let Ok(uri) = Uri::parse(text.trim()) else {
            emit(
                level::ERR,
                "uri",
                &format!("db_get_auth_id: the first parameter must be a URI, got {text:?}"),
            );
            return ERR_INTERNAL;
        };
        let s = &self.settings;
        let key = if s.use_uri_table {
            &s.uriuser_column
        } else {
            &s.user_column
        };
        let filter = self.user_filter(key, uri.user().unwrap_or(""), uri.host());
        let cols = [s.user_column.as_str(), s.domain_column.as_str()];
        let row = match self.select(&cols, &filter) {
            Ok(rows) => rows.into_iter().next(),
            Err(()) => return ERR_DBQUERY,
        };
        let Some(row) = row else {
            return ERR_USERNOTFOUND;
        };
        for (i, v) in row.into_iter().enumerate() {
            let Some(pv) = args.pv(1 + i) else {
                return ERR_INTERNAL;
            };
            if pv
                .set(ctx, AssignOp::Set, Value::Str(v.unwrap_or_default()))
                .is_err()
            {
                return ERR_INTERNAL;
            }
        }
        1
    }

    /// `key = user`, and `domain = host` with `use_domain`.
    fn user_filter<'a>(
        &'a self,
        key: &'a str,
        user: &'a str,
        host: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        let mut f = vec![(key, user)];
        if self.settings.use_domain {
            f.push((self.settings.domain_column.as_str(), host));
        }
        f
    }

    /// The `columns` of `db_table`'s rows matching `filter` (an error is logged).
    fn select(
        &self,
        columns: &[&str],
        filter: &[(&str, &str)],
    ) -> Result<crate::auth_db::store::Rows, ()> {
        let Some(store) = &self.store else {
            return Err(());
        };
        store
            .select(&self.settings.table, columns, filter)
            .map_err(|e| emit(level::ERR, "uri", &e))
    }
}
