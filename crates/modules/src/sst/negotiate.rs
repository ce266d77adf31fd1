//! The session interval of a flagged dialog: chosen when `create_dialog()` makes the dialog
//! (the INVITE's Session-Expires / Min-SE against `min_se`, a 422 or added headers), settled
//! by the 2xx, and restarted by each refresh (re-INVITE or UPDATE and its 2xx). Each time,
//! the dialog's lifetime is set to the interval: a dialog not refreshed in time ends as the
//! dialog module ends a dialog whose lifetime ran out.
//!
//! What the dialog keeps: its `sst_info` dialog value (as OpenSIPS stores it), here
//! `"<interval> <caller supports timers: 0|1>"`.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_sip::edit::Position;
use siplua_sip::Message;

use super::check_min::{reject, RFC_MIN_SE};
use super::headers::{self, TimerHeaders};
use super::Settings;
use crate::dialog::{Current, DialogApi, Key};

/// The dialog value the negotiated state is kept in.
const INFO: &str = "sst_info";

/// What a flagged dialog remembers between messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Info {
    /// The session interval in seconds.
    interval: u64,
    /// The caller listed `timer` in Supported.
    caller_supports: bool,
}

impl Info {
    fn encode(self) -> String {
        format!("{} {}", self.interval, u8::from(self.caller_supports))
    }

    fn decode(text: &str) -> Option<Info> {
        let (interval, supports) = text.split_once(' ')?;
        Some(Info {
            interval: interval.parse().ok()?,
            caller_supports: supports == "1",
        })
    }
}

fn warn(text: &str) {
    siplua_core::log::emit(siplua_core::log::level::WARN, "sst", text);
}

/// The module's dialog hooks (registered at start-up, shared by every worker).
pub struct Negotiator {
    settings: Settings,
    flag_mask: u64,
    dialogs: Arc<DialogApi>,
}

impl Negotiator {
    /// Hooks for `settings`, with `flag` the bit of `sst_flag`.
    pub fn new(settings: Settings, flag: u32, dialogs: Arc<DialogApi>) -> Negotiator {
        Negotiator {
            settings,
            flag_mask: 1u64 << flag,
            dialogs,
        }
    }

    /// The interval the proxy asks for when the caller asked for none: `sst_interval`, not
    /// below `min_se`.
    fn proxy_interval(&self) -> u64 {
        self.settings.sst_interval.max(self.settings.min_se)
    }

    fn info(&self, key: &Key) -> Option<Info> {
        self.dialogs
            .table
            .with(key, |d| d.values.get(INFO).and_then(|v| Info::decode(v)))
            .flatten()
    }

    fn keep(&self, ctx: &Context, key: &Key, info: Info) {
        self.dialogs.table.with(key, |d| {
            d.values.insert(INFO.to_owned(), info.encode());
        });
        self.dialogs.set_lifetime(ctx.core, key, info.interval);
    }

    /// A dialog was created for the INVITE in `ctx` (the dialog module's created hook).
    pub fn created(&self, ctx: &mut Context, key: &Key) {
        if ctx.flags & self.flag_mask == 0 {
            return;
        }
        let Some(msg) = ctx.msg else { return };
        let asked = match headers::read(msg) {
            Ok(asked) => asked,
            Err(e) => return warn(&format!("INVITE not timed: {e}")),
        };
        let min_se = self.settings.min_se;
        let mut info = Info {
            interval: self.proxy_interval().max(RFC_MIN_SE),
            caller_supports: asked.supported,
        };
        match asked.session_expires {
            Some(se) if se >= min_se => info.interval = se,
            Some(_) if !asked.supported => {
                // The caller cannot take a 422: raise the Min-SE it sends on instead.
                info.interval = min_se.max(asked.min_se.unwrap_or(0));
                self.set_min_se(ctx, msg, asked, info.interval);
            }
            Some(_) if self.settings.reject => {
                let floor = min_se.max(asked.min_se.unwrap_or(0)).max(RFC_MIN_SE);
                reject(ctx, floor, true);
                self.dialogs.table.end(key);
                return;
            }
            Some(_) => {}
            None => {
                info.interval = min_se.max(asked.min_se.unwrap_or(0));
                if asked.min_se.is_some_and(|m| m < min_se) {
                    self.set_min_se(ctx, msg, asked, info.interval);
                }
                info.interval = info.interval.max(self.settings.sst_interval);
                self.add(ctx, msg, "Session-Expires", &info.interval.to_string());
            }
        }
        self.keep(ctx, key, info);
    }

    /// Replaces the request's Min-SE (when it had one) with `value`.
    fn set_min_se(&self, ctx: &mut Context, msg: &Message, asked: TimerHeaders, value: u64) {
        if asked.min_se.is_some() {
            ctx.edits.remove_headers_named(msg, "Min-SE");
        }
        self.add(ctx, msg, "Min-SE", &value.to_string());
    }

    fn add(&self, ctx: &mut Context, msg: &Message, name: &str, value: &str) {
        if let Err(e) = ctx.edits.add_header(msg, name, value, Position::End) {
            warn(&format!("cannot add {name}: {e:?}"));
        }
    }

    /// A message of a flagged dialog (the module's message hook, after the dialog module
    /// found its dialog): refreshes and 2xx replies set the lifetime again.
    pub fn follow(&self, ctx: &mut Context) {
        let Some(msg) = ctx.msg else { return };
        let Some(key) = ctx.ext::<Current>().map(|c| c.key.clone()) else {
            return;
        };
        let Some(info) = self.info(&key) else { return };
        if msg.is_request() {
            self.request(ctx, msg, &key, info);
        } else {
            self.reply(ctx, msg, &key, info);
        }
    }

    /// An in-dialog request: a refresh asking for an interval restarts the lifetime with it;
    /// the ACK (and a PRACK) restart it with the interval kept.
    fn request(&self, ctx: &mut Context, msg: &Message, key: &Key, mut info: Info) {
        match msg.method_str() {
            Some("INVITE" | "UPDATE") => {
                let Ok(asked) = headers::read(msg) else {
                    return;
                };
                if let Some(se) = asked.session_expires.filter(|se| *se > 0) {
                    info.interval = se.max(self.settings.min_se);
                }
                info.caller_supports = asked.supported;
                self.keep(ctx, key, info);
            }
            Some("ACK" | "PRACK") => self.keep(ctx, key, info),
            _ => {}
        }
    }

    /// A reply in the dialog: a 422 raises the interval to its Min-SE; a 2xx to an INVITE or
    /// UPDATE settles it — its Session-Expires, else the one asked for when the caller
    /// supports timers (added to the 2xx with `refresher=uac`), else the dialog's default
    /// lifetime (no session timer for this call).
    fn reply(&self, ctx: &mut Context, msg: &Message, key: &Key, mut info: Info) {
        let code = msg.status_code().unwrap_or(0);
        let Ok(found) = headers::read(msg) else {
            return;
        };
        if code == 422 {
            info.interval = info.interval.max(found.min_se.unwrap_or(0));
            return self.keep(ctx, key, info);
        }
        let refreshable = msg
            .cseq()
            .is_ok_and(|c| c.method == "INVITE" || c.method == "UPDATE");
        if !(200..300).contains(&code) || !refreshable {
            return;
        }
        if let Some(se) = found.session_expires {
            info.interval = se.max(self.settings.min_se);
        } else if info.caller_supports {
            let value = format!("{};refresher=uac", info.interval);
            self.add(ctx, msg, "Session-Expires", &value);
            if !headers::requires_timer(msg) {
                self.add(ctx, msg, "Require", "timer");
            }
        } else {
            info.interval = self.dialogs.timeout.as_secs();
        }
        self.keep(ctx, key, info);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_state_reads_back() {
        let info = Info {
            interval: 1800,
            caller_supports: true,
        };
        assert_eq!(Info::decode(&info.encode()), Some(info));
        assert_eq!(Info::decode("x 1"), None);
        assert_eq!(Info::decode(""), None);
    }
}
