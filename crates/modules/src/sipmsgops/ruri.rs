//! Request-URI parameters and URI-bearing headers: `ruri_add_param(param)`,
//! `ruri_del_param(name)`, `ruri_tel2sip()`, `append_urihf(prefix, suffix)` (a header built
//! around the Request-URI), and `is_privacy(type)` on the Privacy header (RFC 3323).

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::RouteMask;
use siplua_sip::edit::Position;
use siplua_sip::Uri;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let s = |n| ParamSpec::req(n, ParamKind::Str);
    vec![
        FunctionDecl::new(
            "ruri_add_param",
            vec![s("param")],
            RouteMask::REQUEST_LIKE,
            |c, a| {
                let param = a.str(c, 0).unwrap_or_default().into_owned();
                edit_params(c, |params| {
                    let param = param.trim_start_matches(';');
                    (!param.is_empty()).then(|| format!("{params};{param}"))
                })
            },
        ),
        FunctionDecl::new(
            "ruri_del_param",
            vec![s("name")],
            RouteMask::REQUEST_LIKE,
            |c, a| {
                let name = a.str(c, 0).unwrap_or_default().into_owned();
                edit_params(c, |params| {
                    let kept: Vec<&str> = params
                        .split(';')
                        .filter(|p| !p.is_empty())
                        .filter(|p| {
                            !p.split('=')
                                .next()
                                .unwrap_or("")
                                .trim()
                                .eq_ignore_ascii_case(&name)
                        })
                        .collect();
                    let new: String = kept.iter().map(|p| format!(";{p}")).collect();
                    (new != params).then_some(new)
                })
            },
        ),
        FunctionDecl::new("ruri_tel2sip", vec![], RouteMask::REQUEST_LIKE, |c, _| {
            ruri_tel2sip(c)
        }),
        FunctionDecl::new(
            "append_urihf",
            vec![s("prefix"), s("suffix")],
            RouteMask::REQUEST_LIKE,
            append_urihf,
        ),
        FunctionDecl::new(
            "is_privacy",
            vec![s("privacy_type")],
            RouteMask::WITH_MESSAGE,
            |c, a| {
                let wanted = a.str(c, 0).unwrap_or_default().into_owned();
                let Some(msg) = c.msg.as_ref() else {
                    return -1;
                };
                let has = msg
                    .headers()
                    .iter()
                    .filter(|h| msg.bytes(h.name_span()).eq_ignore_ascii_case(b"Privacy"))
                    .flat_map(|h| {
                        String::from_utf8_lossy(msg.bytes(h.value_span()))
                            .split(';')
                            .map(|t| t.trim().to_ascii_lowercase())
                            .collect::<Vec<_>>()
                    })
                    .any(|t| t == wanted.to_ascii_lowercase());
                if has {
                    1
                } else {
                    -1
                }
            },
        ),
    ]
}

/// `ruri_tel2sip()`: a `tel:` Request-URI becomes `sip:NUMBER@FROM_HOST;user=phone`, as
/// OpenSIPS converts it (the tel URI's own parameters stay with the number, in the user
/// part). 1 when converted or not a tel URI; -1 without a From host or when the result does
/// not parse.
fn ruri_tel2sip(ctx: &mut Context) -> i32 {
    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let Some(number) = tel_number(&ruri) else {
        return 1;
    };
    let host = ctx
        .msg
        .and_then(|m| m.from().ok())
        .map(|f| f.uri().host().to_owned())
        .filter(|h| !h.is_empty());
    let Some(host) = host else {
        return -1;
    };
    let new = format!("sip:{number}@{host};user=phone");
    if Uri::parse(&new).is_err() {
        return -1;
    }
    ctx.new_ruri = Some(new);
    1
}

/// What follows `tel:` (any case) in a URI, if it is a tel URI.
fn tel_number(uri: &str) -> Option<&str> {
    uri.get(..4)
        .filter(|s| s.eq_ignore_ascii_case("tel:"))
        .map(|_| &uri[4..])
}

/// Rewrites the Request-URI's parameter list (`;a=1;b`) with `f`; `None` leaves it.
fn edit_params(ctx: &mut Context, f: impl FnOnce(&str) -> Option<String>) -> i32 {
    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let Ok(uri) = Uri::parse(&ruri) else {
        return -1;
    };
    let params = uri.params().as_str();
    let Some(new_params) = f(params) else {
        return -1;
    };
    // The URI is `before` + params + `after` (the `?headers` part).
    let Some(at) = ruri
        .find(params)
        .filter(|_| !params.is_empty())
        .or_else(|| Some(ruri.find('?').unwrap_or(ruri.len())))
    else {
        return -1;
    };
    let new = format!("{}{new_params}{}", &ruri[..at], &ruri[at + params.len()..]);
    if Uri::parse(&new).is_err() {
        return -1;
    }
    ctx.new_ruri = Some(new);
    1
}

/// `append_urihf(prefix, suffix)`: appends `prefix` + the Request-URI + `suffix` as a
/// header line (`append_urihf("CC-Diversion: ", "\r\n")`).
fn append_urihf(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(prefix), Some(suffix)) = (args.str(ctx, 0), args.str(ctx, 1)) else {
        return -1;
    };
    let Some(ruri) = ctx.ruri().map(str::to_owned) else {
        return -1;
    };
    let line = format!("{prefix}{ruri}{suffix}");
    let line = line.trim_end_matches(['\r', '\n']);
    let Some((name, value)) = line.split_once(':') else {
        return -1;
    };
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    match ctx
        .edits
        .add_header(msg, name.trim(), value.trim(), Position::End)
    {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::tel_number;

    #[test]
    fn only_tel_uris_are_converted() {
        assert_eq!(tel_number("tel:+4021"), Some("+4021"));
        assert_eq!(
            tel_number("TEL:+4021;phone-context=x"),
            Some("+4021;phone-context=x")
        );
        assert_eq!(tel_number("sip:+4021@h"), None);
        assert_eq!(tel_number("tel"), None);
    }
}
