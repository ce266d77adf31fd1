//! sed-style substitutions, `'/regex/replacement/flags'` (`\1`..`\9` back-references;
//! flags `i` case-insensitive, `g` every match): sipmsgops' `subst` family and the
//! `{re.subst}` transformation share this one parser.

use regex::{Regex, RegexBuilder};

/// A parsed substitution.
#[derive(Debug)]
pub struct Subst {
    re: Regex,
    /// The replacement in the regex crate's syntax (`${1}`, `$$`).
    repl: String,
    global: bool,
}

impl Subst {
    /// Parses `/re/repl/flags` (any delimiter, `\` escapes it).
    pub fn parse(text: &str) -> Result<Subst, String> {
        let mut chars = text.chars();
        let delim = chars
            .next()
            .ok_or("empty substitution, want /regex/replacement/flags")?;
        let mut parts = vec![String::new()];
        let mut escaped = false;
        for c in chars {
            if escaped {
                if c != delim {
                    parts.last_mut().unwrap_or(&mut String::new()).push('\\');
                }
                if let Some(p) = parts.last_mut() {
                    p.push(c);
                }
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == delim {
                parts.push(String::new());
            } else if let Some(p) = parts.last_mut() {
                p.push(c);
            }
        }
        let [re, repl, flags] = <[String; 3]>::try_from(parts)
            .map_err(|_| format!("bad substitution {text:?}, want /regex/replacement/flags"))?;
        let re = RegexBuilder::new(&re)
            .case_insensitive(flags.contains('i'))
            .multi_line(true)
            .build()
            .map_err(|e| format!("bad regular expression in {text:?}: {e}"))?;
        Ok(Subst {
            re,
            repl: convert_replacement(&repl),
            global: flags.contains('g'),
        })
    }

    /// Whether every match is replaced (flag `g`), not only the first.
    pub fn is_global(&self) -> bool {
        self.global
    }

    /// The text with the substitution applied, or `None` when nothing matched.
    pub fn apply(&self, text: &str) -> Option<String> {
        if !self.re.is_match(text) {
            return None;
        }
        Some(if self.global {
            self.re.replace_all(text, self.repl.as_str()).into_owned()
        } else {
            self.re.replace(text, self.repl.as_str()).into_owned()
        })
    }
}

/// `\N` back-references to `${N}`, a literal `$` to `$$`, `\\` to `\`.
fn convert_replacement(repl: &str) -> String {
    let mut out = String::new();
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => out.push_str(&format!("${{{d}}}")),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}
