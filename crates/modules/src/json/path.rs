//! The name of a `$json` variable, as OpenSIPS' grammar reads it: a variable name, then keys
//! (`/key`, `/$var(k)`) and indexes (`[2]`, `[-1]`, `[$var(i)]`, `[]` to append), and
//! optionally `.keys` or `.values` at the end for `for each` loops. Nothing is trimmed: a key
//! may contain spaces; `/`, `[` and `.` end a name or a key, so keys cannot contain them.

use siplua_core::context::Context;
use siplua_core::pv::{CompiledPv, PvLookup};
use siplua_core::value::Value;

/// A parsed name: which variable and where inside it.
#[derive(Clone, Debug)]
pub struct Path {
    /// The variable (`obj` in `$json(obj/a[1])`).
    pub name: String,
    /// The steps from the variable's root, in order.
    pub steps: Vec<Step>,
    /// What a `for each` over it walks.
    pub iter: Iter,
}

/// One step of a path.
#[derive(Clone, Debug)]
pub enum Step {
    /// `/key`: a member of an object.
    Key(Part<String>),
    /// `[n]`: an element of an array; negative counts from the end.
    Index(Part<i64>),
    /// `[]`: after the last element (assignment appends).
    Append,
}

/// A step's key or index: written in the path or read from a variable each time.
#[derive(Clone, Debug)]
pub enum Part<T> {
    /// Written in the path.
    Const(T),
    /// Read from this variable at each use.
    Var(Box<CompiledPv>),
}

/// The `.keys` / `.values` suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Iter {
    /// None given: iterating an object walks its values, an array its elements.
    Default,
    /// `.keys`: an object's keys.
    Keys,
    /// `.values`: an object's values.
    Values,
}

/// A step with its variable read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A member key.
    Key(String),
    /// An element position (negative from the end).
    Index(i64),
    /// After the last element.
    Append,
}

/// Parses a name; the error says what is wrong and where.
pub fn parse(text: &str, lookup: &dyn PvLookup) -> Result<Path, String> {
    let b = text.as_bytes();
    let ends_word = |c: u8| c == b'/' || c == b'[' || c == b'.';
    let word_end = |from: usize| {
        (from..b.len())
            .find(|&i| ends_word(b[i]))
            .unwrap_or(b.len())
    };
    let mut p = word_end(0);
    if p == 0 {
        return Err(format!(
            "json variable `{text}` has no name before the path"
        ));
    }
    let mut path = Path {
        name: text[..p].to_string(),
        steps: Vec::new(),
        iter: Iter::Default,
    };
    while p < b.len() {
        match b[p] {
            b'/' => {
                let end = word_end(p + 1);
                let key = &text[p + 1..end];
                path.steps.push(Step::Key(if key.starts_with('$') {
                    Part::Var(Box::new(variable(key, lookup)?))
                } else {
                    Part::Const(key.to_string())
                }));
                p = end;
            }
            b'[' => {
                let close = text[p..]
                    .find(']')
                    .map(|i| p + i)
                    .ok_or_else(|| format!("mismatched `[` in json path `{text}`"))?;
                path.steps.push(index(&text[p + 1..close], lookup)?);
                p = close + 1;
            }
            b'.' => {
                path.iter = match &text[p + 1..] {
                    "keys" => Iter::Keys,
                    "values" => Iter::Values,
                    other => {
                        return Err(format!(
                            "bad iterator `.{other}` in json path `{text}` (only .keys or .values)"
                        ))
                    }
                };
                p = b.len();
            }
            _ => {
                return Err(format!(
                    "unexpected character at position {p} in json path `{text}`"
                ))
            }
        }
    }
    Ok(path)
}

/// The inside of `[...]`.
fn index(inside: &str, lookup: &dyn PvLookup) -> Result<Step, String> {
    let t = inside.trim();
    if t.is_empty() {
        return Ok(Step::Append);
    }
    if t.starts_with('$') {
        return Ok(Step::Index(Part::Var(Box::new(variable(t, lookup)?))));
    }
    t.parse::<i64>()
        .map(|i| Step::Index(Part::Const(i)))
        .map_err(|_| format!("json index `[{inside}]` is not an integer"))
}

fn variable(text: &str, lookup: &dyn PvLookup) -> Result<CompiledPv, String> {
    CompiledPv::parse(text, lookup).map_err(|e| format!("bad variable `{text}` in json path: {e}"))
}

impl Path {
    /// The steps with their variables read; an error when a key variable has no value or an
    /// index variable is not an integer (OpenSIPS: "Cannot expand variables in path").
    pub fn resolve(&self, ctx: &Context) -> Result<Vec<Resolved>, String> {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Key(Part::Const(k)) => Ok(Resolved::Key(k.clone())),
                Step::Key(Part::Var(pv)) => match pv.get(ctx) {
                    Value::Null => Err(format!("{} has no value for a json key", pv.text)),
                    v => Ok(Resolved::Key(v.as_str().into_owned())),
                },
                Step::Index(Part::Const(i)) => Ok(Resolved::Index(*i)),
                Step::Index(Part::Var(pv)) => pv
                    .get(ctx)
                    .to_int()
                    .map(Resolved::Index)
                    .ok_or_else(|| format!("{} is not an integer json index", pv.text)),
                Step::Append => Ok(Resolved::Append),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use siplua_core::pv::NoModulePvs;

    fn steps(text: &str) -> (String, Vec<String>, Iter) {
        let p = parse(text, &NoModulePvs).unwrap();
        let s = p
            .steps
            .iter()
            .map(|s| match s {
                Step::Key(Part::Const(k)) => format!("key:{k}"),
                Step::Key(Part::Var(v)) => format!("key:{}", v.text),
                Step::Index(Part::Const(i)) => format!("idx:{i}"),
                Step::Index(Part::Var(v)) => format!("idx:{}", v.text),
                Step::Append => "append".into(),
            })
            .collect();
        (p.name, s, p.iter)
    }

    #[test]
    fn keys_indexes_and_variables() {
        assert_eq!(
            steps("name/key1[0][-1]/key2"),
            (
                "name".into(),
                vec![
                    "key:key1".into(),
                    "idx:0".into(),
                    "idx:-1".into(),
                    "key:key2".into()
                ],
                Iter::Default
            )
        );
        assert_eq!(
            steps("a/$var(k)[$var(i)][ ]").1,
            vec!["key:$var(k)", "idx:$var(i)", "append"]
        );
        assert_eq!(steps("m[1][2]").1, vec!["idx:1", "idx:2"]);
    }

    #[test]
    fn spaces_are_kept_and_suffixes_read() {
        assert_eq!(steps("o/my key").1, vec!["key:my key"]);
        assert_eq!(steps("foo.keys").2, Iter::Keys);
        assert_eq!(steps("foo/a.values").2, Iter::Values);
        assert_eq!(steps("x").1, Vec::<String>::new());
    }

    #[test]
    fn malformed_paths_are_errors() {
        for bad in [
            "",
            "/a",
            "a[1",
            "a[x]",
            "a[1]x",
            "a.b",
            "a.keys/b",
            "a/$nosuch(x)",
        ] {
            assert!(parse(bad, &NoModulePvs).is_err(), "{bad} should fail");
        }
    }
}
