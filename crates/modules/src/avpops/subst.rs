//! `avp_subst(avps, subst)`: a sed-like substitution on the string values of an AVP, as in
//! OpenSIPS 3.x.
//!
//! `avps` is `$avp(src)[/$avp(dst)][/flags]`: the results go to `dst`, added in front of its
//! values; without `dst` they replace the values of `src`. Flags: `g` every string value of
//! `src` (newest first), not only the first one the expression matches; `d` delete each
//! substituted value from `src` (always the case without `dst`). Integer values are skipped.
//! `subst` is `/regex/replacement/flags` (see `subst_expr`). Returns 1 when some value was
//! substituted, -1 when none matched (or the AVP has no value).

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, PreparedArg};
use siplua_core::value::Value;

use super::names::{avp_name, fail, flags, raw_text};
use super::subst_expr::Expr;

/// The prepared `avps` argument.
pub struct Names {
    src: String,
    dst: Option<String>,
    all: bool,
    delete: bool,
}

/// Parses `src[/dst][/flags]`.
fn parse_names(text: &str) -> Result<Names, String> {
    let (src, rest) = text.trim().split_once('/').unwrap_or((text.trim(), ""));
    let (dst, flag_text) = if rest.starts_with('$') {
        let (d, f) = rest.split_once('/').unwrap_or((rest, ""));
        (Some(avp_name(d)?), f)
    } else {
        (None, rest)
    };
    let f = flags(flag_text.trim(), "gd")?;
    Ok(Names {
        src: avp_name(src)?,
        dst,
        all: f.contains('g'),
        delete: f.contains('d'),
    })
}

/// Parses both arguments once, at load time (a bad expression is a load error).
pub fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let names = raw_text(&args[0]).ok_or("the first argument must be \"$avp(src)[/...]\"")?;
    args[0] = PreparedArg::Custom(Arc::new(parse_names(&names)?));
    let expr = match &args[1] {
        PreparedArg::Str(_) | PreparedArg::Format(_) => {
            Expr::parse(&raw_text(&args[1]).unwrap_or_default())?
        }
        _ => return Err("the substitution must be a string \"/regex/replacement/flags\"".into()),
    };
    args[1] = PreparedArg::Custom(Arc::new(expr));
    Ok(())
}

/// Runs a prepared call.
pub fn run(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(n), Some(expr)) = (args.custom::<Names>(0), args.custom::<Expr>(1)) else {
        return -1;
    };
    let src = &n.src;
    let all = n.all;
    // (index among the values of src, newest first; result)
    let found = expr.with(ctx, |subst| {
        let mut done: Vec<(usize, String)> = Vec::new();
        for (i, v) in ctx.avps.all(src).enumerate() {
            let Value::Str(text) = v else { continue };
            if let Some(result) = subst.apply(text) {
                done.push((i, result));
                if !all {
                    break;
                }
            }
        }
        done
    });
    let done = match found {
        Ok(d) => d,
        Err(e) => return fail("avp_subst", &e),
    };
    if done.is_empty() {
        return -1;
    }
    if n.delete || n.dst.is_none() {
        for (i, _) in done.iter().rev() {
            ctx.avps.remove_at(&n.src, *i as i64);
        }
    }
    let dst = n.dst.as_deref().unwrap_or(&n.src);
    for (_, result) in done {
        ctx.avps.add(dst, Value::Str(result));
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avps_argument() {
        let n = parse_names("$avp(a)").unwrap();
        assert_eq!(
            (n.src.as_str(), n.dst.as_deref(), n.all, n.delete),
            ("a", None, false, false)
        );
        let n = parse_names("$avp(a)/$avp(b)/gD").unwrap();
        assert_eq!(
            (n.src.as_str(), n.dst.as_deref(), n.all, n.delete),
            ("a", Some("b"), true, true)
        );
        let n = parse_names("$avp(a)/g").unwrap();
        assert_eq!((n.dst.as_deref(), n.all), (None, true));
        let n = parse_names("$avp(a)/$avp(b)").unwrap();
        assert_eq!((n.dst.as_deref(), n.all), (Some("b"), false));
        assert!(parse_names("$avp(a)/x").is_err());
        assert!(parse_names("$avp(a)/$var(b)").is_err());
    }
}
