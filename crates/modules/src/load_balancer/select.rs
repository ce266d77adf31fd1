//! Choosing a destination for a call: the enabled destination of the group with the most
//! capacity left on every requested resource, its load being the active dialogs that hold
//! it in the module's profile. The call's choice (group, resources, flags, destinations
//! tried) lives in its dialog, so `lb_next()` in a failure route picks the next one.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;
use siplua_core::context::Context;

use super::table::{self, Columns, Destination};
use crate::auth_db::store::Store;
use crate::dialog::{DialogApi, Key};
use crate::snapshot::Snapshot;

/// The dialog profile the module counts calls with (not a name scripts can declare).
const PROFILE: &str = "load_balancer:load";

/// `lb_start` flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `r`: compare the share of capacity left, not the number of free slots.
    pub relative: bool,
    /// `n`: a destination with no capacity left may still be chosen.
    pub negative: bool,
}

impl Flags {
    /// Reads the letters (`s`, the random choice among equals, is accepted and does the
    /// first one); another letter is an error.
    pub fn parse(text: &str) -> Result<Flags, String> {
        let mut f = Flags::default();
        for c in text.chars() {
            match c {
                'r' | 'R' => f.relative = true,
                'n' | 'N' => f.negative = true,
                's' | 'S' | ' ' => {}
                other => return Err(format!("unknown lb_start flag '{other}'")),
            }
        }
        Ok(f)
    }

    fn to_text(self) -> String {
        format!(
            "{}{}",
            if self.relative { "r" } else { "" },
            if self.negative { "n" } else { "" }
        )
    }
}

/// The module's shared state.
pub struct Shared {
    store: Box<dyn Store>,
    columns: Columns,
    dsts: Snapshot<Vec<Destination>>,
    /// Held while a call is placed (load counted, destination chosen, load taken), so two
    /// workers placing calls at once cannot both take a destination's last slot.
    placing: Mutex<()>,
    /// The dialog module's API: dialogs carry the load.
    pub dialogs: Arc<DialogApi>,
}

fn profile_value(dst: &Destination, resource: &str) -> String {
    format!("{}/{resource}", dst.id)
}

/// The call's balancing state, kept in its dialog's values.
struct Started {
    group: i64,
    resources: Vec<String>,
    flags: Flags,
    tried: Vec<i64>,
}

impl Shared {
    /// The state before the table is read.
    pub fn new(store: Box<dyn Store>, columns: Columns, dialogs: Arc<DialogApi>) -> Shared {
        Shared {
            store,
            columns,
            dsts: Snapshot::default(),
            placing: Mutex::new(()),
            dialogs,
        }
    }

    /// Reads the table again; the destinations in use stay when that fails.
    pub fn reload(&self) -> Result<(), String> {
        self.dsts
            .reload(|| table::load(self.store.as_ref(), &self.columns))
    }

    /// The first read, at start-up.
    pub fn load_once(&self) -> Result<(), String> {
        self.dsts
            .load_once(|| table::load(self.store.as_ref(), &self.columns))
            .map_err(|e| format!("cannot load the load_balancer table: {e}"))
    }

    /// The destinations in use.
    pub fn destinations(&self) -> Arc<Vec<Destination>> {
        self.dsts.get()
    }

    /// Calls in progress per destination and resource (`"id/resource"`).
    pub fn loads(&self) -> HashMap<String, usize> {
        self.dialogs.table.profile_counts(PROFILE)
    }

    /// The best destination of `group` for `resources`, leaving out `tried`.
    fn choose<'a>(
        dsts: &'a [Destination],
        loads: &HashMap<String, usize>,
        st: &Started,
    ) -> Option<&'a Destination> {
        let mut best: Option<(&Destination, i64)> = None;
        for d in dsts.iter().filter(|d| {
            d.group == st.group && d.enabled.load(Ordering::Relaxed) && !st.tried.contains(&d.id)
        }) {
            let mut left = i64::MAX;
            for r in &st.resources {
                let Some(cap) = d.capacity(r) else {
                    left = i64::MIN;
                    break;
                };
                let used = loads.get(&profile_value(d, r)).copied().unwrap_or(0) as i64;
                let free = i64::from(cap) - used;
                let value = match (st.flags.relative, cap) {
                    (true, 0) => i64::MIN + 1,
                    (true, _) => free * 100 / i64::from(cap),
                    (false, _) => free,
                };
                left = left.min(value);
            }
            if left == i64::MIN || (left <= 0 && !st.flags.negative) {
                continue;
            }
            if best.is_none_or(|(_, b)| left > b) {
                best = Some((d, left));
            }
        }
        best.map(|(d, _)| d)
    }

    /// Sends the call to `dst`: `$du`, and the dialog holds its resources from now on.
    fn engage(&self, ctx: &mut Context, key: &Key, dst: &Destination, st: &mut Started) {
        ctx.dst_uri = Some(dst.uri.clone());
        st.tried.push(dst.id);
        let values: Vec<String> = st.resources.iter().map(|r| profile_value(dst, r)).collect();
        let saved = [
            ("lb.group", st.group.to_string()),
            ("lb.resources", st.resources.join(";")),
            ("lb.flags", st.flags.to_text()),
            (
                "lb.tried",
                st.tried
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ];
        self.dialogs.table.with(key, |d| {
            d.profiles.retain(|(p, _)| p != PROFILE);
            d.profiles
                .extend(values.into_iter().map(|v| (PROFILE.to_owned(), v)));
            for (k, v) in saved {
                d.values.insert(k.to_owned(), v);
            }
        });
    }

    /// The call's state, read from its dialog, with its load released (it is about to be
    /// placed again); `None` when `lb_start` did not run for it.
    fn take_started(&self, key: &Key) -> Option<Started> {
        self.dialogs
            .table
            .with(key, |d| {
                let group = d.values.get("lb.group")?.parse().ok()?;
                let resources = d
                    .values
                    .get("lb.resources")?
                    .split(';')
                    .map(str::to_owned)
                    .collect();
                let flags =
                    Flags::parse(d.values.get("lb.flags").map_or("", String::as_str)).ok()?;
                let tried = d
                    .values
                    .get("lb.tried")
                    .map(|t| t.split(',').filter_map(|i| i.parse().ok()).collect())
                    .unwrap_or_default();
                d.profiles.retain(|(p, _)| p != PROFILE);
                Some(Started {
                    group,
                    resources,
                    flags,
                    tried,
                })
            })
            .flatten()
    }

    /// `lb_start(group, resources[, flags])`.
    pub fn start(&self, ctx: &mut Context, group: i64, resources: &str, flags: Flags) -> i32 {
        let key = match self.dialogs.create(ctx) {
            Ok(k) => k,
            Err(e) => return log_err(&format!("lb_start: {e}")),
        };
        let resources: Vec<String> = resources
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        if resources.is_empty() {
            return log_err("lb_start: no resource asked for");
        }
        let _placing = self.placing.lock();
        // A second lb_start for the same call starts over.
        let _ = self.take_started(&key);
        let mut st = Started {
            group,
            resources,
            flags,
            tried: Vec::new(),
        };
        self.place(ctx, &key, &mut st)
    }

    /// `lb_next()`: the next best destination of the call, the ones tried left out.
    pub fn next(&self, ctx: &mut Context) -> i32 {
        let Some(key) = call_key(ctx) else {
            return -1;
        };
        let _placing = self.placing.lock();
        match self.take_started(&key) {
            Some(mut st) => self.place(ctx, &key, &mut st),
            None => log_err("lb_next: lb_start did not run for this call"),
        }
    }

    fn place(&self, ctx: &mut Context, key: &Key, st: &mut Started) -> i32 {
        let dsts = self.destinations();
        let loads = self.loads();
        match Self::choose(&dsts, &loads, st) {
            Some(dst) => {
                self.engage(ctx, key, dst, st);
                1
            }
            None => {
                // Keep what was tried, so a later lb_next does not start over.
                self.dialogs.table.with(key, |d| {
                    d.values.insert("lb.group".into(), st.group.to_string());
                    d.values
                        .insert("lb.resources".into(), st.resources.join(";"));
                    d.values.insert("lb.flags".into(), st.flags.to_text());
                });
                -1
            }
        }
    }

    /// `lb_reset()`: the call no longer counts against its destination.
    pub fn reset(&self, ctx: &Context) -> i32 {
        let Some(key) = call_key(ctx) else {
            return -1;
        };
        self.dialogs.table.with(&key, |d| {
            d.profiles.retain(|(p, _)| p != PROFILE);
            d.values.retain(|k, _| !k.starts_with("lb."));
        });
        1
    }

    /// `lb_is_started()`.
    pub fn is_started(&self, ctx: &Context) -> bool {
        call_key(ctx)
            .and_then(|key| {
                self.dialogs
                    .table
                    .with(&key, |d| d.values.contains_key("lb.group"))
            })
            .unwrap_or(false)
    }
}

/// The key of the call's dialog, from the request in hand.
fn call_key(ctx: &Context) -> Option<Key> {
    ctx.msg.as_ref().and_then(|m| DialogApi::key_of(m))
}

fn log_err(text: &str) -> i32 {
    siplua_core::log::emit(siplua_core::log::level::ERR, "load_balancer", text);
    -1
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn dst(id: i64, res: &[(&str, u32)]) -> Destination {
        Destination {
            id,
            group: 1,
            uri: format!("sip:gw{id}"),
            resources: res
                .iter()
                .map(|(n, c)| table::Resource {
                    name: (*n).to_owned(),
                    capacity: *c,
                })
                .collect(),
            attrs: String::new(),
            enabled: AtomicBool::new(true),
        }
    }

    fn started(res: &[&str], flags: &str, tried: &[i64]) -> Started {
        Started {
            group: 1,
            resources: res.iter().map(|r| (*r).to_owned()).collect(),
            flags: Flags::parse(flags).unwrap(),
            tried: tried.to_vec(),
        }
    }

    #[test]
    fn the_most_free_capacity_wins() {
        let dsts = [dst(1, &[("pstn", 10)]), dst(2, &[("pstn", 4), ("vm", 2)])];
        let mut loads = HashMap::new();
        let pick = |loads: &HashMap<String, usize>, st: &Started| {
            Shared::choose(&dsts, loads, st).map(|d| d.id)
        };
        assert_eq!(pick(&loads, &started(&["pstn"], "", &[])), Some(1));
        // Only 2 has voicemail.
        assert_eq!(pick(&loads, &started(&["pstn", "vm"], "", &[])), Some(2));
        loads.insert("1/pstn".to_owned(), 8);
        assert_eq!(pick(&loads, &started(&["pstn"], "", &[])), Some(2));
        // Relative: 1 has 20 % left, 2 has 100 %.
        assert_eq!(pick(&loads, &started(&["pstn"], "r", &[])), Some(2));
        // Full everywhere: none, unless negative availability is allowed.
        loads.insert("1/pstn".to_owned(), 10);
        loads.insert("2/pstn".to_owned(), 4);
        assert_eq!(pick(&loads, &started(&["pstn"], "", &[])), None);
        assert_eq!(pick(&loads, &started(&["pstn"], "n", &[])), Some(1));
        // Tried ones are left out; disabled ones too.
        loads.clear();
        assert_eq!(pick(&loads, &started(&["pstn"], "", &[1])), Some(2));
        dsts[1].enabled.store(false, Ordering::Relaxed);
        assert_eq!(pick(&loads, &started(&["pstn"], "", &[1])), None);
        assert!(Flags::parse("x").is_err());
    }
}
