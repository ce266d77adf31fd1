//! `is_avp_set(name[/flags])` and `avp_delete(name[/g])` with OpenSIPS 3.x flags.
//!
//! `is_avp_set("$avp(x)")` is 1 when the AVP has a value; with flags the newest value is
//! checked: `s` it is a string, `n` an integer, `e` it is empty (an empty string or 0).
//! `avp_delete("$avp(x)")` deletes the newest value only, `avp_delete("$avp(x)/g")` every
//! value; 1 when something was deleted, else -1.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::value::Value;

use super::names::{avp_name, flags, raw_text, split_flags};

/// A prepared `name[/flags]` argument.
pub struct NameFlags {
    name: String,
    flags: String,
}

fn fixup(args: &mut [PreparedArg], allowed: &str) -> Result<(), String> {
    let text = raw_text(&args[0]).ok_or("the name must be \"$avp(name)\"")?;
    let (name, flag_text) = split_flags(&text);
    let flags = flags(flag_text, allowed)?;
    if flags.contains('s') && flags.contains('n') {
        return Err(format!("{text:?}: the flags s and n exclude each other"));
    }
    args[0] = PreparedArg::Custom(Arc::new(NameFlags {
        name: avp_name(name)?,
        flags,
    }));
    Ok(())
}

/// `is_avp_set`'s argument, parsed at load time.
pub fn fixup_is_set(args: &mut [PreparedArg]) -> Result<(), String> {
    fixup(args, "esn")
}

/// `avp_delete`'s argument, parsed at load time.
pub fn fixup_delete(args: &mut [PreparedArg]) -> Result<(), String> {
    fixup(args, "g")
}

/// Runs `is_avp_set`.
pub fn is_set(ctx: &mut Context, args: &Args) -> i32 {
    let Some(a) = args.custom::<NameFlags>(0) else {
        return -1;
    };
    match ctx.avps.all(&a.name).next() {
        Some(v) if passes(v, &a.flags) => 1,
        _ => -1,
    }
}

fn passes(v: &Value, flags: &str) -> bool {
    let kind_ok = match v {
        Value::Str(_) => !flags.contains('n'),
        Value::Int(_) => !flags.contains('s'),
        Value::Null => false,
    };
    let empty_ok = !flags.contains('e') || matches!(v, Value::Int(0)) || v.as_str().is_empty();
    kind_ok && empty_ok
}

/// Runs `avp_delete`.
pub fn delete(ctx: &mut Context, args: &Args) -> i32 {
    let Some(a) = args.custom::<NameFlags>(0) else {
        return -1;
    };
    let deleted = if a.flags.contains('g') {
        ctx.avps.remove_all(&a.name) > 0
    } else {
        ctx.avps.remove_at(&a.name, 0)
    };
    if deleted {
        1
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_flags() {
        assert!(passes(&"x".into(), ""));
        assert!(passes(&"x".into(), "s"));
        assert!(!passes(&"x".into(), "n"));
        assert!(passes(&Value::Int(3), "n"));
        assert!(!passes(&Value::Int(3), "e"));
        assert!(passes(&Value::Int(0), "ne"));
        assert!(passes(&"".into(), "es"));
        assert!(!passes(&"".into(), "en"));
    }

    #[test]
    fn arguments() {
        let mut a = vec![PreparedArg::Str("$avp(x)/G".into())];
        fixup_delete(&mut a).unwrap();
        assert_eq!(Args(a).custom::<NameFlags>(0).unwrap().flags, "g");
        assert!(fixup_delete(&mut [PreparedArg::Str("$avp(x)/e".into())]).is_err());
        assert!(fixup_is_set(&mut [PreparedArg::Str("$avp(x)/sn".into())]).is_err());
        assert!(fixup_is_set(&mut [PreparedArg::Str("$var(x)".into())]).is_err());
    }
}
