//! `$route`, `$route.type`, `$route.name`: the stack of routes being run, as OpenSIPS 3.x
//! shows it (`route > route[A] > route[B]`). Read from [`Context::top_route`] and
//! [`Context::calls`], which the interpreter keeps anyway: nothing is done per statement.
//!
//! Index 0 (or none) is the current route, 1 its caller...; -1 is the topmost route, -2 the
//! one it called...; `[*]` is the whole stack. Out of range is null.

use siplua_script::RouteKind;

use super::Resolved;
use crate::context::Context;
use crate::interp::compile::keyword;
use crate::interp::Program;
use crate::value::Value;

/// Which part of a stack entry is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `$route`: `route`, `route[name]`, `failure_route[name]`...
    Full,
    /// `$route.type`: the keyword (`route` for a route called with `route(...)`).
    Type,
    /// `$route.name`: the name in brackets, null for an unnamed route.
    Name,
}

impl Field {
    /// The field of `$name`, if it is one of these variables.
    pub fn by_name(name: &str) -> Option<Field> {
        Some(match name {
            "route" => Field::Full,
            "route.type" => Field::Type,
            "route.name" => Field::Name,
            _ => return None,
        })
    }
}

/// Reads `field` of the stack entry `index` selects.
pub(super) fn get(ctx: &Context, field: Field, index: Option<Resolved>) -> Value {
    let Some((top, base)) = ctx.top_route else {
        return Value::Null;
    };
    let program = ctx.core.program.load();
    let calls = ctx.calls.get(base..).unwrap_or_default();
    // Outermost first.
    let stack: Vec<(usize, bool)> = std::iter::once((top, true))
        .chain(calls.iter().map(|c| (c.route, false)))
        .collect();
    let describe = |&(route, is_top): &(usize, bool)| text(&program, route, is_top, field);
    match index {
        Some(Resolved::All) => {
            let parts: Vec<String> = stack
                .iter()
                .filter_map(|e| describe(e).map(|v| v.as_str().into_owned()))
                .collect();
            Value::Str(parts.join(" > "))
        }
        Some(Resolved::At(i)) => pick(&stack, i).and_then(describe).unwrap_or(Value::Null),
        None => stack.last().and_then(describe).unwrap_or(Value::Null),
    }
}

/// The entry at OpenSIPS' index: `i >= 0` counts from the innermost, `i < 0` from the top.
fn pick<T>(stack: &[T], i: i64) -> Option<&T> {
    let len = stack.len() as i64;
    let at = if i >= 0 { len - 1 - i } else { -i - 1 };
    if (0..len).contains(&at) {
        stack.get(at as usize)
    } else {
        None
    }
}

/// One entry as `field` shows it; a route called with `route(...)` is of type `route`
/// whatever route called it.
fn text(program: &Program, route: usize, is_top: bool, field: Field) -> Option<Value> {
    let r = program.routes.get(route)?;
    let kind = if is_top { r.kind } else { RouteKind::Request };
    let kw = keyword(kind);
    Some(match (field, &r.name) {
        (Field::Type, _) => Value::from(kw),
        (Field::Name, Some(n)) => Value::from(n.as_str()),
        (Field::Name, None) => Value::Null,
        (Field::Full, Some(n)) => Value::Str(format!("{kw}[{n}]")),
        (Field::Full, None) => Value::from(kw),
    })
}

#[cfg(test)]
mod tests {
    use super::pick;

    #[test]
    fn indexes_count_from_the_current_route_or_from_the_top() {
        // route > route[A] > route[B], as OpenSIPS documents it.
        let stack = ["route", "route[A]", "route[B]"];
        assert_eq!(pick(&stack, 0), Some(&"route[B]"));
        assert_eq!(pick(&stack, 1), Some(&"route[A]"));
        assert_eq!(pick(&stack, 2), Some(&"route"));
        assert_eq!(pick(&stack, -1), Some(&"route"));
        assert_eq!(pick(&stack, -2), Some(&"route[A]"));
        assert_eq!(pick(&stack, -3), Some(&"route[B]"));
        assert_eq!(pick(&stack, 3), None);
        assert_eq!(pick(&stack, -4), None);
    }
}
