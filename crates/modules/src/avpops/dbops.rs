//! `avp_db_load(source, name[, db_id[, prefix]])`, `avp_db_store(source, name[, db_id])`,
//! `avp_db_delete(source, name[, db_id])`: AVPs kept per user in the `usr_preferences` table
//! (or the `avp_table` / a `/table` given with the name), as OpenSIPS 3.x does.
//!
//! The source names the owner: a constant string or any variable other than `$ru`, `$fu`,
//! `$tu`, `$ou` is a uuid; those four are URIs. A `/uuid`, `/uri`, `/username` or `/domain`
//! suffix chooses: `uri` matches the username column (and the domain column when
//! `use_domain` is 1), `username` the username column only, `domain` the domain column only.
//! The name is `$avp(x)` (that attribute) or `$avp(*)` (every attribute), optionally followed
//! by `/table`. The type column's bit 0 marks an integer value (1), 0 a string, as OpenSIPS
//! reads and writes it; bit 1 (an integer AVP name in old versions) is ignored.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::log;
use siplua_core::value::Value;
use siplua_db::{Db, DbValue};
use siplua_sip::uri::Uri;

use super::names::raw_text;

/// The table and column names (module parameters).
#[derive(Clone, Debug)]
pub struct Columns {
    /// `avp_table`.
    pub table: String,
    /// `uuid_column`.
    pub uuid: String,
    /// `username_column`.
    pub username: String,
    /// `domain_column`.
    pub domain: String,
    /// `attribute_column`.
    pub attribute: String,
    /// `value_column`.
    pub value: String,
    /// `type_column`.
    pub kind: String,
    /// `use_domain`.
    pub use_domain: bool,
}

impl Default for Columns {
    fn default() -> Self {
        Columns {
            table: "usr_preferences".into(),
            uuid: "uuid".into(),
            username: "username".into(),
            domain: "domain".into(),
            attribute: "attribute".into(),
            value: "value".into(),
            kind: "type".into(),
            use_domain: false,
        }
    }
}

/// Which part of the source identifies the owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Uuid,
    Uri,
    Username,
    Domain,
}

/// A prepared source argument: the argument as written, the `/flag` to strip from its value.
struct Source {
    arg: PreparedArg,
    suffix: Option<String>,
    mode: Mode,
}

/// A prepared name argument.
struct Name {
    /// `None` for `$avp(*)`.
    avp: Option<String>,
    table: Option<String>,
}

/// Prepares the source and name arguments of the three functions.
pub fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let text = raw_text(&args[0]).ok_or("the source must be a string or a variable")?;
    let (base, flag) = match text.rsplit_once('/') {
        Some((b, f)) => match f.trim().to_ascii_lowercase().as_str() {
            "uuid" => (b, Some((f, Mode::Uuid))),
            "uri" => (b, Some((f, Mode::Uri))),
            "username" => (b, Some((f, Mode::Username))),
            "domain" => (b, Some((f, Mode::Domain))),
            _ => (text.as_str(), None),
        },
        None => (text.as_str(), None),
    };
    let base = base.trim();
    if base.is_empty() {
        return Err(format!("empty source {text:?}"));
    }
    let mode = match flag {
        Some((_, m)) => m,
        None if ["$ru", "$fu", "$tu", "$ou"].contains(&base) => Mode::Uri,
        None => Mode::Uuid,
    };
    let source = Source {
        arg: args[0].clone(),
        suffix: flag.map(|(f, _)| format!("/{f}")),
        mode,
    };
    args[0] = PreparedArg::Custom(Arc::new(source));

    let text = raw_text(&args[1]).ok_or("the name must be \"$avp(name)\" or \"$avp(*)\"")?;
    args[1] = PreparedArg::Custom(Arc::new(parse_name(&text)?));
    Ok(())
}

/// `$avp(x)`, `$avp(*)` (or `*`), optionally `/table`.
fn parse_name(text: &str) -> Result<Name, String> {
    let text = text.trim();
    let (spec, table) = match text.strip_prefix("$avp(") {
        Some(rest) => {
            let close = rest
                .find(')')
                .ok_or_else(|| format!("bad AVP name {text:?}"))?;
            let tail = rest[close + 1..].trim();
            let table = match tail.strip_prefix('/') {
                Some(t) => Some(t.trim()),
                None if tail.is_empty() => None,
                None => return Err(format!("bad AVP name {text:?}")),
            };
            (&rest[..close], table)
        }
        None => match text.split_once('/') {
            Some((s, t)) => (s.trim(), Some(t.trim())),
            None => (text, None),
        },
    };
    let avp = match spec {
        "*" | "a" | "A" | "s" | "S" | "i" | "I" => None,
        s if !s.is_empty() && !s.contains(['$', '(', ')', '/']) && text.starts_with("$avp(") => {
            Some(s.to_owned())
        }
        _ => {
            return Err(format!(
                "expected \"$avp(name)\" or \"$avp(*)\" (then an optional /table), got {text:?}"
            ))
        }
    };
    let table = match table {
        Some(t) if t.starts_with('$') => {
            return Err(format!(
                "{text:?}: db_scheme names are not supported by siplua's avpops"
            ))
        }
        Some("") => return Err(format!("empty table name in {text:?}")),
        Some(t) => Some(t.to_owned()),
        None => None,
    };
    Ok(Name { avp, table })
}

/// The prepared arguments of a call.
fn prepared(args: &Args) -> Option<(&Source, &Name)> {
    Some((args.custom::<Source>(0)?, args.custom::<Name>(1)?))
}

/// The (column, value) pairs naming the owner, or `None` (logged) when the source's value
/// does not give them.
fn owner(ctx: &Context, src: &Source, cols: &Columns) -> Option<Vec<(String, String)>> {
    let one = Args(vec![src.arg.clone()]);
    let value = one.str(ctx, 0)?.into_owned();
    let value = match &src.suffix {
        Some(s) => value.strip_suffix(s.as_str()).unwrap_or(&value).to_owned(),
        None => value,
    };
    if src.mode == Mode::Uuid {
        if value.is_empty() {
            return fail("empty uuid");
        }
        return Some(vec![(cols.uuid.clone(), value)]);
    }
    let Ok(uri) = Uri::parse(value.trim()) else {
        return fail(&format!("{value:?} is not a URI"));
    };
    let user = uri.user().unwrap_or_default();
    let host = uri.host();
    if host.is_empty() || (user.is_empty() && src.mode != Mode::Domain) {
        return fail(&format!("incomplete URI {value:?}"));
    }
    let mut keys = Vec::new();
    if matches!(src.mode, Mode::Uri | Mode::Username) {
        keys.push((cols.username.clone(), user.to_owned()));
    }
    if src.mode == Mode::Domain || (src.mode == Mode::Uri && cols.use_domain) {
        keys.push((cols.domain.clone(), host.to_owned()));
    }
    Some(keys)
}

fn fail<T>(text: &str) -> Option<T> {
    log::emit(log::level::ERR, "avpops", text);
    None
}

fn db_error(func: &str, e: &dyn std::fmt::Display) -> i32 {
    log::emit(log::level::ERR, "avpops", &format!("{func}: {e}"));
    -1
}

/// A quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `WHERE` text and parameters for the owner and, unless all, the attribute.
fn conditions(keys: Vec<(String, String)>, name: &Name, cols: &Columns) -> (String, Vec<DbValue>) {
    let mut sql = Vec::new();
    let mut params = Vec::new();
    for (col, value) in keys {
        sql.push(format!("{}=?", ident(&col)));
        params.push(DbValue::Str(value));
    }
    if let Some(avp) = &name.avp {
        sql.push(format!("{}=?", ident(&cols.attribute)));
        params.push(DbValue::Str(avp.clone()));
    }
    (sql.join(" AND "), params)
}

/// `avp_db_load`: 1 when some AVP was loaded, -1 otherwise.
pub fn load(db: &Db, cols: &Columns, ctx: &mut Context, args: &Args) -> i32 {
    let Some((src, name)) = prepared(args) else {
        return -1;
    };
    let Some(keys) = owner(ctx, src, cols) else {
        return -1;
    };
    let prefix = args.str(ctx, 3).unwrap_or_default().into_owned();
    let (cond, params) = conditions(keys, name, cols);
    let sql = format!(
        "SELECT {}, {}, {} FROM {} WHERE {cond}",
        ident(&cols.attribute),
        ident(&cols.value),
        ident(&cols.kind),
        ident(name.table.as_deref().unwrap_or(&cols.table)),
    );
    let rows = match db.query(&sql, &params) {
        Ok(r) => r,
        Err(e) => return db_error("avp_db_load", &e),
    };
    let mut loaded = 0;
    for row in &rows {
        let (Some(attr), Some(text)) = (row.get_str(0), row.get_str(1)) else {
            continue;
        };
        let is_int = row.get_i64(2).unwrap_or(0) & 1 == 1;
        let value = match text.trim().parse::<i64>() {
            Ok(n) if is_int => Value::Int(n),
            _ => Value::Str(text),
        };
        ctx.avps.add(&format!("{prefix}{attr}"), value);
        loaded += 1;
    }
    if loaded > 0 {
        1
    } else {
        -1
    }
}

/// `avp_db_store`: one row per value (the oldest first, so that loading them back keeps
/// their order); 1 when some value was stored, -1 otherwise.
pub fn store(db: &Db, cols: &Columns, ctx: &mut Context, args: &Args) -> i32 {
    let Some((src, name)) = prepared(args) else {
        return -1;
    };
    let Some(keys) = owner(ctx, src, cols) else {
        return -1;
    };
    let values: Vec<(String, Value)> = ctx
        .avps
        .iter()
        .filter(|(n, _)| name.avp.as_deref().is_none_or(|a| a == *n))
        .map(|(n, v)| (n.to_owned(), v.clone()))
        .collect();
    let mut columns: Vec<String> = keys.iter().map(|(c, _)| ident(c)).collect();
    columns.extend([&cols.attribute, &cols.value, &cols.kind].map(|c| ident(c)));
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        ident(name.table.as_deref().unwrap_or(&cols.table)),
        columns.join(", "),
        vec!["?"; columns.len()].join(", "),
    );
    let mut stored = 0;
    for (attr, value) in values.into_iter().rev() {
        let kind = match value {
            Value::Null => continue,
            Value::Int(_) => 1,
            Value::Str(_) => 0,
        };
        let mut params: Vec<DbValue> = keys.iter().map(|(_, v)| DbValue::Str(v.clone())).collect();
        params.extend([
            DbValue::Str(attr),
            DbValue::Str(value.as_str().into_owned()),
            DbValue::Int(kind),
        ]);
        if let Err(e) = db.exec(&sql, &params) {
            return db_error("avp_db_store", &e);
        }
        stored += 1;
    }
    if stored > 0 {
        1
    } else {
        -1
    }
}

/// `avp_db_delete`: 1 when the statement ran (whether or not rows matched), -1 otherwise.
pub fn delete(db: &Db, cols: &Columns, ctx: &mut Context, args: &Args) -> i32 {
    let Some((src, name)) = prepared(args) else {
        return -1;
    };
    let Some(keys) = owner(ctx, src, cols) else {
        return -1;
    };
    let (cond, params) = conditions(keys, name, cols);
    let sql = format!(
        "DELETE FROM {} WHERE {cond}",
        ident(name.table.as_deref().unwrap_or(&cols.table)),
    );
    match db.exec(&sql, &params) {
        Ok(_) => 1,
        Err(e) => db_error("avp_db_delete", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let n = parse_name("$avp(fwd)").unwrap();
        assert_eq!((n.avp.as_deref(), n.table), (Some("fwd"), None));
        let n = parse_name("$avp(*)/domain_prefs").unwrap();
        assert_eq!(n.avp, None);
        assert_eq!(n.table.as_deref(), Some("domain_prefs"));
        assert!(parse_name("$avp(*)/$scheme").is_err());
        assert!(parse_name("$var(x)").is_err());
        assert!(parse_name("$avp(x)junk").is_err());
    }

    #[test]
    fn sources() {
        let mut args = vec![
            PreparedArg::Str("$ru/username".into()),
            PreparedArg::Str("$avp(x)".into()),
        ];
        fixup(&mut args).unwrap();
        let Some(PreparedArg::Custom(c)) = args.first() else {
            panic!()
        };
        let s = c.downcast_ref::<Source>().unwrap();
        assert_eq!(
            (s.mode, s.suffix.as_deref()),
            (Mode::Username, Some("/username"))
        );
        let mut args = vec![PreparedArg::Str("abc".into()), PreparedArg::Str("*".into())];
        fixup(&mut args).unwrap();
        let Some(PreparedArg::Custom(c)) = args.first() else {
            panic!()
        };
        assert_eq!(c.downcast_ref::<Source>().unwrap().mode, Mode::Uuid);
    }
}
