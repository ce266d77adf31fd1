//! Transformations, end to end: each applied to a known value and sent back in a reply header.

use crate::common;

use common::*;

#[test]
fn string_uri_and_param_transformations() {
    let expected: &[(&str, &str, &str)] = &[
        ("len", "$(var(s){s.len})", "11"),
        ("lenempty", "$(var(empty){s.len})", "0"),
        ("lennull", "$(var(unset){s.len})", "0"),
        ("int", "$(var(n){s.int})", "42"),
        ("intprefix", "$(var(np){s.int})", "12"),
        ("substr", "$(var(s){s.substr,1,3})", "ell"),
        ("substrneg", "$(var(s){s.substr,-5,0})", "World"),
        ("select", "$(var(list){s.select,1,,})", "b"),
        ("selectneg", "$(var(list){s.select,-1,,})", "c"),
        ("selectsemi", "$(var(semi){s.select,0,;})", "x"),
        ("lower", "$(var(s){s.tolower})", "hello world"),
        ("upper", "$(var(s){s.toupper})", "HELLO WORLD"),
        (
            "md5",
            "$(var(s){s.md5})",
            "b10a8db164e0754105b7a99be72e3fe5",
        ),
        ("uriuser", "$(var(uri){uri.user})", "bob"),
        ("urihost", "$(var(uri){uri.host})", "example.org"),
        ("uriparam", "$(var(uri){uri.param,transport})", "tcp"),
        ("uriparamnone", "$(var(uri){uri.param,nope})", "<null>"),
        ("ruuser", "$(ru{uri.user})", "tr"),
        ("ruhost", "$(ru{uri.host})", "127.0.0.1"),
        ("paramvalue", "$(var(params){param.value,b})", "two"),
        ("paramfirst", "$(var(params){param.value,a})", "1"),
        ("chain", "$(var(uri){uri.user}{s.toupper}{s.len})", "3"),
        ("hdrtrans", "$(hdr(X-Csv){s.select,2,,})", "z"),
        ("fromtag", "$(hdr(From){param.value,tag})", "TAG"),
        ("pvarg", "$(var(s){s.substr,$var(off),2})", "lo"),
    ];
    let headers = check_header_lines(expected);
    let server = Server::start(&cfg(
        "",
        &format!(
            r#"route {{
            $var(s) = "Hello World";
            $var(empty) = "";
            $var(n) = "42";
            $var(np) = "12abc";
            $var(list) = "a,b,c";
            $var(semi) = "x;y";
            $var(uri) = "sip:bob@example.org:5070;transport=tcp;lr";
            $var(params) = ";a=1;b=two;c";
            $var(off) = 3;
            append_to_reply("{headers}");
            sl_send_reply(200, "OK");
        }}"#
        ),
    ));
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:tr@127.0.0.1", c.port(), "X-Csv: x,y,z\r\n")
        .replace(";tag=from", ";tag=TAG;x=from");
    let reply = c.ask(&server, &req);
    assert_check_headers(&reply, expected);
}

/// The rest of OpenSIPS 3.x's string, list, To-body and Via transformations.
#[test]
fn more_string_list_and_header_body_transformations() {
    let expected: &[(&str, &str, &str)] = &[
        ("resubst", "$(rU{re.subst,/^0/+49/})", "+4930123"),
        ("resubstnone", "$(var(s){re.subst,/^x/y/})", "Hello World"),
        ("resubstg", "$(var(s){re.subst,/o/0/g})", "Hell0 W0rld"),
        ("index", "$(var(s){s.index,o})", "4"),
        ("indexfrom", "$(var(s){s.index,o,5})", "7"),
        ("rindex", "$(var(s){s.rindex,o})", "7"),
        ("indexnone", "$(var(s){s.index,z})", "-1"),
        ("fillleft", "$(var(n){s.fill.left,0,5})", "00042"),
        ("fillright", "$(var(n){s.fill.right,x,4})", "42xx"),
        ("width", "$(var(s){s.width,5})", "Hello"),
        ("b64", "$(var(s){s.b64encode})", "SGVsbG8gV29ybGQ="),
        (
            "b64back",
            "$(var(s){s.b64encode}{s.b64decode})",
            "Hello World",
        ),
        ("esccommon", "$(var(q){s.escape.common})", "it\\'s"),
        ("escuser", "$(var(s){s.escape.user})", "Hello%20World"),
        (
            "unescuser",
            "$(var(s){s.escape.user}{s.unescape.user})",
            "Hello World",
        ),
        ("escparam", "$(var(kv){s.escape.param})", "a%3Db"),
        ("csvcount", "$(var(list){csv.count})", "3"),
        ("csvvalue", "$(var(list){csv.value,1})", "b"),
        ("touri", "$(hdr(To){tobody.uri})", "sip:tr@127.0.0.1"),
        ("fromtag", "$(hdr(From){tobody.tag}{s.substr,0,4})", "from"),
        ("fromuser", "$(hdr(From){tobody.user})", "alice"),
        ("fromhost", "$(hdr(From){tobody.host})", "example.com"),
        ("viatransport", "$(hdr(Via){via.transport})", "UDP"),
        ("viahost", "$(hdr(Via){via.host})", "127.0.0.1"),
        (
            "viabranch",
            "$(hdr(Via){via.branch}{s.substr,0,7})",
            "z9hG4bK",
        ),
        ("viarport", "$(hdr(Via){via.param,rport})", ""),
    ];
    let headers = check_header_lines(expected);
    let server = Server::start(&cfg(
        "",
        &format!(
            r#"route {{
            $var(s) = "Hello World";
            $var(n) = "42";
            $var(q) = "it's";
            $var(kv) = "a=b";
            $var(list) = "a, b,c";
            append_to_reply("{headers}");
            sl_send_reply(200, "OK");
        }}"#
        ),
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:030123@127.0.0.1", c.port(), "")
            .replace("To: <sip:bob@example.com>", "To: <sip:tr@127.0.0.1>"),
    );
    assert_check_headers(&reply, expected);
}

#[test]
fn transformations_in_conditions_and_assignments() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            if ($(rU{s.len}) > 3 && $(rU{s.substr,0,4}) == "long") {
                $var(kind) = "long";
            } else {
                $var(kind) = "short";
            }
            $var(hash) = $(ci{s.md5});
            $var(up) = $(rU{s.toupper});
            append_to_reply("X-Kind: $var(kind)\r\nX-Hash-Len: $(var(hash){s.len})\r\nX-Up: $var(up)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:longname@127.0.0.1", c.port(), ""),
    );
    assert_eq!(header(&reply, "X-Kind"), Some("long"), "{reply}");
    assert_eq!(header(&reply, "X-Hash-Len"), Some("32"), "{reply}");
    assert_eq!(header(&reply, "X-Up"), Some("LONGNAME"), "{reply}");
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:ab@127.0.0.1", c.port(), ""),
    );
    assert_eq!(header(&reply, "X-Kind"), Some("short"), "{reply}");
}

#[test]
fn unknown_transformation_or_wrong_arguments_are_load_errors() {
    let (out, path) = check_config(
        "t.cfg",
        "loadmodule \"proto_udp.so\"\nsocket = udp:127.0.0.1:5999\nroute {\n    $var(x) = $(rU{s.nosuch});\n    $var(y) = $(rU{s.substr,1});\n}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let p = path.display();
    for want in [
        format!("{p}:4:15: unknown transformation {{s.nosuch}}"),
        format!("{p}:5:15: transformation {{s.substr}} takes 2 argument(s), got 1"),
    ] {
        assert!(err.lines().any(|l| l == want), "missing {want}\n{err}");
    }
}
