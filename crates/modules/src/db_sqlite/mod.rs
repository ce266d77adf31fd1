//! `db_sqlite`: the SQLite driver modules with a `db_url` of `sqlite:///path/to/file.db`
//! reach through [`open`] (dispatched by [`crate::sql::open`]).
//!
//! As in OpenSIPS, the file path is everything after `sqlite:/`, so `sqlite:///var/db/x.db`
//! is `/var/db/x.db` (and `sqlite://x.db` is `/x.db`). Unlike OpenSIPS, which lets SQLite
//! create a missing file (on which every query then fails), a missing or non-SQLite file is
//! a start-up error. Parameters: `busy_timeout` (ms, default 500), `exec_pragma` (run as
//! `PRAGMA <value>` on the connection; may be given several times), `alloc_limit` (accepted:
//! results are read whole, there is nothing to size). `load_extension` is refused: loading
//! native code into the server is not offered.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_db::{Db, SqliteOptions};

/// The module: the options every database file it opens uses.
#[derive(Default)]
pub struct DbSqlite {
    opts: SqliteOptions,
}

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "alloc_limit",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "busy_timeout",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "exec_pragma",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "load_extension",
        kind: ModParamKind::Str,
    },
];

/// What the module publishes for [`open`].
struct DbSqliteApi(SqliteOptions);

impl Module for DbSqlite {
    fn name(&self) -> &'static str {
        "db_sqlite"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "alloc_limit" if value.as_int() <= 0 => {
                Err(format!("alloc_limit must be > 0, got {}", value.as_int()))
            }
            "busy_timeout" if value.as_int() < 0 => {
                Err(format!("busy_timeout must be >= 0, got {}", value.as_int()))
            }
            "busy_timeout" => {
                self.opts.busy_timeout = Duration::from_millis(value.as_int() as u64);
                Ok(())
            }
            "exec_pragma" => {
                let p = value.as_str();
                if p.trim().is_empty() || p.contains(';') {
                    return Err(format!("exec_pragma: bad pragma {p:?}"));
                }
                self.opts.pragmas.push(p);
                Ok(())
            }
            "load_extension" => {
                Err("load_extension: loading SQLite extensions is not supported".into())
            }
            _ => Ok(()),
        }
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        env.apis.publish(Arc::new(DbSqliteApi(self.opts.clone())));
        Ok(())
    }
}

/// The file an `sqlite://` URL names: everything after `sqlite:/`, as OpenSIPS reads it.
pub fn path_of(url: &str) -> Result<PathBuf, String> {
    let rest = url
        .strip_prefix("sqlite://")
        .ok_or_else(|| format!("not an sqlite:// URL: {url:?}"))?;
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() || rest.ends_with('/') {
        return Err(format!("no database file in {url:?}"));
    }
    Ok(PathBuf::from(format!("/{rest}")))
}

/// Opens the SQLite file a module's `db_url` names, checking that `db_sqlite` is loaded (the
/// error OpenSIPS gives otherwise). When `db_sqlite` is loaded after the calling module its
/// parameters are not known yet and the defaults apply (load it first, as configs do).
pub fn open(env: &InitEnv, module: &str, db_url: &str) -> Result<Db, String> {
    let path = path_of(db_url).map_err(|e| format!("{module}: bad db_url: {e}"))?;
    if !env.loaded.iter().any(|n| n == "db_sqlite") {
        return Err(format!(
            "can't find database module for sqlite ({module} db_url): add loadmodule \"db_sqlite.so\""
        ));
    }
    let opts = env
        .apis
        .get::<DbSqliteApi>()
        .map_or_else(SqliteOptions::default, |api| api.0.clone());
    Db::open_sqlite(&path, &opts).map_err(|e| format!("{module}: {e}"))
}

#[cfg(test)]
mod tests {
    use siplua_core::load::{load_str, Overrides};

    use super::path_of;

    fn load(cfg: &str) -> Result<(), Vec<String>> {
        load_str("t.cfg", cfg, crate::CATALOGUE, &Overrides::default()).map(drop)
    }

    #[test]
    fn url_paths_as_opensips_reads_them() {
        assert_eq!(
            path_of("sqlite:///var/lib/opensips.db").unwrap(),
            std::path::Path::new("/var/lib/opensips.db")
        );
        assert_eq!(
            path_of("sqlite://x.db").unwrap(),
            std::path::Path::new("/x.db")
        );
        for bad in ["sqlite://", "sqlite:///", "sqlite:///dir/", "mysql://h/db"] {
            assert!(path_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn opensips_params_load() {
        load(
            "loadmodule \"proto_udp.so\"\n\
             loadmodule \"db_sqlite.so\"\n\
             modparam(\"db_sqlite\", \"alloc_limit\", 25)\n\
             modparam(\"db_sqlite\", \"busy_timeout\", 1000)\n\
             modparam(\"db_sqlite\", \"exec_pragma\", \"foreign_keys = 1\")\n\
             modparam(\"db_sqlite\", \"exec_pragma\", \"journal_mode = WAL\")\n\
             route { exit; }\n",
        )
        .unwrap();
    }

    #[test]
    fn refused_params_are_config_errors() {
        for bad in [
            "modparam(\"db_sqlite\", \"load_extension\", \"/usr/lib/pcre.so;sqlite3_extension_init\")",
            "modparam(\"db_sqlite\", \"alloc_limit\", 0)",
            "modparam(\"db_sqlite\", \"busy_timeout\", -1)",
            "modparam(\"db_sqlite\", \"exec_pragma\", \"a=1; DROP TABLE x\")",
        ] {
            let e = load(&format!(
                "loadmodule \"db_sqlite.so\"\n{bad}\nroute {{ exit; }}\n"
            ))
            .unwrap_err();
            assert!(e[0].contains("t.cfg:2"), "{e:?}");
        }
    }
}
