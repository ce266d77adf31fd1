//! presence's parameters, with OpenSIPS 3.x names and defaults (and the 2.x `server_address`).
//! Those siplua does not act on are accepted and logged at start-up as ignored.

use siplua_core::module::{ModParamSpec, ModParamValue};

/// Every documented parameter.
pub const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::int("fallback2db"),
    ModParamSpec::int("cluster_id"),
    ModParamSpec::str("cluster_federation_mode"),
    ModParamSpec::str("cluster_pres_events"),
    ModParamSpec::str("cluster_be_active_shtag"),
    ModParamSpec::int("expires_offset"),
    ModParamSpec::int("max_expires_subscribe"),
    ModParamSpec::int("max_expires_publish"),
    ModParamSpec::str("contact_user"),
    ModParamSpec::str("server_address"),
    ModParamSpec::int("enable_sphere_check"),
    ModParamSpec::int("waiting_subs_daysno"),
    ModParamSpec::int("mix_dialog_presence"),
    ModParamSpec::str("bla_presentity_spec"),
    ModParamSpec::int("bla_fix_remote_target"),
    ModParamSpec::int("notify_offline_body"),
    ModParamSpec::int("end_sub_on_timeout"),
    ModParamSpec::int("clean_period"),
    ModParamSpec::int("db_update_period"),
    ModParamSpec::str("presentity_table"),
    ModParamSpec::str("active_watchers_table"),
    ModParamSpec::str("watchers_table"),
    ModParamSpec::int("subs_htable_size"),
    ModParamSpec::int("pres_htable_size"),
];

/// What the parameters decide.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Seconds a subscription or publication is kept past its expiry.
    pub expires_offset: u64,
    /// Longest subscription granted (a longer Expires is lowered).
    pub max_expires_subscribe: u32,
    /// Longest publication granted.
    pub max_expires_publish: u32,
    /// User part of our Contact (empty: none).
    pub contact_user: String,
    /// A fixed Contact URI for our replies and NOTIFYs (2.x `server_address`).
    pub server_address: Option<String>,
    /// A presentity without publications is notified with a `closed` body, not none.
    pub notify_offline_body: bool,
    /// A 408 to a NOTIFY ends the subscription.
    pub end_sub_on_timeout: bool,
    /// Seconds between expiry sweeps (0: none).
    pub clean_period: u64,
    /// Parameters given that siplua does not act on, for the start-up warning.
    pub ignored: Vec<&'static str>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            expires_offset: 0,
            max_expires_subscribe: 3600,
            max_expires_publish: 3600,
            contact_user: "presence".into(),
            server_address: None,
            notify_offline_body: false,
            end_sub_on_timeout: true,
            clean_period: 100,
            ignored: Vec::new(),
        }
    }
}

impl Settings {
    /// Applies one `modparam`.
    pub fn set(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let n = value.as_int();
        let non_negative =
            || u64::try_from(n).map_err(|_| format!("{name} must not be negative, got {n}"));
        let positive = || match u32::try_from(n) {
            Ok(v) if v > 0 => Ok(v),
            _ => Err(format!(
                "{name} must be a positive number of seconds, got {n}"
            )),
        };
        match name {
            "expires_offset" => self.expires_offset = non_negative()?,
            "max_expires_subscribe" => self.max_expires_subscribe = positive()?,
            "max_expires_publish" => self.max_expires_publish = positive()?,
            "contact_user" => self.contact_user = value.as_str(),
            "server_address" => {
                let text = value.as_str();
                siplua_sip::uri::Uri::parse(&text)
                    .map_err(|e| format!("server_address {text:?} is not a SIP URI: {e}"))?;
                self.server_address = Some(text);
            }
            "notify_offline_body" => self.notify_offline_body = n != 0,
            "end_sub_on_timeout" => self.end_sub_on_timeout = n != 0,
            "clean_period" => self.clean_period = u64::try_from(n).unwrap_or(0),
            // Storage, clustering, BLA, XCAP spheres and table sizing: accepted, no effect.
            "db_url"
            | "fallback2db"
            | "cluster_id"
            | "cluster_federation_mode"
            | "cluster_pres_events"
            | "cluster_be_active_shtag"
            | "enable_sphere_check"
            | "waiting_subs_daysno"
            | "mix_dialog_presence"
            | "bla_presentity_spec"
            | "bla_fix_remote_target"
            | "db_update_period"
            | "presentity_table"
            | "active_watchers_table"
            | "watchers_table"
            | "subs_htable_size"
            | "pres_htable_size" => {
                if let Some(p) = PARAMS.iter().find(|p| p.name == name) {
                    if !self.ignored.contains(&p.name) {
                        self.ignored.push(p.name);
                    }
                }
            }
            _ => return Err(format!("module presence has no parameter {name}")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_ignored_ones_remembered() {
        let mut s = Settings::default();
        s.set("max_expires_publish", ModParamValue::Int(60))
            .unwrap();
        assert_eq!(s.max_expires_publish, 60);
        assert!(s
            .set("max_expires_subscribe", ModParamValue::Int(0))
            .is_err());
        assert!(s.set("expires_offset", ModParamValue::Int(-1)).is_err());
        assert!(s
            .set("server_address", ModParamValue::Str("not a uri".into()))
            .is_err());
        s.set("db_url", ModParamValue::Str("mysql://x@y/z".into()))
            .unwrap();
        s.set("fallback2db", ModParamValue::Int(0)).unwrap();
        s.set("db_url", ModParamValue::Str("mysql://x@y/z".into()))
            .unwrap();
        assert_eq!(s.ignored, vec!["db_url", "fallback2db"]);
    }
}
