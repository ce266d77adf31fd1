//! The `options` module end to end: `options_reply()` answers an OPTIONS to the server with
//! a 200 carrying the capability headers of its parameters, and refuses (-1, the script goes
//! on) another method or a Request-URI with a user.

use crate::common;

use common::*;

const ROUTES: &str = r#"route {
    if (options_reply()) {
        xlog("not reached: options_reply ends the script\n");
    }
    $var(rc) = $rc;
    append_to_reply("X-RC: $var(rc)\r\n");
    sl_send_reply(404, "Not Here");
}"#;

#[test]
fn default_headers_and_refusals() {
    let s = Server::start(&cfg("loadmodule \"options.so\"", ROUTES));
    let c = UdpClient::new();
    let r = c.ask(&s, &request("OPTIONS", "sip:127.0.0.1", c.port(), ""));
    assert!(r.starts_with("SIP/2.0 200 OK\r\n"), "{r}");
    assert_eq!(header(&r, "Accept"), Some("*/*"), "{r}");
    assert_eq!(header(&r, "Accept-Language"), Some("en"), "{r}");
    assert_eq!(header(&r, "Accept-Encoding"), None, "empty by default: {r}");
    assert_eq!(header(&r, "Supported"), None, "empty by default: {r}");
    assert_eq!(header(&r, "X-RC"), None, "the script ended: {r}");
    assert!(c.silent_for(300), "one reply only");

    let r = c.ask(&s, &request("OPTIONS", "sip:bob@127.0.0.1", c.port(), ""));
    assert_eq!(status(&r), 404, "{r}");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "a user part: {r}");
    assert_eq!(header(&r, "Accept"), None, "{r}");

    let r = c.ask(&s, &request("MESSAGE", "sip:127.0.0.1", c.port(), ""));
    assert_eq!(status(&r), 404, "{r}");
    assert_eq!(header(&r, "X-RC"), Some("-1"), "not OPTIONS: {r}");
}

#[test]
fn parameters_set_the_headers() {
    let s = Server::start(&cfg(
        "loadmodule \"options.so\"\n\
         modparam(\"options\", \"accept\", \"application/sdp\")\n\
         modparam(\"options\", \"accept_encoding\", \"identity\")\n\
         modparam(\"options\", \"accept_language\", \"\")\n\
         modparam(\"options\", \"support\", \"100rel, path\")",
        ROUTES,
    ));
    let c = UdpClient::new();
    let r = c.ask(&s, &request("OPTIONS", "sip:127.0.0.1:5060", c.port(), ""));
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(header(&r, "Accept"), Some("application/sdp"), "{r}");
    assert_eq!(header(&r, "Accept-Encoding"), Some("identity"), "{r}");
    assert_eq!(header(&r, "Accept-Language"), None, "set empty: {r}");
    assert_eq!(header(&r, "Supported"), Some("100rel, path"), "{r}");
}

#[test]
fn options_needs_sl() {
    let port = free_port().to_string();
    let text = "socket = udp:127.0.0.1:{PORT}\nloadmodule \"proto_udp.so\"\n\
                loadmodule \"options.so\"\nroute { options_reply(); }\n"
        .replace("{PORT}", &port);
    let (out, _) = check_config("options-no-sl.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("module options needs module sl"), "{err}");
}
