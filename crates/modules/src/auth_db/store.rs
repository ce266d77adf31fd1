//! Where `auth_db` reads subscribers: a small lookup trait with one implementation per
//! `db_url` scheme, so the digest flow does not care which database holds the rows.

use siplua_core::module::InitEnv;
use siplua_db::{Db, DbValue};

use crate::db_text::TextDb;

/// Rows as optional strings (NULL is `None`).
pub type Rows = Vec<Vec<Option<String>>>;

/// A database `auth_db` can read.
pub trait Store: Send + Sync {
    /// The `columns` of the rows of `table` where every `filter` column equals its value.
    fn select(
        &self,
        table: &str,
        columns: &[&str],
        filter: &[(&str, &str)],
    ) -> Result<Rows, String>;

    /// The version recorded for `table` in the `version` table.
    fn version(&self, table: &str) -> Result<Option<i64>, String>;
}

impl Store for TextDb {
    fn select(
        &self,
        table: &str,
        columns: &[&str],
        filter: &[(&str, &str)],
    ) -> Result<Rows, String> {
        TextDb::select(self, table, columns, filter)
    }

    fn version(&self, table: &str) -> Result<Option<i64>, String> {
        TextDb::version(self, table)
    }
}

/// A table or column name safe to put into SQL (they come from the configuration and the
/// script, never from the network, but a typo must not become an injection).
fn ident(name: &str) -> Result<String, String> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(format!("`{name}`"))
    } else {
        Err(format!("bad table or column name {name:?}"))
    }
}

impl Store for Db {
    fn select(
        &self,
        table: &str,
        columns: &[&str],
        filter: &[(&str, &str)],
    ) -> Result<Rows, String> {
        let cols = columns
            .iter()
            .map(|c| ident(c))
            .collect::<Result<Vec<_>, _>>()?
            .join(", ");
        let mut sql = format!("SELECT {cols} FROM {}", ident(table)?);
        let mut params = Vec::new();
        for (i, (c, v)) in filter.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(&format!("{} = ?", ident(c)?));
            params.push(DbValue::from(*v));
        }
        let rows = self.query(&sql, &params).map_err(|e| e.to_string())?;
        Ok(rows
            .iter()
            .map(|r| (0..columns.len()).map(|i| r.get_str(i)).collect())
            .collect())
    }

    fn version(&self, table: &str) -> Result<Option<i64>, String> {
        let rows = self
            .query(
                "SELECT table_version FROM version WHERE table_name = ?",
                &[DbValue::from(table)],
            )
            .map_err(|e| e.to_string())?;
        Ok(rows.first().and_then(|r| r.get_i64(0)))
    }
}

/// Opens the store a `db_url` names: `text://` through `db_text`, `sqlite://` through
/// `db_sqlite`, `mysql://` through `db_mysql` (each needs its module loaded, as in OpenSIPS). `module` names the module whose
/// parameter it is, for messages (auth_db, domain and alias_db share this).
pub fn open(env: &InitEnv, module: &str, url: &str) -> Result<Box<dyn Store>, String> {
    let scheme = url.split("://").next().unwrap_or("");
    match scheme {
        "text" => {
            if !env.loaded.iter().any(|m| m == "db_text") {
                return Err(format!(
                    "can't find database module for text ({module} db_url {url:?}): add loadmodule \"db_text.so\""
                ));
            }
            Ok(Box::new(TextDb::open(url)?))
        }
        _ => Ok(Box::new(crate::sql::open(env, module, url)?)),
    }
}
