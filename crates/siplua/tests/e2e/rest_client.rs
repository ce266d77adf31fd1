//! rest_client end to end against a small HTTP server run by the test: `rest_get`,
//! `rest_post`, `rest_put` and `rest_append_hf` (what is sent: method, path, body,
//! Content-Type, appended headers; what comes back: body, Content-Type, status), the return
//! codes for a refused connection and a server that never answers, and the same calls under
//! `async()` with the resume route reading `$rc` and the variables.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::*;

/// One request the HTTP server received.
#[derive(Clone, Debug, Default)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP/1.1 server on 127.0.0.1 answering by path: `/ok` a JSON credit, `/missing` a 404,
/// `/echo` a 201 with the request body and Content-Type sent back, `/slow` never answers.
struct HttpServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl HttpServer {
    fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind http");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let record = record.clone();
                thread::spawn(move || serve(conn, &record));
            }
        });
        HttpServer { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(conn: TcpStream, record: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let mut req = Seen {
        method: parts.next().unwrap_or("").to_string(),
        path: parts.next().unwrap_or("").to_string(),
        ..Seen::default()
    };
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            req.headers
                .push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = req
        .header("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    req.body = String::from_utf8_lossy(&body).into_owned();
    record.lock().unwrap().push(req.clone());
    let (code, ctype, reply) = match req.path.split('?').next().unwrap_or("") {
        "/ok" => (
            "200 OK",
            "application/json".to_string(),
            "  {\"credit\":42}\n".to_string(),
        ),
        "/missing" => (
            "404 Not Found",
            "text/plain".to_string(),
            "nope".to_string(),
        ),
        "/echo" => (
            "201 Created",
            req.header("content-type").unwrap_or("").to_string(),
            req.body.clone(),
        ),
        _ => {
            thread::sleep(Duration::from_secs(5));
            return;
        }
    };
    let mut conn = conn;
    let _ = write!(
        conn,
        "HTTP/1.1 {code}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
}

fn start(http: &HttpServer, globals: &str, routes: &str) -> Server {
    Server::start(&cfg(
        &format!("loadmodule \"rest_client.so\"\n{globals}"),
        &routes.replace("HTTP", &format!("http://127.0.0.1:{}", http.port)),
    ))
}

fn ask(s: &Server, user: &str) -> String {
    let c = UdpClient::new();
    c.ask(
        s,
        &request("OPTIONS", &format!("sip:{user}@example.com"), c.port(), ""),
    )
}

#[test]
fn get_post_put_and_appended_headers() {
    let http = HttpServer::start();
    let s = start(
        &http,
        "",
        r#"route {
    rest_append_hf("X-Token: abc");
    rest_append_hf("X-Other: two");
    $var(rc) = rest_get("HTTP/ok?acc=$fU", $var(body), $var(ct), $var(code));
    append_to_reply("X-Get: $var(rc) $var(code) $var(ct)\r\nX-Get-Body: $var(body)\r\n");
    $var(rc) = rest_post("HTTP/echo", "user=$fU", , $var(pb), $var(pct), $var(pcode));
    append_to_reply("X-Post: $var(rc) $var(pcode) $var(pct) $var(pb)\r\n");
    $var(rc) = rest_put("HTTP/echo", "{\"a\":1}", "application/json", $var(ub), $var(uct));
    append_to_reply("X-Put: $var(rc) $var(uct) $var(ub)\r\n");
    $var(rc) = rest_get("HTTP/missing", $var(mb), , $var(mcode));
    append_to_reply("X-Missing: $var(rc) $var(mcode) $var(mb)\r\n");
    $var(rc) = rest_append_hf("not a header");
    append_to_reply("X-Bad-Hf: $var(rc)\r\n");
    sl_send_reply(200, "OK");
}"#,
    );
    let r = ask(&s, "bob");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-Get"), Some("1 200 application/json"), "{r}");
    assert_eq!(header(&r, "X-Get-Body"), Some("{\"credit\":42}"), "{r}");
    assert_eq!(
        header(&r, "X-Post"),
        Some("1 201 application/x-www-form-urlencoded user=alice"),
        "{r}"
    );
    assert_eq!(
        header(&r, "X-Put"),
        Some("1 application/json {\"a\":1}"),
        "{r}"
    );
    assert_eq!(
        header(&r, "X-Missing"),
        Some("1 404 nope"),
        "a 404 is still 1: {r}"
    );
    assert_eq!(header(&r, "X-Bad-Hf"), Some("-1"), "{r}");

    let seen = http.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/ok?acc=alice")
    );
    assert_eq!(seen[0].header("X-Token"), Some("abc"));
    assert_eq!(seen[0].header("X-Other"), Some("two"));
    assert_eq!(seen[0].header("Content-Type"), None);
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("POST", "/echo")
    );
    assert_eq!(seen[1].body, "user=alice");
    assert_eq!(
        seen[1].header("X-Token"),
        None,
        "appended headers go with the next request only"
    );
    assert_eq!(seen[2].method, "PUT");
    assert_eq!(seen[2].body, "{\"a\":1}");
    assert_eq!(seen[2].header("Content-Type"), Some("application/json"));
}

#[test]
fn refused_connection_and_transfer_timeout() {
    let http = HttpServer::start();
    let closed = free_port();
    let s = start(
        &http,
        "modparam(\"rest_client\", \"connection_timeout\", 1)\n\
         modparam(\"rest_client\", \"curl_timeout\", 1)\n",
        &format!(
            r#"route {{
    $var(code) = "unset";
    $var(rc) = rest_get("http://127.0.0.1:{closed}/x", $var(body), , $var(code));
    append_to_reply("X-Refused: $var(rc) $var(code)\r\n");
    $var(rc) = rest_post("HTTP/slow", "x", , $var(body), , $var(scode));
    append_to_reply("X-Slow: $var(rc) $var(scode)\r\n");
    $var(rc) = rest_get("nonsense://", $var(body));
    append_to_reply("X-Bad-Url: $var(rc)\r\n");
    sl_send_reply(200, "OK");
}}"#
        ),
    );
    let r = ask(&s, "bob");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        header(&r, "X-Refused"),
        Some("-1 0"),
        "refused, and code 0: {r}"
    );
    assert_eq!(
        header(&r, "X-Slow"),
        Some("-3 0"),
        "connected but no reply within curl_timeout: {r}"
    );
    assert_eq!(header(&r, "X-Bad-Url"), Some("-10"), "{r}");
    assert_eq!(http.seen()[0].method, "POST");
}

#[test]
fn rest_calls_under_async_resume_with_rc_and_variables() {
    let http = HttpServer::start();
    let closed = free_port();
    let s = start(
        &http,
        "",
        &format!(
            r#"route {{
    if ($rU == "down") {{
        async(rest_get("http://127.0.0.1:{closed}/", $var(body), , $var(code)), resume);
        exit;
    }}
    async(rest_post("HTTP/echo", "async=$fU", "text/plain", $var(body), $var(ct), $var(code)), resume);
    append_to_reply("X-After: yes\r\n");
    sl_send_reply(500, "after async");
}}
route[resume] {{
    append_to_reply("X-Rc: $rc\r\nX-Code: $var(code)\r\nX-Body: $var(body)\r\nX-Ct: $var(ct)\r\n");
    sl_send_reply(200, "Resumed");
}}"#
        ),
    );
    let r = ask(&s, "bob");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-Rc"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-Code"), Some("201"), "{r}");
    assert_eq!(header(&r, "X-Body"), Some("async=alice"), "{r}");
    assert_eq!(header(&r, "X-Ct"), Some("text/plain"), "{r}");
    assert_eq!(header(&r, "X-After"), None, "{r}");
    assert_eq!(http.seen()[0].body, "async=alice");

    let r = ask(&s, "down");
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "X-Rc"), Some("-1"), "{r}");
    assert_eq!(header(&r, "X-Code"), Some("0"), "{r}");
}

#[test]
fn bad_parameters_fail_the_load() {
    for (name, param) in [
        (
            "capath",
            "modparam(\"rest_client\", \"ssl_capath\", \"/nonexistent/ca\")",
        ),
        ("zero", "modparam(\"rest_client\", \"curl_timeout\", 0)"),
    ] {
        let (out, _) = check_config(
            &format!("rest_{name}.cfg"),
            &cfg(
                &format!("loadmodule \"rest_client.so\"\n{param}\n"),
                "route { exit; }",
            )
            .replace("{PORT}", "5999"),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {err}");
    }
}

/// A `connection_timeout` above `curl_timeout` (a public configuration sets 300 with the
/// default curl_timeout 20) loads, as in OpenSIPS, with a warning that it is lowered.
#[test]
fn a_connection_timeout_above_curl_timeout_is_lowered_with_a_warning() {
    let (out, _) = check_config(
        "rest_timeouts.cfg",
        &cfg(
            "loadmodule \"rest_client.so\"\nmodparam(\"rest_client\", \"connection_timeout\", 300)\n",
            "route { exit; }",
        )
        .replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("connection_timeout (300s) must be at most curl_timeout: set to 20s"),
        "{err}"
    );
}
