//! The flags strings of `save()` and `lookup()`, parsed once at load time when constant.
//!
//! Both OpenSIPS spellings are read: the letters of the 2.x/3.x documentation (`"mc5"`,
//! `"p2"`, `"e30E3600"`) and words separated by commas (`"no-reply,max-contacts=5"`). A
//! malformed number is a load error; an unknown flag is ignored (it may belong to a feature
//! siplua does not have, like OpenSIPS' database or push-notification flags).

use std::sync::Arc;

use siplua_core::function::PreparedArg;

/// What `save()` does with Path headers (RFC 3327).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PathMode {
    /// Path headers are ignored (nothing stored).
    #[default]
    Ignore,
    /// `p0` / `path-off`: stored, never echoed in the 200.
    Off,
    /// `p1` / `path-lazy`: stored; echoed when the REGISTER has `Supported: path`.
    Lazy,
    /// `p2` / `path` / `path-strict`: stored and echoed only with `Supported: path`; without
    /// it a REGISTER with Path is rejected with 420 (what RFC 3327 asks).
    Strict,
}

/// Flags of `save()`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveFlags {
    /// `r` / `no-reply`: do not answer the REGISTER.
    pub no_reply: bool,
    /// Path handling.
    pub path: Option<PathMode>,
    /// `v` / `path-received`: the `received` parameter of the first Path URI is the
    /// contact's real source (a load balancer in front saw it).
    pub path_received: bool,
    /// `cN` / `max-contacts=N`: overrides the `max_contacts` parameter.
    pub max_contacts: Option<u32>,
    /// `eN` / `min-expires=N`: overrides `min_expires`.
    pub min_expires: Option<u32>,
    /// `EN` / `max-expires=N`: overrides `max_expires`.
    pub max_expires: Option<u32>,
    /// `f` / `force-registration`: over `max_contacts`, drop the oldest bindings instead of
    /// rejecting the REGISTER.
    pub force: bool,
}

/// Flags of `lookup()`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupFlags {
    /// `b` / `no-branches`: only the best contact (R-URI), no extra branches.
    pub no_branches: bool,
    /// `B` / `to-branches-only` / `branch`: every contact becomes a branch; the R-URI is left
    /// alone.
    pub branches_only: bool,
    /// `m` / `method-filtering`: skip contacts that did not register the request's method.
    pub method_filtering: bool,
}

/// Reads a run of digits at the start of `s`: the number and the rest.
fn number<'a>(s: &'a str, flag: &str) -> Result<(u32, &'a str), String> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n = s[..end]
        .parse()
        .map_err(|_| format!("flag '{flag}' needs a number"))?;
    Ok((n, &s[end..]))
}

/// The value of a `name=N` word.
fn word_number(value: &str, name: &str) -> Result<u32, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("flag '{name}' needs a number, got '{value}'"))
}

impl SaveFlags {
    /// Parses a flags string.
    pub fn parse(text: &str) -> Result<SaveFlags, String> {
        let mut f = SaveFlags::default();
        for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (name, value) = match token.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v)),
                None => (token, None),
            };
            match (name, value) {
                ("no-reply", None) => f.no_reply = true,
                ("memory-only" | "socket-header", None) => {}
                ("path" | "path-strict", None) => f.path = Some(PathMode::Strict),
                ("path-lazy", None) => f.path = Some(PathMode::Lazy),
                ("path-off", None) => f.path = Some(PathMode::Off),
                ("path-received", None) => f.path_received = true,
                ("force-registration", None) => f.force = true,
                ("max-contacts", Some(v)) => f.max_contacts = Some(word_number(v, name)?),
                ("min-expires", Some(v)) => f.min_expires = Some(word_number(v, name)?),
                ("max-expires", Some(v)) => f.max_expires = Some(word_number(v, name)?),
                (_, Some(_)) => {}
                (letters, None) => f.parse_letters(letters)?,
            }
        }
        Ok(f)
    }

    fn parse_letters(&mut self, mut s: &str) -> Result<(), String> {
        while let Some(c) = s.chars().next() {
            s = &s[c.len_utf8()..];
            match c {
                'r' => self.no_reply = true,
                'f' => self.force = true,
                'v' => self.path_received = true,
                'c' => (self.max_contacts, s) = number(s, "c").map(|(n, r)| (Some(n), r))?,
                'e' => (self.min_expires, s) = number(s, "e").map(|(n, r)| (Some(n), r))?,
                'E' => (self.max_expires, s) = number(s, "E").map(|(n, r)| (Some(n), r))?,
                'p' => {
                    let (mode, rest) = number(s, "p")?;
                    self.path = Some(match mode {
                        0 => PathMode::Off,
                        1 => PathMode::Lazy,
                        2 => PathMode::Strict,
                        n => return Err(format!("flag 'p{n}': path mode must be 0, 1 or 2")),
                    });
                    s = rest;
                }
                // 'm' memory only and 's' socket header have no meaning without a database
                // or a cluster; other letters are OpenSIPS features siplua does not have.
                _ => {}
            }
        }
        Ok(())
    }
}

impl LookupFlags {
    /// Parses a flags string.
    pub fn parse(text: &str) -> Result<LookupFlags, String> {
        let mut f = LookupFlags::default();
        for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            match token {
                "no-branches" => f.no_branches = true,
                "to-branches-only" | "branch" => f.branches_only = true,
                "method-filtering" => f.method_filtering = true,
                letters => {
                    if letters.starts_with('u') || letters.contains("u/") {
                        return Err("user-agent filtering ('u') is not supported yet".into());
                    }
                    for c in letters.chars() {
                        match c {
                            'b' => f.no_branches = true,
                            'B' => f.branches_only = true,
                            'm' => f.method_filtering = true,
                            // 'r' (branch AOR lookup), 'g', 'y', 'Y' need features siplua
                            // does not have: ignored.
                            _ => {}
                        }
                    }
                }
            }
        }
        Ok(f)
    }
}

/// Load-time preparation of `save()`'s flags argument (index 1) when it is constant.
pub fn save_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(text)) = args.get(1) {
        let flags = SaveFlags::parse(text)?;
        args[1] = PreparedArg::Custom(Arc::new(flags));
    }
    Ok(())
}

/// Load-time preparation of `lookup()`'s flags argument (index 1) when it is constant.
pub fn lookup_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    if let Some(PreparedArg::Str(text)) = args.get(1) {
        let flags = LookupFlags::parse(text)?;
        args[1] = PreparedArg::Custom(Arc::new(flags));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_letters_and_words() {
        let f = SaveFlags::parse("mrc5p2e30E600").unwrap();
        assert!(f.no_reply);
        assert_eq!(f.max_contacts, Some(5));
        assert_eq!(f.path, Some(PathMode::Strict));
        assert_eq!((f.min_expires, f.max_expires), (Some(30), Some(600)));
        let f = SaveFlags::parse("no-reply, path-lazy, max-contacts=2,min-expires=10").unwrap();
        assert!(f.no_reply);
        assert_eq!(f.path, Some(PathMode::Lazy));
        assert_eq!((f.max_contacts, f.min_expires), (Some(2), Some(10)));
        assert_eq!(SaveFlags::parse("").unwrap(), SaveFlags::default());
        assert!(SaveFlags::parse("max-contacts=x").is_err());
        assert!(SaveFlags::parse("c").is_err());
        assert!(SaveFlags::parse("p7").is_err());
        assert!(SaveFlags::parse("unknown-word,zq").is_ok());
    }

    #[test]
    fn lookup_letters_and_words() {
        let f = LookupFlags::parse("bm").unwrap();
        assert!(f.no_branches && f.method_filtering && !f.branches_only);
        let f = LookupFlags::parse("method-filtering,branch").unwrap();
        assert!(f.method_filtering && f.branches_only);
        assert!(LookupFlags::parse("u/phone/i").is_err());
    }
}
