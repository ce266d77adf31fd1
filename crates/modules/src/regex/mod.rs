//! `regex`: OpenSIPS' PCRE matching — `pcre_match(string, regex)`, `pcre_match_group(string
//! [, group])` against the groups of the `file` parameter ([`groups`]), the MI command
//! `regex_reload`, and the parameters `pcre_caseless`, `pcre_multiline`, `pcre_dotall`,
//! `pcre_extended`, `max_groups`, `group_max_size`.
//!
//! The expressions are compiled by the `regex` crate, whose syntax is PCRE's for what
//! routing scripts write (classes, `\d`, `{n,m}`, anchors, `(?i)`-style inline flags,
//! non-greedy repetition) but which has no look-around (`(?=`, `(?!`, `(?<=`), no
//! back-references (`\1` in the pattern) and no possessive or atomic groups: such an
//! expression is refused — a load error when it is constant or in the file, -1 (logged)
//! when it comes from a variable.

mod groups;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ::regex::{Regex, RegexBuilder};
use parking_lot::RwLock;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::log::{emit, level};
use siplua_core::mi::{MiCommand, MiError};
use siplua_core::module::{InitEnv, ModParamSpec, ModParamValue, Module};
use siplua_core::route_type::RouteMask;

const PARAMS: &[ModParamSpec] = &[
    ModParamSpec::str("file"),
    ModParamSpec::int("max_groups"),
    ModParamSpec::int("group_max_size"),
    ModParamSpec::int("pcre_caseless"),
    ModParamSpec::int("pcre_multiline"),
    ModParamSpec::int("pcre_dotall"),
    ModParamSpec::int("pcre_extended"),
];

/// The PCRE options the module parameters set, applied to every expression.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    caseless: bool,
    multiline: bool,
    dotall: bool,
    extended: bool,
}

impl Flags {
    /// Compiles `pattern` with these options.
    pub fn compile(&self, pattern: &str) -> Result<Regex, String> {
        RegexBuilder::new(pattern)
            .case_insensitive(self.caseless)
            .multi_line(self.multiline)
            .dot_matches_new_line(self.dotall)
            .ignore_whitespace(self.extended)
            .build()
            .map_err(|e| e.to_string())
    }
}

/// The group file and its compiled groups, replaced whole by `regex_reload`.
struct GroupFile {
    path: PathBuf,
    flags: Flags,
    limits: groups::Limits,
    groups: RwLock<Arc<Vec<Regex>>>,
}

impl GroupFile {
    fn read(&self) -> Result<Vec<Regex>, String> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        groups::parse(&text, self.flags, self.limits)
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// The module.
pub struct RegexModule {
    file: Option<String>,
    limits: groups::Limits,
    flags: Flags,
    groups: Option<Arc<GroupFile>>,
}

impl Default for RegexModule {
    fn default() -> Self {
        RegexModule {
            file: None,
            limits: groups::Limits {
                max_groups: 20,
                group_max_size: 8192,
            },
            flags: Flags::default(),
            groups: None,
        }
    }
}

impl Module for RegexModule {
    fn name(&self) -> &'static str {
        "regex"
    }

    fn params(&self) -> &'static [ModParamSpec] {
        PARAMS
    }

    fn set_param(&mut self, name: &str, value: ModParamValue) -> Result<(), String> {
        let on = value.as_int() != 0;
        let size = || usize::try_from(value.as_int()).map_err(|_| "must be positive".to_owned());
        match name {
            "file" => self.file = Some(value.as_str()),
            "max_groups" => self.limits.max_groups = size()?,
            "group_max_size" => self.limits.group_max_size = size()?,
            "pcre_caseless" => self.flags.caseless = on,
            "pcre_multiline" => self.flags.multiline = on,
            "pcre_dotall" => self.flags.dotall = on,
            "pcre_extended" => self.flags.extended = on,
            _ => return Err(format!("module regex has no parameter {name}")),
        }
        Ok(())
    }

    fn init(&mut self, env: &mut InitEnv) -> Result<(), String> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let path = Path::new(file);
        let path = if path.is_relative() {
            env.script_dir.join(path)
        } else {
            path.to_path_buf()
        };
        let mut g = GroupFile {
            path,
            flags: self.flags,
            limits: self.limits,
            groups: RwLock::default(),
        };
        g.groups = RwLock::new(Arc::new(g.read()?));
        self.groups = Some(Arc::new(g));
        Ok(())
    }

    fn functions(&self) -> Vec<FunctionDecl> {
        let flags = self.flags;
        let groups = self.groups.clone();
        let str_param = |n| ParamSpec::req(n, ParamKind::Str);
        vec![
            FunctionDecl::new(
                "pcre_match",
                vec![str_param("string"), str_param("pcre_regex")],
                RouteMask::ALL,
                move |ctx, args| pcre_match(ctx, args, flags),
            )
            .with_fixup(move |args| {
                // A constant expression is compiled once, here.
                if let PreparedArg::Str(text) = &args[1] {
                    let re = flags
                        .compile(text)
                        .map_err(|e| format!("bad regular expression {text:?}: {e}"))?;
                    args[1] = PreparedArg::Regex(Arc::new(re));
                }
                Ok(())
            }),
            FunctionDecl::new(
                "pcre_match_group",
                vec![str_param("string"), ParamSpec::opt("group", ParamKind::Int)],
                RouteMask::ALL,
                move |ctx, args| pcre_match_group(ctx, args, groups.as_deref()),
            )
            .with_fixup({
                let has_file = self.groups.is_some();
                move |_| {
                    if has_file {
                        Ok(())
                    } else {
                        Err("pcre_match_group needs the groups file: set modparam(\"regex\", \"file\", ...)".into())
                    }
                }
            }),
        ]
    }

    fn mi_commands(&self) -> Vec<MiCommand> {
        let Some(g) = self.groups.clone() else {
            return Vec::new();
        };
        vec![MiCommand::new(
            "regex_reload",
            "reads the groups file again (the groups in use stay when that fails)",
            vec![],
            move |_, _| {
                let fresh = g.read().map_err(|e| MiError::new(500, e))?;
                *g.groups.write() = Arc::new(fresh);
                Ok(serde_json::Value::from("OK"))
            },
        )]
    }
}

fn log_err(text: &str) {
    emit(level::ERR, "regex", text);
}

fn pcre_match(ctx: &mut Context, args: &Args, flags: Flags) -> i32 {
    let subject = args.str(ctx, 0).unwrap_or_default().into_owned();
    let compiled;
    let re = match args.get(1) {
        PreparedArg::Regex(re) => re.as_ref(),
        _ => {
            let text = args.str(ctx, 1).unwrap_or_default().into_owned();
            match flags.compile(&text) {
                Ok(re) => {
                    compiled = re;
                    &compiled
                }
                Err(e) => {
                    log_err(&format!("pcre_match: bad regular expression {text:?}: {e}"));
                    return -1;
                }
            }
        }
    };
    if re.is_match(&subject) {
        1
    } else {
        -1
    }
}

fn pcre_match_group(ctx: &mut Context, args: &Args, file: Option<&GroupFile>) -> i32 {
    let Some(file) = file else {
        return -1;
    };
    let group = if args.has(1) {
        args.int(ctx, 1)
    } else {
        Some(0)
    };
    let groups = file.groups.read().clone();
    let Some(re) = group
        .and_then(|g| usize::try_from(g).ok())
        .and_then(|g| groups.get(g))
    else {
        log_err(&format!(
            "pcre_match_group: no group {} (the file has {})",
            group.map_or_else(|| "?".to_owned(), |g| g.to_string()),
            groups.len()
        ));
        return -1;
    };
    let subject = args.str(ctx, 0).unwrap_or_default();
    if re.is_match(&subject) {
        1
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_pcre_options() {
        let f = Flags::default();
        assert!(!f.compile("^abc$").unwrap().is_match("x\nabc"));
        let m = Flags {
            multiline: true,
            ..f
        };
        assert!(m.compile("^abc$").unwrap().is_match("x\nabc"));
        let i = Flags {
            caseless: true,
            ..f
        };
        assert!(i.compile("^twinkle").unwrap().is_match("Twinkle/1"));
        assert!(f.compile("(?i)^twinkle").unwrap().is_match("Twinkle/1"));
        let s = Flags { dotall: true, ..f };
        assert!(s.compile("a.b").unwrap().is_match("a\nb"));
        assert!(!f.compile("a.b").unwrap().is_match("a\nb"));
        let x = Flags {
            extended: true,
            ..f
        };
        assert!(x.compile("a b # comment").unwrap().is_match("ab"));
        assert!(f.compile("a(?=b)").is_err(), "no look-ahead");
    }
}
