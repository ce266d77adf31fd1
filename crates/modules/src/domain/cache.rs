//! The domain table in memory (`db_mode` 1): exact names, and with `accept_subdomain` set,
//! every name below them too.

use std::collections::HashMap;

/// One row: its `attrs` and whether its subdomains are local as well.
struct Row {
    attrs: String,
    subdomains: bool,
}

/// The local domains, by lower-case name.
#[derive(Default)]
pub(super) struct Domains {
    by_name: HashMap<String, Row>,
}

impl Domains {
    /// From rows of `domain, attrs, accept_subdomain`; a row with an empty name is skipped.
    pub fn from_rows(rows: &[Vec<Option<String>>]) -> Domains {
        let text = |r: &[Option<String>], i: usize| r.get(i).cloned().flatten();
        let by_name = rows
            .iter()
            .filter_map(|r| {
                let name = text(r, 0)?.trim().to_ascii_lowercase();
                (!name.is_empty()).then(|| {
                    let subdomains = text(r, 2)
                        .and_then(|v| v.trim().parse::<i64>().ok())
                        .is_some_and(|v| v != 0);
                    let attrs = text(r, 1).unwrap_or_default();
                    (name, Row { attrs, subdomains })
                })
            })
            .collect();
        Domains { by_name }
    }

    /// Number of domains.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// The attributes of `host` when it is local: a row of its own name, or of a parent
    /// domain that accepts subdomains.
    pub fn find(&self, host: &str) -> Option<&str> {
        let host = host.to_ascii_lowercase();
        if let Some(row) = self.by_name.get(&host) {
            return Some(&row.attrs);
        }
        let mut rest = host.as_str();
        while let Some(dot) = rest.find('.') {
            rest = &rest[dot + 1..];
            match self.by_name.get(rest) {
                Some(row) if row.subdomains => return Some(&row.attrs),
                _ => {}
            }
        }
        None
    }

    /// The rows as MI `domain_dump` shows them.
    pub fn dump(&self) -> serde_json::Value {
        let mut names: Vec<_> = self.by_name.iter().collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        let list: Vec<serde_json::Value> = names
            .into_iter()
            .map(|(name, row)| {
                serde_json::json!({
                    "name": name,
                    "accept_subdomain": i32::from(row.subdomains),
                    "attributes": row.attrs,
                })
            })
            .collect();
        serde_json::json!({ "Domains": list })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, attrs: Option<&str>, sub: &str) -> Vec<Option<String>> {
        vec![
            Some(name.into()),
            attrs.map(str::to_owned),
            Some(sub.into()),
        ]
    }

    #[test]
    fn exact_names_and_accepted_subdomains() {
        let d = Domains::from_rows(&[
            row("Example.com", Some("tier=gold"), "0"),
            row("corp.net", None, "1"),
            row("", Some("x"), "1"),
        ]);
        assert_eq!(d.len(), 2);
        assert_eq!(d.find("EXAMPLE.COM"), Some("tier=gold"));
        assert_eq!(
            d.find("a.example.com"),
            None,
            "no subdomains for example.com"
        );
        assert_eq!(d.find("corp.net"), Some(""));
        assert_eq!(d.find("sip.eu.corp.net"), Some(""));
        assert_eq!(d.find("xcorp.net"), None);
        assert_eq!(d.find("net"), None);
    }
}
