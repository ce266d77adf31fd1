//! `avp_check`'s operation string `op/value[/flags]`: `eq ne lt le gt ge` compare (as
//! integers when both sides are, else as text), `re` a regular expression, `fm` a shell
//! wildcard, `and or xor` bitwise (true when the result is non-zero); flags `g` (any value of
//! the AVP, not only the last one added) and `i` (case-insensitive text).

use regex::{Regex, RegexBuilder};
use siplua_core::value::Value;

use crate::permissions::matching::wildcard;

/// A parsed operation (prepared once at load time when the operation string is constant).
pub struct Check {
    op: String,
    value: String,
    all: bool,
    nocase: bool,
    /// `re`: the compiled expression (`None` when it does not compile: nothing matches).
    re: Option<Regex>,
}

impl Check {
    /// Parses `op/value[/flags]`.
    pub fn parse(text: &str) -> Result<Check, String> {
        let (op, rest) = text
            .split_once('/')
            .ok_or_else(|| format!("bad operation {text:?} (want op/value[/flags])"))?;
        let (value, flags) = match rest.rsplit_once('/') {
            Some((v, f)) if f.chars().all(|c| c == 'g' || c == 'i') => (v, f),
            _ => (rest, ""),
        };
        let op = op.trim().to_ascii_lowercase();
        const OPS: [&str; 11] = [
            "eq", "ne", "lt", "le", "gt", "ge", "re", "fm", "and", "or", "xor",
        ];
        if !OPS.contains(&op.as_str()) {
            return Err(format!("unknown operator {op:?}"));
        }
        let nocase = flags.contains('i');
        let re = (op == "re")
            .then(|| {
                RegexBuilder::new(value)
                    .case_insensitive(nocase)
                    .build()
                    .ok()
            })
            .flatten();
        Ok(Check {
            op,
            value: value.to_owned(),
            all: flags.contains('g'),
            nocase,
            re,
        })
    }

    /// 1 when the last added value (every value with `g`: any of them) passes, else -1.
    pub fn run<'a>(&self, values: impl Iterator<Item = &'a Value>) -> i32 {
        let values: Vec<&Value> = values.collect();
        // The AVP list keeps the most recent value first.
        let chosen: Vec<&Value> = if self.all {
            values
        } else {
            values.into_iter().take(1).collect()
        };
        if chosen.iter().any(|v| self.test(v)) {
            1
        } else {
            -1
        }
    }

    fn test(&self, v: &Value) -> bool {
        let text = v.as_str();
        let ints = (text.trim().parse::<i64>(), self.value.trim().parse::<i64>());
        match self.op.as_str() {
            "re" => self.re.as_ref().is_some_and(|re| re.is_match(&text)),
            "fm" => wildcard(
                self.fold(&self.value).as_bytes(),
                self.fold(&text).as_bytes(),
            ),
            "and" | "or" | "xor" => match ints {
                (Ok(a), Ok(b)) => match self.op.as_str() {
                    "and" => a & b != 0,
                    "or" => a | b != 0,
                    _ => a ^ b != 0,
                },
                _ => false,
            },
            op => {
                let ord = match ints {
                    (Ok(a), Ok(b)) => a.cmp(&b),
                    _ => self.fold(&text).cmp(&self.fold(&self.value)),
                };
                match op {
                    "eq" => ord.is_eq(),
                    "ne" => ord.is_ne(),
                    "lt" => ord.is_lt(),
                    "le" => ord.is_le(),
                    "gt" => ord.is_gt(),
                    _ => ord.is_ge(),
                }
            }
        }
    }

    fn fold(&self, s: &str) -> String {
        if self.nocase {
            s.to_lowercase()
        } else {
            s.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(op: &str, v: &str) -> i32 {
        Check::parse(op).unwrap().run([Value::Str(v.into())].iter())
    }

    #[test]
    fn operations() {
        assert_eq!(check("eq/10", "10"), 1);
        assert_eq!(check("lt/9", "10"), -1);
        assert_eq!(check("gt/9", "10"), 1);
        assert_eq!(check("eq/ABC/i", "abc"), 1);
        assert_eq!(check("eq/ABC", "abc"), -1);
        assert_eq!(check("re/^\\+49[0-9]+$", "+4930123"), 1);
        assert_eq!(check("re/^ABC$/i", "abc"), 1);
        assert_eq!(check("re/(", "("), -1, "a bad expression matches nothing");
        assert_eq!(check("fm/sip:*@example.com", "sip:a@example.com"), 1);
        assert_eq!(check("and/4", "6"), 1);
        assert_eq!(check("and/1", "6"), -1);
        assert_eq!(check("eq/a/b", "a/b"), 1, "a slash inside the value");
        assert!(Check::parse("zz/1").is_err());
        assert!(Check::parse("eq").is_err());
    }
}
