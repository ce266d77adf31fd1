//! `xcap`: in OpenSIPS the store of XCAP documents (the `xcap` table) that presence_xml and
//! rls read authorization rules from; it has no script functions. The residential template
//! with presence (menuconfig's USE_PRESENCE) loads it next to `presence` and `presence_xml`,
//! with `modparam("xcap|presence", "db_url", ...)`.
//!
//! siplua's presence_xml reads no XCAP rules (a subscription is active with `force_active`
//! = 1, as the template sets, or with `handle_subscribe(1)`; pending otherwise), so this
//! module takes its parameters (`db_url`, `xcap_table`, `integrated_xcap_server`) and says at
//! start-up that the documents are not read. Another parameter is a load error.

use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("xcap_table"),
    ModParamSpec::int("integrated_xcap_server"),
];

/// The module.
#[derive(Default)]
pub struct Xcap;

impl Module for Xcap {
    fn name(&self) -> &'static str {
        "xcap"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, _name: &str, _value: ModParamValue) -> Result<(), String> {
        Ok(())
    }

    fn init(&mut self, _env: &mut InitEnv) -> Result<(), String> {
        siplua_core::log::emit(
            siplua_core::log::level::WARN,
            "xcap",
            "XCAP documents (pres-rules) are not read by siplua: presence subscriptions are \
             authorized by presence_xml's force_active or handle_subscribe(1) only",
        );
        Ok(())
    }
}
