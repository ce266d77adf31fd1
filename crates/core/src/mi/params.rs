//! Matching a request's `params` to a command's declared parameters, as OpenSIPS matches a
//! call to one of a command's "recipes":
//!
//! - positional (an array): as many values as one recipe has, taken in declaration order;
//! - named (an object): exactly the names of one recipe;
//! - absent or empty: the recipe without parameters.
//!
//! Anything else is JSON-RPC "Invalid params" with OpenSIPS' detail text.

use std::collections::HashMap;

use serde_json::Value;

use super::command::{MiCommand, MiError, MiParams};
use super::jsonrpc::{INVALID_PARAMS, INVALID_PARAMS_MSG};

/// Detail when no recipe has that many parameters.
pub const TOO_FEW_OR_MANY: &str = "Too few or too many parameters";
/// Detail when the names given are not a recipe's.
pub const NAMES_DO_NOT_MATCH: &str = "Named parameters do not match";

/// Binds `params` to the declaration of `cmd`.
pub fn bind(cmd: &MiCommand, params: Option<&Value>) -> Result<MiParams, MiError> {
    let invalid = |detail: &str| MiError::new(INVALID_PARAMS, INVALID_PARAMS_MSG).with_data(detail);
    let recipes = cmd.recipes();
    match params {
        Some(Value::Array(values)) if !values.is_empty() => {
            let recipe = recipes
                .iter()
                .find(|r| r.len() == values.len())
                .ok_or_else(|| invalid(TOO_FEW_OR_MANY))?;
            let map = recipe.iter().copied().zip(values.iter().cloned()).collect();
            Ok(MiParams::new(map))
        }
        Some(Value::Object(values)) if !values.is_empty() => {
            let same_size: Vec<_> = recipes.iter().filter(|r| r.len() == values.len()).collect();
            if same_size.is_empty() {
                return Err(invalid(TOO_FEW_OR_MANY));
            }
            let recipe = same_size
                .into_iter()
                .find(|r| r.iter().all(|n| values.contains_key(*n)))
                .ok_or_else(|| invalid(NAMES_DO_NOT_MATCH))?;
            let map: HashMap<&'static str, Value> =
                recipe.iter().map(|n| (*n, values[*n].clone())).collect();
            Ok(MiParams::new(map))
        }
        _ => {
            if recipes.iter().any(Vec::is_empty) {
                Ok(MiParams::default())
            } else {
                Err(invalid(TOO_FEW_OR_MANY))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mi::command::MiParam;
    use serde_json::json;

    fn log_level() -> MiCommand {
        MiCommand::new(
            "log_level",
            "",
            vec![MiParam::opt("level"), MiParam::opt("pid")],
            |_, _| Ok(Value::Null),
        )
    }

    #[test]
    fn positional_named_and_none() {
        let c = log_level();
        assert!(!bind(&c, None).unwrap().has("level"));
        assert!(!bind(&c, Some(&json!([]))).unwrap().has("level"));
        let p = bind(&c, Some(&json!(["3"]))).unwrap();
        assert_eq!(p.int("level").unwrap(), Some(3));
        let p = bind(&c, Some(&json!({"level": 1, "pid": 5}))).unwrap();
        assert_eq!(p.int("pid").unwrap(), Some(5));
        let e = bind(&c, Some(&json!({"pid": 5}))).unwrap_err();
        assert_eq!(e.data.as_deref(), Some(NAMES_DO_NOT_MATCH));
        let e = bind(&c, Some(&json!([1, 2, 3]))).unwrap_err();
        assert_eq!((e.code, e.data.as_deref()), (-32602, Some(TOO_FEW_OR_MANY)));
    }

    #[test]
    fn required_parameters_must_come() {
        let c = MiCommand::new(
            "ul_rm",
            "",
            vec![MiParam::req("table_name"), MiParam::req("aor")],
            |_, _| Ok(Value::Null),
        );
        assert!(bind(&c, None).is_err());
        assert!(bind(&c, Some(&json!(["location"]))).is_err());
        let p = bind(&c, Some(&json!(["location", "a@x"]))).unwrap();
        assert_eq!(p.req_str("aor").unwrap(), "a@x");
    }
}
