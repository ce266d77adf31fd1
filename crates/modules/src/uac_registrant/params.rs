//! The `uac_registrant` parameters (OpenSIPS 3.x names and defaults): where the `registrant`
//! table is and what its columns are called, and the timers. `hash_size` and
//! `enable_clustering` are checked and accepted but steer nothing (see docs/uac.md).

use siplua_core::module::{ModParamSpec, ModParamValue};

/// Every parameter OpenSIPS 3.x declares for the module.
pub const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::int("hash_size"),
    ModParamSpec::int("timer_interval"),
    ModParamSpec::int("failure_retry_interval"),
    ModParamSpec::int("default_expires"),
    ModParamSpec::int("enable_clustering"),
    ModParamSpec::str("db_url"),
    ModParamSpec::str("table_name"),
    ModParamSpec::str("registrar_column"),
    ModParamSpec::str("proxy_column"),
    ModParamSpec::str("aor_column"),
    ModParamSpec::str("third_party_registrant_column"),
    ModParamSpec::str("username_column"),
    ModParamSpec::str("password_column"),
    ModParamSpec::str("binding_URI_column"),
    ModParamSpec::str("binding_params_column"),
    ModParamSpec::str("expiry_column"),
    ModParamSpec::str("forced_socket_column"),
    ModParamSpec::str("cluster_shtag_column"),
    ModParamSpec::str("state_column"),
];

/// The column names of the `registrant` table, in the order the rows are read.
#[derive(Clone, Debug)]
pub struct Columns {
    /// The registrar's URI: the Request-URI.
    pub registrar: String,
    /// The outbound proxy's URI (optional): where the REGISTER is sent.
    pub proxy: String,
    /// The address of record: the To URI.
    pub aor: String,
    /// The From URI when it is not the AOR (optional).
    pub third_party_registrant: String,
    /// The digest username.
    pub username: String,
    /// The digest password.
    pub password: String,
    /// The Contact URI.
    pub binding_uri: String,
    /// Parameters appended to the Contact (starting with `;`).
    pub binding_params: String,
    /// The expiry asked for, in seconds.
    pub expiry: String,
    /// The listening socket to send from (optional).
    pub forced_socket: String,
    /// The clustering sharing tag (read, unused).
    pub cluster_shtag: String,
    /// 0 enabled, 1 disabled.
    pub state: String,
}

impl Columns {
    /// The names in reading order.
    pub fn all(&self) -> [&str; 12] {
        [
            &self.registrar,
            &self.proxy,
            &self.aor,
            &self.third_party_registrant,
            &self.username,
            &self.password,
            &self.binding_uri,
            &self.binding_params,
            &self.expiry,
            &self.forced_socket,
            &self.cluster_shtag,
            &self.state,
        ]
        .map(String::as_str)
    }
}

/// What the parameters decide.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the table is.
    pub db_url: String,
    /// The table's name.
    pub table: String,
    /// Its columns.
    pub columns: Columns,
    /// Seconds before the granted expiry at which a registration is refreshed (OpenSIPS'
    /// `registration_timeout = now + expires - timer_interval`); a row must ask for more.
    pub timer_interval: u32,
    /// Seconds after a failure before the next try; 0: the registration's expiry.
    pub failure_retry_interval: u32,
    /// `hash_size` as given (checked: 1 to 20, and 2^hash_size at most `timer_interval`).
    pub hash_size: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            db_url: "mysql://opensips:opensipsrw@localhost/opensips".into(),
            table: "registrant".into(),
            columns: Columns {
                registrar: "registrar".into(),
                proxy: "proxy".into(),
                aor: "aor".into(),
                third_party_registrant: "third_party_registrant".into(),
                username: "username".into(),
                password: "password".into(),
                binding_uri: "binding_URI".into(),
                binding_params: "binding_params".into(),
                expiry: "expiry".into(),
                forced_socket: "forced_socket".into(),
                cluster_shtag: "cluster_shtag".into(),
                state: "state".into(),
            },
            timer_interval: 100,
            failure_retry_interval: 0,
            hash_size: 1,
        }
    }
}

fn non_negative(name: &str, v: i64) -> Result<u32, String> {
    u32::try_from(v).map_err(|_| format!("uac_registrant {name}: {v} is out of range"))
}

impl Settings {
    /// Applies one `modparam`.
    pub fn set(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let c = &mut self.columns;
        let v = value.as_str();
        match name {
            "db_url" => self.db_url = v,
            "table_name" => self.table = v,
            "registrar_column" => c.registrar = v,
            "proxy_column" => c.proxy = v,
            "aor_column" => c.aor = v,
            "third_party_registrant_column" => c.third_party_registrant = v,
            "username_column" => c.username = v,
            "password_column" => c.password = v,
            "binding_URI_column" => c.binding_uri = v,
            "binding_params_column" => c.binding_params = v,
            "expiry_column" => c.expiry = v,
            "forced_socket_column" => c.forced_socket = v,
            "cluster_shtag_column" => c.cluster_shtag = v,
            "state_column" => c.state = v,
            "timer_interval" => {
                let t = non_negative(name, value.as_int())?;
                if t < 10 {
                    return Err(format!("uac_registrant timer_interval too short: {t} < 10"));
                }
                self.timer_interval = t;
            }
            "failure_retry_interval" => {
                self.failure_retry_interval = non_negative(name, value.as_int())?
            }
            "hash_size" => {
                let h = value.as_int();
                if !(1..=20).contains(&h) {
                    return Err(format!("uac_registrant hash_size {h}: must be 1 to 20"));
                }
                self.hash_size = h as u32;
            }
            "default_expires" => {
                if value.as_int() < 15 {
                    return Err(format!(
                        "uac_registrant default_expires too short: {} < 15",
                        value.as_int()
                    ));
                }
            }
            "enable_clustering" => {
                if value.as_int() != 0 {
                    siplua_core::log::emit(
                        siplua_core::log::level::WARN,
                        "uac_registrant",
                        "enable_clustering: siplua has no clusterer module; every registrant is registered by this node",
                    );
                }
            }
            _ => return Err(format!("module uac_registrant has no parameter {name}")),
        }
        Ok(())
    }

    /// The checks OpenSIPS makes once every parameter is known.
    pub fn check(&self) -> Result<(), String> {
        if self.timer_interval < (1 << self.hash_size) {
            return Err(format!(
                "uac_registrant timer_interval={} must be bigger than the number of buckets 2^hash_size={}",
                self.timer_interval,
                1u32 << self.hash_size
            ));
        }
        Ok(())
    }

    /// Seconds to wait after a failure of a registration whose expiry is `expires`.
    pub fn retry_after(&self, expires: u32) -> u32 {
        if self.failure_retry_interval > 0 {
            self.failure_retry_interval
        } else {
            expires
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_values_and_names() {
        let mut s = Settings::default();
        assert!(s.set("timer_interval", ModParamValue::Int(9)).is_err());
        s.set("timer_interval", ModParamValue::Int(10)).unwrap();
        assert!(s.set("hash_size", ModParamValue::Int(0)).is_err());
        s.set("hash_size", ModParamValue::Int(4)).unwrap();
        assert!(s.check().is_err(), "16 buckets for 10 s");
        s.set("hash_size", ModParamValue::Int(2)).unwrap();
        s.check().unwrap();
        s.set("state_column", ModParamValue::Str("status".into()))
            .unwrap();
        assert_eq!(s.columns.all()[11], "status");
        assert!(s.set("no_such", ModParamValue::Int(1)).is_err());
        assert_eq!(s.retry_after(300), 300);
        s.set("failure_retry_interval", ModParamValue::Int(5))
            .unwrap();
        assert_eq!(s.retry_after(300), 5);
    }
}
