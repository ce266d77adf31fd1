//! Opens the SQL database a module's `db_url` names, by scheme: `sqlite://` through
//! `db_sqlite`, anything else through `db_mysql` (which names the scheme it cannot serve).

use siplua_core::module::InitEnv;
use siplua_db::Db;

/// The [`Db`] of `url` for `module` (named in errors); each backend needs its module loaded.
pub fn open(env: &InitEnv, module: &str, url: &str) -> Result<Db, String> {
    if url.starts_with("sqlite://") {
        crate::db_sqlite::open(env, module, url)
    } else {
        crate::db_mysql::open(env, module, url)
    }
}
