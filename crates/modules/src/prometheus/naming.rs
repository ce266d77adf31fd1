//! Metric names and labels as OpenSIPS' prometheus module builds them from `group:name`.

/// Where the statistic's group goes (`group_mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GroupMode {
    /// 0: nowhere (`opensips_rcv_requests`), OpenSIPS' default.
    #[default]
    None,
    /// 1: into the name (`opensips_core_rcv_requests`).
    Name,
    /// 2: into a label (`opensips_rcv_requests{group="core"}`).
    Label,
}

impl GroupMode {
    /// The mode of a `group_mode` value.
    pub fn from_param(v: i64) -> Result<GroupMode, String> {
        match v {
            0 => Ok(GroupMode::None),
            1 => Ok(GroupMode::Name),
            2 => Ok(GroupMode::Label),
            _ => Err(format!("group_mode must be 0, 1 or 2, got {v}")),
        }
    }
}

/// The naming parameters.
#[derive(Clone, Debug)]
pub struct Naming {
    /// `prefix`.
    pub prefix: String,
    /// `delimiter`.
    pub delimiter: String,
    /// `group_prefix`.
    pub group_prefix: String,
    /// `group_label`.
    pub group_label: String,
    /// `group_mode`.
    pub group_mode: GroupMode,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            prefix: "opensips".into(),
            delimiter: "_".into(),
            group_prefix: String::new(),
            group_label: "group".into(),
            group_mode: GroupMode::None,
        }
    }
}

impl Naming {
    /// The metric name of `group:name`: prefix, delimiter, (group prefix, group,
    /// delimiter when the group goes in the name), then the name with every character
    /// Prometheus does not allow turned into `_` (`location-contacts` →
    /// `location_contacts`).
    pub fn metric_name(&self, group: &str, name: &str) -> String {
        let mut out = String::new();
        out.push_str(&self.prefix);
        out.push_str(&self.delimiter);
        if self.group_mode == GroupMode::Name {
            out.push_str(&self.group_prefix);
            out.push_str(group);
            out.push_str(&self.delimiter);
        }
        if out.is_empty() && name.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('_');
        }
        out.extend(name.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        }));
        out
    }

    /// The labels of a sample: the group when it goes in a label.
    pub fn labels(&self, group: &str) -> Vec<(String, String)> {
        match self.group_mode {
            GroupMode::Label => vec![(
                self.group_label.clone(),
                format!("{}{group}", self.group_prefix),
            )],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_opensips() {
        let mut n = Naming::default();
        assert_eq!(
            n.metric_name("core", "rcv_requests"),
            "opensips_rcv_requests"
        );
        assert_eq!(
            n.metric_name("usrloc", "location-contacts"),
            "opensips_location_contacts"
        );
        n.group_mode = GroupMode::Name;
        assert_eq!(
            n.metric_name("tm", "2xx_transactions"),
            "opensips_tm_2xx_transactions"
        );
        n.group_mode = GroupMode::Label;
        assert_eq!(n.labels("sl"), vec![("group".into(), "sl".into())]);
        n.prefix.clear();
        n.delimiter.clear();
        assert_eq!(n.metric_name("tm", "2xx_transactions"), "_2xx_transactions");
    }
}
