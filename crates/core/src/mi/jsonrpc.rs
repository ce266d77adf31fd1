//! JSON-RPC 2.0 framing as OpenSIPS 3.x speaks it: parsing a request object, building the
//! reply object, and the error codes and messages clients see.
//!
//! A request without `id` is a notification: it gets no reply, except when it could not be
//! parsed or is not a valid request (OpenSIPS answers those with `"id": null`).

use serde_json::{Map, Value};

use super::command::MiError;

/// The text is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// Message of [`PARSE_ERROR`].
pub const PARSE_ERROR_MSG: &str = "Parse error";
/// JSON, but not a JSON-RPC 2.0 request.
pub const INVALID_REQUEST: i64 = -32600;
/// Message of [`INVALID_REQUEST`].
pub const INVALID_REQUEST_MSG: &str = "Invalid Request";
/// No command of that name.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Message of [`METHOD_NOT_FOUND`].
pub const METHOD_NOT_FOUND_MSG: &str = "Method not found";
/// The parameters match none of the command's declared sets.
pub const INVALID_PARAMS: i64 = -32602;
/// Message of [`INVALID_PARAMS`].
pub const INVALID_PARAMS_MSG: &str = "Invalid params";
/// The command failed without saying why (a handler that panicked).
pub const SERVER_ERROR: i64 = -32000;
/// Message of [`SERVER_ERROR`].
pub const SERVER_ERROR_MSG: &str = "Server error";

/// A well-formed request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The request id (string, number or null); `None` for a notification.
    pub id: Option<Value>,
    /// The command name.
    pub method: String,
    /// `params`: an array (positional), an object (named), or absent/empty.
    pub params: Option<Value>,
}

/// A request that cannot be run: the error and the id to answer with (`null` when unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// The id to answer with; `None` means the request was a notification.
    pub id: Option<Value>,
    /// Why.
    pub error: MiError,
}

/// Parses one request object.
pub fn parse(text: &[u8]) -> Result<Request, Box<Rejected>> {
    let value: Value = serde_json::from_slice(text).map_err(|e| {
        Box::new(Rejected {
            id: Some(Value::Null),
            error: MiError::new(PARSE_ERROR, PARSE_ERROR_MSG).with_data(e.to_string()),
        })
    })?;
    from_value(value)
}

/// Checks a parsed JSON value is a JSON-RPC 2.0 request.
pub fn from_value(value: Value) -> Result<Request, Box<Rejected>> {
    let invalid = |id: Option<Value>, why: &str| {
        Box::new(Rejected {
            id: Some(id.unwrap_or(Value::Null)),
            error: MiError::new(INVALID_REQUEST, INVALID_REQUEST_MSG).with_data(why.to_owned()),
        })
    };
    let Value::Object(mut obj) = value else {
        return Err(invalid(None, "the request must be a JSON object"));
    };
    let id = obj.remove("id");
    if let Some(v) = &id {
        if !(v.is_string() || v.is_number() || v.is_null()) {
            return Err(invalid(None, "'id' must be a string, a number or null"));
        }
    }
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(id, "'jsonrpc' must be \"2.0\""));
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        _ => return Err(invalid(id, "'method' must be a string")),
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => None,
        Some(p @ (Value::Array(_) | Value::Object(_))) => Some(p),
        Some(_) => return Err(invalid(id, "'params' must be an array or an object")),
    };
    Ok(Request { id, method, params })
}

/// The reply to a request with this id: `{"jsonrpc": "2.0", "result": ..., "id": ...}`.
pub fn result(id: &Value, result: Value) -> Value {
    reply(id, "result", result)
}

/// The error reply: `{"jsonrpc": "2.0", "error": {"code", "message"[, "data"]}, "id"}`.
pub fn error(id: &Value, e: &MiError) -> Value {
    let mut err = Map::new();
    err.insert("code".into(), Value::from(e.code));
    err.insert("message".into(), Value::from(e.message.clone()));
    if let Some(d) = &e.data {
        err.insert("data".into(), Value::from(d.clone()));
    }
    reply(id, "error", Value::Object(err))
}

fn reply(id: &Value, key: &str, v: Value) -> Value {
    let mut obj = Map::new();
    obj.insert("jsonrpc".into(), Value::from("2.0"));
    obj.insert(key.into(), v);
    obj.insert("id".into(), id.clone());
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_rejections() {
        let r = parse(br#"{"jsonrpc":"2.0","id":"7","method":"uptime","params":[]}"#).unwrap();
        assert_eq!(r.id, Some(Value::from("7")));
        assert_eq!(r.method, "uptime");
        let n = parse(br#"{"jsonrpc":"2.0","method":"uptime"}"#).unwrap();
        assert_eq!(n.id, None, "a notification");
        let bad = parse(b"{nope").unwrap_err();
        assert_eq!((bad.error.code, bad.id), (PARSE_ERROR, Some(Value::Null)));
        let bad = parse(br#"{"jsonrpc":"1.0","id":1,"method":"x"}"#).unwrap_err();
        assert_eq!(
            (bad.error.code, bad.id),
            (INVALID_REQUEST, Some(Value::from(1)))
        );
        let bad = parse(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#).unwrap_err();
        assert_eq!(bad.error.code, INVALID_REQUEST);
        let bad = parse(br#"[1]"#).unwrap_err();
        assert_eq!(bad.error.code, INVALID_REQUEST);
    }

    #[test]
    fn reply_shapes() {
        let ok = result(&Value::from(3), Value::from("OK"));
        assert_eq!(ok.to_string(), r#"{"jsonrpc":"2.0","result":"OK","id":3}"#);
        let e = error(
            &Value::Null,
            &MiError::new(METHOD_NOT_FOUND, METHOD_NOT_FOUND_MSG),
        );
        assert_eq!(
            e.to_string(),
            r#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":null}"#
        );
    }
}
