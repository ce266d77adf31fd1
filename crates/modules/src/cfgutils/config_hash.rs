//! The configuration hash of OpenSIPS' cfgutils: with `modparam("cfgutils", "hash_file",
//! path)` the MD5 of that file is taken at start-up; the MI commands `get_config_hash` (that
//! hash, 32 lower-case hex digits) and `check_config_hash` (whether the file on disk still
//! has it) tell an operator whether the configuration changed since the server started.
//! Without the parameter both answer 404 "Functionality disabled", as OpenSIPS does. They
//! are MI commands in OpenSIPS 3.x, not script functions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use md5::{Digest, Md5};
use siplua_core::mi::{MiCommand, MiError};

use crate::auth::digest::hex;

/// The file named by `hash_file` and its hash at start-up.
pub struct ConfigHash {
    path: PathBuf,
    hash: String,
}

impl ConfigHash {
    /// Hashes `path` now; an unreadable file is a start-up error, as in OpenSIPS.
    pub fn take(path: &Path) -> Result<ConfigHash, String> {
        Ok(ConfigHash {
            path: path.to_path_buf(),
            hash: md5_file(path)?,
        })
    }
}

/// The MD5 of a file's bytes, in lower-case hex.
fn md5_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("hash_file: cannot read {}: {e}", path.display()))?;
    Ok(hex(&Md5::digest(&bytes)))
}

fn disabled() -> MiError {
    MiError::new(404, "Functionality disabled")
}

/// `get_config_hash` and `check_config_hash`.
pub fn commands(state: Option<Arc<ConfigHash>>) -> Vec<MiCommand> {
    let check = state.clone();
    vec![
        MiCommand::new(
            "get_config_hash",
            "the MD5 of the hash_file taken at start-up",
            vec![],
            move |_, _| {
                let s = state.as_ref().ok_or_else(disabled)?;
                Ok(serde_json::Value::from(s.hash.as_str()))
            },
        ),
        MiCommand::new(
            "check_config_hash",
            "whether the hash_file on disk still has the hash taken at start-up",
            vec![],
            move |_, _| {
                let s = check.as_ref().ok_or_else(disabled)?;
                let now = md5_file(&s.path).map_err(|e| MiError::new(500, e))?;
                if now == s.hash {
                    Ok(serde_json::Value::from(
                        "The actual config file hash is identical to the stored one.",
                    ))
                } else {
                    Err(MiError::new(
                        400,
                        "The actual config file hash is not identical to the stored one.",
                    ))
                }
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_the_file_bytes_and_sees_a_change() {
        let dir = std::env::temp_dir().join(format!("siplua-cfghash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.cfg");
        std::fs::write(&path, "abc").unwrap();
        let h = ConfigHash::take(&path).unwrap();
        // RFC 1321's test vector for "abc".
        assert_eq!(h.hash, "900150983cd24fb0d6963f7d28e17f72");
        std::fs::write(&path, "abcd").unwrap();
        assert_ne!(md5_file(&path).unwrap(), h.hash);
        assert!(ConfigHash::take(&dir.join("missing.cfg")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
