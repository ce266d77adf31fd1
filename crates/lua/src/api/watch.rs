//! `watch_getFlag(msg)` and `watch_getFlagFromExtension(ext)`: lookups in the shared watch
//! list (see [`crate::watch::WatchList`]).

use mlua::{Lua, Value};

use super::args::check_string;
use super::with_msg;
use crate::state::StateData;

/// `watch_getFlag(msg)`: true when the From user, or else the To user, is watched; nil
/// otherwise.
pub fn get_flag(lua: &Lua, msg: Value) -> mlua::Result<Option<bool>> {
    let data = StateData::of(lua)?;
    let watch = &data.shared.watch;
    with_msg(&msg, "watch_getFlag", |ctx| {
        let Some(m) = ctx.msg.as_ref() else {
            return Ok(None);
        };
        let user = |r: Result<siplua_sip::headers::NameAddr, _>| {
            r.ok()
                .and_then(|n| n.uri().user().map(|u| watch.contains(u)))
        };
        let hit = user(m.from()).unwrap_or(false) || user(m.to()).unwrap_or(false);
        Ok(hit.then_some(true))
    })
}

/// `watch_getFlagFromExtension(ext)`: whether `ext` is watched.
pub fn get_flag_from_extension(lua: &Lua, ext: Value) -> mlua::Result<bool> {
    let ext = check_string(lua, ext, 1, "watch_getFlagFromExtension")?;
    let data = StateData::of(lua)?;
    Ok(data.shared.watch.contains(&ext.to_string_lossy()))
}
