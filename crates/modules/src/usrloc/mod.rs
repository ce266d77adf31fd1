//! `usrloc`: the user location service that `registrar` stores bindings in and looks them up
//! from (RFC 3261 §10), in memory and optionally in an SQL `location` table.
//!
//! The module exports no script function: it publishes a [`Usrloc`] API in `init`, which
//! `registrar` (and later the management interface) use. Tables are sharded maps keyed by
//! AOR, so the hot path takes one of 64 small locks. Expired bindings are ignored by lookups
//! at once and swept by a timer thread every `timer_interval` seconds.
//!
//! Parameters: `working_mode_preset` (`single-instance-no-db`, `single-instance-sql-write-through`,
//! `single-instance-sql-write-back`, `sql-only`) or the older `db_mode` (0..3), `db_url`,
//! `nat_bflag`, `timer_interval` (default 60: expiry sweep and write-back flush period),
//! `matching_mode` (0 Contact, 1 Contact and Call-ID), `desc_time_order` (1: lookups give the
//! newest contact first, q not considered), `use_domain` (0, the default: an AOR is
//! the user part alone, as in OpenSIPS; 1: `user@domain`). See docs/storage.md. MI commands: `ul_dump`, `ul_show_contact`, `ul_rm`, `ul_rm_contact`, `ul_flush`.
//! Statistics: `usrloc:registered_users`, `usrloc:<table>-users`,
//! `usrloc:<table>-contacts`, `usrloc:<table>-expires`.

pub mod api;
pub mod contact;
pub mod domain;
mod mi;
pub mod record;
pub mod store;
mod timer;

use std::sync::Arc;
use std::time::Duration;

use siplua_core::flags::{flag_bit, FlagSet};
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

pub use api::Usrloc;

use record::MatchingMode;
use store::{DbMode, Store};
use timer::ExpiryTimer;

/// The table `registrar` uses in the usual script, created at start so its statistics exist
/// before the first REGISTER.
const DEFAULT_TABLE: &str = "location";

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec {
        name: "working_mode_preset",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "db_mode",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "nat_bflag",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "timer_interval",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "matching_mode",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "desc_time_order",
        kind: ModParamKind::Int,
    },
    ModParamSpec {
        name: "db_url",
        kind: ModParamKind::Str,
    },
    ModParamSpec {
        name: "use_domain",
        kind: ModParamKind::Int,
    },
];

/// The module.
pub struct UsrlocModule {
    nat_bflag: Option<u32>,
    timer_interval: u64,
    matching: MatchingMode,
    mode: DbMode,
    db_url: Option<String>,
    use_domain: bool,
    desc_time_order: bool,
    api: Option<Arc<Usrloc>>,
    timer: ExpiryTimer,
}

impl Default for UsrlocModule {
    fn default() -> Self {
        UsrlocModule {
            nat_bflag: None,
            timer_interval: 60,
            matching: MatchingMode::Contact,
            mode: DbMode::NoDb,
            db_url: None,
            use_domain: false,
            desc_time_order: false,
            api: None,
            timer: ExpiryTimer::default(),
        }
    }
}

impl Module for UsrlocModule {
    fn name(&self) -> &'static str {
        "usrloc"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        match name {
            "working_mode_preset" => {
                self.mode = DbMode::from_preset(value.as_str().trim())?;
                Ok(())
            }
            "db_mode" => {
                self.mode = DbMode::from_db_mode(value.as_int())?;
                Ok(())
            }
            "db_url" => {
                self.db_url = Some(value.as_str());
                Ok(())
            }
            "nat_bflag" => {
                self.nat_bflag = Some(flag_bit(FlagSet::Branch, &value.as_str())?);
                Ok(())
            }
            "timer_interval" => {
                let v = value.as_int();
                if v < 1 {
                    return Err(format!("timer_interval must be at least 1, got {v}"));
                }
                self.timer_interval = v as u64;
                Ok(())
            }
            "desc_time_order" => {
                self.desc_time_order = value.as_int() != 0;
                Ok(())
            }
            "matching_mode" => {
                self.matching = match value.as_int() {
                    0 => MatchingMode::Contact,
                    1 => MatchingMode::ContactCallId,
                    n => return Err(format!("matching_mode must be 0 or 1, got {n}")),
                };
                Ok(())
            }
            "use_domain" => {
                self.use_domain = value.as_int() != 0;
                Ok(())
            }
            _ => Err(format!("module usrloc has no parameter {name}")),
        }
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let store = match self.mode {
            DbMode::NoDb => None,
            mode => {
                let url = crate::db_mysql::url_or_default(env, self.db_url.as_deref());
                let db = crate::sql::open(env, "usrloc", &url)?;
                let sockets = env
                    .config
                    .listen
                    .iter()
                    .map(|l| format!("{}:{}", l.proto.as_str().to_ascii_lowercase(), l.addr))
                    .collect();
                Some(Arc::new(Store::new(db, mode, sockets, self.use_domain)))
            }
        };
        let api = Arc::new(Usrloc::new(
            self.nat_bflag,
            self.matching,
            self.use_domain,
            self.desc_time_order,
            env.stats.gauge("usrloc", "registered_users"),
            store,
        ));
        api.domain(DEFAULT_TABLE, env.stats);
        env.apis.publish(api.clone());
        self.api = Some(api);
        Ok(())
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        self.api.as_ref().map(mi::commands).unwrap_or_default()
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        match &self.api {
            Some(api) => {
                // The first call (on the main thread, before any socket opens) loads.
                api.load_once();
                self.timer
                    .start_once(api.clone(), Duration::from_secs(self.timer_interval))
            }
            None => Ok(()),
        }
    }

    fn shutdown(&self) {
        self.timer.stop();
        if let Some(api) = &self.api {
            api.flush_all();
        }
    }
}
