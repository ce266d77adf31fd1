//! Where `auth_db` reads subscribers: a small lookup trait with one implementation per
//! `db_url` scheme, so the digest flow does not care which database holds the rows.

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

/// Opens the store a `db_url` names; `loaded` are the loaded modules (a scheme needs its
/// driver module, as in OpenSIPS).
pub fn open(url: &str, loaded: &[String]) -> Result<Box<dyn Store>, String> {
    let scheme = url.split("://").next().unwrap_or("");
    let need = |module: &str| {
        if loaded.iter().any(|m| m == module) {
            Ok(())
        } else {
            Err(format!("db_url {url:?} needs loadmodule \"{module}.so\""))
        }
    };
    match scheme {
        "text" => {
            need("db_text")?;
            Ok(Box::new(TextDb::open(url)?))
        }
        other => Err(format!(
            "db_url scheme {other:?} is not supported (supported: text)"
        )),
    }
}
