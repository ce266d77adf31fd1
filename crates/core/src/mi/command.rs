//! An MI command as a module declares it, like a script function: its name, help text,
//! declared parameters and handler. Handlers get the running engine and the request's
//! parameters already matched to the declaration, and return a JSON result or an error.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::engine::Core;

/// One declared parameter of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MiParam {
    /// The name used in named (object) parameters; positional parameters take the names in
    /// declaration order.
    pub name: &'static str,
    /// Whether every call must give it.
    pub required: bool,
}

impl MiParam {
    /// A required parameter.
    pub const fn req(name: &'static str) -> MiParam {
        MiParam {
            name,
            required: true,
        }
    }

    /// An optional parameter. Optional parameters are taken in declaration order: a call may
    /// give the first k of them (OpenSIPS' recipes `[]`, `[level]`, `[level, pid]`).
    pub const fn opt(name: &'static str) -> MiParam {
        MiParam {
            name,
            required: false,
        }
    }
}

/// What runs a command.
pub type MiHandler = Arc<dyn Fn(&MiContext, &MiParams) -> Result<Value, MiError> + Send + Sync>;

/// A command: declared once (by the core or by a module's `mi_commands`), run by every MI
/// transport.
#[derive(Clone)]
pub struct MiCommand {
    /// The name clients call (`ul_dump`).
    pub name: &'static str,
    /// One line for `help`.
    pub help: &'static str,
    /// Declared parameters: required ones first, then optional ones in the order they may
    /// be given.
    pub params: Vec<MiParam>,
    /// The handler.
    pub handler: MiHandler,
}

impl MiCommand {
    /// A command from its parts.
    pub fn new(
        name: &'static str,
        help: &'static str,
        params: Vec<MiParam>,
        handler: impl Fn(&MiContext, &MiParams) -> Result<Value, MiError> + Send + Sync + 'static,
    ) -> MiCommand {
        MiCommand {
            name,
            help,
            params,
            handler: Arc::new(handler),
        }
    }

    /// The parameter sets a call may give, as `which command=X` lists them: the required
    /// parameters plus each prefix of the optional ones.
    pub fn recipes(&self) -> Vec<Vec<&'static str>> {
        let optional = self.params.iter().filter(|p| !p.required).count();
        (0..=optional)
            .map(|k| {
                let mut seen = 0;
                self.params
                    .iter()
                    .filter(|p| {
                        p.required || {
                            seen += 1;
                            seen <= k
                        }
                    })
                    .map(|p| p.name)
                    .collect()
            })
            .collect()
    }
}

impl std::fmt::Debug for MiCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiCommand")
            .field("name", &self.name)
            .field("params", &self.params)
            .finish()
    }
}

/// What a handler may use: the running engine (statistics, modules' published APIs, the
/// compiled script).
pub struct MiContext<'a> {
    /// The engine.
    pub core: &'a Arc<Core>,
}

/// The parameters of one call, by declared name.
#[derive(Clone, Debug, Default)]
pub struct MiParams {
    values: HashMap<&'static str, Value>,
}

impl MiParams {
    /// Parameters already matched to a declaration (see [`crate::mi::params::bind`]).
    pub fn new(values: HashMap<&'static str, Value>) -> MiParams {
        MiParams { values }
    }

    /// Whether the call gave `name`.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The raw JSON value of `name`.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// `name` as text (a number is accepted and printed, as clients send what the user
    /// typed); `None` when not given.
    pub fn str(&self, name: &str) -> Result<Option<String>, MiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(MiError::bad_param(name, "expected a string")),
        }
    }

    /// A parameter the declaration requires, as text.
    pub fn req_str(&self, name: &str) -> Result<String, MiError> {
        self.str(name)?
            .ok_or_else(|| MiError::bad_param(name, "missing"))
    }

    /// `name` as an integer (a string spelling one is accepted, as OpenSIPS does).
    pub fn int(&self, name: &str) -> Result<Option<i64>, MiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| MiError::bad_param(name, "expected an integer")),
            Some(Value::String(s)) => crate::value::parse_int(s)
                .map(Some)
                .ok_or_else(|| MiError::bad_param(name, "expected an integer")),
            Some(_) => Err(MiError::bad_param(name, "expected an integer")),
        }
    }

    /// `name` as a list of strings: an array, or one string (split on blanks, as
    /// `opensips-cli` users type `statistics=core: tm:`).
    pub fn str_list(&self, name: &str) -> Result<Option<Vec<String>>, MiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.split_whitespace().map(str::to_owned).collect())),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(MiError::bad_param(name, "expected strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(MiError::bad_param(name, "expected an array of strings")),
        }
    }
}

/// An MI error reply: the JSON-RPC `error` object (`code`, `message`, optional `data`).
/// Commands use OpenSIPS' codes: 400/404/500 for their own failures, the JSON-RPC ones
/// (`-32602` ...) for malformed calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MiError {
    /// The code.
    pub code: i64,
    /// The message.
    pub message: String,
    /// Details, when there are some.
    pub data: Option<String>,
}

impl MiError {
    /// An error with a code and a message.
    pub fn new(code: i64, message: impl Into<String>) -> MiError {
        MiError {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The same with details.
    pub fn with_data(mut self, data: impl Into<String>) -> MiError {
        self.data = Some(data.into());
        self
    }

    /// A parameter that has the wrong type or value: JSON-RPC "Invalid params", naming it.
    pub fn bad_param(name: &str, what: &str) -> MiError {
        MiError::new(
            crate::mi::jsonrpc::INVALID_PARAMS,
            crate::mi::jsonrpc::INVALID_PARAMS_MSG,
        )
        .with_data(format!("parameter '{name}': {what}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_are_required_plus_optional_prefixes() {
        let cmd = MiCommand::new(
            "x",
            "",
            vec![MiParam::req("a"), MiParam::opt("b"), MiParam::opt("c")],
            |_, _| Ok(Value::Null),
        );
        assert_eq!(
            cmd.recipes(),
            vec![vec!["a"], vec!["a", "b"], vec!["a", "b", "c"]]
        );
        let none = MiCommand::new("y", "", vec![], |_, _| Ok(Value::Null));
        assert_eq!(none.recipes(), vec![Vec::<&str>::new()]);
    }

    #[test]
    fn typed_reads() {
        let mut m = HashMap::new();
        m.insert("n", Value::String("12".into()));
        m.insert("s", serde_json::json!(5));
        m.insert("l", serde_json::json!(["core:", "tm:"]));
        let p = MiParams::new(m);
        assert_eq!(p.int("n").unwrap(), Some(12));
        assert_eq!(p.str("s").unwrap().as_deref(), Some("5"));
        assert_eq!(p.str_list("l").unwrap().unwrap(), vec!["core:", "tm:"]);
        assert_eq!(p.int("s").unwrap(), Some(5));
        assert!(p.int("l").is_err());
        assert_eq!(p.str("missing").unwrap(), None);
    }
}
