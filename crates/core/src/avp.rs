//! AVPs (attribute-value pairs): the multi-valued variables of a message or transaction.
//!
//! As in OpenSIPS, `$avp(x) = v` adds a value in front of the earlier ones, `$avp(x)` (index 0)
//! reads the newest, `$avp(x)[-1]` the oldest, `$avp(x) := v` replaces all values and
//! `$avp(x) = NULL` deletes them all. The list travels with the message into its transaction,
//! so failure, reply and branch routes see what the request route stored.

use crate::value::Value;

/// The AVPs of one message or transaction, newest last in memory.
#[derive(Clone, Debug, Default)]
pub struct AvpList {
    entries: Vec<(Box<str>, Value)>,
}

impl AvpList {
    /// Adds a value in front of the existing ones (`$avp(x) = v`, Lua `AVP_set`).
    pub fn add(&mut self, name: &str, value: Value) {
        self.entries.push((name.into(), value));
    }

    /// Replaces every value of `name` with one (`$avp(x) := v`).
    pub fn set_only(&mut self, name: &str, value: Value) {
        self.remove_all(name);
        if !value.is_null() {
            self.add(name, value);
        }
    }

    /// The value at `index` counting from the newest (0) or, when negative, from the oldest
    /// (-1); `None` when there is no such value.
    pub fn get(&self, name: &str, index: i64) -> Option<&Value> {
        let pos = self.position(name, index)?;
        Some(&self.entries[pos].1)
    }

    /// Every value of `name`, newest first (`$(avp(x)[*])`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.entries
            .iter()
            .rev()
            .filter(move |(n, _)| &**n == name)
            .map(|(_, v)| v)
    }

    /// Every (name, value) pair, newest first (avpops' `$avp(*)`).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> + '_ {
        self.entries.iter().rev().map(|(n, v)| (&**n, v))
    }

    /// Number of values stored under `name`.
    pub fn count(&self, name: &str) -> usize {
        self.all(name).count()
    }

    /// Overwrites the value at `index` (`$avp(x)[1] = v`); false when there is none there.
    pub fn replace(&mut self, name: &str, index: i64, value: Value) -> bool {
        match self.position(name, index) {
            Some(pos) => {
                self.entries[pos].1 = value;
                true
            }
            None => false,
        }
    }

    /// Deletes the value at `index`; false when there is none there.
    pub fn remove_at(&mut self, name: &str, index: i64) -> bool {
        match self.position(name, index) {
            Some(pos) => {
                self.entries.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Deletes every value of `name`; returns how many there were.
    pub fn remove_all(&mut self, name: &str) -> usize {
        let before = self.entries.len();
        self.entries.retain(|(n, _)| &**n != name);
        before - self.entries.len()
    }

    /// True when no AVP is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, name: &str, index: i64) -> Option<usize> {
        let matching = || {
            self.entries
                .iter()
                .enumerate()
                .filter(|(_, (n, _))| &**n == name)
        };
        if index >= 0 {
            matching().rev().nth(index as usize).map(|(i, _)| i)
        } else {
            matching().nth((-index - 1) as usize).map(|(i, _)| i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_and_negative_indexes() {
        let mut l = AvpList::default();
        l.add("x", Value::Int(1));
        l.add("y", "other".into());
        l.add("x", Value::Int(2));
        assert_eq!(l.get("x", 0), Some(&Value::Int(2)));
        assert_eq!(l.get("x", 1), Some(&Value::Int(1)));
        assert_eq!(l.get("x", -1), Some(&Value::Int(1)));
        assert_eq!(l.get("x", 2), None);
        assert_eq!(
            l.all("x").cloned().collect::<Vec<_>>(),
            vec![Value::Int(2), Value::Int(1)]
        );
        assert!(l.remove_at("x", 0));
        assert_eq!(l.get("x", 0), Some(&Value::Int(1)));
        l.set_only("x", "z".into());
        assert_eq!(l.count("x"), 1);
        assert_eq!(l.remove_all("x"), 1);
        assert_eq!(l.get("y", 0), Some(&Value::from("other")));
    }
}
