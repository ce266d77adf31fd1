//! `datetime_now()`, `datetime_parse_str(s)` and the `siplua.datetime` object: a point in time
//! (UTC, whole seconds) with `duplicate`, `strftime`, `str`, `add`, `compare`.

use std::fmt::Write;

use chrono::{DateTime, NaiveDateTime, Utc};
use mlua::{AnyUserData, Lua, MetaMethod, UserData, UserDataMethods, UserDataRef, Value};

use super::args::{check_integer, check_string};

/// The `siplua.datetime` object: Unix time in seconds.
#[derive(Clone, Copy, Debug)]
pub struct Datetime(i64);

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

impl Datetime {
    fn utc(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.0, 0)
    }

    fn format(self, fmt: &str) -> Option<String> {
        let mut out = String::new();
        write!(out, "{}", self.utc()?.format(fmt)).ok()?;
        Some(out)
    }
}

impl UserData for Datetime {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("duplicate", |_, this, ()| Ok(*this));
        methods.add_method("strftime", |lua, this, fmt: Value| {
            let fmt = check_string(lua, fmt, 2, "strftime")?.to_string_lossy();
            Ok(this.format(&fmt).filter(|s| !s.is_empty() && s.len() < 256))
        });
        methods.add_method("str", |_, this, ()| Ok(this.format(FORMAT)));
        methods.add_function("add", |lua, (ud, secs): (AnyUserData, Value)| {
            let secs = check_integer(lua, secs, 2, "add")?;
            ud.borrow_mut_scoped::<Datetime, _>(|d| d.0 = d.0.saturating_add(secs))?;
            Ok(ud)
        });
        methods.add_method("compare", |_, this, other: UserDataRef<Datetime>| {
            Ok(this.0.saturating_sub(other.0))
        });
        methods.add_meta_method(MetaMethod::ToString, |_, this, ()| Ok(this.format(FORMAT)));
    }
}

/// `datetime_now()`: the current time.
pub fn now(_: &Lua, _: ()) -> mlua::Result<Datetime> {
    Ok(Datetime(Utc::now().timestamp()))
}

/// `datetime_parse_str(s)`: the time written `YYYY-MM-DD HH:MM:SS` (read as UTC); nil when
/// `s` is anything else.
pub fn parse_str(lua: &Lua, s: Value) -> mlua::Result<Option<Datetime>> {
    let s = check_string(lua, s, 1, "datetime_parse_str")?.to_string_lossy();
    Ok(NaiveDateTime::parse_from_str(&s, FORMAT)
        .ok()
        .map(|t| Datetime(t.and_utc().timestamp())))
}
