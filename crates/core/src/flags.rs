//! Named and numbered flags (`setflag(NAT)`, `setflag(5)`, `modparam("usrloc", "nat_bflag",
//! "NAT_BFLAG")`).
//!
//! OpenSIPS 3 lets scripts name flags; a name gets the next free bit the first time it is
//! seen, and a number is used as is. Message flags and branch flags are separate sets of 64.

use std::collections::HashMap;
use std::sync::OnceLock;

use parking_lot::Mutex;

/// Which set of flags a name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlagSet {
    /// Message (transaction) flags: `setflag`.
    Message,
    /// Branch flags: `setbflag`.
    Branch,
}

/// Number of flags in each set.
pub const FLAG_COUNT: u32 = 64;

fn names() -> &'static Mutex<HashMap<(FlagSet, String), u32>> {
    static NAMES: OnceLock<Mutex<HashMap<(FlagSet, String), u32>>> = OnceLock::new();
    NAMES.get_or_init(Default::default)
}

/// The bit of a flag written as a number (0–63) or a name (allocated on first use).
pub fn flag_bit(set: FlagSet, spec: &str) -> Result<u32, String> {
    let spec = spec.trim();
    if let Some(n) = crate::value::parse_int(spec) {
        return if (0..FLAG_COUNT as i64).contains(&n) {
            Ok(n as u32)
        } else {
            Err(format!("flag {n} is out of range 0..{}", FLAG_COUNT - 1))
        };
    }
    if spec.is_empty() || !spec.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("invalid flag name '{spec}'"));
    }
    let mut map = names().lock();
    if let Some(bit) = map.get(&(set, spec.to_owned())) {
        return Ok(*bit);
    }
    let used: Vec<u32> = map
        .iter()
        .filter(|((s, _), _)| *s == set)
        .map(|(_, b)| *b)
        .collect();
    // Named flags are allocated from the top so that small numbered flags stay free.
    let bit = (0..FLAG_COUNT)
        .rev()
        .find(|b| !used.contains(b))
        .ok_or("too many named flags")?;
    map.insert((set, spec.to_owned()), bit);
    Ok(bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_stable_bits() {
        let a = flag_bit(FlagSet::Message, "TEST_FLAG_A").unwrap();
        let b = flag_bit(FlagSet::Message, "TEST_FLAG_B").unwrap();
        assert_ne!(a, b);
        assert_eq!(flag_bit(FlagSet::Message, "TEST_FLAG_A").unwrap(), a);
        assert_eq!(flag_bit(FlagSet::Branch, "7").unwrap(), 7);
        assert!(flag_bit(FlagSet::Branch, "64").is_err());
        assert!(flag_bit(FlagSet::Branch, "bad name").is_err());
    }
}
