//! The schema files of `etc/schema/mysql/`, embedded so `siplua db init` works on an
//! installed binary, and [`init`], which runs them.
//!
//! The files are written to be run again safely (`CREATE TABLE IF NOT EXISTS`,
//! `INSERT IGNORE INTO version`): tables that exist are kept with their rows.

use crate::{Db, DbError};

/// Every schema file by name, `standard-create.sql` (the `version` table) first.
pub const SCHEMA_FILES: &[(&str, &str)] = &[
    (
        "standard-create.sql",
        include_str!("../../../etc/schema/mysql/standard-create.sql"),
    ),
    (
        "usrloc-create.sql",
        include_str!("../../../etc/schema/mysql/usrloc-create.sql"),
    ),
    (
        "acc-create.sql",
        include_str!("../../../etc/schema/mysql/acc-create.sql"),
    ),
    (
        "auth_db-create.sql",
        include_str!("../../../etc/schema/mysql/auth_db-create.sql"),
    ),
    (
        "domain-create.sql",
        include_str!("../../../etc/schema/mysql/domain-create.sql"),
    ),
    (
        "alias_db-create.sql",
        include_str!("../../../etc/schema/mysql/alias_db-create.sql"),
    ),
    (
        "permissions-create.sql",
        include_str!("../../../etc/schema/mysql/permissions-create.sql"),
    ),
    (
        "avpops-create.sql",
        include_str!("../../../etc/schema/mysql/avpops-create.sql"),
    ),
];

/// What [`init`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct InitReport {
    /// Tables created now.
    pub created: Vec<String>,
    /// Tables of the schema that were there already (left as they were).
    pub kept: Vec<String>,
}

/// Creates every table of [`SCHEMA_FILES`] that is missing and records its version.
pub fn init(db: &Db) -> Result<InitReport, DbError> {
    let before = tables(db)?;
    let mut report = InitReport::default();
    for (_, sql) in SCHEMA_FILES {
        for stmt in statements(sql) {
            db.exec(stmt, &[])?;
            if let Some(table) = created_table(stmt) {
                if before.iter().any(|t| t == table) {
                    report.kept.push(table.to_owned());
                } else {
                    report.created.push(table.to_owned());
                }
            }
        }
    }
    Ok(report)
}

/// The tables of the database.
fn tables(db: &Db) -> Result<Vec<String>, DbError> {
    Ok(db
        .query("SHOW TABLES", &[])?
        .iter()
        .filter_map(|r| r.get_str(0))
        .collect())
}

/// The statements of a file: `--` comment lines dropped, split at `;` ending a line.
fn statements(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut pos = 0;
    for line in sql.split_inclusive('\n') {
        let trimmed = line.trim();
        if start.is_none() && !trimmed.is_empty() && !trimmed.starts_with("--") {
            start = Some(pos);
        }
        pos += line.len();
        if let Some(s) = start {
            if trimmed.ends_with(';') {
                let stmt = sql[s..pos].trim();
                out.push(stmt.strip_suffix(';').unwrap_or(stmt).trim_end());
                start = None;
            }
        }
    }
    out
}

/// The table a `CREATE TABLE [IF NOT EXISTS] name (` statement creates.
fn created_table(stmt: &str) -> Option<&str> {
    let rest = stmt.strip_prefix("CREATE TABLE ")?;
    let rest = rest.strip_prefix("IF NOT EXISTS ").unwrap_or(rest);
    rest.split(|c: char| c.is_whitespace() || c == '(').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_split_into_statements() {
        let acc = SCHEMA_FILES
            .iter()
            .find(|f| f.0 == "acc-create.sql")
            .unwrap();
        let stmts = statements(acc.1);
        assert_eq!(stmts.len(), 4);
        assert!(stmts[0].starts_with("INSERT IGNORE INTO version"));
        assert_eq!(created_table(stmts[1]), Some("acc"));
        assert_eq!(created_table(stmts[3]), Some("missed_calls"));
        assert!(stmts
            .iter()
            .all(|s| !s.ends_with(';') && !s.starts_with("--")));
    }

    #[test]
    fn version_table_comes_first() {
        assert_eq!(SCHEMA_FILES[0].0, "standard-create.sql");
        assert_eq!(
            created_table(statements(SCHEMA_FILES[0].1)[0]),
            Some("version")
        );
    }
}
