//! permissions' rule files end to end: `allow_routing` (default files, a basename, an allow
//! and a deny file; every branch checked), `allow_register` (each Contact against the To
//! URI) and `allow_uri` (the From URI against a given URI), with real `.allow`/`.deny` files
//! next to the configuration; missing files allow everything; a bad file stops start-up with
//! its `file:line`.

use crate::common;

use std::path::Path;

use common::*;

const ROUTES: &str = r#"route {
    if ($hdr(X-Branch) != NULL) {
        append_branch("$hdr(X-Branch)");
    }
    if (allow_routing()) {
        append_to_reply("X-Default: yes\r\n");
    } else {
        append_to_reply("X-Default: no\r\n");
    }
    if (allow_routing("gw")) {
        append_to_reply("X-Gw: yes\r\n");
    } else {
        append_to_reply("X-Gw: no\r\n");
    }
    if (allow_routing("rules/pair.allow", "rules/pair.deny")) {
        append_to_reply("X-Pair: yes\r\n");
    } else {
        append_to_reply("X-Pair: no\r\n");
    }
    if (allow_routing("nothing")) {
        append_to_reply("X-Nothing: yes\r\n");
    }
    if ($hdr(X-Uri) != NULL) {
        if (allow_uri("refer", "$hdr(X-Uri)")) {
            append_to_reply("X-Uri-Ok: yes\r\n");
        } else {
            append_to_reply("X-Uri-Ok: no\r\n");
        }
    }
    if (is_method("REGISTER")) {
        if (allow_register("register")) {
            append_to_reply("X-Register: yes\r\n");
        } else {
            append_to_reply("X-Register: no\r\n");
        }
    }
    sl_send_reply(200, "Checked");
}"#;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn server(check_all_branches: bool) -> Server {
    let dir = scratch("permissions_files");
    // Default files: only alice may call numbers; nobody may call 900 numbers.
    write(
        &dir,
        "permissions.allow",
        "# callers allowed to reach anything but premium numbers\n\
         \"^sip:alice@example\\.com$\" : ALL EXCEPT \"^sip:900\"\n",
    );
    write(
        &dir,
        "permissions.deny",
        "ALL : \"^sip:[0-9]+@\"   # numbers\n",
    );
    // gw.*: the gateway accepts only 49 numbers, from anyone but mallory.
    write(
        &dir,
        "gw.allow",
        "ALL EXCEPT \"^sip:mallory@\" : \"^sip:49[0-9]+@\", \"^sip:0049\"\n",
    );
    write(&dir, "gw.deny", "ALL : ALL\n");
    write(&dir, "rules/pair.allow", "");
    write(&dir, "rules/pair.deny", "\"^sip:bob@\" : ALL\n");
    write(&dir, "refer.deny", "ALL : \"example\\.net\"\n");
    write(&dir, "register.allow", "\"^sip:pbx@\" : ALL\n");
    write(&dir, "register.deny", "ALL : \"^sip:.*192\\.0\\.2\\.1$\"\n");
    let globals = format!(
        "loadmodule \"permissions.so\"\n\
         modparam(\"permissions\", \"check_all_branches\", {})\n",
        check_all_branches as u8
    );
    Server::start_in(&dir, &cfg(&globals, ROUTES))
}

/// Sends a request from `from` (a SIP URI) and returns the reply.
fn ask(s: &Server, method: &str, ruri: &str, from: &str, extra: &str) -> String {
    let c = UdpClient::new();
    let req = request(method, ruri, c.port(), extra).replace("sip:alice@example.com", from);
    c.request(s, &req)
        .unwrap_or_else(|| panic!("no reply; log:\n{}", s.log_text()))
}

#[test]
fn allow_routing_with_default_basename_and_pair_files() {
    let s = server(true);
    // alice to a number: allowed by the allow file before the deny file is read.
    let r = ask(
        &s,
        "INVITE",
        "sip:123@example.com",
        "sip:alice@example.com",
        "",
    );
    assert_eq!(header(&r, "X-Default"), Some("yes"), "{r}");
    // alice to a premium number: the EXCEPT list keeps the allow rule from matching.
    let r = ask(
        &s,
        "INVITE",
        "sip:900123@example.com",
        "sip:alice@example.com",
        "",
    );
    assert_eq!(header(&r, "X-Default"), Some("no"), "{r}");
    // carol to a number: denied; carol to a name: no rule, allowed.
    let r = ask(
        &s,
        "INVITE",
        "sip:123@example.com",
        "sip:carol@example.com",
        "",
    );
    assert_eq!(header(&r, "X-Default"), Some("no"), "{r}");
    let r = ask(
        &s,
        "INVITE",
        "sip:bob@example.com",
        "sip:carol@example.com",
        "",
    );
    assert_eq!(header(&r, "X-Default"), Some("yes"), "{r}");
    // The gateway's files: 49 numbers allowed (port and parameters are not matched), mallory
    // and other numbers denied.
    let r = ask(
        &s,
        "INVITE",
        "sip:4930123@gw.example.com:5080;user=phone",
        "sip:carol@x.org",
        "",
    );
    assert_eq!(header(&r, "X-Gw"), Some("yes"), "{r}");
    let r = ask(
        &s,
        "INVITE",
        "sip:4930123@gw.example.com",
        "sip:Mallory@x.org",
        "",
    );
    assert_eq!(header(&r, "X-Gw"), Some("no"), "regexes ignore case: {r}");
    let r = ask(
        &s,
        "INVITE",
        "sip:3312@gw.example.com",
        "sip:carol@x.org",
        "",
    );
    assert_eq!(header(&r, "X-Gw"), Some("no"), "{r}");
    // Two named files, relative to the configuration's directory.
    let r = ask(
        &s,
        "INVITE",
        "sip:123@example.com",
        "sip:bob@example.com",
        "",
    );
    assert_eq!(header(&r, "X-Pair"), Some("no"), "{r}");
    assert_eq!(
        header(&r, "X-Nothing"),
        Some("yes"),
        "missing files allow: {r}"
    );
    let r = ask(
        &s,
        "INVITE",
        "sip:123@example.com",
        "sip:carol@example.com",
        "",
    );
    assert_eq!(header(&r, "X-Pair"), Some("yes"), "{r}");
    // A missing file is logged at start-up.
    assert!(
        s.log_text()
            .contains("nothing.allow) not found => empty rule set"),
        "{}",
        s.log_text()
    );
}

#[test]
fn every_branch_is_checked_unless_check_all_branches_is_off() {
    let s = server(true);
    // alice may call bob, but the appended branch is a premium number: denied.
    let premium = "X-Branch: sip:900555@example.com\r\n";
    let r = ask(
        &s,
        "INVITE",
        "sip:bob@example.com",
        "sip:alice@example.com",
        premium,
    );
    assert_eq!(header(&r, "X-Default"), Some("no"), "{r}");
    let fine = "X-Branch: sip:carol@example.com\r\n";
    let r = ask(
        &s,
        "INVITE",
        "sip:bob@example.com",
        "sip:alice@example.com",
        fine,
    );
    assert_eq!(header(&r, "X-Default"), Some("yes"), "{r}");
    drop(s);

    let s = server(false);
    let r = ask(
        &s,
        "INVITE",
        "sip:bob@example.com",
        "sip:alice@example.com",
        premium,
    );
    assert_eq!(
        header(&r, "X-Default"),
        Some("yes"),
        "first branch only: {r}"
    );
}

#[test]
fn allow_uri_and_allow_register() {
    let s = server(true);
    let r = ask(
        &s,
        "REFER",
        "sip:bob@example.com",
        "sip:carol@example.com",
        "X-Uri: sip:x@example.net\r\n",
    );
    assert_eq!(header(&r, "X-Uri-Ok"), Some("no"), "{r}");
    let r = ask(
        &s,
        "REFER",
        "sip:bob@example.com",
        "sip:carol@example.com",
        "X-Uri: sip:x@example.org\r\n",
    );
    assert_eq!(header(&r, "X-Uri-Ok"), Some("yes"), "{r}");

    // REGISTER: the To URI (bob) against each Contact; the gateway's address is refused.
    let gw = "Contact: <sip:bob@10.0.0.5:5060>, <sip:bob@192.0.2.1:5060;transport=udp>\r\n";
    let r = ask(&s, "REGISTER", "sip:example.com", "sip:bob@example.com", gw);
    assert_eq!(header(&r, "X-Register"), Some("no"), "{r}");
    let ok = "Contact: <sip:bob@10.0.0.5:5060>\r\n";
    let r = ask(&s, "REGISTER", "sip:example.com", "sip:bob@example.com", ok);
    assert_eq!(header(&r, "X-Register"), Some("yes"), "{r}");
    let r = ask(
        &s,
        "REGISTER",
        "sip:example.com",
        "sip:bob@example.com",
        "Contact: *\r\nExpires: 0\r\n",
    );
    assert_eq!(header(&r, "X-Register"), Some("yes"), "{r}");
}

#[test]
fn a_bad_rule_file_stops_start_up_with_its_line() {
    let dir = scratch("permissions_bad");
    write(&dir, "gw.allow", "# fine\nALL : \"^sip:49\"\n");
    write(&dir, "gw.deny", "\n\nALL ALL\n");
    let text = cfg(
        "loadmodule \"permissions.so\"\n",
        "route {\n    allow_routing(\"gw\");\n}\n",
    )
    .replace("{PORT}", "5999");
    let path = dir.join("bad.cfg");
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(bin())
        .args(["-c", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let expected = format!("{}:3: no `:` between", dir.join("gw.deny").display());
    assert!(stderr.contains(&expected), "{stderr}");

    // Without db_url the address functions say what they need.
    let (out, _) = check_config(
        "nodb.cfg",
        &cfg(
            "loadmodule \"permissions.so\"\n",
            "route {\n    check_source_address(1);\n}\n",
        )
        .replace("{PORT}", "5999"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("db_url"), "{stderr}");
}
