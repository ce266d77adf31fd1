//! The management interface over HTTP (`httpd` + `mi_http`) with plain `curl` and with
//! `opensips-cli` set to `communication_type: http`: JSON-RPC replies and OpenSIPS' error
//! codes for bad JSON, bad requests, unknown commands and bad parameters.

use crate::mi_support;

use mi_support::*;
use serde_json::Value;

const ROUTES: &str = "route { sl_send_reply(200, \"OK\"); }";

fn reply(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn json_rpc_over_http_with_opensips_error_codes() {
    let mi = MiServer::start("", ROUTES);
    let (code, body) = mi.post(r#"{"jsonrpc":"2.0","method":"uptime","id":7}"#);
    let r = reply(&body);
    assert_eq!(
        (code, &r["id"], &r["jsonrpc"]),
        (200, &Value::from(7), &Value::from("2.0"))
    );
    assert!(r["result"]["Up time"].is_string(), "{body}");

    let cases = [
        ("{not json", -32700, Value::Null),
        (
            r#"{"jsonrpc":"1.0","method":"uptime","id":"a"}"#,
            -32600,
            Value::from("a"),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"nope","id":"b"}"#,
            -32601,
            Value::from("b"),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"log_level","params":[1,2,3],"id":3}"#,
            -32602,
            Value::from(3),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"log_level","params":{"pid":1},"id":4}"#,
            -32602,
            Value::from(4),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"log_level","params":["x"],"id":5}"#,
            -32602,
            Value::from(5),
        ),
    ];
    for (request, want, id) in cases {
        let (code, body) = mi.post(request);
        let r = reply(&body);
        assert_eq!(
            (code, &r["error"]["code"], &r["id"]),
            (200, &Value::from(want), &id),
            "{request} -> {body}"
        );
    }
    // A notification (no id) gets no reply body.
    let (code, body) = mi.post(r#"{"jsonrpc":"2.0","method":"uptime"}"#);
    assert_eq!((code, body.as_str()), (200, ""));
    // Only POST carries MI requests; unknown paths are 404.
    assert_eq!(mi.get("/mi").0, 405);
    assert_eq!(mi.get("/nothing").0, 404);
}

#[test]
fn opensips_cli_over_http() {
    let mi = MiServer::start("", ROUTES);
    let v = mi.cli_with("http", &["version"]).json();
    assert!(v["Server"].as_str().unwrap().starts_with("siplua"), "{v}");
    let s = mi
        .cli_with("http", &["get_statistics", "core:rcv_requests"])
        .json();
    assert_eq!(s["core:rcv_requests"], 0);
}

/// OpenSIPS 3.x names the path parameter `root` (2.x: `mi_http_root`): with
/// `modparam("mi_http", "root", "opensips_mi")` MI requests are answered at `/opensips_mi`
/// and `/mi` is no longer served.
#[test]
fn the_3x_root_parameter_moves_the_mi_path() {
    use crate::common::*;
    let port = free_port();
    let globals = format!(
        "loadmodule \"httpd.so\"\n\
         modparam(\"httpd\", \"ip\", \"127.0.0.1\")\n\
         modparam(\"httpd\", \"port\", {port})\n\
         loadmodule \"mi_http.so\"\n\
         modparam(\"mi_http\", \"root\", \"opensips_mi\")"
    );
    let _server = Server::start(&cfg(&globals, ROUTES));
    let post = |path: &str| {
        curl(&[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            r#"{"jsonrpc":"2.0","method":"uptime","id":1}"#,
            &format!("http://127.0.0.1:{port}{path}"),
        ])
    };
    let (code, body) = post("/opensips_mi");
    assert_eq!(code, 200, "{body}");
    assert!(reply(&body)["result"]["Up time"].is_string(), "{body}");
    assert_eq!(post("/mi").0, 404);
}
