//! Dialplan rules: read from the table, kept per dialplan id in priority order, and the
//! translation of one input string (OpenSIPS 3.x semantics: string-equality or regex
//! match, then a `subst_exp`/`repl_exp` substitution, a fixed `repl_exp`, or nothing).

use std::collections::HashMap;

use regex::{Captures, Regex, RegexBuilder};

use crate::auth_db::store::Store;
use crate::timerec::TimeRec;

/// How a rule decides that it applies.
#[derive(Debug)]
enum Matcher {
    /// `match_op` 0: the input equals the text (ignoring case with `match_flags` bit 1).
    Equal { text: String, nocase: bool },
    /// `match_op` 1: the regular expression matches; `match_op` 2 (fnmatch): the
    /// shell-style pattern, translated to one.
    Regex(Regex),
}

/// One row of the table.
#[derive(Debug)]
pub struct Rule {
    id: i64,
    priority: i64,
    matcher: Matcher,
    subst: Option<Regex>,
    repl: Option<String>,
    /// The `timerec` column: the rule applies only inside its windows (always when NULL).
    timerec: Option<TimeRec>,
    /// The `attrs` column ("" when NULL).
    pub attrs: String,
}

/// What a matching rule made of the input.
#[derive(Debug, PartialEq, Eq)]
pub struct Translation {
    /// The output string, when the rule gives one (`repl_exp` set).
    pub output: Option<String>,
    /// The rule's attributes.
    pub attrs: String,
}

/// The column names (`*_col` parameters) and the table.
#[derive(Clone, Debug)]
pub struct Columns {
    /// `table_name`.
    pub table: String,
    /// id, dpid, pr, match_op, match_exp, match_flags, subst_exp, repl_exp, disabled, attrs,
    /// timerec.
    pub names: [String; 11],
}

impl Default for Columns {
    fn default() -> Self {
        let names = [
            "id",
            "dpid",
            "pr",
            "match_op",
            "match_exp",
            "match_flags",
            "subst_exp",
            "repl_exp",
            "disabled",
            "attrs",
            "timerec",
        ]
        .map(str::to_owned);
        Columns {
            table: "dialplan".into(),
            names,
        }
    }
}

/// Every dialplan id's rules, each list sorted by priority then id.
#[derive(Debug, Default)]
pub struct Rules {
    by_dpid: HashMap<i64, Vec<Rule>>,
}

fn compile(expr: &str, nocase: bool) -> Result<Regex, String> {
    RegexBuilder::new(expr)
        .case_insensitive(nocase)
        .build()
        .map_err(|e| format!("bad regular expression '{expr}': {e}"))
}

/// A shell-style pattern (`*`, `?`, `[...]`, `[!...]`), as `fnmatch` reads it, as an anchored
/// regular expression.
fn glob_to_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                out.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    out.push('^');
                }
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    if d == '\\' || d == '[' {
                        out.push('\\');
                    }
                    out.push(d);
                }
                out.push(']');
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push('$');
    out
}

/// `repl` with `\0`..`\9` replaced by the groups of `caps` (a missing group is empty).
fn expand(repl: &str, caps: &Captures) -> String {
    let mut out = String::with_capacity(repl.len());
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                chars.next();
                if let Some(m) = caps.get(d as usize) {
                    out.push_str(m.as_str());
                }
                continue;
            }
        }
        out.push(c);
    }
    out
}

impl Rule {
    /// A rule from its columns; `Err` says why the row is discarded.
    fn from_row(row: &[Option<String>]) -> Result<(i64, Rule), String> {
        let text = |i: usize| row.get(i).cloned().flatten().filter(|s| !s.is_empty());
        let int = |i: usize| {
            text(i)
                .and_then(|s| s.trim().parse::<i64>().ok())
                .unwrap_or(0)
        };
        let id = int(0);
        let nocase = int(5) & 1 != 0;
        let expr = text(4).unwrap_or_default();
        let matcher = match int(3) {
            0 => Matcher::Equal { text: expr, nocase },
            1 => Matcher::Regex(compile(&expr, nocase)?),
            2 => Matcher::Regex(compile(&glob_to_regex(&expr), nocase)?),
            op => return Err(format!("unknown match_op {op}")),
        };
        let rule = Rule {
            id,
            priority: int(2),
            matcher,
            subst: text(6).map(|s| compile(&s, false)).transpose()?,
            repl: text(7),
            timerec: text(10)
                .map(|t| TimeRec::parse(t.trim()).map_err(|e| format!("bad timerec {t:?}: {e}")))
                .transpose()?,
            attrs: text(9).unwrap_or_default(),
        };
        Ok((int(1), rule))
    }

    /// The translation when the rule applies to `input` at the Unix time `now`; `Some(Err)`
    /// when it matches but its `subst_exp` does not. Outside its `timerec` a rule does not
    /// apply, and the next one is tried (as OpenSIPS).
    fn apply(&self, input: &str, now: i64) -> Option<Result<Translation, String>> {
        if self.timerec.as_ref().is_some_and(|t| !t.matches(now)) {
            return None;
        }
        let matched = match &self.matcher {
            Matcher::Equal { text, nocase: true } => text.eq_ignore_ascii_case(input),
            Matcher::Equal {
                text,
                nocase: false,
            } => text == input,
            Matcher::Regex(re) => re.is_match(input),
        };
        if !matched {
            return None;
        }
        let output = match (&self.subst, &self.repl) {
            // As OpenSIPS: the output is the replacement alone, its `\N` taken from the
            // groups of `subst_exp` (which usually spans the whole input).
            (Some(subst), Some(repl)) => {
                let Some(sc) = subst.captures(input) else {
                    return Some(Err(format!(
                        "'{input}' matched rule {} but not its subst_exp '{}'",
                        self.id,
                        subst.as_str()
                    )));
                };
                Some(expand(repl, &sc))
            }
            // Without `subst_exp` the replacement is the output as written.
            (None, Some(repl)) => Some(repl.clone()),
            (_, None) => None,
        };
        Some(Ok(Translation {
            output,
            attrs: self.attrs.clone(),
        }))
    }
}

impl Rules {
    /// Reads the table: enabled rows become rules; a row with a bad expression is left out
    /// (and counted in the returned number of discarded rows).
    pub fn load(store: &dyn Store, cols: &Columns) -> Result<(Rules, Vec<String>), String> {
        let names: Vec<&str> = cols.names.iter().map(String::as_str).collect();
        let rows = store.select(&cols.table, &names, &[])?;
        let mut rules = Rules::default();
        let mut discarded = Vec::new();
        for row in rows {
            let disabled = row
                .get(8)
                .cloned()
                .flatten()
                .is_some_and(|d| d.trim() == "1");
            if disabled {
                continue;
            }
            match Rule::from_row(&row) {
                Ok((dpid, rule)) => rules.by_dpid.entry(dpid).or_default().push(rule),
                Err(e) => discarded.push(format!(
                    "rule {}: {e}",
                    row.first().cloned().flatten().unwrap_or_default()
                )),
            }
        }
        for list in rules.by_dpid.values_mut() {
            list.sort_by_key(|r| (r.priority, r.id));
        }
        Ok((rules, discarded))
    }

    /// How many rules were kept.
    pub fn len(&self) -> usize {
        self.by_dpid.values().map(Vec::len).sum()
    }

    /// The first rule of `dpid` (by priority, then id) that applies to `input` at the Unix
    /// time `now`.
    pub fn translate(
        &self,
        dpid: i64,
        input: &str,
        now: i64,
    ) -> Option<Result<Translation, String>> {
        self.by_dpid
            .get(&dpid)?
            .iter()
            .find_map(|rule| rule.apply(input, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cols: &[&str]) -> Vec<Option<String>> {
        cols.iter()
            .map(|c| (!c.is_empty()).then(|| (*c).to_owned()))
            .collect()
    }

    fn rules(rows: &[&[&str]]) -> Rules {
        let mut r = Rules::default();
        for cols in rows {
            let (dpid, rule) = Rule::from_row(&row(cols)).unwrap();
            r.by_dpid.entry(dpid).or_default().push(rule);
        }
        for list in r.by_dpid.values_mut() {
            list.sort_by_key(|r| (r.priority, r.id));
        }
        r
    }

    #[test]
    fn subst_replacement_detection_and_equality() {
        // id dpid pr op match_exp flags subst repl disabled attrs
        let r = rules(&[
            &[
                "1",
                "0",
                "10",
                "1",
                r"^(0040|\+40|0|40)21[0-9]+",
                "0",
                r"^(0040|\+40|0|40)(.+)",
                r"40\2",
                "0",
                "",
            ],
            &[
                "2",
                "0",
                "5",
                "1",
                "^((Germany)|(Deutschland))",
                "1",
                "",
                "DE",
                "0",
                "country",
            ],
            &[
                "3",
                "0",
                "20",
                "1",
                "^021456[0-9]{5}$",
                "0",
                "",
                "",
                "0",
                "serviceX",
            ],
            &[
                "4",
                "1",
                "1",
                "0",
                "SIP server",
                "1",
                "",
                "OpenSIPS",
                "0",
                "",
            ],
        ]);
        let t = |dpid, s: &str| r.translate(dpid, s, 0).map(|x| x.unwrap());
        assert_eq!(
            t(0, "0040211234").unwrap().output.as_deref(),
            Some("40211234")
        );
        assert_eq!(
            t(0, "+40211234").unwrap().output.as_deref(),
            Some("40211234")
        );
        let de = t(0, "germany").unwrap();
        assert_eq!(
            (de.output.as_deref(), de.attrs.as_str()),
            (Some("DE"), "country")
        );
        // Priority 10 beats 20: 021456... matches rule 1 first.
        assert_eq!(
            t(0, "02145612345").unwrap().output.as_deref(),
            Some("402145612345")
        );
        assert_eq!(
            t(1, "sip SERVER").unwrap().output.as_deref(),
            Some("OpenSIPS")
        );
        assert!(t(1, "SIP serverx").is_none());
        assert!(t(0, "12345").is_none());
        assert!(t(7, "x").is_none());
    }

    #[test]
    fn the_output_is_the_replacement_alone_and_fnmatch_patterns_match() {
        let r = rules(&[
            &["1", "0", "0", "1", "^00", "0", "^00", "+", "0", ""],
            &["2", "1", "0", "2", "0[1-3]*", "0", "", "area", "0", ""],
            &["3", "1", "1", "2", "*", "0", "", r"\1", "0", ""],
        ]);
        let out = |dpid, s: &str| r.translate(dpid, s, 0).unwrap().unwrap().output;
        assert_eq!(out(0, "0049301234").as_deref(), Some("+"));
        assert_eq!(out(1, "02123").as_deref(), Some("area"));
        // Without subst_exp the replacement is copied as written.
        assert_eq!(out(1, "0499").as_deref(), Some(r"\1"));
        assert_eq!(glob_to_regex("a*b?[!x].c"), r"^a.*b.[^x]\.c$");
    }

    #[test]
    fn a_subst_that_does_not_match_is_an_error_and_bad_rows_are_refused() {
        let r = rules(&[&["1", "0", "0", "1", "^9", "0", "^8(.*)", r"\1", "0", ""]]);
        assert!(r.translate(0, "912", 0).unwrap().is_err());
        assert!(Rule::from_row(&row(&["1", "0", "0", "1", "(", "0", "", "", "0", ""])).is_err());
        assert!(Rule::from_row(&row(&["1", "0", "0", "5", "x", "0", "", "", "0", ""])).is_err());
    }

    #[test]
    fn a_rule_outside_its_timerec_gives_way_to_the_next_one() {
        // Rule 1 (priority 0) only on weekdays 09:00-17:00 UTC; rule 2 (priority 1) always.
        let office = "20260105T090000|20260105T170000||WEEKLY|||MO,TU,WE,TH,FR";
        let r = rules(&[
            &["1", "0", "0", "0", "100", "0", "", "desk", "0", "", office],
            &["2", "0", "1", "0", "100", "0", "", "voicemail", "0", ""],
        ]);
        let out = |now| r.translate(0, "100", now).unwrap().unwrap().output;
        // 2026-11-25 (a Wednesday) 10:00 UTC, then 20:00 UTC, then Saturday 2026-11-28 10:00.
        assert_eq!(out(1_795_600_800).as_deref(), Some("desk"));
        assert_eq!(out(1_795_636_800).as_deref(), Some("voicemail"));
        assert_eq!(out(1_795_860_000).as_deref(), Some("voicemail"));
        let bad = row(&["3", "0", "0", "0", "x", "0", "", "", "0", "", "yesterday"]);
        assert!(Rule::from_row(&bad).unwrap_err().contains("bad timerec"));
    }
}
