//! What topology hiding keeps for each hidden dialog — both sides' Contact, route set and
//! Call-ID — found by the token in our Contact (`;did=`) or by either Call-ID. Entries go
//! with their dialog: one whose dialog left the dialog table is dropped.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dialog::DialogApi;
use crate::dialog::Key;

/// One hidden dialog.
#[derive(Clone, Debug)]
pub struct Hidden {
    /// The dialog it belongs to.
    pub dialog: Key,
    /// The caller's From tag.
    pub caller_tag: String,
    /// The callee's To tag, once a reply carried one.
    pub callee_tag: Option<String>,
    /// The Call-ID the caller uses.
    pub caller_callid: String,
    /// The Call-ID the callee sees (the caller's unless flag `C`).
    pub callee_callid: String,
    /// The caller's Contact URI (where requests to the caller go).
    pub caller_contact: String,
    /// The caller's Contact user part (flag `U`).
    pub caller_user: Option<String>,
    /// The route set towards the caller: the INVITE's Record-Route values, in order.
    pub caller_routes: Vec<String>,
    /// The callee's Contact URI, once a reply carried one.
    pub callee_contact: Option<String>,
    /// The callee's Contact user part (flag `U`).
    pub callee_user: Option<String>,
    /// The route set towards the callee: the reply's Record-Route values, reversed.
    pub callee_routes: Vec<String>,
    /// A 2xx fixed the callee's route set.
    pub confirmed: bool,
    /// Our address as put in our Contacts (`host:port[;transport=..]`).
    pub proxy: String,
    /// Flag `U`.
    pub keep_user: bool,
    /// The caller's Contact URI and header parameters that are passed on.
    pub caller_passed: (String, String),
    /// The callee's Contact URI and header parameters that are passed on.
    pub callee_passed: (String, String),
}

#[derive(Default)]
struct Maps {
    by_token: HashMap<String, Hidden>,
    by_callid: HashMap<String, String>,
    inserts: u64,
}

/// Every hidden dialog.
pub struct Store {
    maps: Mutex<Maps>,
    dialogs: Arc<DialogApi>,
    salt: u32,
}

impl Store {
    /// An empty store over the dialog module's table.
    pub fn new(dialogs: Arc<DialogApi>) -> Store {
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ d.as_secs() as u32);
        Store {
            maps: Mutex::default(),
            dialogs,
            salt,
        }
    }

    /// The dialog module's API.
    pub fn dialogs(&self) -> &Arc<DialogApi> {
        &self.dialogs
    }

    /// The token of a dialog: its id, with a per-start salt.
    pub fn token_for(&self, key: &Key) -> Option<String> {
        let id = self.dialogs.table.with(key, |d| d.id)?;
        Some(format!("{:08x}{id:x}", self.salt))
    }

    fn alive(&self, key: &Key) -> bool {
        self.dialogs.table.with(key, |_| ()).is_some()
    }

    /// Files (or replaces) a hidden dialog under `token`.
    pub fn insert(&self, token: String, hidden: Hidden) {
        let mut maps = self.maps.lock();
        maps.inserts += 1;
        if maps.inserts.is_multiple_of(64) {
            let gone: Vec<String> = maps
                .by_token
                .iter()
                .filter(|(_, h)| !self.alive(&h.dialog))
                .map(|(t, _)| t.clone())
                .collect();
            for t in gone {
                remove(&mut maps, &t);
            }
        }
        maps.by_callid
            .insert(hidden.caller_callid.clone(), token.clone());
        maps.by_callid
            .insert(hidden.callee_callid.clone(), token.clone());
        maps.by_token.insert(token, hidden);
    }

    /// A copy of the hidden dialog under `token`, while its dialog exists.
    pub fn get(&self, token: &str) -> Option<Hidden> {
        let mut maps = self.maps.lock();
        let h = maps.by_token.get(token)?.clone();
        if !self.alive(&h.dialog) {
            remove(&mut maps, token);
            return None;
        }
        Some(h)
    }

    /// The token and a copy of the hidden dialog a Call-ID (either side's) belongs to.
    pub fn by_callid(&self, callid: &str) -> Option<(String, Hidden)> {
        let token = self.maps.lock().by_callid.get(callid)?.clone();
        Some((token.clone(), self.get(&token)?))
    }

    /// Changes the hidden dialog under `token`.
    pub fn update(&self, token: &str, f: impl FnOnce(&mut Hidden)) {
        if let Some(h) = self.maps.lock().by_token.get_mut(token) {
            f(h);
        }
    }
}

fn remove(maps: &mut Maps, token: &str) {
    if let Some(h) = maps.by_token.remove(token) {
        maps.by_callid.remove(&h.caller_callid);
        maps.by_callid.remove(&h.callee_callid);
    }
}
