//! The argument syntax the avpops functions share: an argument read as the script wrote it
//! (avpops arguments name variables instead of reading them), `$avp(name)` names, other
//! variables, and `/flags` letters.

use siplua_core::function::PreparedArg;
use siplua_core::log;
use siplua_core::pv::{CompiledPv, NoModulePvs};

/// The text of an argument as the script wrote it, variables by their source text.
pub fn raw_text(arg: &PreparedArg) -> Option<String> {
    match arg {
        PreparedArg::Str(s) => Some(s.to_string()),
        PreparedArg::Pv(pv) => Some(pv.text.to_string()),
        PreparedArg::Format(f) => Some(f.source_text()),
        PreparedArg::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// The name inside `$avp(name)` (an error for anything else).
pub fn avp_name(text: &str) -> Result<String, String> {
    text.trim()
        .strip_prefix("$avp(")
        .and_then(|s| s.strip_suffix(')'))
        .filter(|s| !s.is_empty() && !s.contains(['$', '(', ')', '/']))
        .map(str::to_owned)
        .ok_or_else(|| format!("expected \"$avp(name)\", got {text:?}"))
}

/// `name[/flags]`: the part before the first `/` and the flags after it (empty when none).
pub fn split_flags(text: &str) -> (&str, &str) {
    match text.split_once('/') {
        Some((name, flags)) => (name.trim(), flags.trim()),
        None => (text.trim(), ""),
    }
}

/// Flag letters, case-insensitive, each one of `allowed`; returned lower-cased.
pub fn flags(text: &str, allowed: &str) -> Result<String, String> {
    let lower = text.to_ascii_lowercase();
    match lower.chars().find(|c| !allowed.contains(*c)) {
        Some(c) => Err(format!(
            "unknown flag '{c}' in {text:?} (allowed: {})",
            allowed
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => Ok(lower),
    }
}

/// A variable argument: an AVP (all its values count) or any other variable.
pub enum Var {
    /// `$avp(name)`.
    Avp(String),
    /// Another pseudo-variable, read per call.
    Pv(Box<CompiledPv>),
}

impl Var {
    /// Parses `$avp(name)` or another built-in variable (`$fd`, `$var(x)`, ...).
    pub fn parse(text: &str) -> Result<Var, String> {
        let text = text.trim();
        if !text.starts_with('$') {
            return Err(format!("expected a variable, got {text:?}"));
        }
        if text.starts_with("$avp(") {
            return avp_name(text).map(Var::Avp);
        }
        CompiledPv::parse(text, &NoModulePvs)
            .map(|pv| Var::Pv(Box::new(pv)))
            .map_err(|e| format!("{text:?}: {e}"))
    }
}

/// Logs a failed call and gives its return code, -1.
pub fn fail(function: &str, text: &str) -> i32 {
    log::emit(log::level::ERR, "avpops", &format!("{function}: {text}"));
    -1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flags() {
        assert_eq!(avp_name(" $avp(a_1) ").unwrap(), "a_1");
        assert!(avp_name("$avp()").is_err());
        assert!(avp_name("$var(x)").is_err());
        assert_eq!(split_flags("$avp(x)/gD"), ("$avp(x)", "gD"));
        assert_eq!(split_flags("$avp(x)"), ("$avp(x)", ""));
        assert_eq!(flags("gD", "gd").unwrap(), "gd");
        assert!(flags("gx", "gd").unwrap_err().contains("'x'"));
        assert!(matches!(Var::parse("$avp(x)"), Ok(Var::Avp(n)) if n == "x"));
        assert!(matches!(Var::parse("$fd"), Ok(Var::Pv(_))));
        assert!(Var::parse("fd").is_err());
        assert!(Var::parse("$nosuchvariable").is_err());
    }
}
