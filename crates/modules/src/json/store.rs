//! Where `$json` variables live and the operations on them. As in OpenSIPS, a json variable
//! belongs to the worker that set it (OpenSIPS: the process) from its first assignment on and
//! is not reset between messages; a script that wants one per message initialises it.

use std::cell::RefCell;
use std::collections::HashMap;

use super::node::{Json, Node};
use super::path::Resolved;

thread_local! {
    static VARS: RefCell<HashMap<String, Node>> = RefCell::new(HashMap::new());
}

/// The value at `steps` inside variable `name`, if there is one.
pub fn get(name: &str, steps: &[Resolved]) -> Option<Node> {
    let mut cur = VARS.with(|v| v.borrow().get(name).cloned())?;
    for step in steps {
        let next = child(&cur, step)?;
        cur = next;
    }
    Some(cur)
}

/// The member or element `step` names in `n`.
fn child(n: &Node, step: &Resolved) -> Option<Node> {
    match (&*n.borrow(), step) {
        (Json::Object(members), Resolved::Key(k)) => members
            .iter()
            .find(|(mk, _)| mk == k)
            .map(|(_, v)| v.clone()),
        (Json::Array(items), Resolved::Index(i)) => {
            position(*i, items.len()).map(|p| items[p].clone())
        }
        _ => None,
    }
}

/// An index counted from the end when negative, if it falls inside `len`.
fn position(i: i64, len: usize) -> Option<usize> {
    let p = if i < 0 { i + len as i64 } else { i };
    (0..len as i64).contains(&p).then_some(p as usize)
}

/// Stores `value` at `steps` inside variable `name` (`None` deletes), with OpenSIPS' rules:
/// the whole variable can always be set; below it, every step but the last must exist, the
/// last one replaces or adds a member, replaces an element, or appends with `[]`.
pub fn set(name: &str, steps: &[Resolved], value: Option<Node>) -> Result<(), String> {
    let Some((last, above)) = steps.split_last() else {
        VARS.with(|v| match value {
            Some(n) => v.borrow_mut().insert(name.to_string(), n),
            None => v.borrow_mut().remove(name),
        });
        return Ok(());
    };
    let parent = get(name, above).ok_or_else(|| {
        if get(name, &[]).is_none() {
            format!("json variable {name} is not initialized yet")
        } else {
            "could not find an object with that path".to_string()
        }
    })?;
    if let Some(v) = &value {
        if super::node::reaches(v, &parent) {
            return Err("refusing to create a circular json reference".into());
        }
    }
    let mut parent = parent.borrow_mut();
    match (&mut *parent, last) {
        (Json::Object(members), Resolved::Key(k)) => {
            let at = members.iter().position(|(mk, _)| mk == k);
            match (at, value) {
                (Some(i), Some(v)) => members[i].1 = v,
                (None, Some(v)) => members.push((k.clone(), v)),
                (Some(i), None) => {
                    members.remove(i);
                }
                (None, None) => {}
            }
            Ok(())
        }
        (Json::Array(items), Resolved::Append) => match value {
            Some(v) => {
                items.push(v);
                Ok(())
            }
            None => Err("`[]` cannot be deleted".into()),
        },
        (Json::Array(items), Resolved::Index(i)) => {
            let p = position(*i, items.len())
                .ok_or_else(|| format!("index {i} is outside the array"))?;
            match value {
                Some(v) => items[p] = v,
                None => {
                    items.remove(p);
                }
            }
            Ok(())
        }
        (_, Resolved::Key(_)) => Err("a key of something that is not an object".into()),
        _ => Err("an index of something that is not an array".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::node::{parse, to_value};
    use super::super::print::Style;
    use super::*;
    use siplua_core::value::Value;

    fn key(k: &str) -> Resolved {
        Resolved::Key(k.into())
    }

    fn text(name: &str) -> Value {
        get(name, &[]).map_or(Value::Null, |n| to_value(&n, Style::Plain))
    }

    #[test]
    fn nested_set_get_and_delete() {
        set("t1", &[], Some(parse(r#"{"a":{"b":[1,2,3]}}"#).unwrap())).unwrap();
        let b = [key("a"), key("b")];
        let at = |i| [key("a"), key("b"), Resolved::Index(i)];
        assert_eq!(
            to_value(&get("t1", &at(-1)).unwrap(), Style::Plain),
            Value::Int(3)
        );
        set(
            "t1",
            &[key("a"), key("b"), Resolved::Append],
            Some(parse("4").unwrap()),
        )
        .unwrap();
        set("t1", &at(0), None).unwrap();
        set("t1", &at(0), Some(parse(r#""x""#).unwrap())).unwrap();
        assert_eq!(
            to_value(&get("t1", &b).unwrap(), Style::Plain),
            Value::from(r#"["x",3,4]"#)
        );
        set("t1", &[key("a"), key("c")], Some(parse("true").unwrap())).unwrap();
        set("t1", &[key("a"), key("b")], None).unwrap();
        assert_eq!(text("t1"), Value::from(r#"{"a":{"c":true}}"#));
        assert!(get("t1", &[key("zz")]).is_none());
        assert!(get("t1", &[Resolved::Index(0)]).is_none());
    }

    #[test]
    fn bad_targets_are_errors() {
        assert!(set("t2", &[key("a")], Some(parse("1").unwrap())).is_err());
        set("t2", &[], Some(parse(r#"{"l":[1]}"#).unwrap())).unwrap();
        assert!(set("t2", &[key("x"), key("y")], Some(parse("1").unwrap())).is_err());
        assert!(set(
            "t2",
            &[key("l"), Resolved::Index(5)],
            Some(parse("1").unwrap())
        )
        .is_err());
        assert!(set("t2", &[key("l"), Resolved::Append], None).is_err());
        assert!(set("t2", &[key("l"), key("k")], Some(parse("1").unwrap())).is_err());
        set("t2", &[], None).unwrap();
        assert_eq!(text("t2"), Value::Null);
    }

    #[test]
    fn replacing_a_key_keeps_its_place() {
        set("t3", &[], Some(parse(r#"{"a":1,"b":2,"c":3}"#).unwrap())).unwrap();
        set("t3", &[key("a")], Some(parse("9").unwrap())).unwrap();
        set("t3", &[key("b")], None).unwrap();
        assert_eq!(text("t3"), Value::from(r#"{"a":9,"c":3}"#));
    }

    #[test]
    fn links_share_and_cycles_are_refused() {
        set("t4", &[], Some(parse("[{},{}]").unwrap())).unwrap();
        let first = get("t4", &[Resolved::Index(0)]).unwrap();
        set("t4s", &[], Some(first)).unwrap();
        set("t4s", &[key("k")], Some(parse("1").unwrap())).unwrap();
        assert_eq!(text("t4"), Value::from(r#"[{"k":1},{}]"#));
        let whole = get("t4", &[]).unwrap();
        assert!(set("t4s", &[key("loop")], Some(whole)).is_err());
        set("t4s", &[], None).unwrap();
        assert_eq!(text("t4"), Value::from(r#"[{"k":1},{}]"#));
    }
}
