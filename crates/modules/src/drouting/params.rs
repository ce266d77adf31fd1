//! The drouting `modparam`s: every OpenSIPS 3.x parameter is accepted; the ones that steer
//! what siplua does are kept in [`Settings`], the others are listed in docs/drouting.md as
//! accepted without effect.

use siplua_core::module::{ModParamSpec, ModParamValue};

/// Every parameter OpenSIPS 3.x declares for the module.
pub const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("drd_table"),
    ModParamSpec::str("drr_table"),
    ModParamSpec::str("drg_table"),
    ModParamSpec::str("drc_table"),
    ModParamSpec::str("ruri_avp"),
    ModParamSpec::str("gw_id_avp"),
    ModParamSpec::str("gw_priprefix_avp"),
    ModParamSpec::str("rule_id_avp"),
    ModParamSpec::str("rule_prefix_avp"),
    ModParamSpec::str("carrier_id_avp"),
    ModParamSpec::str("gw_sock_avp"),
    ModParamSpec::str("define_blacklist"),
    ModParamSpec::int("default_group"),
    ModParamSpec::int("force_dns"),
    ModParamSpec::int("persistent_state"),
    ModParamSpec::int("no_concurrent_reload"),
    ModParamSpec::int("probing_interval"),
    ModParamSpec::str("probing_method"),
    ModParamSpec::str("probing_from"),
    ModParamSpec::str("probing_reply_codes"),
    ModParamSpec::str("probing_socket"),
    ModParamSpec::str("gw_socket_filter_mode"),
    ModParamSpec::int("cluster_id"),
    ModParamSpec::str("cluster_sharing_tag"),
    ModParamSpec::str("cluster_probing_mode"),
    ModParamSpec::int("use_domain"),
    ModParamSpec::str("drg_user_col"),
    ModParamSpec::str("drg_domain_col"),
    ModParamSpec::str("drg_grpid_col"),
    ModParamSpec::int("use_partitions"),
    ModParamSpec::str("db_partitions_url"),
    ModParamSpec::str("db_partitions_table"),
    ModParamSpec::str("partition_id_pvar"),
    ModParamSpec::int("enable_restart_persistency"),
    ModParamSpec::str("extra_prefix_chars"),
    ModParamSpec::str("extra_id_chars"),
    ModParamSpec::str("rule_tables_query"),
];

/// What the parameters decide.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the tables are.
    pub db_url: String,
    /// The gateways table.
    pub gw_table: String,
    /// The rules table.
    pub rule_table: String,
    /// The user-to-group table (read when `do_routing` has no group).
    pub group_table: String,
    /// The carriers table.
    pub carrier_table: String,
    /// The group of a caller not in the groups table (-1: none).
    pub default_group: i64,
    /// False: the state columns are ignored at load (everything starts active).
    pub persistent_state: bool,
    /// True: the groups table is looked up by user and domain, else by user only.
    pub use_domain: bool,
    /// The groups table's columns: user, domain, group id.
    pub drg_cols: [String; 3],
    /// Characters besides digits and `+` that a rule prefix and a dialled number may hold.
    pub extra_prefix_chars: String,
    /// Seconds between OPTIONS probes (not implemented: logged at start-up when set).
    pub probing_interval: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            db_url: "mysql://opensips:opensipsrw@localhost/opensips".into(),
            gw_table: "dr_gateways".into(),
            rule_table: "dr_rules".into(),
            group_table: "dr_groups".into(),
            carrier_table: "dr_carriers".into(),
            default_group: -1,
            persistent_state: true,
            use_domain: true,
            drg_cols: ["username".into(), "domain".into(), "groupid".into()],
            extra_prefix_chars: String::new(),
            probing_interval: 30,
        }
    }
}

impl Settings {
    /// Applies one `modparam`.
    pub fn set(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let v = value.as_str();
        match name {
            "db_url" => self.db_url = v,
            "drd_table" => self.gw_table = v,
            "drr_table" => self.rule_table = v,
            "drg_table" => self.group_table = v,
            "drc_table" => self.carrier_table = v,
            "default_group" => self.default_group = value.as_int(),
            "persistent_state" => self.persistent_state = value.as_int() != 0,
            "use_domain" => self.use_domain = value.as_int() != 0,
            "drg_user_col" => self.drg_cols[0] = v,
            "drg_domain_col" => self.drg_cols[1] = v,
            "drg_grpid_col" => self.drg_cols[2] = v,
            "extra_prefix_chars" => self.extra_prefix_chars = v,
            "probing_interval" => self.probing_interval = value.as_int(),
            "use_partitions" if value.as_int() != 0 => {
                return Err(
                    "drouting partitions are not supported: only the default partition (db_url)"
                        .into(),
                )
            }
            _ if PARAMS.iter().any(|p| p.name == name) => {}
            _ => return Err(format!("module drouting has no parameter {name}")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_parameters_are_accepted_unknown_ones_fail() {
        let mut s = Settings::default();
        s.set("drd_table", ModParamValue::Str("gws".into()))
            .unwrap();
        assert_eq!(s.gw_table, "gws");
        s.set("cluster_id", ModParamValue::Int(3)).unwrap();
        s.set("use_partitions", ModParamValue::Int(0)).unwrap();
        assert!(s.set("use_partitions", ModParamValue::Int(1)).is_err());
        assert!(s.set("no_such", ModParamValue::Int(1)).is_err());
    }
}
