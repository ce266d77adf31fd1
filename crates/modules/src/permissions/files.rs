//! Finding and reading the allow/deny rule files, once: the default pair at start-up and
//! every pair a script call names when the call is loaded, as OpenSIPS does. A relative name
//! (`rules/gw.allow` too) is taken from the main configuration file's directory; a missing file is an empty rule
//! set (permission control off for it), logged once; a file that cannot be read or does not
//! parse stops start-up with its `file:line`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::rules::Rules;

/// An allow file and a deny file, as one call checks them.
#[derive(Debug)]
pub struct RulePair {
    /// Checked first: a match allows.
    pub allow: Arc<Rules>,
    /// Checked next: a match denies.
    pub deny: Arc<Rules>,
}

impl RulePair {
    /// True when neither file has a rule: everything is allowed without looking at the
    /// message.
    pub fn is_off(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }
}

/// The module parameters about files.
#[derive(Clone, Debug)]
pub struct FileParams {
    /// `default_allow_file`.
    pub default_allow: String,
    /// `default_deny_file`.
    pub default_deny: String,
    /// `allow_suffix`, appended to a basename.
    pub allow_suffix: String,
    /// `deny_suffix`.
    pub deny_suffix: String,
}

impl Default for FileParams {
    fn default() -> Self {
        FileParams {
            default_allow: "permissions.allow".into(),
            default_deny: "permissions.deny".into(),
            allow_suffix: ".allow".into(),
            deny_suffix: ".deny".into(),
        }
    }
}

/// The rule files read so far, by path (a file named by several calls is read once).
pub struct RuleFiles {
    dir: PathBuf,
    params: FileParams,
    /// The `default_allow_file`/`default_deny_file` pair, read at start-up.
    pub default: Arc<RulePair>,
    read: Mutex<HashMap<PathBuf, Arc<Rules>>>,
    /// Missing files found before logging is up (reported by [`RuleFiles::started`]).
    missing: Mutex<Vec<PathBuf>>,
    logging: AtomicBool,
}

impl RuleFiles {
    /// Reads the default pair; `dir` is the configuration file's directory.
    pub fn new(dir: &Path, params: FileParams) -> Result<RuleFiles, String> {
        let mut files = RuleFiles {
            dir: dir.to_path_buf(),
            params,
            default: Arc::new(RulePair {
                allow: Arc::default(),
                deny: Arc::default(),
            }),
            read: Mutex::default(),
            missing: Mutex::default(),
            logging: AtomicBool::new(false),
        };
        let (allow, deny) = (
            files.params.default_allow.clone(),
            files.params.default_deny.clone(),
        );
        files.default = files.pair(&allow, &deny)?;
        Ok(files)
    }

    /// The pair `basename` + `allow_suffix`, `basename` + `deny_suffix`.
    pub fn basename(&self, base: &str) -> Result<Arc<RulePair>, String> {
        self.pair(
            &format!("{base}{}", self.params.allow_suffix),
            &format!("{base}{}", self.params.deny_suffix),
        )
    }

    /// The pair of two named files.
    pub fn pair(&self, allow: &str, deny: &str) -> Result<Arc<RulePair>, String> {
        Ok(Arc::new(RulePair {
            allow: self.rules(allow)?,
            deny: self.rules(deny)?,
        }))
    }

    /// The rules of one file, read now unless read before.
    fn rules(&self, name: &str) -> Result<Arc<Rules>, String> {
        // An absolute name is used as it is, a relative one is under the config's directory
        // (OpenSIPS' documented rule; its code takes any name with a `/` from the current
        // directory).
        let path = self.dir.join(name);
        let mut read = self.read.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = read.get(&path) {
            return Ok(r.clone());
        }
        let rules = match std::fs::read_to_string(&path) {
            Ok(text) => Rules::parse(&text)
                .map_err(|(line, e)| format!("{}:{line}: {e}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.logging.load(Ordering::Relaxed) {
                    log_missing(&path);
                } else {
                    let mut missing = self.missing.lock().unwrap_or_else(|p| p.into_inner());
                    missing.push(path.clone());
                }
                Rules::default()
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let rules = Arc::new(rules);
        read.insert(path, rules.clone());
        Ok(rules)
    }
}

impl RuleFiles {
    /// Logging is up (the server started): reports the missing files found while loading,
    /// and from now on reports them at once (a route reload).
    pub fn started(&self) {
        self.logging.store(true, Ordering::Relaxed);
        let missing = std::mem::take(&mut *self.missing.lock().unwrap_or_else(|p| p.into_inner()));
        for path in missing {
            log_missing(&path);
        }
    }
}

fn log_missing(path: &Path) {
    super::log(
        siplua_core::log::level::INFO,
        &format!("file ({}) not found => empty rule set", path.display()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names_missing_files_and_errors() {
        let dir = std::env::temp_dir().join(format!("perm-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("permissions.allow"), "ALL : \"^sip:1\"\n").unwrap();
        std::fs::write(dir.join("bad.deny"), "ALL : ALL\nnonsense\n").unwrap();
        let files = RuleFiles::new(&dir, FileParams::default()).unwrap();
        assert!(files.default.allow.matches("sip:a@b", "sip:1@c"));
        assert!(files.default.deny.is_empty(), "missing deny file");
        assert!(!files.default.is_off());
        assert!(files.basename("none").unwrap().is_off());
        let err = files.basename("bad").unwrap_err();
        assert!(
            err.ends_with("bad.deny:2: no `:` between the two sides of the rule: \"nonsense\""),
            "{err}"
        );
        // A file is read once: the same rules come back for another call.
        let again = files.pair("permissions.allow", "x").unwrap();
        assert!(Arc::ptr_eq(&again.allow, &files.default.allow));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
