//! `$shv(name)`: script variables shared by every worker (OpenSIPS keeps them in shared
//! memory), with initial values from `modparam("cfgutils", "shvset", "name=i:1")`; and
//! `$env(NAME)`, the server's environment.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use siplua_core::context::Context;
use siplua_core::pv::PvDecl;
use siplua_core::value::Value;

/// The shared variables.
#[derive(Default)]
pub struct SharedVars {
    values: Mutex<HashMap<String, Value>>,
}

/// Reads a `shvset` value: `name=i:123` (integer) or `name=s:text` (string).
pub fn parse_set(text: &str) -> Result<(String, Value), String> {
    let bad = || format!("shvset '{text}': expected name=i:number or name=s:text");
    let (name, typed) = text.split_once('=').ok_or_else(bad)?;
    let value = match typed.split_once(':').ok_or_else(bad)? {
        ("i" | "I", n) => Value::Int(n.trim().parse().map_err(|_| bad())?),
        ("s" | "S", s) => Value::Str(s.to_owned()),
        _ => return Err(bad()),
    };
    Ok((name.trim().to_owned(), value))
}

impl SharedVars {
    /// Sets a variable (a `shvset` value at start-up).
    pub fn set(&self, name: String, value: Value) {
        self.values.lock().insert(name, value);
    }

    /// `$shv(name)` and `$env(NAME)`.
    pub fn declarations(self: &Arc<Self>) -> Vec<PvDecl> {
        let (read, write) = (self.clone(), self.clone());
        vec![
            PvDecl {
                name: "shv",
                takes_inner: true,
                get: Arc::new(move |_: &Context, name| {
                    name.and_then(|n| read.values.lock().get(n).cloned())
                        .unwrap_or(Value::Null)
                }),
                set: Some(Arc::new(move |_: &mut Context, name, value| {
                    let name = name.ok_or("$shv needs a name")?;
                    let mut values = write.values.lock();
                    match value {
                        Value::Null => {
                            values.remove(name);
                        }
                        v => {
                            values.insert(name.to_owned(), v);
                        }
                    }
                    Ok(())
                })),
            },
            PvDecl {
                name: "env",
                takes_inner: true,
                get: Arc::new(|_: &Context, name| {
                    name.and_then(|n| std::env::var(n).ok())
                        .map_or(Value::Null, Value::Str)
                }),
                set: None,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shvset_values() {
        assert_eq!(
            parse_set("debug=i:1").unwrap(),
            ("debug".into(), Value::Int(1))
        );
        assert_eq!(
            parse_set("gw=s:sip:10.0.0.1").unwrap(),
            ("gw".into(), Value::Str("sip:10.0.0.1".into()))
        );
        assert!(parse_set("x=i:a").is_err());
        assert!(parse_set("x").is_err());
    }
}
