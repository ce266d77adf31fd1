//! `db_mysql`: the MySQL/MariaDB driver modules with a `db_url` reach through [`open`].
//!
//! As in OpenSIPS, a module given a `mysql://` URL fails at start-up when this module is not
//! loaded ("can't find database module"). Parameters: `timeout_interval` (seconds, default
//! 2: bounds every connect, read and write), and, accepted for configs written for OpenSIPS,
//! `exec_query_threshold`, `exec_query_timeout`, `max_db_queries`, `max_db_retries`,
//! `ps_max_col_size` (the pool retries a stale connection once and never waits past the
//! timeout, see `siplua-db`). `use_tls` must be 0: TLS to the server is not offered.

use std::sync::Arc;
use std::time::Duration;

use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};
use siplua_db::{Db, DbUrl};

/// The module.
pub struct DbMysql {
    timeout: Duration,
}

impl Default for DbMysql {
    fn default() -> Self {
        DbMysql {
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// OpenSIPS' default `timeout_interval`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

const fn int(name: &'static str) -> ModParamSpec {
    ModParamSpec {
        name,
        kind: ModParamKind::Int,
    }
}

const PARAMS: &[ModParamSpec] = &[
    int("timeout_interval"),
    int("exec_query_threshold"),
    int("exec_query_timeout"),
    int("max_db_queries"),
    int("max_db_retries"),
    int("ps_max_col_size"),
    int("use_tls"),
];

/// What the module publishes: the settings every connection it opens uses.
pub struct DbMysqlApi {
    timeout: Duration,
}

impl Module for DbMysql {
    fn name(&self) -> &'static str {
        "db_mysql"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let v = value.as_int();
        match name {
            "timeout_interval" if v > 0 => self.timeout = Duration::from_secs(v as u64),
            "timeout_interval" => return Err(format!("timeout_interval must be > 0, got {v}")),
            "use_tls" if v != 0 => {
                return Err("use_tls: TLS to the database is not supported".into())
            }
            _ if v < 0 => return Err(format!("{name} must not be negative, got {v}")),
            _ => {}
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        env.apis.publish(Arc::new(DbMysqlApi {
            timeout: self.timeout,
        }));
        Ok(())
    }
}

/// The `db_url` OpenSIPS modules use when the script sets none (and no `db_default_url`).
pub const OPENSIPS_DEFAULT_URL: &str = "mysql://opensips:opensipsrw@localhost/opensips";

/// The `db_url` of a module: its own parameter, else the global `db_default_url`, else
/// OpenSIPS' built-in default.
pub fn url_or_default(env: &InitEnv, own: Option<&str>) -> String {
    own.map(str::to_owned)
        .or_else(|| env.config.db_default_url.clone())
        .unwrap_or_else(|| OPENSIPS_DEFAULT_URL.to_owned())
}

/// Opens the database a module's `db_url` names, checking that `db_mysql` is loaded (the
/// error OpenSIPS gives otherwise). Lazy: nothing connects until the first query. When
/// `db_mysql` is loaded after the calling module its parameters are not known yet and the
/// defaults apply (load it first, as OpenSIPS configs do).
pub fn open(env: &InitEnv, module: &str, db_url: &str) -> Result<Db, String> {
    let url = DbUrl::parse(db_url).map_err(|e| format!("{module}: {e}"))?;
    if !env.loaded.iter().any(|n| n == "db_mysql") {
        return Err(format!(
            "can't find database module for {} ({module} db_url): add loadmodule \"db_mysql.so\"",
            url.scheme
        ));
    }
    let timeout = env
        .apis
        .get::<DbMysqlApi>()
        .map_or(DEFAULT_TIMEOUT, |api| api.timeout);
    Ok(Db::open(&url, timeout))
}

#[cfg(test)]
mod tests {
    use siplua_core::load::{load_str, Overrides};

    fn load(cfg: &str) -> Result<(), Vec<String>> {
        load_str("t.cfg", cfg, crate::CATALOGUE, &Overrides::default()).map(drop)
    }

    #[test]
    fn opensips_params_load() {
        load(
            "loadmodule \"proto_udp.so\"\n\
             loadmodule \"db_mysql.so\"\n\
             modparam(\"db_mysql\", \"exec_query_threshold\", 60000)\n\
             modparam(\"db_mysql\", \"timeout_interval\", 5)\n\
             modparam(\"db_mysql\", \"max_db_queries\", 3)\n\
             modparam(\"db_mysql\", \"max_db_retries\", 2)\n\
             route { exit; }\n",
        )
        .unwrap();
    }

    #[test]
    fn bad_values_are_config_errors() {
        for bad in [
            "modparam(\"db_mysql\", \"timeout_interval\", 0)",
            "modparam(\"db_mysql\", \"use_tls\", 1)",
        ] {
            let e = load(&format!(
                "loadmodule \"db_mysql.so\"\n{bad}\nroute {{ exit; }}\n"
            ))
            .unwrap_err();
            assert!(e[0].contains("t.cfg:2"), "{e:?}");
        }
    }
}
