//! `lua_auto_reload`: the file's version is checked before each `lua_exec`, and a worker whose
//! state came from an older version loads the new one.
//!
//! As in OpenSIPS the check is lazy and per worker (each worker picks the change up before
//! its next call). Unlike OpenSIPS, the new file is loaded into a fresh state that replaces
//! the old one only when it loaded, and a file that fails is reported once per version, not
//! on every call, while the old code keeps running.

use std::io;
use std::path::Path;
use std::rc::Rc;
use std::time::SystemTime;

use siplua_core::log::{self, level};

use crate::state::{Shared, WorkerLua};
use std::sync::Arc;

/// What identifies one version of the file: modification time (full precision, so two saves
/// in the same second are told apart) and size. A file that cannot be read has no mtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileVersion {
    mtime: Option<SystemTime>,
    len: u64,
}

impl FileVersion {
    /// The version of the file now on disk.
    pub fn of(path: impl AsRef<Path>) -> io::Result<FileVersion> {
        let m = std::fs::metadata(path)?;
        Ok(FileVersion {
            mtime: Some(m.modified()?),
            len: m.len(),
        })
    }

    /// Like [`FileVersion::of`], with an unreadable file as a version of its own.
    fn probe(path: &str) -> FileVersion {
        FileVersion::of(path).unwrap_or(FileVersion {
            mtime: None,
            len: 0,
        })
    }
}

/// Remembers the version that failed to load, so that it is reported once.
#[derive(Debug, Default)]
pub struct Reloader {
    failed: Option<FileVersion>,
}

impl Reloader {
    /// Reloads `state` when the file changed since it was loaded (and that version has not
    /// failed already). On failure the old state stays and one error is logged.
    pub fn check(&mut self, shared: &Arc<Shared>, state: &mut Rc<WorkerLua>) {
        let path = &shared.settings.filename;
        let now = FileVersion::probe(path);
        if now == state.version || self.failed == Some(now) {
            return;
        }
        match WorkerLua::load(shared) {
            Ok(new) => {
                *state = Rc::new(new);
                self.failed = None;
                shared.stats.reloads.inc();
                log::emit(
                    level::INFO,
                    "siplua",
                    &format!("siplua file {path} successfully reloaded"),
                );
            }
            Err(e) => {
                self.failed = Some(now);
                log::emit(
                    level::ERR,
                    "siplua",
                    &format!("{e}; keeping the previously loaded code of {path}"),
                );
            }
        }
    }
}
