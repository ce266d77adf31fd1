//! Functions that read the message: `is_method`, `has_totag`, `is_present_hf`, `has_body`,
//! `ruri_has_param`, `search`, `search_body`.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec, PreparedArg};
use siplua_core::route_type::RouteMask;
use siplua_sip::{Method, Uri};

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let s = |n| ParamSpec::req(n, ParamKind::Str);
    vec![
        FunctionDecl::new(
            "is_method",
            vec![ParamSpec::req("methods", ParamKind::StaticStr)],
            RouteMask::ALL,
            is_method,
        )
        .with_fixup(methods_fixup),
        FunctionDecl::new("has_totag", vec![], RouteMask::ALL, has_totag),
        FunctionDecl::new(
            "is_present_hf",
            vec![s("name")],
            RouteMask::ALL,
            is_present_hf,
        ),
        FunctionDecl::new(
            "has_body",
            vec![ParamSpec::opt("content_type", ParamKind::Str)],
            RouteMask::ALL,
            has_body,
        ),
        FunctionDecl::new(
            "ruri_has_param",
            vec![s("name"), ParamSpec::opt("value", ParamKind::Str)],
            RouteMask::REQUEST_LIKE,
            ruri_has_param,
        ),
        FunctionDecl::new(
            "search",
            vec![ParamSpec::req("regex", ParamKind::Regex)],
            RouteMask::ALL,
            search,
        ),
        FunctionDecl::new(
            "search_body",
            vec![ParamSpec::req("regex", ParamKind::Regex)],
            RouteMask::ALL,
            search_body,
        ),
    ]
}

/// The method list of `is_method("INVITE|BYE")`, parsed once: the known methods as a bit
/// set (a request's method is classified when it is parsed, so most checks are one bit
/// test), and every name, upper-cased, for a method written otherwise (`invite`, `FOO`).
struct MethodList {
    known: u32,
    names: Vec<String>,
}

impl MethodList {
    fn contains(&self, method: Option<Method>, text: &str) -> bool {
        match method {
            Some(m) if m != Method::Other => self.known & method_bit(m) != 0,
            _ => self.names.iter().any(|n| n.eq_ignore_ascii_case(text)),
        }
    }
}

fn method_bit(m: Method) -> u32 {
    1 << (m as u32)
}

fn methods_fixup(args: &mut [PreparedArg]) -> Result<(), String> {
    let Some(PreparedArg::Str(list)) = args.first() else {
        return Ok(());
    };
    let methods: Vec<String> = list
        .split('|')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty())
        .collect();
    if methods.is_empty() {
        return Err("empty method list".into());
    }
    let known = methods
        .iter()
        .map(|m| Method::from_token(m))
        .filter(|&m| m != Method::Other)
        .fold(0, |bits, m| bits | method_bit(m));
    let list = MethodList {
        known,
        names: methods,
    };
    args[0] = PreparedArg::Custom(std::sync::Arc::new(list));
    Ok(())
}

/// For a reply, the method of its CSeq (what OpenSIPS compares).
fn is_method(ctx: &mut Context, args: &Args) -> i32 {
    let Some(msg) = ctx.message() else { return -1 };
    let method = match msg.method_str() {
        Some(m) => m,
        None => match msg.cseq() {
            Ok(c) => c.method,
            Err(_) => return -1,
        },
    };
    let hit = match args.custom::<MethodList>(0) {
        Some(list) => list.contains(msg.method(), method),
        None => args
            .str(ctx, 0)
            .is_some_and(|l| l.split('|').any(|m| m.trim().eq_ignore_ascii_case(method))),
    };
    if hit {
        1
    } else {
        -1
    }
}

fn has_totag(ctx: &mut Context, _: &Args) -> i32 {
    match ctx.message().map(|m| m.to()) {
        Some(Ok(to)) if to.tag().is_some_and(|t| !t.is_empty()) => 1,
        _ => -1,
    }
}

fn is_present_hf(ctx: &mut Context, args: &Args) -> i32 {
    let Some(name) = args.str(ctx, 0) else {
        return -1;
    };
    match ctx.message() {
        Some(m) if m.find_name(&name).next().is_some() => 1,
        _ => -1,
    }
}

/// `has_body()` is true for a non-empty body; `has_body("application/sdp")` also checks the
/// Content-Type (or a part of that type in a multipart body).
fn has_body(ctx: &mut Context, args: &Args) -> i32 {
    let Some(msg) = ctx.message() else { return -1 };
    if msg.body().is_empty() {
        return -1;
    }
    let Some(want) = args.str(ctx, 0) else {
        return 1;
    };
    let Some((mtype, subtype)) = want.trim().split_once('/') else {
        return -1;
    };
    match msg.content_type() {
        Ok(Some(ct)) if ct.is(mtype, subtype) => 1,
        Ok(Some(ct)) if ct.is("multipart", "mixed") => {
            let body = String::from_utf8_lossy(msg.body()).to_ascii_lowercase();
            if body.contains(&format!(
                "content-type: {}",
                want.trim().to_ascii_lowercase()
            )) {
                1
            } else {
                -1
            }
        }
        _ => -1,
    }
}

fn ruri_has_param(ctx: &mut Context, args: &Args) -> i32 {
    let Some(name) = args.str(ctx, 0) else {
        return -1;
    };
    let want = args.str(ctx, 1);
    let Some(ruri) = ctx.ruri() else { return -1 };
    let Ok(uri) = Uri::parse(ruri) else { return -1 };
    match (uri.params().get(&name), want) {
        (None, _) => -1,
        (Some(_), None) => 1,
        (Some(v), Some(w)) if v.unwrap_or("").eq_ignore_ascii_case(&w) => 1,
        _ => -1,
    }
}

fn search(ctx: &mut Context, args: &Args) -> i32 {
    let Some(re) = args.regex(ctx, 0) else {
        return -1;
    };
    match ctx.message() {
        Some(m) if re.is_match(&String::from_utf8_lossy(m.as_bytes())) => 1,
        _ => -1,
    }
}

fn search_body(ctx: &mut Context, args: &Args) -> i32 {
    let Some(re) = args.regex(ctx, 0) else {
        return -1;
    };
    match ctx.message() {
        Some(m) if re.is_match(&String::from_utf8_lossy(m.body())) => 1,
        _ => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, method: Option<Method>, written: &str) -> bool {
        let mut args = [PreparedArg::Str(text.into())];
        methods_fixup(&mut args).unwrap();
        let [PreparedArg::Custom(list)] = &args else {
            panic!("no method list")
        };
        let list = list.downcast_ref::<MethodList>().unwrap();
        list.contains(method, written)
    }

    #[test]
    fn method_lists_match_known_and_other_methods() {
        let l = "invite | BYE|foo";
        assert!(check(l, Some(Method::Invite), "INVITE"));
        assert!(check(l, Some(Method::Bye), "BYE"));
        assert!(!check(l, Some(Method::Options), "OPTIONS"));
        // Methods are case-sensitive on the wire: `invite` and `FOO` are extension methods,
        // still matched by name without regard to case, as OpenSIPS does.
        assert!(check(l, Some(Method::Other), "invite"));
        assert!(check(l, Some(Method::Other), "FOO"));
        assert!(!check(l, Some(Method::Other), "BAR"));
        // A reply: the CSeq method's text.
        assert!(check(l, None, "INVITE"));
        assert!(!check(l, None, "CANCEL"));
    }
}
