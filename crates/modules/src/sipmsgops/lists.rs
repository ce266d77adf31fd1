//! Option lists in comma-separated headers (Supported, Require, Allow, Content-Disposition...):
//! `list_hdr_has_option(hdr, option)` looks in every instance of the header,
//! `list_hdr_add_option(hdr, option)` appends to the first instance's list,
//! `list_hdr_remove_option(hdr, option)` takes the option (its last occurrence in each
//! instance) out of every instance, removing a header left without options.
//!
//! Options are compared without regard to case. The changes are kept per message so that
//! several calls on the same header build on each other, and `list_hdr_has_option` sees them.

use std::collections::HashMap;

use siplua_core::context::Context;
use siplua_core::function::{Args, FunctionDecl, ParamKind, ParamSpec};
use siplua_core::route_type::RouteMask;
use siplua_sip::Message;

/// The declarations.
pub fn functions() -> Vec<FunctionDecl> {
    let params = || {
        vec![
            ParamSpec::req("hdr_name", ParamKind::Str),
            ParamSpec::req("option", ParamKind::Str),
        ]
    };
    let m = RouteMask::WITH_MESSAGE;
    vec![
        FunctionDecl::new("list_hdr_has_option", params(), m, has_option),
        FunctionDecl::new("list_hdr_add_option", params(), m, add_option),
        FunctionDecl::new("list_hdr_remove_option", params(), m, remove_option),
    ]
}

/// One header line's list as the script's changes left it.
struct Line {
    options: Vec<String>,
    /// The `Edits` mark of the replacement of its value, once there is one.
    mark: Option<usize>,
    removed: bool,
}

/// The changed lines of the current message, by header index.
#[derive(Default)]
struct Lists(HashMap<usize, Line>);

fn split(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The header lines named `name` with their current options.
fn lines(ctx: &Context, msg: &Message, name: &str) -> Vec<(usize, Vec<String>, bool)> {
    let known = ctx.ext::<Lists>();
    msg.find_name(name)
        .map(|(i, h)| match known.and_then(|l| l.0.get(&i)) {
            Some(line) => (i, line.options.clone(), line.removed),
            None => (i, split(msg.value_of(h)), false),
        })
        .collect()
}

fn args2(ctx: &Context, args: &Args) -> Option<(String, String)> {
    let name = args.str(ctx, 0)?.trim().to_owned();
    let option = args.str(ctx, 1)?.trim().to_owned();
    (!name.is_empty() && !option.is_empty()).then_some((name, option))
}

fn has_option(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(msg), Some((name, option))) = (ctx.msg, args2(ctx, args)) else {
        return -1;
    };
    let found = lines(ctx, msg, &name)
        .iter()
        .filter(|(_, _, removed)| !removed)
        .any(|(_, opts, _)| opts.iter().any(|o| o.eq_ignore_ascii_case(&option)));
    if found {
        1
    } else {
        -1
    }
}

fn add_option(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(msg), Some((name, option))) = (ctx.msg, args2(ctx, args)) else {
        return -1;
    };
    let Some((index, mut options, _)) = lines(ctx, msg, &name)
        .into_iter()
        .find(|(_, _, removed)| !removed)
    else {
        return -1;
    };
    options.push(option);
    store(ctx, msg, index, options)
}

fn remove_option(ctx: &mut Context, args: &Args) -> i32 {
    let (Some(msg), Some((name, option))) = (ctx.msg, args2(ctx, args)) else {
        return -1;
    };
    let mut done = false;
    for (index, mut options, removed) in lines(ctx, msg, &name) {
        if removed {
            continue;
        }
        let Some(pos) = options
            .iter()
            .rposition(|o| o.eq_ignore_ascii_case(&option))
        else {
            continue;
        };
        options.remove(pos);
        if store(ctx, msg, index, options) == 1 {
            done = true;
        }
    }
    if done {
        1
    } else {
        -1
    }
}

/// Records header `index`'s new list: its value rewritten, or the line removed when empty.
fn store(ctx: &mut Context, msg: &Message, index: usize, options: Vec<String>) -> i32 {
    if ctx.ext::<Lists>().is_none() {
        ctx.set_ext(Lists::default());
    }
    let value = options.join(", ");
    let old_mark = ctx
        .ext::<Lists>()
        .and_then(|l| l.0.get(&index))
        .and_then(|l| l.mark);
    let mut mark = old_mark;
    let removed = options.is_empty();
    let ok = if removed {
        ctx.edits.remove_header(msg, index).is_ok()
    } else if let Some(m) = old_mark {
        ctx.edits.amend_replaced(m, &value).is_ok()
    } else {
        mark = Some(ctx.edits.mark());
        ctx.edits.replace_value(msg, index, &value).is_ok()
    };
    if !ok {
        return -1;
    }
    if let Some(lists) = ctx.ext_mut::<Lists>() {
        lists.0.insert(
            index,
            Line {
                options,
                mark,
                removed,
            },
        );
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lists() {
        assert_eq!(split(" timer, 100rel ,,path"), ["timer", "100rel", "path"]);
        assert!(split("").is_empty());
    }
}
