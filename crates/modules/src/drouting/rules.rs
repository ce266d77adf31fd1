//! The routing rules of `dr_rules`: which gateways and carriers a number in a group goes
//! to. The rule with the longest prefix of the number wins; among rules with one prefix,
//! the highest priority; a rule with a time recurrence only while it matches.

use super::gateways::{self, Carrier, Gateway};
use crate::auth_db::store::Store;
use crate::timerec::TimeRec;

/// One entry of a gwlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A gateway, by index.
    Gw(usize),
    /// A carrier (`#id` in the list), by index.
    Carrier(usize),
}

/// One row of `dr_rules`.
#[derive(Debug)]
pub struct Rule {
    /// The ruleid.
    pub id: i64,
    /// The groups it belongs to (the groupid column is a comma list).
    pub groups: Vec<i64>,
    /// The number prefix (empty: every number).
    pub prefix: String,
    /// When the rule applies (none: always).
    pub timerec: Option<TimeRec>,
    /// Order among rules with the same prefix, highest first.
    pub priority: i64,
    /// The gateways and carriers, with their weights, in list order.
    pub entries: Vec<(Entry, u32)>,
    /// `N` (list order), `W` (weights) or `Q` (taken as `N`).
    pub sort_alg: char,
    /// Opaque attributes for the script.
    pub attrs: String,
}

/// Resolves a gwlist against the loaded gateways and carriers; unknown ids are left out
/// (logged with `rule`).
pub fn entries(rule: i64, list: &str, gws: &[Gateway], carriers: &[Carrier]) -> Vec<(Entry, u32)> {
    let mut out = Vec::new();
    for (id, w) in gateways::split_list(list) {
        let e = match id.strip_prefix('#') {
            Some(c) => carriers.iter().position(|x| x.id == c).map(Entry::Carrier),
            None => gws.iter().position(|g| g.id == id).map(Entry::Gw),
        };
        match e {
            Some(e) => out.push((e, w)),
            None => super::log_warn(&format!(
                "rule {rule}: unknown gateway or carrier {id} left out"
            )),
        }
    }
    out
}

/// Reads `dr_rules`.
pub fn load(
    store: &dyn Store,
    table: &str,
    gws: &[Gateway],
    carriers: &[Carrier],
) -> Result<Vec<Rule>, String> {
    let cols = [
        "ruleid", "groupid", "prefix", "timerec", "priority", "gwlist", "sort_alg", "attrs",
    ];
    let rows = store.select(table, &cols, &[])?;
    let mut out = Vec::new();
    for row in rows {
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let id = text(0).trim().parse().unwrap_or(0);
        let mut groups = Vec::new();
        for g in text(1).split(',').map(str::trim).filter(|g| !g.is_empty()) {
            groups.push(
                g.parse()
                    .map_err(|_| format!("rule {id}: bad groupid {g:?}"))?,
            );
        }
        let entries = entries(id, &text(5), gws, carriers);
        let timerec = match text(3).trim() {
            "" => None,
            t => match TimeRec::parse(t) {
                Ok(r) => Some(r),
                Err(e) => {
                    super::log_warn(&format!(
                        "rule {id}: bad timerec {t:?} ({e}), rule left out"
                    ));
                    continue;
                }
            },
        };
        out.push(Rule {
            id,
            groups,
            prefix: text(2).trim().to_owned(),
            timerec,
            priority: text(4).trim().parse().unwrap_or(0),
            entries,
            sort_alg: gateways::sort_alg(&text(6)),
            attrs: text(7),
        });
    }
    Ok(out)
}

/// The rules `number` matches in `group` at Unix time `now`: per prefix length, the one with
/// the highest priority (the first in the table on a tie) among those whose time recurrence
/// matches, longest prefix first. With `strict`, only a prefix equal to the whole number
/// matches.
pub fn matching<'a>(
    rules: &'a [Rule],
    group: i64,
    number: &str,
    strict: bool,
    now: i64,
) -> Vec<&'a Rule> {
    let mut hits: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.groups.contains(&group))
        .filter(|r| match strict {
            true => number == r.prefix,
            false => number.starts_with(&r.prefix),
        })
        // Last: the cheap tests first.
        .filter(|r| r.timerec.as_ref().is_none_or(|t| t.matches(now)))
        .collect();
    // Stable: equal keys keep the table order.
    hits.sort_by_key(|r| {
        (
            std::cmp::Reverse(r.prefix.len()),
            std::cmp::Reverse(r.priority),
        )
    });
    hits.dedup_by_key(|r| r.prefix.len());
    hits
}

/// True when every character of `number` may appear in a prefix: digits, `+` and `extra`.
pub fn valid_number(number: &str, extra: &str) -> bool {
    number
        .chars()
        .all(|c| c.is_ascii_digit() || c == '+' || extra.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, prefix: &str, priority: i64) -> Rule {
        Rule {
            id,
            groups: vec![1],
            prefix: prefix.into(),
            timerec: None,
            priority,
            entries: Vec::new(),
            sort_alg: 'N',
            attrs: String::new(),
        }
    }

    #[test]
    fn longest_prefix_then_priority() {
        let rules = [
            rule(1, "", 0),
            rule(2, "49", 0),
            rule(3, "49", 5),
            rule(4, "4930", 0),
        ];
        let ids = |v: Vec<&Rule>| v.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(matching(&rules, 1, "493012", false, 0)), [4, 3, 1]);
        assert_eq!(ids(matching(&rules, 1, "4412", false, 0)), [1]);
        assert_eq!(
            ids(matching(&rules, 2, "4412", false, 0)),
            Vec::<i64>::new()
        );
        assert_eq!(ids(matching(&rules, 1, "49", true, 0)), [3]);
        assert!(valid_number("+4930", ""));
        assert!(!valid_number("bob", ""));
        assert!(valid_number("*12", "*"));
    }

    #[test]
    fn a_rule_applies_only_while_its_timerec_matches() {
        // 1591357895: Friday 2020-06-05 11:51:35 UTC.
        let now = 1_591_357_895;
        let office = |id, prio| Rule {
            timerec: Some(
                TimeRec::parse("UTC|20200106T080000||PT9H|WEEKLY|||MO,TU,WE,TH,FR").unwrap(),
            ),
            ..rule(id, "49", prio)
        };
        let rules = [rule(1, "", 0), rule(2, "49", 0), office(3, 5), office(4, 5)];
        let ids = |v: Vec<&Rule>| v.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(matching(&rules, 1, "4930", false, now)), [3, 1]);
        // Saturday: the office rules are out, the other rule of the prefix applies.
        assert_eq!(
            ids(matching(&rules, 1, "4930", false, now + 86_400)),
            [2, 1]
        );
        let only_office = [rule(1, "", 0), office(3, 5)];
        assert_eq!(
            ids(matching(&only_office, 1, "4930", false, now + 86_400)),
            [1]
        );
    }
}
