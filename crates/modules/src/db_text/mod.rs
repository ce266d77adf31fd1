//! `db_text`: OpenSIPS' plain-text database — a directory with one file per table — so
//! that `auth_db` (and later other modules) can keep data without a database server
//! (`db_url = "text:///etc/siplua/db"`).
//!
//! Tables are read when first used and read again when their file changes, so an operator
//! edits the file and the next request sees it. Writes are not supported yet.

pub mod table;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;

use siplua_core::module::{ModParamKind, ModParamSpec, ModParamValue, Module};
use table::Table;

/// The module: only its parameters; databases are opened by the modules that name them.
#[derive(Default)]
pub struct DbText;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "db_mode",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "buffer_size",
        kind: ModParamKind::Int,
    },
];

impl Module for DbText {
    fn name(&self) -> &'static str {
        "db_text"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    /// `db_mode` (write-back policy) and `buffer_size` are accepted; with no writes they
    /// change nothing.
    fn set_param(&mut self, _name: &str, _value: ModParamValue) -> Result<(), String> {
        Ok(())
    }
}

/// Tables read so far, with the modification time of their file then.
type Cache = HashMap<String, (Option<SystemTime>, Arc<Table>)>;

/// One db_text database: a directory of table files.
pub struct TextDb {
    dir: PathBuf,
    cache: Mutex<Cache>,
}

impl TextDb {
    /// Opens `text:///dir` (or `text://dir`); the directory must exist.
    pub fn open(url: &str) -> Result<TextDb, String> {
        let path = url
            .strip_prefix("text://")
            .ok_or_else(|| format!("not a db_text URL: {url:?}"))?;
        let dir = PathBuf::from(path);
        if !dir.is_dir() {
            return Err(format!(
                "db_text directory {} does not exist",
                dir.display()
            ));
        }
        Ok(TextDb {
            dir,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The table, read again when its file changed.
    pub fn table(&self, name: &str) -> Result<Arc<Table>, String> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(format!("bad table name {name:?}"));
        }
        let path = self.dir.join(name);
        let mtime = std::fs::metadata(&path)
            .map_err(|e| format!("table {}: {e}", path.display()))?
            .modified()
            .ok();
        let mut cache = self.cache.lock();
        if let Some((t, table)) = cache.get(name) {
            if *t == mtime && mtime.is_some() {
                return Ok(table.clone());
            }
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("table {}: {e}", path.display()))?;
        let table =
            Arc::new(Table::parse(&text).map_err(|e| format!("table {}: {e}", path.display()))?);
        cache.insert(name.to_owned(), (mtime, table.clone()));
        Ok(table)
    }

    /// The `columns` of rows whose `filter` columns equal the given values
    /// (case-insensitive, as MySQL's default collation compares).
    pub fn select(
        &self,
        table: &str,
        columns: &[&str],
        filter: &[(&str, &str)],
    ) -> Result<Vec<Vec<Option<String>>>, String> {
        let t = self.table(table)?;
        let index = |c: &str| {
            t.column(c)
                .ok_or_else(|| format!("table {table} has no column {c}"))
        };
        let want = columns
            .iter()
            .map(|c| index(c))
            .collect::<Result<Vec<_>, _>>()?;
        let conds = filter
            .iter()
            .map(|(c, v)| index(c).map(|i| (i, *v)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(t.rows
            .iter()
            .filter(|row| {
                conds.iter().all(|(i, v)| {
                    row[*i]
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(v))
                })
            })
            .map(|row| want.iter().map(|i| row[*i].clone()).collect())
            .collect())
    }

    /// The version recorded for `table` in the `version` table, if any.
    pub fn version(&self, table: &str) -> Result<Option<i64>, String> {
        let rows = self.select("version", &["table_version"], &[("table_name", table)])?;
        Ok(rows
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .and_then(|v| v.trim().parse().ok()))
    }
}
