//! `add_lump_rpl(msg, text)`: a header for the reply the script sends to this request.
//!
//! The text joins the same list `append_to_reply` fills (`Context::reply_headers`), so the
//! next stateless reply (`sl_send_reply`, `send_reply`, a `moduleFunc` call of them) carries
//! it. A line without its CRLF gets one (OpenSIPS would have sent a broken reply).

use mlua::{Lua, LuaString, Value};

use super::args::check_string;
use super::with_msg;

/// `add_lump_rpl(msg, text)`: queues `text`; returns it (what OpenSIPS' stack left).
pub fn add_lump_rpl(lua: &Lua, (msg, text): (Value, Value)) -> mlua::Result<LuaString> {
    let text = check_string(lua, text, 2, "add_lump_rpl")?;
    with_msg(&msg, "add_lump_rpl", |ctx| {
        let s = text.to_string_lossy();
        ctx.reply_headers.push_str(&s);
        if !s.is_empty() && !s.ends_with('\n') {
            ctx.reply_headers.push_str("\r\n");
        }
        Ok(())
    })?;
    Ok(text)
}
