//! The `load_balancer` table: destinations per group, each with named resources and their
//! capacities (`pstn=32;transc=5`), read at start-up and on MI `lb_reload`.

use std::sync::atomic::AtomicBool;

use crate::auth_db::store::Store;

/// One resource of a destination: its name and how many calls it takes at once.
#[derive(Debug)]
pub struct Resource {
    /// The name the script asks for (`lb_start(1, "pstn")`).
    pub name: String,
    /// Its capacity.
    pub capacity: u32,
}

/// One row of the table.
#[derive(Debug)]
pub struct Destination {
    /// The `id` column: what MI commands and the load profile name it by.
    pub id: i64,
    /// `group_id`.
    pub group: i64,
    /// `dst_uri`: where calls go (`$du`).
    pub uri: String,
    /// Its resources.
    pub resources: Vec<Resource>,
    /// `attrs`.
    pub attrs: String,
    /// False when MI `lb_status` took it out of use.
    pub enabled: AtomicBool,
}

impl Destination {
    /// The capacity of resource `name`, if the destination has it.
    pub fn capacity(&self, name: &str) -> Option<u32> {
        self.resources
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.capacity)
    }
}

/// Reads `pstn=32;transc=5`.
fn parse_resources(text: &str) -> Result<Vec<Resource>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (name, cap) = r
                .split_once('=')
                .ok_or_else(|| format!("resource '{r}' has no capacity (name=number)"))?;
            let capacity = cap
                .trim()
                .parse()
                .map_err(|_| format!("resource '{r}': the capacity is not a number"))?;
            Ok(Resource {
                name: name.trim().to_owned(),
                capacity,
            })
        })
        .collect()
}

/// The column names (`*_col` parameters) and the table.
#[derive(Clone, Debug)]
pub struct Columns {
    /// `db_table`.
    pub table: String,
    /// id, group_id, dst_uri, resources, attrs.
    pub names: [String; 5],
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            table: "load_balancer".into(),
            names: ["id", "group_id", "dst_uri", "resources", "attrs"].map(str::to_owned),
        }
    }
}

/// Reads every destination; a row with bad resources fails the load.
pub fn load(store: &dyn Store, cols: &Columns) -> Result<Vec<Destination>, String> {
    let names: Vec<&str> = cols.names.iter().map(String::as_str).collect();
    let rows = store.select(&cols.table, &names, &[])?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let int = |i: usize| text(i).trim().parse::<i64>().unwrap_or(0);
        let resources =
            parse_resources(&text(3)).map_err(|e| format!("destination {}: {e}", int(0)))?;
        out.push(Destination {
            id: int(0),
            group: int(1),
            uri: text(2),
            resources,
            attrs: text(4),
            enabled: AtomicBool::new(true),
        });
    }
    out.sort_by_key(|d| d.id);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        let r = parse_resources("pstn=32; transc=5;").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].name.as_str(), r[1].capacity), ("transc", 5));
        assert!(parse_resources("pstn").is_err());
        assert!(parse_resources("pstn=x").is_err());
    }
}
