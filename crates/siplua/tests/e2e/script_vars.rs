//! Script-position and route variables end to end: `$cfg_line`, `$cfg_file` (an included
//! file too), `$route`/`$route.type`/`$route.name` with OpenSIPS' indexes, `$argv(name)` from
//! `-o name=value`, and dialog's `$DLG_end_reason` after a BYE from either side. Variables
//! OpenSIPS 3.x does not have are load errors with their position. Also cfgutils' MI
//! commands `get_config_hash` / `check_config_hash` over a real MI transport.

use crate::common;
use crate::dns_support;
use crate::mi_support;

use common::*;
use mi_support::MiServer;

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in the configuration"))
}

const ROUTES: &str = r#"
startup_route {
    xlog("L_INFO", "STARTUP route=$route type=$route.type name=$route.name\n");
}

route {
    append_to_reply("X-Line: $cfg_line\r\n");
    $var(line) = $cfg_line;
    if ($var(line) > 0) {
        append_to_reply("X-Nested: $cfg_line\r\n");
    }
    append_to_reply("X-Line-Var: $var(line)\r\n");
    append_to_reply("X-File: $cfg_file\r\n");
    append_to_reply("X-Route: $route\r\n");
    append_to_reply("X-Top-Name: $route.name\r\n");
    route(first, "p1");
    route(included);
    append_to_reply("X-After: $(route[*])\r\n");
    sl_send_reply(200, "Vars");
    exit;
}

route[first] {
    route(second);
}

route[second] {
    append_to_reply("X-Stack: $(route[*])\r\n");
    append_to_reply("X-Current: $route\r\n");
    append_to_reply("X-Parent: $(route[1])\r\n");
    append_to_reply("X-Top: $(route[-1])\r\n");
    append_to_reply("X-Next-Top: $(route[-2])\r\n");
    append_to_reply("X-Out: $(route[3])\r\n");
    append_to_reply("X-Type: $route.type\r\n");
    append_to_reply("X-Top-Type: $(route.type[-1])\r\n");
    append_to_reply("X-Name: $route.name\r\n");
    append_to_reply("X-Parent-Name: $(route.name[1])\r\n");
}

include_file "{DIR}/included.cfg"
"#;

const INCLUDED: &str = "# an included file\n\nroute[included] {\n    append_to_reply(\"X-Inc: $cfg_file:$cfg_line\\r\\n\");\n}\n";

#[test]
fn line_file_and_route_stack() {
    let dir = scratch("script-vars");
    std::fs::write(dir.join("included.cfg"), INCLUDED).unwrap();
    let text = cfg("", ROUTES);
    let server = Server::start_in(&dir, &text);
    let c = UdpClient::new();
    let reply = c
        .request(
            &server,
            &request("OPTIONS", "sip:v@example.com", c.port(), ""),
        )
        .expect("a reply");
    assert_eq!(status(&reply), 200, "{reply}");
    let h = |name: &str| header(&reply, name).unwrap_or("<missing>").to_owned();

    let line = line_of(&text, "X-Line: $cfg_line");
    assert_eq!(h("X-Line"), line.to_string(), "{reply}");
    assert_eq!(
        h("X-Line-Var"),
        line_of(&text, "$var(line) = $cfg_line").to_string()
    );
    // Inside an if block: the line of the statement in the block.
    assert_eq!(h("X-Nested"), line_of(&text, "X-Nested").to_string());
    let main_file = dir.join("test.cfg").display().to_string();
    assert_eq!(h("X-File"), main_file);
    let inc = dir.join("included.cfg").display().to_string();
    assert_eq!(h("X-Inc"), format!("{inc}:4"), "{reply}");

    assert_eq!(h("X-Route"), "route");
    assert_eq!(h("X-Top-Name"), "<null>");
    assert_eq!(h("X-Stack"), "route > route[first] > route[second]");
    assert_eq!(h("X-Current"), "route[second]");
    assert_eq!(h("X-Parent"), "route[first]");
    assert_eq!(h("X-Top"), "route");
    assert_eq!(h("X-Next-Top"), "route[first]");
    assert_eq!(h("X-Out"), "<null>");
    assert_eq!(h("X-Type"), "route");
    assert_eq!(h("X-Top-Type"), "route");
    assert_eq!(h("X-Name"), "second");
    assert_eq!(h("X-Parent-Name"), "first");
    // Back in the main route once the calls returned.
    assert_eq!(h("X-After"), "route");
    assert!(
        server
            .log_text()
            .contains("STARTUP route=startup_route type=startup_route name=<null>"),
        "{}",
        server.log_text()
    );
}

#[test]
fn argv_reads_the_o_options() {
    let dir = scratch("script-argv");
    let text = cfg(
        "",
        r#"route {
    append_to_reply("X-Foo: $argv(foo)\r\nX-Empty: $argv(empty)\r\nX-None: $argv(none)\r\n");
    sl_send_reply(200, "Argv");
}"#,
    );
    let server = Server::start_with_args(
        &dir,
        &text,
        free_port(),
        &["-o", "foo=one", "-o", "empty=", "-o", "foo=two=2"],
    );
    let c = UdpClient::new();
    let reply = c
        .request(
            &server,
            &request("OPTIONS", "sip:v@example.com", c.port(), ""),
        )
        .expect("a reply");
    // The last -o for a name wins; the value may hold '='.
    assert_eq!(header(&reply, "X-Foo"), Some("two=2"), "{reply}");
    assert_eq!(header(&reply, "X-Empty"), Some(""), "{reply}");
    assert_eq!(header(&reply, "X-None"), Some("<null>"), "{reply}");
}

#[test]
fn a_malformed_o_option_is_refused() {
    let out = run_siplua(&["-c", "-o", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o novalue: expected NAME=VALUE"));
}

#[test]
fn unknown_route_and_argv_forms_are_load_errors_with_their_position() {
    // `$route_type` is not an OpenSIPS 3.x variable (it is `$route.type`).
    let text = cfg("", "route {\n    xlog(\"$route_type\\n\");\n}\n").replace("{PORT}", "5999");
    let (out, path) = check_config("route_type.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = line_of(&text, "$route_type");
    assert!(
        err.contains(&format!("{}:{line}:", path.display())) && err.contains("$route_type"),
        "{err}"
    );
    let text = cfg("", "route {\n    $var(a) = $argv;\n}\n").replace("{PORT}", "5999");
    let (out, path) = check_config("argv.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = line_of(&text, "$argv;");
    assert!(
        err.contains(&format!("{}:{line}:", path.display())) && err.contains("$argv(...)"),
        "{err}"
    );
    // A constant regular expression of stream_delete that does not compile.
    let text = cfg("", "route {\n    stream_delete(\"vid(eo\");\n}\n").replace("{PORT}", "5999");
    let (out, path) = check_config("stream_re.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = line_of(&text, "stream_delete");
    assert!(
        err.contains(&format!("{}:{line}:", path.display()))
            && err.contains("invalid regular expression"),
        "{err}"
    );
}

fn dialog_cfg(next_hop: u16) -> String {
    format!(
        r#"
log_level = 3
xlog_level = 3
stderror_enabled = yes
udp_workers = 1
socket = udp:127.0.0.1:{{PORT}}
loadmodule "proto_udp.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "signaling.so"
loadmodule "sipmsgops.so"
loadmodule "dialog.so"

route {{
    if (has_totag()) {{
        append_to_reply("X-End: $DLG_end_reason\r\nX-Status: $DLG_status\r\n");
        sl_send_reply(200, "In dialog");
        exit;
    }}
    create_dialog();
    t_relay("udp:127.0.0.1:{next_hop}");
}}
"#
    )
}

/// Sets up a call through the proxy, answered 200 by the next hop; returns the caller's
/// Call-ID and From header.
fn answered_call(server: &Server, hop: &NextHop, c: &UdpClient) -> (String, String) {
    let invite = request("INVITE", "sip:bob@example.com", c.port(), "");
    c.send(server, invite.as_bytes());
    let (got, from) = hop.recv(server);
    hop.sock
        .send_to(reply_to(&got, 200, "OK").as_bytes(), from)
        .unwrap();
    let fin = recv_final(c).expect("the 200 relayed");
    assert_eq!(status(&fin), 200, "{fin}");
    (
        header(&invite, "Call-ID").unwrap().to_owned(),
        header(&invite, "From").unwrap().to_owned(),
    )
}

/// An in-dialog request with the given From and To, sent from `port`.
fn in_dialog(method: &str, call_id: &str, from: &str, to: &str, port: u16) -> String {
    format!(
        "{method} sip:peer@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{method}-{port};rport\r\n\
         From: {from}\r\n\
         To: {to}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 20 {method}\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn dlg_end_reason_names_the_side_that_sent_the_bye() {
    let hop = NextHop::new();
    let server = Server::start(&dialog_cfg(hop.port()));
    let c = UdpClient::new();
    let callee = "<sip:bob@example.com>;tag=t200";

    // The caller hangs up: a request before it sees no reason yet.
    let (call_id, from) = answered_call(&server, &hop, &c);
    let info = in_dialog("INFO", &call_id, &from, callee, c.port());
    let reply = c.request(&server, &info).expect("INFO answered");
    assert_eq!(header(&reply, "X-End"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-Status"), Some("3"), "{reply}");
    let bye = in_dialog("BYE", &call_id, &from, callee, c.port());
    let reply = c.request(&server, &bye).expect("BYE answered");
    assert_eq!(header(&reply, "X-End"), Some("Downstream BYE"), "{reply}");
    assert_eq!(header(&reply, "X-Status"), Some("5"), "{reply}");

    // The callee hangs up.
    let (call_id, from) = answered_call(&server, &hop, &c);
    let bye = in_dialog("BYE", &call_id, callee, &from, hop.port());
    hop.sock.send_to(bye.as_bytes(), server.addr()).unwrap();
    let (reply, _) = hop.recv(&server);
    assert_eq!(header(&reply, "X-End"), Some("Upstream BYE"), "{reply}");
}

/// One MI call over HTTP, as JSON.
fn mi_call(mi: &MiServer, method: &str) -> serde_json::Value {
    let (code, body) = mi.post(&format!(
        r#"{{"jsonrpc":"2.0","method":"{method}","id":1}}"#
    ));
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn config_hash_is_taken_at_start_and_checked_against_the_file() {
    let mi = MiServer::start(
        "loadmodule \"cfgutils.so\"\nmodparam(\"cfgutils\", \"hash_file\", \"{DIR}/test.cfg\")",
        "route { sl_send_reply(200, \"OK\"); }",
    );
    let path = mi.server.dir.join("test.cfg");
    let md5sum = std::process::Command::new("md5sum")
        .arg(&path)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&md5sum.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(expected.len(), 32);
    let r = mi_call(&mi, "get_config_hash");
    assert_eq!(
        r["result"],
        serde_json::Value::from(expected.as_str()),
        "{r}"
    );
    let r = mi_call(&mi, "check_config_hash");
    assert_eq!(
        r["result"], "The actual config file hash is identical to the stored one.",
        "{r}"
    );
    // Edited on disk after the start: the check fails, the stored hash stays.
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&path, text).unwrap();
    let r = mi_call(&mi, "check_config_hash");
    assert_eq!(r["error"]["code"], 400, "{r}");
    assert_eq!(mi_call(&mi, "get_config_hash")["result"], expected.as_str());
}

#[test]
fn config_hash_without_hash_file_is_disabled_and_a_missing_file_fails_the_start() {
    let mi = MiServer::start(
        "loadmodule \"cfgutils.so\"",
        "route { sl_send_reply(200, \"OK\"); }",
    );
    for method in ["get_config_hash", "check_config_hash"] {
        let r = mi_call(&mi, method);
        assert_eq!(r["error"]["code"], 404, "{r}");
        assert_eq!(r["error"]["message"], "Functionality disabled", "{r}");
    }
    let text = cfg(
        "loadmodule \"cfgutils.so\"\nmodparam(\"cfgutils\", \"hash_file\", \"/nonexistent/x.cfg\")",
        "route { exit; }",
    )
    .replace("{PORT}", "5999");
    let (out, _) = check_config("hash_missing.cfg", &text);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("hash_file: cannot read /nonexistent/x.cfg"),
        "{err}"
    );
}

#[test]
fn ip_resolve_gives_a_names_address_and_keeps_an_address() {
    let dns = dns_support::Dnsmasq::start(&["--host-record=sip.example.test,192.0.2.7".into()]);
    let text = cfg(
        &format!(
            "dns_server = \"127.0.0.1:{}\"\ndns_retr_time = 1\n",
            dns.port
        ),
        r#"route {
    $var(name) = "sip.example.test";
    $var(ip) = "10.0.0.1";
    $var(v6) = "2001:db8::1";
    $var(none) = "nope.example.test";
    append_to_reply("X-Name: $(var(name){ip.resolve})\r\nX-Ip: $(var(ip){ip.resolve})\r\n");
    append_to_reply("X-V6: $(var(v6){ip.resolve})\r\nX-None: $(var(none){ip.resolve})\r\n");
    sl_send_reply(200, "Resolved");
}"#,
    );
    let server = Server::start(&text);
    let c = UdpClient::new();
    let reply = c
        .request(
            &server,
            &request("OPTIONS", "sip:v@example.com", c.port(), ""),
        )
        .expect("a reply");
    assert_eq!(header(&reply, "X-Name"), Some("192.0.2.7"), "{reply}");
    assert_eq!(header(&reply, "X-Ip"), Some("10.0.0.1"), "{reply}");
    assert_eq!(header(&reply, "X-V6"), Some("2001:db8::1"), "{reply}");
    assert_eq!(header(&reply, "X-None"), Some("<null>"), "{reply}");
    assert!(
        dns.queries().contains(&"A sip.example.test".to_owned()),
        "{:?}",
        dns.queries()
    );
}

#[test]
fn ruri_tel2sip_turns_a_tel_request_uri_into_a_sip_one() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    if ($hdr(X-Set) != NULL) $ru = $hdr(X-Set);
    ruri_tel2sip();
    $var(rc) = $rc;
    append_to_reply("X-Ru: $ru\r\nX-Rc: $var(rc)\r\n");
    sl_send_reply(200, "Converted");
}"#,
    ));
    let c = UdpClient::new();
    let ask = |ruri: &str, extra: &str| {
        let reply = c
            .request(&server, &request("OPTIONS", ruri, c.port(), extra))
            .expect("a reply");
        (
            header(&reply, "X-Ru").unwrap_or("").to_owned(),
            header(&reply, "X-Rc").unwrap_or("").to_owned(),
        )
    };
    // The From host (example.com) becomes the host; the number keeps its parameters.
    assert_eq!(
        ask("tel:+40211234567", ""),
        ("sip:+40211234567@example.com;user=phone".into(), "1".into())
    );
    assert_eq!(
        ask(
            "sip:x@example.org",
            "X-Set: tel:5551234;phone-context=example.net\r\n"
        ),
        (
            "sip:5551234;phone-context=example.net@example.com;user=phone".into(),
            "1".into()
        )
    );
    // Not a tel URI: nothing to do, still true.
    assert_eq!(
        ask("sip:bob@example.org", ""),
        ("sip:bob@example.org".into(), "1".into())
    );
}

/// `stream_exists` / `stream_delete` on what siplua forwards: a whole stream goes, its
/// attributes with it; the second regular expression matches the transport.
#[test]
fn stream_functions_find_and_drop_whole_media_streams() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    if (stream_exists("image") && stream_exists("video", "SAVP") && !stream_exists("audio", "SAVP")) {
        append_hf("X-Exists: ok\r\n");
    }
    if (stream_delete("^video$")) append_hf("X-Deleted: video\r\n");
    if (!stream_delete("text")) append_hf("X-Kept: no text\r\n");
    if (!stream_exists("video")) append_hf("X-Gone: video\r\n");
    $du = "sip:127.0.0.1:" + $hdr(X-Peer);
    forward();
}"#,
    ));
    let peer = UdpClient::new();
    let c = UdpClient::new();
    let sdp =
        "v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n\
               m=video 4002 RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\n\
               m=image 4004 udptl t38\r\n";
    let req = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        &format!("X-Peer: {}\r\n", peer.port()),
    )
    .replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ),
    );
    c.send(&server, req.as_bytes());
    let got = loop {
        let m = peer
            .recv()
            .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()));
        if m.starts_with("INVITE ") {
            break m;
        }
    };
    let body = got.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert_eq!(
        body,
        "v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n\
         m=image 4004 udptl t38\r\n",
        "{got}"
    );
    for (h, v) in [
        ("X-Exists", "ok"),
        ("X-Deleted", "video"),
        ("X-Kept", "no text"),
        ("X-Gone", "video"),
    ] {
        assert_eq!(header(&got, h), Some(v), "{got}");
    }
}
