//! `usrloc`: the user location service — in memory — that `registrar` stores bindings in
//! and looks them up from (RFC 3261 §10).
//!
//! The module exports no script function: it publishes a [`Usrloc`] API in `init`, which
//! `registrar` (and later the management interface) use. Tables are sharded maps keyed by
//! AOR, so the hot path takes one of 64 small locks. Expired bindings are ignored by lookups
//! at once and swept by a timer thread every `timer_interval` seconds.
//!
//! Parameters: `working_mode_preset` (only `single-instance-no-db` for now), `db_mode` (only
//! 0), `nat_bflag`, `timer_interval` (default 60), `matching_mode` (0 Contact, 1 Contact and
//! Call-ID). MI commands: `ul_dump`, `ul_show_contact`, `ul_rm`, `ul_rm_contact`, `ul_flush`.
//! Statistics: `usrloc:registered_users`, `usrloc:<table>-users`,
//! `usrloc:<table>-contacts`, `usrloc:<table>-expires`.

pub mod api;
pub mod contact;
pub mod domain;
mod mi;
pub mod record;
mod timer;

use std::sync::Arc;
use std::time::Duration;

use siplua_core::flags::{flag_bit, FlagSet};
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, ModParamKind, ModParamSpec, ModParamValue, Module};

pub use api::Usrloc;

use record::MatchingMode;
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
];

/// The module.
pub struct UsrlocModule {
    nat_bflag: Option<u32>,
    timer_interval: u64,
    matching: MatchingMode,
    api: Option<Arc<Usrloc>>,
    timer: ExpiryTimer,
}

impl Default for UsrlocModule {
    fn default() -> Self {
        UsrlocModule {
            nat_bflag: None,
            timer_interval: 60,
            matching: MatchingMode::Contact,
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
            "working_mode_preset" => match value.as_str().trim() {
                "single-instance-no-db" => Ok(()),
                other => Err(format!(
                    "working_mode_preset '{other}': not supported yet (only \
                     \"single-instance-no-db\"; the SQL modes come with the database backend)"
                )),
            },
            "db_mode" => match value.as_int() {
                0 => Ok(()),
                n => Err(format!(
                    "db_mode {n}: not supported yet (only 0, no database)"
                )),
            },
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
            "matching_mode" => {
                self.matching = match value.as_int() {
                    0 => MatchingMode::Contact,
                    1 => MatchingMode::ContactCallId,
                    n => return Err(format!("matching_mode must be 0 or 1, got {n}")),
                };
                Ok(())
            }
            _ => Err(format!("module usrloc has no parameter {name}")),
        }
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let api = Arc::new(Usrloc::new(
            self.nat_bflag,
            self.matching,
            env.stats.gauge("usrloc", "registered_users"),
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
            Some(api) => self
                .timer
                .start_once(api.clone(), Duration::from_secs(self.timer_interval)),
            None => Ok(()),
        }
    }

    fn shutdown(&self) {
        self.timer.stop();
    }
}
