//! The JSON tree the `$json` variables hold: nodes are shared (`json_link` makes two paths
//! name the same object, as OpenSIPS' json-c references do), values come from script values
//! (`=`) or from parsed text (`:=`), and read back as script values.

use std::cell::RefCell;
use std::rc::Rc;

use siplua_core::value::Value;

use super::print::{self, Style};

/// A JSON value held by a `$json` variable; containers hold [`Node`]s so that a linked
/// object is one object seen from several places.
#[derive(Debug)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits 64 bits.
    Int(i64),
    /// Any other number (fraction, exponent, beyond 64 bits), printed as parsed.
    Num(serde_json::Number),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, keys in insertion order (replacing a key keeps its place).
    Object(Vec<(String, Node)>),
}

/// A shared, mutable JSON value (one worker's; never crosses threads).
pub type Node = Rc<RefCell<Json>>;

/// Wraps a value into a fresh node.
pub fn node(j: Json) -> Node {
    Rc::new(RefCell::new(j))
}

/// Parses JSON text as OpenSIPS' `:=` does with json-c: the first complete value counts and
/// anything after it is ignored; empty or broken text is an error saying why.
pub fn parse(text: &str) -> Result<Node, String> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(v)) => Ok(from_serde(v)),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("empty JSON text".into()),
    }
}

/// Converts a parsed value into a tree of nodes.
fn from_serde(v: serde_json::Value) -> Node {
    node(match v {
        serde_json::Value::Null => Json::Null,
        serde_json::Value::Bool(b) => Json::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Json::Int(i),
            None => Json::Num(n),
        },
        serde_json::Value::String(s) => Json::Str(s),
        serde_json::Value::Array(a) => Json::Array(a.into_iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => {
            Json::Object(o.into_iter().map(|(k, v)| (k, from_serde(v))).collect())
        }
    })
}

/// What `=` stores: an integer as a number, anything else as a string (null is a deletion
/// and never reaches here).
pub fn from_value(v: &Value) -> Node {
    node(match v {
        Value::Int(i) => Json::Int(*i),
        other => Json::Str(other.as_str().into_owned()),
    })
}

/// What reading gives: integers as integers, strings as strings, null as NULL, anything else
/// (booleans, other numbers, objects, arrays) as its JSON text in `style`.
pub fn to_value(n: &Node, style: Style) -> Value {
    match &*n.borrow() {
        Json::Null => Value::Null,
        Json::Int(i) => Value::Int(*i),
        Json::Str(s) => Value::Str(s.clone()),
        _ => Value::Str(print::to_text(n, style)),
    }
}

/// True when `target` is `from` or can be reached from it: linking `from` under `target`
/// would then make a cycle.
pub fn reaches(from: &Node, target: &Node) -> bool {
    let mut seen: Vec<*const RefCell<Json>> = Vec::new();
    let mut todo = vec![from.clone()];
    while let Some(n) = todo.pop() {
        if Rc::ptr_eq(&n, target) {
            return true;
        }
        let p = Rc::as_ptr(&n);
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        match &*n.borrow() {
            Json::Array(a) => todo.extend(a.iter().cloned()),
            Json::Object(o) => todo.extend(o.iter().map(|(_, v)| v.clone())),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_order_and_ignores_trailing_text() {
        let n = parse(r#"{"b":1,"a":[true,null,1.5,"x"]} trailing"#).unwrap();
        assert_eq!(
            print::to_text(&n, Style::Plain),
            r#"{"b":1,"a":[true,null,1.5,"x"]}"#
        );
        assert!(parse("").is_err());
        assert!(parse(r#"{"a":"#).is_err());
    }

    #[test]
    fn script_values_round_trip() {
        assert_eq!(
            to_value(&from_value(&Value::Int(-4)), Style::Spaced),
            Value::Int(-4)
        );
        assert_eq!(
            to_value(&from_value(&Value::from("7")), Style::Spaced),
            Value::from("7")
        );
        assert_eq!(
            to_value(&parse("null").unwrap(), Style::Spaced),
            Value::Null
        );
        assert_eq!(
            to_value(&parse("false").unwrap(), Style::Spaced),
            Value::from("false")
        );
    }

    #[test]
    fn reaches_follows_containers() {
        let inner = parse("{}").unwrap();
        let outer = node(Json::Array(vec![inner.clone()]));
        assert!(reaches(&outer, &inner));
        assert!(reaches(&inner, &inner));
        assert!(!reaches(&inner, &outer));
    }
}
