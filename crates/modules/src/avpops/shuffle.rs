//! `avp_shuffle($avp(name))`: puts the values of an AVP in a random order (for example to
//! try gateways in random order), as OpenSIPS 3.x does. Returns 1, or -1 when the AVP has no
//! value.

use siplua_core::context::Context;
use siplua_core::value::Value;

/// Runs a call on the AVP `name`.
pub fn run(ctx: &mut Context, name: &str) -> i32 {
    let mut values: Vec<Value> = ctx.avps.all(name).cloned().collect();
    if values.is_empty() {
        return -1;
    }
    shuffle(&mut values, |bound| getrandom::u32().unwrap_or(0) % bound);
    ctx.avps.remove_all(name);
    // Added oldest first, so `values[0]` ends up newest.
    for v in values.into_iter().rev() {
        ctx.avps.add(name, v);
    }
    1
}

/// Fisher-Yates with `draw(bound)` giving a number below `bound`.
fn shuffle<T>(items: &mut [T], mut draw: impl FnMut(u32) -> u32) {
    for i in (1..items.len()).rev() {
        let bound = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let j = draw(bound) as usize;
        items.swap(i, j.min(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutes() {
        let mut v = vec![1, 2, 3, 4];
        // Always draw 0: each position swaps with the first.
        shuffle(&mut v, |_| 0);
        assert_eq!(v, vec![2, 3, 4, 1]);
        let mut v = vec![1, 2, 3];
        shuffle(&mut v, |b| b - 1);
        assert_eq!(v, vec![1, 2, 3], "drawing the top keeps the order");
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut v = vec![1, 2, 3];
            shuffle(&mut v, |b| getrandom::u32().unwrap() % b);
            let mut sorted = v.clone();
            sorted.sort();
            assert_eq!(sorted, vec![1, 2, 3]);
            seen.insert(v);
        }
        assert_eq!(seen.len(), 6, "every order shows up");
    }
}
