//! `uac_registrant`: siplua registering itself at remote registrars (SIP trunks), one
//! registration per row of the `registrant` table, with OpenSIPS 3.x's parameters, states
//! and MI commands (`reg_list`, `reg_reload`, `reg_enable`, `reg_disable`,
//! `reg_force_register`). Each REGISTER is one of tm's local client transactions (OpenSIPS
//! sends them with tm's `t_request_within`); challenges are answered with the digest code of
//! `uac_auth`; see docs/uac.md for what differs from OpenSIPS.

mod answer;
mod client;
mod engine;
mod message;
mod mi;
mod params;
mod record;
mod registration;
mod state;

use std::sync::Arc;

use siplua_core::engine::Core;
use siplua_core::mi::MiCommand;
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};

use crate::auth_db::store;
use crate::tm::api::TmApi;
use engine::Engine;
use params::Settings;

/// The module.
#[derive(Default)]
pub struct UacRegistrant {
    settings: Settings,
    engine: Option<Arc<Engine>>,
}

impl Module for UacRegistrant {
    fn name(&self) -> &'static str {
        "uac_registrant"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        params::PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        self.settings.set(name, value)
    }

    /// As in OpenSIPS: tm (which sends the REGISTERs) and uac_auth must be loaded.
    fn dependencies(&self) -> &'static [&'static str] {
        &["tm", "uac_auth"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        self.settings.check()?;
        let tm = env
            .apis
            .get::<TmApi>()
            .ok_or("uac_registrant needs the tm module")?;
        let store = store::open(env, "uac_registrant", &self.settings.db_url)?;
        self.engine = Some(Arc::new(Engine::new(
            store,
            self.settings.clone(),
            env.timers.clone(),
            tm,
        )));
        Ok(())
    }

    fn worker_init(&self, _worker_id: usize) -> Result<(), String> {
        match &self.engine {
            Some(e) => e.load_once(),
            None => Ok(()),
        }
    }

    fn start(&self, _core: &Arc<Core>) -> Result<(), String> {
        if let Some(e) = &self.engine {
            e.load_once()?;
            e.start();
        }
        Ok(())
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        self.engine.as_ref().map(mi::commands).unwrap_or_default()
    }
}
