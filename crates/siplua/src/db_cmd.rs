//! `siplua db init <db_url>` and `siplua db schema`: the tables the SQL modes need, from the
//! schema embedded in the binary (so an installed binary needs no source tree).

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

fn init(db_url: &str, timeout: Duration) -> ExitCode {
    let url = match DbUrl::parse(db_url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("siplua db init: {e}");
            return ExitCode::from(2);
        }
    };
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
