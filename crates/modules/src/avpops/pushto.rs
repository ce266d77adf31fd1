//! `avp_pushto(destination, name)`: writes the value of an AVP (or of any variable) into the
//! request, as OpenSIPS 3.x does.
//!
//! `destination` is `$ru` (the whole Request-URI), `$ru/username` or `$ru/domain` (its user or
//! host part), `$du` (the destination URI) or `$br` (a new branch; the Request-URI is left
//! alone). `name` is `$avp(x)` or any variable, with the flag `/g` (AVPs only): every value,
//! newest first, instead of the newest one. With `/g` on `$ru`, each value after the first
//! first moves the current Request-URI (and `$du`) into a new branch, so the newest values end
//! up as branches and the oldest in the Request-URI; on `$du` the last value written wins.
//! An integer goes into `$ru` as its digits but, as in OpenSIPS, is refused for `$du`/`$br`.
//! A header destination (`$hdr(name)`) is refused at load time, as OpenSIPS 3.x refuses it
//! ("use append_hf() or append_to_reply()").
//! Returns 1, or -1 when the variable has no value or a value cannot be written.

use std::sync::Arc;

use siplua_core::context::{Branch, Context};
use siplua_core::function::{Args, PreparedArg};
use siplua_core::sipview::{rewrite_uri, UriChange};
use siplua_core::value::Value;
use siplua_sip::Uri;

use super::names::{fail, flags, raw_text, split_flags, Var};

/// Where the values go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Ruri,
    RuriUser,
    RuriHost,
    DstUri,
    Branch,
}

/// The prepared call.
pub struct PushTo {
    target: Target,
    source: Var,
    all: bool,
}

/// Parses both arguments once, at load time.
pub fn fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let dest = raw_text(&args[0]).ok_or("the destination must be $ru, $du or $br")?;
    let target = parse_target(&dest)?;
    let name = raw_text(&args[1]).ok_or("the name must be a variable such as $avp(x)")?;
    let (var, flag_text) = split_flags(&name);
    let source = Var::parse(var)?;
    let all = flags(flag_text, "g")?.contains('g');
    args[0] = PreparedArg::Custom(Arc::new(PushTo {
        target,
        source,
        all,
    }));
    Ok(())
}

fn parse_target(text: &str) -> Result<Target, String> {
    let (base, flag) = split_flags(text);
    let flag = flag.to_ascii_lowercase();
    match (base, flag.as_str()) {
        ("$ru" | "$ruri", "") => Ok(Target::Ruri),
        ("$ru" | "$ruri", "username") => Ok(Target::RuriUser),
        ("$ru" | "$ruri", "domain") => Ok(Target::RuriHost),
        ("$ru" | "$ruri", f) => Err(format!("unknown $ru flag {f:?} (username or domain)")),
        ("$du" | "$duri", "") => Ok(Target::DstUri),
        ("$br", "") => Ok(Target::Branch),
        ("$du" | "$duri" | "$br", f) => Err(format!("{base} takes no flag, got {f:?}")),
        (b, _) if b.starts_with("$hdr(") || b.starts_with("$(hdr(") => Err(
            "pushing to a header is obsolete (as in OpenSIPS 3.x): use append_hf() or \
             append_to_reply()"
                .into(),
        ),
        _ => Err(format!(
            "unsupported destination {text:?}; expected $ru, $du or $br"
        )),
    }
}

/// Runs a prepared call.
pub fn run(ctx: &mut Context, args: &Args) -> i32 {
    let Some(p) = args.custom::<PushTo>(0) else {
        return -1;
    };
    let values: Vec<Value> = match &p.source {
        Var::Avp(name) => {
            let take = if p.all { usize::MAX } else { 1 };
            ctx.avps.all(name).take(take).cloned().collect()
        }
        Var::Pv(pv) => Some(pv.get(ctx))
            .filter(|v| !v.is_null())
            .into_iter()
            .collect(),
    };
    if values.is_empty() {
        return -1;
    }
    for (i, value) in values.iter().enumerate() {
        if let Err(e) = push(ctx, p.target, value, i > 0) {
            return fail("avp_pushto", &e);
        }
    }
    1
}

/// Writes one value; `again` when an earlier value of the same call was written already.
fn push(ctx: &mut Context, target: Target, value: &Value, again: bool) -> Result<(), String> {
    let text = value.as_str().into_owned();
    match target {
        Target::Ruri | Target::RuriUser | Target::RuriHost => {
            let current = ctx.ruri().map(str::to_owned);
            if again {
                let uri = current.clone().ok_or("no Request-URI")?;
                ctx.branches.push(Branch {
                    uri,
                    dst_uri: ctx.dst_uri.clone(),
                    q: -1,
                    flags: ctx.branch_flags,
                    ..Branch::default()
                });
            }
            let new = match target {
                Target::Ruri => {
                    Uri::parse(&text).map_err(|e| format!("invalid URI {text:?}: {e}"))?;
                    text
                }
                _ => {
                    let current = current.ok_or("no Request-URI")?;
                    let change = if target == Target::RuriUser {
                        UriChange::User(Some(&text))
                    } else {
                        UriChange::Host(&text)
                    };
                    rewrite_uri(&current, change)?
                }
            };
            ctx.new_ruri = Some(new);
        }
        Target::DstUri | Target::Branch => {
            if matches!(value, Value::Int(_)) {
                return Err(format!("the integer {text} cannot be pushed to a URI"));
            }
            Uri::parse(&text).map_err(|e| format!("invalid URI {text:?}: {e}"))?;
            if target == Target::DstUri {
                ctx.dst_uri = Some(text);
            } else {
                ctx.branches.push(Branch {
                    uri: text,
                    q: -1,
                    flags: ctx.branch_flags,
                    ..Branch::default()
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(parse_target("$ru").unwrap(), Target::Ruri);
        assert_eq!(parse_target("$ru/Username").unwrap(), Target::RuriUser);
        assert_eq!(parse_target("$ru/domain").unwrap(), Target::RuriHost);
        assert_eq!(parse_target("$du").unwrap(), Target::DstUri);
        assert_eq!(parse_target("$br").unwrap(), Target::Branch);
        assert!(parse_target("$ru/port").is_err());
        assert!(parse_target("$du/domain").is_err());
        assert!(parse_target("$hdr(X-Foo)")
            .unwrap_err()
            .contains("append_hf"));
        assert!(parse_target("$fu").is_err());
    }

    #[test]
    fn names() {
        let mut args = vec![
            PreparedArg::Str("$ru/domain".into()),
            PreparedArg::Str("$avp(domains)/g".into()),
        ];
        fixup(&mut args).unwrap();
        let p = Args(args.clone()).custom::<PushTo>(0).map(|p| p.all);
        assert_eq!(p, Some(true));
        let mut args = vec![
            PreparedArg::Str("$ru".into()),
            PreparedArg::Str("$avp(x)/z".into()),
        ];
        assert!(fixup(&mut args).is_err());
    }
}
