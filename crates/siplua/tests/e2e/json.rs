//! The `json` module end to end: a route builds JSON in `$json` variables, reads it back by
//! path, iterates it and links objects, and copies the results into reply headers; malformed
//! constant paths are load errors with their position.

use crate::common;

use common::*;

const JSON: &str = "loadmodule \"json.so\"";

fn ask(server: &Server) -> String {
    let c = UdpClient::new();
    c.ask(
        server,
        &request("OPTIONS", "sip:json@127.0.0.1", c.port(), ""),
    )
}

/// Paths into objects and arrays, `=` and `:=`, deletion with NULL, variables in paths, what
/// reads give back, and the three print styles.
#[test]
fn build_read_and_delete_by_path() {
    let server = Server::start(&cfg(
        JSON,
        r#"route {
            $json(o) := "{\"name\": \"alice\", \"n\": 5, \"list\": [1, 2, 3], \"sub\": {\"k\": \"v\"}}";
            $json(o/added) = "text";
            $json(o/num) = 7;
            $json(o/list[]) = 4;
            $json(o/list[0]) = NULL;
            $json(o/sub/k) = NULL;
            $json(o/sub/arr) := "[true, null, \"x/y\"]";
            $var(k) = "name";
            $var(i) = -1;
            $var(sum) = $json(o/n) + 1;
            append_to_reply("X-Name: $json(o/$var(k))\r\nX-Last: $json(o/list[$var(i)])\r\nX-Sum: $var(sum)\r\n");
            append_to_reply("X-Whole: $json(o)\r\nX-Compact: $json_compact(o)\r\nX-Sub: $json(o/sub/arr)\r\n");
            append_to_reply("X-Missing: $json(o/nokey)\r\nX-Out: $json(o/list[7])\r\nX-Type: $json(o/name[0])\r\n");
            if ($json(o/nokey) == NULL && $json(nosuchvar) == NULL) {
                append_to_reply("X-Null: yes\r\n");
            }
            $json(o/a/b) = 1;
            $json(o/list[9]) = 1;
            $json(p) := "{\"a\": 1, \"b\": [2, {}]}";
            xlog("PRETTY[$json_pretty(p)]\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let reply = ask(&server);
    assert_eq!(header(&reply, "X-Name"), Some("alice"), "{reply}");
    assert_eq!(header(&reply, "X-Last"), Some("4"), "{reply}");
    assert_eq!(header(&reply, "X-Sum"), Some("6"), "{reply}");
    assert_eq!(
        header(&reply, "X-Whole"),
        Some(
            r#"{ "name": "alice", "n": 5, "list": [ 2, 3, 4 ], "sub": { "arr": [ true, null, "x\/y" ] }, "added": "text", "num": 7 }"#
        ),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-Compact"),
        Some(
            r#"{"name":"alice","n":5,"list":[2,3,4],"sub":{"arr":[true,null,"x\/y"]},"added":"text","num":7}"#
        ),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-Sub"),
        Some(r#"[ true, null, "x\/y" ]"#),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Missing"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-Out"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-Type"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-Null"), Some("yes"), "{reply}");
    assert!(
        server.wait_log("PRETTY[{\n  \"a\":1,\n  \"b\":[\n    2,\n    {\n    }\n  ]\n}]"),
        "{}",
        server.log_text()
    );
    // Assigning below a missing key or past the end fails, logged with the line.
    let log = server.log_text();
    assert!(log.contains("assignment to $json(o/a/b) failed"), "{log}");
    assert!(log.contains("index 9 is outside the array"), "{log}");
}

/// `:=` with text that is not JSON logs the parse error and, as in OpenSIPS, deletes the
/// target; the rest of the variable is untouched.
#[test]
fn bad_json_is_an_error_and_deletes_the_target() {
    let server = Server::start(&cfg(
        JSON,
        r#"route {
            $json(o) := "{\"keep\": 1, \"sub\": [1]}";
            $json(o/sub) := "{bad json";
            $json(whole) := "[1, 2";
            append_to_reply("X-After: $json(o)\r\nX-Whole: $json(whole)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let reply = ask(&server);
    assert_eq!(
        header(&reply, "X-After"),
        Some(r#"{ "keep": 1 }"#),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Whole"), Some("<null>"), "{reply}");
    assert!(
        server.log_text().contains("error parsing json"),
        "{}",
        server.log_text()
    );
}

/// `for each` over an object's keys and values and over an array's elements.
#[test]
fn for_each_walks_keys_values_and_elements() {
    let server = Server::start(&cfg(
        JSON,
        r#"route {
            $json(f) := "{\"a\": 1, \"b\": 2, \"c\": {\"d\": 3}}";
            $json(arr) := "[10, \"x\", 30]";
            $var(keys) = "";
            for ($var(k) in $(json(f.keys)[*])) {
                $var(keys) = $var(keys) + $var(k) + ";";
            }
            $var(vals) = "";
            for ($var(v) in $(json(f.values)[*])) {
                $var(vals) = $var(vals) + $var(v) + ";";
            }
            $var(plain) = "";
            for ($var(v) in $(json(f)[*])) {
                $var(plain) = $var(plain) + $var(v) + ";";
            }
            $var(items) = "";
            for ($var(v) in $(json(arr)[*])) {
                $var(items) = $var(items) + $var(v) + ";";
            }
            append_to_reply("X-Keys: $var(keys)\r\nX-Vals: $var(vals)\r\nX-Plain: $var(plain)\r\nX-Items: $var(items)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let reply = ask(&server);
    assert_eq!(header(&reply, "X-Keys"), Some("a;b;c;"), "{reply}");
    assert_eq!(
        header(&reply, "X-Vals"),
        Some(r#"1;2;{ "d": 3 };"#),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-Plain"),
        Some(r#"1;2;{ "d": 3 };"#),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Items"), Some("10;x;30;"), "{reply}");
}

/// `json_link`: the OpenSIPS documentation's example, output for output; a circular link is
/// refused instead of crashing.
#[test]
fn json_link_shares_objects() {
    let server = Server::start(&cfg(
        JSON,
        r#"route {
            $json(b) := "[{},{},{}]";
            json_link($json(stub), $json(b[0]));
            $json(stub/ana) = "are";
            $json(stub/ar) := "[]";
            $json(stub/ar[]) = 1;
            $json(stub/ar[]) = 2;
            $json(stub/ar[]) = 3;
            $json(b[0]/ar[0]) = NULL;
            append_to_reply("X-Stub: $json(stub)\r\nX-B: $json(b)\r\n");
            $json(stub) = NULL;
            append_to_reply("X-Stub2: $json(stub)\r\nX-B2: $json(b)\r\n");
            if (!json_link($json(b[1]/loop), $json(b))) {
                append_to_reply("X-Loop: refused\r\n");
            }
            if (!json_link($json(x), $json(b[7]))) {
                append_to_reply("X-Missing: refused\r\n");
            }
            sl_send_reply(200, "OK");
        }"#,
    ));
    let reply = ask(&server);
    assert_eq!(
        header(&reply, "X-Stub"),
        Some(r#"{ "ana": "are", "ar": [ 2, 3 ] }"#),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-B"),
        Some(r#"[ { "ana": "are", "ar": [ 2, 3 ] }, { }, { } ]"#),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Stub2"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-B2"), header(&reply, "X-B"), "{reply}");
    assert_eq!(header(&reply, "X-Loop"), Some("refused"), "{reply}");
    assert_eq!(header(&reply, "X-Missing"), Some("refused"), "{reply}");
}

/// A json variable belongs to the worker and survives from one message to the next.
#[test]
fn variables_persist_between_messages() {
    let server = Server::start(&cfg(
        JSON,
        r#"route {
            if ($json(seen) == NULL) {
                $json(seen) := "[]";
            }
            $json(seen[]) = $rm;
            append_to_reply("X-Seen: $json_compact(seen)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    assert_eq!(header(&ask(&server), "X-Seen"), Some(r#"["OPTIONS"]"#));
    let second = ask(&server);
    assert_eq!(
        header(&second, "X-Seen"),
        Some(r#"["OPTIONS","OPTIONS"]"#),
        "{second}"
    );
}

/// Malformed constant paths and wrong arguments are load errors naming the file and line.
#[test]
fn malformed_paths_are_load_errors() {
    for (name, route, needle) in [
        (
            "json_bracket.cfg",
            "route {\n  $json(o/list[1) = 1;\n}",
            "mismatched `[`",
        ),
        (
            "json_index.cfg",
            "route {\n  $json(o/list[x]) = 1;\n}",
            "is not an integer",
        ),
        (
            "json_iter.cfg",
            "route {\n  xlog(\"$json(o.items)\");\n}",
            "bad iterator",
        ),
        (
            "json_pv_index.cfg",
            "route {\n  xlog(\"$(json(o)[1])\");\n}",
            "only index supported",
        ),
        (
            "json_link_arg.cfg",
            "route {\n  json_link($var(x), $json(o));\n}",
            "must be json variables",
        ),
    ] {
        let (out, path) = check_config(name, &cfg(JSON, route).replace("{PORT}", "5999"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {err}");
        assert!(
            err.contains(&format!("{}:", path.display())) && err.contains(needle),
            "{name}: {err}"
        );
    }
    let (out, _) = check_config(
        "json_ok.cfg",
        &cfg(
            JSON,
            "route {\n  $json(o/my key[-1]/$var(k)[]) = 1;\n  xlog(\"$json(o/a[ 2 ])\");\n}",
        )
        .replace("{PORT}", "5999"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Lua sees the same variables through `pseudoVar` / `pseudoVarSet`.
#[test]
fn lua_reads_and_writes_json_variables() {
    let dir = scratch("json_lua");
    std::fs::write(
        dir.join("test.lua"),
        r#"
function jsonf(msg)
  pseudoVarSet(msg, "$var(from_lua)", pseudoVar(msg, "$json(o/list[-1])"))
  pseudoVarSet(msg, "$json(o/lua)", "hi")
  pseudoVarSet(msg, "$json(o/n)", nil)
end
"#,
    )
    .unwrap();
    let server = Server::start_in(
        &dir,
        &cfg(
            "loadmodule \"json.so\"\nloadmodule \"lua.so\"\nmodparam(\"lua\", \"luafilename\", \"{DIR}/test.lua\")",
            r#"route {
                $json(o) := "{\"n\": 5, \"list\": [1, 2]}";
                lua_exec("jsonf");
                append_to_reply("X-Lua: $var(from_lua)\r\nX-O: $json_compact(o)\r\n");
                sl_send_reply(200, "OK");
            }"#,
        ),
    );
    let reply = ask(&server);
    assert_eq!(header(&reply, "X-Lua"), Some("2"), "{reply}");
    assert_eq!(
        header(&reply, "X-O"),
        Some(r#"{"list":[1,2],"lua":"hi"}"#),
        "{reply}\n{}",
        server.log_text()
    );
}
