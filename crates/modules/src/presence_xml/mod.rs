//! `presence_xml`: registers the `presence` event package (PIDF bodies, `pidf`) with the
//! presence module. `force_active` 1 makes new subscriptions active; 0 (OpenSIPS' default)
//! leaves them pending, as OpenSIPS does for a watcher no authorization rule allows — siplua
//! has no XCAP rules, so every subscription stays pending unless the script calls
//! `handle_subscribe(1)`. The XCAP parameters are accepted without effect (logged).
//! `presence.winfo` and `dialog;sla` are not registered.

mod pidf;

use std::sync::Arc;

use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};

use crate::presence::events::{EventPackage, PresenceApi};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("xcap_table"),
    ModParamSpec::int("force_active"),
    ModParamSpec::int("pidf_manipulation"),
    ModParamSpec::int("integrated_xcap_server"),
    ModParamSpec::str("xcap_server"),
    ModParamSpec::str("pres_rules_auid"),
    ModParamSpec::str("pres_rules_filename"),
    ModParamSpec::int("generate_offline_body"),
];

/// The module.
#[derive(Default)]
pub struct PresenceXml {
    force_active: bool,
    ignored: Vec<&'static str>,
}

impl Module for PresenceXml {
    fn name(&self) -> &'static str {
        "presence_xml"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        if name == "force_active" {
            self.force_active = value.as_int() != 0;
            return Ok(());
        }
        let spec = PARAMS
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("module presence_xml has no parameter {name}"))?;
        if !self.ignored.contains(&spec.name) {
            self.ignored.push(spec.name);
        }
        Ok(())
    }

    fn dependencies(&self) -> &'static [&'static str] {
        &["presence"]
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        if !self.ignored.is_empty() {
            siplua_core::log::emit(
                siplua_core::log::level::WARN,
                "presence_xml",
                &format!(
                    "parameters accepted without effect: {} (no XCAP authorization rules, no \
                     PIDF manipulation, no generated offline bodies)",
                    self.ignored.join(", ")
                ),
            );
        }
        let api: Arc<PresenceApi> = env
            .apis
            .get::<PresenceApi>()
            .ok_or("presence_xml needs the presence module")?;
        api.add_event(EventPackage {
            name: "presence",
            content_type: "application/pidf+xml",
            default_expires: 3600,
            auto_active: self.force_active,
            validate: pidf::validate,
            aggregate: pidf::aggregate,
            offline: pidf::offline,
        })
    }
}
