//! Record-Route parameters: `add_rr_param(param)` puts a parameter in the Record-Route this
//! proxy adds (before or after `record_route()` in the same run), and after `loose_route()`
//! `check_route_param(regex)`, `get_route_param(name, $var)` and `is_direction(dir)` read the
//! parameters of our own Route entry — how scripts carry state (`;nat=yes`) across a dialog.

use siplua_core::context::Context;
use siplua_core::value::Value;
use siplua_script::AssignOp;

/// Per-message state of `add_rr_param`: parameters waiting for `record_route()`, or the
/// Record-Route already added (its edit index and value without the closing `>`).
#[derive(Default)]
pub struct PendingRr {
    params: String,
    inserted: Option<(usize, String)>,
    /// Every Record-Route added in this run (edit indexes), for `remove_record_route`.
    all: Vec<usize>,
}

/// The parameters (`;lr;nat=yes`) of the Route entry of ours that `loose_route()` consumed.
pub struct RouteParams(pub String);

/// Takes the parameters queued by `add_rr_param` for a Record-Route being built.
pub fn take_pending(ctx: &mut Context) -> String {
    ctx.ext_mut::<PendingRr>()
        .map(|p| std::mem::take(&mut p.params))
        .unwrap_or_default()
}

/// Remembers the Record-Route just added so that a later `add_rr_param` can amend it.
pub fn note_inserted(ctx: &mut Context, edit: usize, open_value: String) {
    let mut state = ctx.take_ext::<PendingRr>().unwrap_or_default();
    state.inserted = Some((edit, open_value));
    state.all.push(edit);
    ctx.set_ext(state);
}

/// `remove_record_route()`: takes back the Record-Route headers `record_route()` and
/// `record_route_preset()` added in this run (before the request is relayed). 1 when there
/// was one, -1 when there was none.
pub fn remove_record_route(ctx: &mut Context) -> i32 {
    let Some(mut state) = ctx.take_ext::<PendingRr>() else {
        return -1;
    };
    let removed = state
        .all
        .drain(..)
        .filter(|&edit| ctx.edits.cancel_inserted(edit).is_ok())
        .count();
    state.inserted = None;
    ctx.set_ext(state);
    if removed > 0 {
        1
    } else {
        -1
    }
}

/// `add_rr_param(param)`: 1, or -1 when the added Record-Route cannot be amended.
pub fn add_rr_param(ctx: &mut Context, param: &str) -> i32 {
    let param = param.trim();
    if param.is_empty() {
        return 1;
    }
    let param = if param.starts_with(';') {
        param.to_owned()
    } else {
        format!(";{param}")
    };
    let mut state = ctx.take_ext::<PendingRr>().unwrap_or_default();
    let code = match state.inserted.as_mut() {
        None => {
            state.params.push_str(&param);
            1
        }
        Some((edit, open)) => {
            open.push_str(&param);
            let value = format!("{open}>");
            match ctx.edits.amend_inserted(*edit, "Record-Route", &value) {
                Ok(()) => 1,
                Err(_) => -1,
            }
        }
    };
    ctx.set_ext(state);
    code
}

/// The `name=value` parameters of our consumed Route entry (empty before `loose_route()`).
fn route_params<'a>(ctx: &'a Context<'_>) -> &'a str {
    ctx.ext::<RouteParams>().map_or("", |p| p.0.as_str())
}

/// `check_route_param(regex)`: 1 when the parameters of our Route entry match.
pub fn check_route_param(ctx: &Context, re: &regex::Regex) -> i32 {
    let params = route_params(ctx);
    if !params.is_empty() && re.is_match(params) {
        1
    } else {
        -1
    }
}

/// The value of one parameter of our Route entry (`Some("")` for a flag).
fn param_value<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    params.split(';').find_map(|p| {
        let (n, v) = p.split_once('=').unwrap_or((p, ""));
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// `get_route_param(name, $var)`: 1 and the value stored, -1 when there is no such parameter.
pub fn get_route_param(ctx: &mut Context, name: &str, pv: &siplua_core::pv::CompiledPv) -> i32 {
    let Some(value) = param_value(route_params(ctx), name).map(str::to_owned) else {
        return -1;
    };
    match pv.set(ctx, AssignOp::Set, Value::Str(value)) {
        Ok(()) => 1,
        Err(_) => -1,
    }
}

/// `is_direction("downstream"|"upstream")`: compares the `ftag` our Record-Route carried
/// (`append_fromtag`) with the From tag; -1 when there is no `ftag` or the direction differs.
pub fn is_direction(ctx: &Context, dir: &str) -> i32 {
    let Some(ftag) = param_value(route_params(ctx), "ftag") else {
        return -1;
    };
    let from_tag = ctx
        .msg
        .as_ref()
        .and_then(|m| m.from().ok().and_then(|f| f.tag().map(str::to_owned)));
    let downstream = from_tag.as_deref() == Some(ftag);
    let wanted = dir.eq_ignore_ascii_case("downstream");
    if downstream == wanted {
        1
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::param_value;

    #[test]
    fn parameter_lookup() {
        let p = ";lr;nat=yes;ftag=abc";
        assert_eq!(param_value(p, "nat"), Some("yes"));
        assert_eq!(param_value(p, "LR"), Some(""));
        assert_eq!(param_value(p, "ftag"), Some("abc"));
        assert_eq!(param_value(p, "x"), None);
    }
}
