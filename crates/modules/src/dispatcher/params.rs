//! The dispatcher's `modparam`s: every OpenSIPS 3.x parameter is accepted; the ones that
//! steer what siplua does are kept in [`Settings`], the others are listed in
//! docs/dispatcher.md as accepted without effect.

use siplua_core::module::{ModParamSpec, ModParamValue};

/// Every parameter OpenSIPS 3.x declares for the module.
pub const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("db_url"),
    ModParamSpec::str("table_name"),
    ModParamSpec::str("setid_col"),
    ModParamSpec::str("destination_col"),
    ModParamSpec::str("state_col"),
    ModParamSpec::str("weight_col"),
    ModParamSpec::str("priority_col"),
    ModParamSpec::str("attrs_col"),
    ModParamSpec::str("socket_col"),
    ModParamSpec::str("probe_mode_col"),
    ModParamSpec::str("description_col"),
    ModParamSpec::str("hash_pvar"),
    ModParamSpec::str("setid_pvar"),
    ModParamSpec::str("attrs_avp"),
    ModParamSpec::str("script_attrs_avp"),
    ModParamSpec::str("dst_avp"),
    ModParamSpec::str("grp_avp"),
    ModParamSpec::str("cnt_avp"),
    ModParamSpec::str("sock_avp"),
    ModParamSpec::str("algo_route"),
    ModParamSpec::str("pvar_algo_pattern"),
    ModParamSpec::int("persistent_state"),
    ModParamSpec::int("ds_ping_interval"),
    ModParamSpec::str("ds_ping_method"),
    ModParamSpec::str("ds_ping_from"),
    ModParamSpec::int("ds_ping_maxfwd"),
    ModParamSpec::str("ds_probing_sock"),
    ModParamSpec::int("ds_probing_threshold"),
    ModParamSpec::int("ds_probing_threshhold"),
    ModParamSpec::int("ds_probing_mode"),
    ModParamSpec::str("ds_probing_list"),
    ModParamSpec::str("ds_define_blacklist"),
    ModParamSpec::str("options_reply_codes"),
    ModParamSpec::int("cluster_id"),
    ModParamSpec::str("cluster_sharing_tag"),
    ModParamSpec::str("cluster_probing_mode"),
    ModParamSpec::str("partition"),
    ModParamSpec::int("fetch_freeswitch_stats"),
    ModParamSpec::int("max_freeswitch_weight"),
];

/// The column names of the destinations table.
#[derive(Clone, Debug)]
pub struct Columns {
    /// The set a destination belongs to.
    pub setid: String,
    /// The destination's SIP URI.
    pub destination: String,
    /// 0 active, 1 inactive, 2 probing.
    pub state: String,
    /// The weight (an integer as text).
    pub weight: String,
    /// The order inside a set.
    pub priority: String,
    /// Opaque attributes for the script.
    pub attrs: String,
    /// The local socket to send from.
    pub socket: String,
    /// The per-destination probing mode (read and listed; `ds_probing_mode` decides).
    pub probe_mode: String,
    /// A free text.
    pub description: String,
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
    /// The format string algorithm 7 hashes.
    pub hash_pvar: Option<String>,
    /// AVP names holding the failover state (without `$avp(...)`).
    pub dst_avp: String,
    /// See [`Settings::dst_avp`]: the set of the selection.
    pub grp_avp: String,
    /// See [`Settings::dst_avp`]: how many destinations were stored.
    pub cnt_avp: String,
    /// See [`Settings::dst_avp`]: the socket of each stored destination.
    pub sock_avp: String,
    /// When set, the attrs of each stored destination.
    pub attrs_avp: Option<String>,
    /// False: the state column is ignored at load (every destination starts active).
    pub persistent_state: bool,
    /// Seconds between probing rounds (0: no probing).
    pub ping_interval: i64,
    /// The probing request's method.
    pub ping_method: String,
    /// The probing request's From URI.
    pub ping_from: String,
    /// 1: active destinations are probed too; 0: only the ones in probing state.
    pub probing_mode: i64,
    /// Reply codes that count as an answer to a probe besides 2xx.
    pub reply_codes: Vec<u16>,
    /// How many `ds_mark_dst("p")` calls put a destination into probing.
    pub probing_threshold: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            db_url: "mysql://opensips:opensipsrw@localhost/opensips".into(),
            table: "dispatcher".into(),
            columns: Columns {
                setid: "setid".into(),
                destination: "destination".into(),
                state: "state".into(),
                weight: "weight".into(),
                priority: "priority".into(),
                attrs: "attrs".into(),
                socket: "socket".into(),
                probe_mode: "probe_mode".into(),
                description: "description".into(),
            },
            hash_pvar: None,
            dst_avp: "ds_dst_failover".into(),
            grp_avp: "ds_grp_failover".into(),
            cnt_avp: "ds_cnt_failover".into(),
            sock_avp: "ds_sock_failover".into(),
            attrs_avp: None,
            persistent_state: true,
            ping_interval: 10,
            ping_method: "OPTIONS".into(),
            ping_from: "sip:dispatcher@localhost".into(),
            probing_mode: 0,
            reply_codes: Vec::new(),
            probing_threshold: 1,
        }
    }
}

/// The name inside `$avp(name)`.
fn avp_name(param: &str, text: &str) -> Result<String, String> {
    text.trim()
        .strip_prefix("$avp(")
        .and_then(|r| r.strip_suffix(')'))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("dispatcher {param}: expected $avp(name), got {text:?}"))
}

impl Settings {
    /// Applies one `modparam`.
    pub fn set(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let v = value.as_str();
        let c = &mut self.columns;
        match name {
            "db_url" => self.db_url = v,
            "table_name" => self.table = v,
            "setid_col" => c.setid = v,
            "destination_col" => c.destination = v,
            "state_col" => c.state = v,
            "weight_col" => c.weight = v,
            "priority_col" => c.priority = v,
            "attrs_col" => c.attrs = v,
            "socket_col" => c.socket = v,
            "probe_mode_col" => c.probe_mode = v,
            "description_col" => c.description = v,
            "hash_pvar" => self.hash_pvar = Some(v).filter(|s| !s.is_empty()),
            "dst_avp" => self.dst_avp = avp_name(name, &v)?,
            "grp_avp" => self.grp_avp = avp_name(name, &v)?,
            "cnt_avp" => self.cnt_avp = avp_name(name, &v)?,
            "sock_avp" => self.sock_avp = avp_name(name, &v)?,
            "attrs_avp" => self.attrs_avp = Some(avp_name(name, &v)?),
            "persistent_state" => self.persistent_state = value.as_int() != 0,
            "ds_ping_interval" => self.ping_interval = value.as_int(),
            "ds_ping_method" => self.ping_method = v,
            "ds_ping_from" => self.ping_from = v,
            "ds_probing_mode" => self.probing_mode = value.as_int(),
            "options_reply_codes" => self.reply_codes = super::probe::parse_codes(&v)?,
            "ds_probing_threshold" | "ds_probing_threshhold" => {
                self.probing_threshold = value.as_int().clamp(1, u32::MAX as i64) as u32
            }
            "partition" => {
                return Err(
                    "dispatcher partitions are not supported: only the default partition (db_url, table_name)"
                        .into(),
                )
            }
            _ if PARAMS.iter().any(|p| p.name == name) => {}
            _ => return Err(format!("module dispatcher has no parameter {name}")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avp_parameters_take_the_name_and_unknown_ones_fail() {
        let mut s = Settings::default();
        s.set("dst_avp", ModParamValue::Str("$avp(my_dst)".into()))
            .unwrap();
        assert_eq!(s.dst_avp, "my_dst");
        assert!(s
            .set("dst_avp", ModParamValue::Str("$var(x)".into()))
            .is_err());
        s.set("ds_ping_method", ModParamValue::Str("INFO".into()))
            .unwrap();
        assert!(s.set("no_such", ModParamValue::Int(1)).is_err());
        assert!(s
            .set("partition", ModParamValue::Str("p2: db_url=x".into()))
            .is_err());
    }
}
