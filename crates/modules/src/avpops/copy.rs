//! `avp_copy($avp(src), $avp(dst)[/flags])`: copies (or moves) AVP values under another
//! name, as OpenSIPS 3.x does. Without flags the newest value of `src` is added to `dst`;
//! flags: `g` every value (taken newest first and each added in front, so `dst` gets them in
//! reverse order, as in OpenSIPS), `d` delete what was copied from `src` (a move), `n` turn
//! string values into integers (a value that is not one fails the call, nothing changed),
//! `s` turn integer values into strings. Returns 1 when something was copied, else -1.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::value::{parse_int, Value};

use super::names::{avp_name, fail, flags, raw_text, split_flags};

/// The prepared call.
pub struct Copy {
    src: String,
    dst: String,
    flags: String,
}

/// Parses both arguments once, at load time.
pub fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let src = raw_text(&args[0]).ok_or("the source must be \"$avp(name)\"")?;
    let dst = raw_text(&args[1]).ok_or("the destination must be \"$avp(name)[/flags]\"")?;
    let (dst, flag_text) = split_flags(&dst);
    args[0] = PreparedArg::Custom(Arc::new(Copy {
        src: avp_name(&src)?,
        dst: avp_name(dst)?,
        flags: flags(flag_text, "gdns")?,
    }));
    Ok(())
}

/// Runs a prepared call.
pub fn run(ctx: &mut Context, args: &Args) -> i32 {
    let Some(c) = args.custom::<Copy>(0) else {
        return -1;
    };
    let take = if c.flags.contains('g') { usize::MAX } else { 1 };
    let values: Vec<Value> = ctx.avps.all(&c.src).take(take).cloned().collect();
    if values.is_empty() {
        return -1;
    }
    let converted: Result<Vec<Value>, String> =
        values.into_iter().map(|v| convert(v, &c.flags)).collect();
    let converted = match converted {
        Ok(v) => v,
        Err(e) => return fail("avp_copy", &e),
    };
    if c.flags.contains('d') {
        for i in (0..converted.len()).rev() {
            ctx.avps.remove_at(&c.src, i as i64);
        }
    }
    for v in converted {
        ctx.avps.add(&c.dst, v);
    }
    1
}

/// Applies the `n` / `s` type conversions.
fn convert(v: Value, flags: &str) -> Result<Value, String> {
    Ok(match v {
        Value::Str(s) if flags.contains('n') => {
            Value::Int(parse_int(&s).ok_or_else(|| format!("cannot convert {s:?} to an integer"))?)
        }
        Value::Int(i) if flags.contains('s') => Value::Str(i.to_string()),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(convert("42".into(), "n").unwrap(), Value::Int(42));
        assert!(convert("4x".into(), "gn").is_err());
        assert_eq!(convert(Value::Int(7), "s").unwrap(), Value::from("7"));
        assert_eq!(convert(Value::Int(7), "n").unwrap(), Value::Int(7));
        assert_eq!(convert("a".into(), "").unwrap(), Value::from("a"));
    }

    #[test]
    fn arguments() {
        let mut args = vec![
            PreparedArg::Str("$avp(old)".into()),
            PreparedArg::Str("$avp(new)/GD".into()),
        ];
        fixup(&mut args).unwrap();
        let a = Args(args);
        let c = a.custom::<Copy>(0).unwrap();
        assert_eq!(
            (c.src.as_str(), c.dst.as_str(), c.flags.as_str()),
            ("old", "new", "gd")
        );
        let mut bad = vec![
            PreparedArg::Str("$avp(old)".into()),
            PreparedArg::Str("$avp(new)/x".into()),
        ];
        assert!(fixup(&mut bad).is_err());
        let mut bad = vec![
            PreparedArg::Str("$var(old)".into()),
            PreparedArg::Str("$avp(new)".into()),
        ];
        assert!(fixup(&mut bad).is_err());
    }
}
