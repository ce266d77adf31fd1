//! SRV target ordering (RFC 2782): lowest priority first; within one priority, a weighted
//! random draw, so that load spreads as the zone's weights ask.

/// One SRV record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Srv {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative share among records of the same priority.
    pub weight: u16,
    /// Port of the service on `target`.
    pub port: u16,
    /// Host name to resolve (A/AAAA).
    pub target: String,
}

/// Orders `records` as a client must try them. `draw(n)` returns a number in `0..=n`
/// (random in production, fixed in tests).
pub fn order(mut records: Vec<Srv>, draw: &mut dyn FnMut(u32) -> u32) -> Vec<Srv> {
    // "." as target means the service is not available at this domain.
    records.retain(|r| r.target != "." && !r.target.is_empty());
    records.sort_by_key(|r| r.priority);
    let mut out = Vec::with_capacity(records.len());
    let mut rest = records.as_slice();
    while let Some(first) = rest.first() {
        let n = rest
            .iter()
            .take_while(|r| r.priority == first.priority)
            .count();
        let (group, tail) = rest.split_at(n);
        // Zero-weight records first in the list, as RFC 2782 says, so that they have a
        // small chance of being picked.
        let mut group: Vec<Srv> = group.to_vec();
        group.sort_by_key(|r| r.weight != 0);
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let pick = draw(total);
            let mut running = 0;
            let index = group
                .iter()
                .position(|r| {
                    running += u32::from(r.weight);
                    running >= pick
                })
                .unwrap_or(0);
            out.push(group.remove(index));
        }
        rest = tail;
    }
    out
}

/// A small random source for the weighted draw: not for security, only to spread load.
pub fn random_draw() -> impl FnMut(u32) -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut state = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
        | 1;
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % (u64::from(n) + 1)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(priority: u16, weight: u16, target: &str) -> Srv {
        Srv {
            priority,
            weight,
            port: 5060,
            target: target.into(),
        }
    }

    #[test]
    fn priority_then_weight() {
        let records = vec![
            srv(20, 0, "c"),
            srv(10, 10, "a"),
            srv(10, 90, "b"),
            srv(5, 0, "."),
        ];
        // Always draw the highest value: the last record of the running sum wins.
        let got = order(records.clone(), &mut |n| n);
        let names: Vec<_> = got.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(names, ["b", "a", "c"]);
        // Draw 0: the first (lowest cumulative) record wins.
        let got = order(records, &mut |_| 0);
        let names: Vec<_> = got.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn weights_spread_the_first_pick() {
        let mut draw = random_draw();
        let mut heavy_first = 0;
        for _ in 0..1000 {
            let got = order(vec![srv(1, 10, "light"), srv(1, 90, "heavy")], &mut draw);
            heavy_first += usize::from(got[0].target == "heavy");
        }
        assert!((800..=980).contains(&heavy_first), "{heavy_first}");
    }
}
