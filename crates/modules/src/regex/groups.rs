//! The group file of OpenSIPS' `regex` module: `[n]` starts a group, every other line is one
//! regular expression of the current group, lines starting with a space, a tab, CR, LF or
//! `#` (and empty lines) are skipped. Group `i` is the `i`-th group of the file whatever
//! number its header carries (as in OpenSIPS), compiled as `((re1)|(re2)|...)`.

use ::regex::Regex;

use super::Flags;

/// The limits of the module parameters `max_groups` and `group_max_size`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `max_groups`: how many groups the file may have.
    pub max_groups: usize,
    /// `group_max_size`: how long one group's combined expression may be.
    pub group_max_size: usize,
}

/// Compiles the groups of `text` (the file's content); the error names the line.
pub fn parse(text: &str, flags: Flags, limits: Limits) -> Result<Vec<Regex>, String> {
    // Each group: the line of its header, and its expressions.
    let mut groups: Vec<(usize, Vec<&str>)> = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let n = i + 1;
        match line.chars().next() {
            None | Some(' ' | '\t' | '\r' | '#') => continue,
            Some('[') => {
                if groups.len() == limits.max_groups {
                    return Err(format!(
                        "line {n}: more than max_groups ({}) groups",
                        limits.max_groups
                    ));
                }
                groups.push((n, Vec::new()));
            }
            Some(_) => match groups.last_mut() {
                Some((_, res)) => {
                    // Checked alone first, so that an error names its own line.
                    flags
                        .compile(line)
                        .map_err(|e| format!("line {n}: bad regular expression: {e}"))?;
                    res.push(line);
                }
                None => {
                    return Err(format!(
                        "line {n}: a regular expression before the first [group] line"
                    ))
                }
            },
        }
    }
    groups
        .into_iter()
        .map(|(n, res)| {
            if res.is_empty() {
                return Err(format!("line {n}: the group has no regular expression"));
            }
            let joined = format!(
                "({})",
                res.iter()
                    .map(|r| format!("({r})"))
                    .collect::<Vec<_>>()
                    .join("|")
            );
            if joined.len() > limits.group_max_size {
                return Err(format!(
                    "line {n}: the group is longer than group_max_size ({})",
                    limits.group_max_size
                ));
            }
            flags
                .compile(&joined)
                .map_err(|e| format!("line {n}: bad regular expression in the group: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_groups: 20,
        group_max_size: 8192,
    };

    #[test]
    fn groups_by_position_comments_skipped() {
        let text = "### agents\n[1]\n\n# soft\n^Twinkle/1\n^X-Lite\r\n [0]\n[7]\n^190\\.232\\.\n^1\\d{3}$\n";
        let g = parse(text, Flags::default(), LIMITS).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].as_str(), "((^Twinkle/1)|(^X-Lite))");
        assert!(g[0].is_match("X-Lite 4") && !g[0].is_match("Linphone"));
        assert!(g[1].is_match("1234") && g[1].is_match("190.232.1.1"));
        assert!(!g[1].is_match("12345"));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("^a\n[0]\n^b\n", Flags::default(), LIMITS).unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
        let e = parse("[0]\n^(a\n", Flags::default(), LIMITS).unwrap_err();
        assert!(e.starts_with("line 2: bad regular expression"), "{e}");
        let e = parse("[0]\n[1]\n^a\n", Flags::default(), LIMITS).unwrap_err();
        assert!(e.contains("no regular expression"), "{e}");
        let two = Limits {
            max_groups: 1,
            ..LIMITS
        };
        assert!(parse("[0]\na\n[1]\nb\n", Flags::default(), two).is_err());
        let small = Limits {
            group_max_size: 5,
            ..LIMITS
        };
        assert!(parse("[0]\nabcdef\n", Flags::default(), small).is_err());
    }
}
