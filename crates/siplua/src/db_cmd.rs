//! `siplua db init <db_url>` and `siplua db schema`: the database (created when missing) and
//! the tables the SQL modes need, from the schema embedded in the binary (so an installed
//! binary needs no source tree).

use std::process::ExitCode;
use std::time::Duration;

use siplua_db::{schema, Db, DbUrl};

use crate::cli::DbAction;

/// Runs a `siplua db` action; the exit code says whether it worked.
pub fn run(action: &DbAction) -> ExitCode {
    match action {
        DbAction::Schema => {
            for (name, sql) in schema::SCHEMA_FILES {
                println!("-- {name}\n{sql}");
            }
            ExitCode::SUCCESS
        }
        DbAction::Init { db_url, timeout } => init(db_url, Duration::from_secs(*timeout)),
    }
}

/// Creates the database of `url` when the server does not have it; true when it did.
fn create_database(url: &DbUrl, timeout: Duration) -> Result<bool, String> {
    if url.database.contains('`') {
        return Err(format!("bad database name \"{}\"", url.database));
    }
    let mut server = url.clone();
    server.database = "information_schema".into();
    let server = Db::open(&server, timeout);
    let found = server
        .query(
            "SELECT 1 FROM SCHEMATA WHERE SCHEMA_NAME = ?",
            &[url.database.as_str().into()],
        )
        .map_err(|e| e.to_string())?;
    if !found.is_empty() {
        return Ok(false);
    }
    server
        .exec(&format!("CREATE DATABASE `{}`", url.database), &[])
        .map_err(|e| format!("cannot create database {}: {e}", url.database))?;
    Ok(true)
}

fn init(db_url: &str, timeout: Duration) -> ExitCode {
    let url = match DbUrl::parse(db_url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("siplua db init: {e}");
            return ExitCode::from(2);
        }
    };
    match create_database(&url, timeout) {
        Ok(true) => println!("{url}: created database {}", url.database),
        Ok(false) => {}
        Err(e) => {
            eprintln!("siplua db init: {e}");
            return ExitCode::FAILURE;
        }
    }
    let db = Db::open(&url, timeout);
    match schema::init(&db) {
        Ok(report) => {
            let list = |v: &[String]| {
                if v.is_empty() {
                    "none".to_owned()
                } else {
                    v.join(", ")
                }
            };
            println!(
                "{url}: created {}; kept (already there) {}",
                list(&report.created),
                list(&report.kept)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("siplua db init: {e}");
            ExitCode::FAILURE
        }
    }
}
