//! Functions that change headers: `append_hf`, `insert_hf`, `remove_hf`, `append_to_reply`.
//!
//! Edits are recorded against the received message and applied when it is sent on, so (as in
//! OpenSIPS) a header added here is not seen by later reads of the message in the script.

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::log;
use siplua_core::route_type::RouteMask;
use siplua_sip::edit::Position;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let txt = || {
        vec![
            ParamSpec::req("text", ParamKind::Str),
            ParamSpec::opt("header", ParamKind::Str),
        ]
    };
    vec![
        FunctionDecl::new("append_hf", txt(), RouteMask::WITH_MESSAGE, |c, a| {
            add(c, a, false)
        }),
        FunctionDecl::new("insert_hf", txt(), RouteMask::WITH_MESSAGE, |c, a| {
            add(c, a, true)
        }),
        FunctionDecl::new(
            "remove_hf",
            vec![ParamSpec::req("name", ParamKind::Str)],
            RouteMask::WITH_MESSAGE,
            remove_hf,
        ),
        FunctionDecl::new(
            "append_to_reply",
            vec![ParamSpec::req("text", ParamKind::Str)],
            RouteMask::REQUEST_LIKE,
            append_to_reply,
        ),
    ]
}

/// Splits header text as scripts write it (`"X-A: 1\r\nX-B: 2\r\n"`) into (name, value) pairs
/// (tm's `t_add_hdrs` reads its argument the same way).
pub(crate) fn header_lines(text: &str) -> Result<Vec<(&str, &str)>, String> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim(), v.trim()))
                .ok_or_else(|| format!("'{l}' is not a header line (Name: value)"))
        })
        .collect()
}

/// `append_hf(text[, header])` adds after the last header (or after the first `header`);
/// `insert_hf(text[, header])` before the first header (or before the first `header`).
fn add(ctx: &mut Context, args: &Args, before: bool) -> i32 {
    let Some(text) = args.str(ctx, 0) else {
        return -1;
    };
    let anchor = args.str(ctx, 1);
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    let lines = match header_lines(&text) {
        Ok(l) => l,
        Err(e) => {
            log::emit(log::level::ERR, "sipmsgops", &e);
            return -1;
        }
    };
    let position = match anchor {
        None => {
            if before {
                Position::Top
            } else {
                Position::End
            }
        }
        Some(name) => match msg.find_name(&name).next() {
            Some((i, _)) if before => Position::Before(i),
            Some((i, _)) => Position::After(i),
            None => return -1,
        },
    };
    for (name, value) in lines {
        if let Err(e) = ctx.edits.add_header(msg, name, value, position) {
            log::emit(
                log::level::ERR,
                "sipmsgops",
                &format!("cannot add header {name}: {e}"),
            );
            return -1;
        }
    }
    1
}

fn remove_hf(ctx: &mut Context, args: &Args) -> i32 {
    let Some(name) = args.str(ctx, 0) else {
        return -1;
    };
    let Some(msg) = ctx.msg.as_ref() else {
        return -1;
    };
    if ctx.edits.remove_headers_named(msg, &name) > 0 {
        1
    } else {
        -1
    }
}

fn append_to_reply(ctx: &mut Context, args: &Args) -> i32 {
    let Some(text) = args.str(ctx, 0) else {
        return -1;
    };
    if header_lines(&text).is_err() {
        log::emit(
            log::level::ERR,
            "sipmsgops",
            &format!("append_to_reply: '{}' is not header text", text.trim()),
        );
        return -1;
    }
    ctx.reply_headers.push_str(&text);
    if !ctx.reply_headers.ends_with('\n') {
        ctx.reply_headers.push_str("\r\n");
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_splits() {
        assert_eq!(
            header_lines("X-A: 1\r\nX-B:2\r\n").unwrap(),
            vec![("X-A", "1"), ("X-B", "2")]
        );
        assert!(header_lines("garbage").is_err());
    }
}
