//! The rule files of `allow_routing`, `allow_register` and `allow_uri`, in OpenSIPS' syntax
//! (like tcpd's `hosts.allow`): one rule a line, `LEFT : RIGHT`, where each side is `ALL` or
//! a comma list of regular expressions (POSIX extended, case-insensitive, matching anywhere
//! unless anchored; quotes around one are dropped), optionally followed by ` EXCEPT ` and a
//! second list that must not match. `#` starts a comment outside quotes. A rule matches a
//! (left, right) pair when both of its sides do.

use regex::{Regex, RegexBuilder};

/// One side of a rule.
#[derive(Debug)]
struct Side {
    /// `None` for `ALL`.
    any_of: Option<Vec<Regex>>,
    /// The `EXCEPT` list.
    except: Vec<Regex>,
}

impl Side {
    fn matches(&self, text: &str) -> bool {
        let listed = self
            .any_of
            .as_ref()
            .is_none_or(|l| l.iter().any(|r| r.is_match(text)));
        listed && !self.except.iter().any(|r| r.is_match(text))
    }
}

/// One parsed rule.
#[derive(Debug)]
struct Rule {
    left: Side,
    right: Side,
}

/// The rules of one file, in file order; empty for a missing file.
#[derive(Debug, Default)]
pub struct Rules(Vec<Rule>);

impl Rules {
    /// Parses a file's text; the error names the 1-based line and what is wrong with it.
    pub fn parse(text: &str) -> Result<Rules, (usize, String)> {
        let mut rules = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if let Some(rule) = parse_line(line).map_err(|e| (i + 1, e))? {
                rules.push(rule);
            }
        }
        Ok(Rules(rules))
    }

    /// True when the file has no rule (a missing or empty file).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether some rule matches the pair.
    pub fn matches(&self, left: &str, right: &str) -> bool {
        self.0
            .iter()
            .any(|r| r.left.matches(left) && r.right.matches(right))
    }
}

/// The byte positions of `needle` outside double quotes, within `s`.
fn unquoted(s: &str, needle: u8) -> impl Iterator<Item = usize> + '_ {
    let mut quoted = false;
    s.bytes().enumerate().filter_map(move |(i, b)| {
        if b == b'"' {
            quoted = !quoted;
        }
        (b == needle && !quoted).then_some(i)
    })
}

/// A rule, or `None` for a blank or comment line.
fn parse_line(line: &str) -> Result<Option<Rule>, String> {
    let line = match unquoted(line, b'#').next() {
        Some(hash) => &line[..hash],
        None => line,
    };
    if line.trim().is_empty() {
        return Ok(None);
    }
    // As OpenSIPS: the last colon outside quotes separates the sides.
    let Some(colon) = unquoted(line, b':').last() else {
        return Err(format!(
            "no `:` between the two sides of the rule: {line:?}"
        ));
    };
    let (left, right) = (&line[..colon], &line[colon + 1..]);
    if left.trim().is_empty() || right.trim().is_empty() {
        return Err(format!("a side of the rule is empty: {line:?}"));
    }
    Ok(Some(Rule {
        left: parse_side(left)?,
        right: parse_side(right)?,
    }))
}

fn parse_side(text: &str) -> Result<Side, String> {
    let (main, except) = match text.find(" EXCEPT ") {
        Some(at) => (&text[..at], parse_list(&text[at + " EXCEPT ".len()..])?),
        None => (text, Vec::new()),
    };
    let any_of = match main.trim() {
        "ALL" => None,
        _ => Some(parse_list(main)?),
    };
    Ok(Side { any_of, except })
}

/// A comma list of expressions (commas inside quotes do not split).
fn parse_list(text: &str) -> Result<Vec<Regex>, String> {
    let mut cuts: Vec<usize> = unquoted(text, b',').collect();
    cuts.push(text.len());
    let mut start = 0;
    let mut list = Vec::with_capacity(cuts.len());
    for end in cuts {
        let item = text[start..end].trim();
        start = end + 1;
        let item = item
            .strip_prefix('"')
            .map_or(item, |s| s.strip_suffix('"').unwrap_or(s));
        if item.is_empty() {
            return Err(format!("an empty expression in {:?}", text.trim()));
        }
        let re = RegexBuilder::new(item)
            .case_insensitive(true)
            .build()
            .map_err(|e| format!("bad regular expression {item:?}: {e}"))?;
        list.push(re);
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Rules {
        Rules::parse(text).unwrap()
    }

    #[test]
    fn all_lists_and_exceptions() {
        let r = rules(
            "# comment\n\n\
             \"^sip:alice@\", \"^sip:bob@\" : ALL EXCEPT \"^sip:900\"   # trailing\n\
             ALL EXCEPT \"^sip:mallory@\" : \"^sip:1[0-9]+@gw\\.example\\.com$\"\n",
        );
        assert!(r.matches("sip:alice@a.com", "sip:123@x"));
        assert!(r.matches("sip:BOB@a.com", "sip:123@x"), "case-insensitive");
        assert!(!r.matches("sip:alice@a.com", "sip:9001@x"), "except");
        assert!(r.matches("sip:carol@a.com", "sip:100@gw.example.com"));
        assert!(!r.matches("sip:mallory@a.com", "sip:100@gw.example.com"));
        assert!(!r.matches("sip:carol@a.com", "sip:900@x"));
        assert!(!rules("").matches("a", "b"));
        assert!(rules("").is_empty());
    }

    #[test]
    fn quotes_protect_colons_commas_and_hashes() {
        let r = rules("\"^sip:a,b#c@x\" : ALL\n");
        assert!(r.matches("sip:a,b#c@x", "anything"));
        assert!(!r.matches("sip:a@x", "anything"));
        // Unquoted expressions are regular expressions too.
        assert!(rules("ALL : gw1\\.example\n").matches("x", "sip:1@GW1.example"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        assert_eq!(Rules::parse("ALL : ALL\nALL ALL\n").unwrap_err().0, 2);
        assert!(Rules::parse(": ALL\n").is_err());
        assert!(Rules::parse("ALL :\n").is_err());
        assert!(Rules::parse("\"a\",,\"b\" : ALL\n").is_err());
        let (line, msg) = Rules::parse("# x\n\"(\" : ALL\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(msg.contains("bad regular expression"), "{msg}");
    }
}
