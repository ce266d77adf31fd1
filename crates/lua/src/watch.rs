//! The shared "watch" list of extensions, what OpenSIPS' MI command `watch` manages and Lua's
//! `watch_getFlag*` read.
//!
//! siplua has no management transport yet, so the list is published as an API object
//! (`env.apis.get::<WatchList>()`): the future MI layer maps its `watch` / `lua:watch` command
//! onto [`WatchList::command`], and other modules or tests may use the typed methods. Matching
//! is exact string comparison (OpenSIPS compares CRC-32 values, so collisions gave false
//! positives), `delete` removes every equal entry, and `list` is an array.

use parking_lot::RwLock;

/// The extensions being watched, shared by every worker.
#[derive(Debug, Default)]
pub struct WatchList {
    entries: RwLock<Vec<String>>,
}

/// The answer of the `watch` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchReply {
    /// `add` / `delete` succeeded ("OK").
    Ok,
    /// No parameters: the watched extensions, in the order they were added.
    List(Vec<String>),
}

/// A `watch` command error: the MI error code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchError {
    /// MI error code (400 for a bad action, as OpenSIPS).
    pub code: u16,
    /// Message.
    pub message: String,
}

impl WatchList {
    /// Adds an extension (duplicates are kept, as in OpenSIPS).
    pub fn add(&self, ext: &str) {
        self.entries.write().push(ext.to_owned());
    }

    /// Removes every entry equal to `ext`; returns how many there were.
    pub fn delete(&self, ext: &str) -> usize {
        let mut e = self.entries.write();
        let before = e.len();
        e.retain(|x| x != ext);
        before - e.len()
    }

    /// True when `ext` is watched.
    pub fn contains(&self, ext: &str) -> bool {
        self.entries.read().iter().any(|x| x == ext)
    }

    /// The watched extensions.
    pub fn list(&self) -> Vec<String> {
        self.entries.read().clone()
    }

    /// The MI command `watch [action extension]`: no parameters lists; `add` / `delete` with
    /// an extension change the list; both parameters go together.
    pub fn command(
        &self,
        action: Option<&str>,
        extension: Option<&str>,
    ) -> Result<WatchReply, WatchError> {
        match (action, extension) {
            (None, None) => Ok(WatchReply::List(self.list())),
            (Some("add"), Some(ext)) => {
                self.add(ext);
                Ok(WatchReply::Ok)
            }
            (Some("delete"), Some(ext)) => {
                self.delete(ext);
                Ok(WatchReply::Ok)
            }
            (Some(_), Some(_)) => Err(WatchError {
                code: 400,
                message: "Bad action, should be 'add' or 'delete'".into(),
            }),
            _ => Err(WatchError {
                code: 400,
                message: "Invalid parameters: 'action' and 'extension' go together".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_add_delete_list() {
        let w = WatchList::default();
        assert_eq!(w.command(None, None), Ok(WatchReply::List(vec![])));
        assert_eq!(w.command(Some("add"), Some("100")), Ok(WatchReply::Ok));
        assert_eq!(w.command(Some("add"), Some("200")), Ok(WatchReply::Ok));
        assert_eq!(w.command(Some("add"), Some("100")), Ok(WatchReply::Ok));
        assert!(w.contains("200"));
        // Deleting a non-last entry keeps the others intact (OpenSIPS corrupted the list).
        assert_eq!(w.command(Some("delete"), Some("100")), Ok(WatchReply::Ok));
        assert_eq!(
            w.command(None, None),
            Ok(WatchReply::List(vec!["200".into()]))
        );
        assert_eq!(w.command(Some("drop"), Some("1")).unwrap_err().code, 400);
        assert!(w.command(Some("add"), None).is_err());
        assert!(!w.contains("100"));
    }
}
