//! sed-style substitutions, `'/regex/replacement/flags'` (`\1`..`\9` back-references; flags
//! `i` case-insensitive, `g` every match): `subst` over the header lines, `subst_uri` on the
//! Request-URI, `subst_user` on its user part, `subst_body` on the body; and
//! `is_uri_user_e164(uri)`.

use std::sync::Arc;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::route_type::RouteMask;
use siplua_core::subst::Subst;
use siplua_sip::Uri;

fn subst_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let PreparedArg::Str(text) = &args[0] else {
        return Err("the substitution must be a constant string".into());
    };
    args[0] = PreparedArg::Custom(Arc::new(Subst::parse(text)?));
    Ok(())
}

fn subst_of(args: &Args) -> Option<&Subst> {
    args.custom::<Subst>(0)
}

/// `subst`: each header line is matched on its own (a match never spans lines).
fn subst(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(s), Some(msg)) = (subst_of(args), ctx.msg.as_ref()) else {
        return -1;
    };
    let mut changed = false;
    for h in msg.headers() {
        let span = h.line_span();
        let start = span.start as usize;
        let Ok(line) = std::str::from_utf8(msg.bytes(span)) else {
            continue;
        };
        let body = line.trim_end_matches(['\r', '\n']);
        if let Some(new) = s.apply(body) {
            if ctx
                .edits
                .replace_range(msg, start, start + body.len(), &new)
                .is_ok()
            {
                changed = true;
                if !s.is_global() {
                    break;
                }
            }
        }
    }
    if changed {
        1
    } else {
        -1
    }
}

fn set_ruri(ctx: &mut Context, uri: String) -> i32 {
    if Uri::parse(&uri).is_err() {
        siplua_core::log::emit(
            siplua_core::log::level::ERR,
            "sipmsgops",
            &format!("substitution gives an invalid Request-URI {uri:?}"),
        );
        return -1;
    }
    ctx.new_ruri = Some(uri);
    1
}

fn subst_uri(ctx: &mut Context, args: &Args) -> i32 {
    let Some(s) = subst_of(args) else { return -1 };
    match ctx.ruri().and_then(|r| s.apply(r)) {
        Some(uri) => set_ruri(ctx, uri),
        None => -1,
    }
}

fn subst_user(ctx: &mut Context, args: &Args) -> i32 {
    let Some(s) = subst_of(args) else { return -1 };
    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let Ok(uri) = Uri::parse(&ruri) else {
        return -1;
    };
    let user = uri.user().unwrap_or("");
    let Some(new_user) = s.apply(user) else {
        return -1;
    };
    let scheme_end = uri.scheme_str().len() + 1;
    let rest = match uri.user() {
        // Skip "user[:password]@".
        Some(_) => ruri[scheme_end..].split_once('@').map_or("", |(_, r)| r),
        None => &ruri[scheme_end..],
    };
    let password = uri.password().map(|p| format!(":{p}")).unwrap_or_default();
    let new = if new_user.is_empty() {
        format!("{}:{rest}", uri.scheme_str())
    } else {
        format!("{}:{new_user}{password}@{rest}", uri.scheme_str())
    };
    set_ruri(ctx, new)
}

/// `subst_body`: the body as the route's earlier changes left it, matched as one text (`^`
/// and `$` match at each line, as OpenSIPS compiles it with `REG_NEWLINE`).
fn subst_body(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(s), Some(msg)) = (subst_of(args), ctx.msg.as_ref()) else {
        return -1;
    };
    let Ok(body) = std::str::from_utf8(ctx.edits.body(msg)) else {
        return -1;
    };
    let Some(new) = s.apply(body) else {
        return -1;
    };
    match ctx.edits.replace_body(msg, new.as_bytes(), None) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// `+` and 2 to 15 digits, the first not 0 (ITU-T E.164).
fn is_e164(user: &str) -> bool {
    user.strip_prefix('+').is_some_and(|d| {
        (2..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// The functions of this file.
pub fn functions() -> Vec<FunctionDecl> {
    let expr = || vec![ParamSpec::req("expression", ParamKind::StaticStr)];
    vec![
        FunctionDecl::new("subst", expr(), RouteMask::ALL, subst).with_fixup(subst_fixup),
        FunctionDecl::new("subst_uri", expr(), RouteMask::REQUEST_LIKE, subst_uri)
            .with_fixup(subst_fixup),
        FunctionDecl::new("subst_user", expr(), RouteMask::REQUEST_LIKE, subst_user)
            .with_fixup(subst_fixup),
        FunctionDecl::new("subst_body", expr(), RouteMask::WITH_MESSAGE, subst_body)
            .with_fixup(subst_fixup),
        FunctionDecl::new(
            "is_uri_user_e164",
            vec![ParamSpec::req("uri", ParamKind::Str)],
            RouteMask::ALL,
            |ctx: &mut Context, args: &Args| {
                let uri = args.str(ctx, 0).unwrap_or_default();
                match Uri::parse(&uri).ok().and_then(|u| u.user()) {
                    Some(user) if is_e164(user) => 1,
                    _ => -1,
                }
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_applies() {
        let s = Subst::parse("/^sip:([0-9]+)@(.*)$/sip:\\1@example.com/i").unwrap();
        assert_eq!(
            s.apply("sip:123@a.b").as_deref(),
            Some("sip:123@example.com")
        );
        assert_eq!(s.apply("sip:bob@a.b"), None);
        let s = Subst::parse("/a/$b/g").unwrap();
        assert_eq!(s.apply("aXa").as_deref(), Some("$bX$b"));
        let s = Subst::parse("#/#x#").unwrap();
        assert_eq!(s.apply("a/b/c").as_deref(), Some("axb/c"));
        assert!(Subst::parse("/a/b").is_err());
        assert!(Subst::parse("/(/b/").is_err());
    }

    #[test]
    fn e164() {
        assert!(is_e164("+4930123456"));
        assert!(!is_e164("4930123456"));
        assert!(!is_e164("+0123"));
        assert!(!is_e164("+1"));
        assert!(!is_e164("+1234567890123456"));
    }
}
