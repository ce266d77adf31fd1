//! The `regex` module end to end: `pcre_match` with constant and variable expressions and
//! the `pcre_*` parameters, `pcre_match_group` over the groups file, `regex_reload` over the
//! management interface, and the load errors of bad expressions and files.

use crate::common;
use crate::mi_support;

use common::*;
use mi_support::MiServer;

/// Which checks matched, as `X-M` (a letter per check) in the reply.
const ROUTES: &str = r#"route {
    $var(m) = "";
    if (pcre_match("$rU", "^user[1234]$$")) { $var(m) = $var(m) + "a"; }
    if (pcre_match("$hdr(X-Agent)", "(?i)^twinkle")) { $var(m) = $var(m) + "b"; }
    $var(re) = "^" + $hdr(X-Prefix);
    if (pcre_match("$rU", "$var(re)")) { $var(m) = $var(m) + "c"; }
    if (pcre_match_group("$hdr(X-Agent)")) { $var(m) = $var(m) + "d"; }
    if (pcre_match_group("$rU", 1)) { $var(m) = $var(m) + "e"; }
    if (pcre_match_group("$rU", "$hdr(X-Group)")) { $var(m) = $var(m) + "f"; }
    append_to_reply("X-M: $var(m)\r\n");
    sl_send_reply(200, "Matched");
}"#;

const GROUPS: &str = "### agents\n[0]\n# soft phones\n^Twinkle/1\n^X-Lite\n\n[1]\n^1\\d{3}$\n^((\\+|00)34)?900\\d{6}$\n";

fn groups_file(text: &str) -> std::path::PathBuf {
    let path = scratch("regex").join("regex_groups");
    std::fs::write(&path, text).expect("groups file");
    path
}

fn matched(c: &UdpClient, s: &Server, user: &str, extra: &str) -> String {
    let r = c.ask(
        s,
        &request(
            "MESSAGE",
            &format!("sip:{user}@example.com"),
            c.port(),
            extra,
        ),
    );
    assert_eq!(status(&r), 200, "{r}\n{}", s.log_text());
    header(&r, "X-M").unwrap_or("").to_owned()
}

#[test]
fn match_and_groups() {
    let file = groups_file(GROUPS);
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"regex.so\"\nmodparam(\"regex\", \"file\", \"{}\")",
            file.display()
        ),
        ROUTES,
    ));
    let c = UdpClient::new();
    assert_eq!(
        matched(
            &c,
            &s,
            "user2",
            "X-Agent: twinkle/1.2\r\nX-Prefix: us\r\nX-Group: 0\r\n"
        ),
        "abc",
        "case-sensitive group 0; user2 is no number"
    );
    assert_eq!(
        matched(
            &c,
            &s,
            "1234",
            "X-Agent: Twinkle/1.2\r\nX-Prefix: 9\r\nX-Group: 1\r\n"
        ),
        "bdef"
    );
    assert_eq!(
        matched(
            &c,
            &s,
            "0034900123456",
            "X-Agent: SIPp\r\nX-Prefix: 00\r\nX-Group: 7\r\n"
        ),
        "ce",
        "no group 7: false"
    );
    assert_eq!(
        matched(
            &c,
            &s,
            "user5",
            "X-Agent: X\r\nX-Prefix: (\r\nX-Group: 0\r\n"
        ),
        "",
        "a bad expression from a variable is false"
    );
    assert!(s.wait_log("bad regular expression"), "{}", s.log_text());
}

#[test]
fn pcre_parameters_apply() {
    let file = groups_file("[0]\n^twinkle\n");
    let s = Server::start(&cfg(
        &format!(
            "loadmodule \"regex.so\"\nmodparam(\"regex\", \"file\", \"{}\")\n\
             modparam(\"regex\", \"pcre_caseless\", 1)\nmodparam(\"regex\", \"pcre_extended\", 1)",
            file.display()
        ),
        r#"route {
            $var(m) = "";
            if (pcre_match("$rU", "^USER [0-9]")) { $var(m) = $var(m) + "x"; }
            if (pcre_match_group("$hdr(X-Agent)", 0)) { $var(m) = $var(m) + "g"; }
            append_to_reply("X-M: $var(m)\r\n");
            sl_send_reply(200, "Matched");
        }"#,
    ));
    let c = UdpClient::new();
    assert_eq!(matched(&c, &s, "user7", "X-Agent: Twinkle/1\r\n"), "xg");
}

#[test]
fn regex_reload_reads_the_file_again() {
    let file = groups_file("[0]\n^alice$\n");
    let mi = MiServer::start(
        &format!(
            "loadmodule \"regex.so\"\nmodparam(\"regex\", \"file\", \"{}\")",
            file.display()
        ),
        r#"route {
            if (pcre_match_group("$rU")) { sl_send_reply(200, "In Group"); exit; }
            sl_send_reply(404, "Not In Group");
        }"#,
    );
    let s = &mi.server;
    let c = UdpClient::new();
    let ask = |user: &str| {
        status(&c.ask(
            s,
            &request("MESSAGE", &format!("sip:{user}@x"), c.port(), ""),
        ))
    };
    assert_eq!((ask("alice"), ask("bob")), (200, 404));

    std::fs::write(&file, "[0]\n^bob$\n").unwrap();
    let (_, text) = mi.post(r#"{"jsonrpc":"2.0","method":"regex_reload","id":1}"#);
    assert!(text.contains("\"result\":\"OK\""), "{text}");
    assert_eq!((ask("alice"), ask("bob")), (404, 200));

    // A broken file is refused and the groups in use stay.
    std::fs::write(&file, "[0]\n^(bob\n").unwrap();
    let (_, text) = mi.post(r#"{"jsonrpc":"2.0","method":"regex_reload","id":2}"#);
    assert!(
        text.contains("\"error\"") && text.contains("line 2"),
        "{text}"
    );
    assert_eq!(ask("bob"), 200);
}

#[test]
fn bad_expressions_and_files_are_load_errors() {
    let port = free_port().to_string();
    let base = |globals: &str, route: &str| {
        cfg(&format!("loadmodule \"regex.so\"\n{globals}"), route).replace("{PORT}", &port)
    };
    let (out, path) = check_config(
        "regex-lookahead.cfg",
        &base("", "route {\n    pcre_match(\"$rU\", \"a(?=b)\");\n}"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("bad regular expression"),
        "{err}"
    );

    let (out, _) = check_config(
        "regex-nofile.cfg",
        &base("", "route {\n    pcre_match_group(\"$rU\");\n}"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs the groups file"), "{err}");

    let file = groups_file("^before-any-group\n[0]\na\n");
    let (out, _) = check_config(
        "regex-badfile.cfg",
        &base(
            &format!("modparam(\"regex\", \"file\", \"{}\")", file.display()),
            "route {\n    exit;\n}",
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("line 1: a regular expression before"), "{err}");
}
