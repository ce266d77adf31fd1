//! OpenSIPS 1.x–2.x modules and functions that migrated configurations still use: `textops`
//! (`subst_body`, `replace_body_atonce` and the rest of its search/replace family), `uri`
//! (`uri_param`, `add_uri_param`, `del_uri_param`, `tel2sip` as aliases of the 3.x
//! `ruri_*` functions; `is_user`, `db_check_to`, `db_check_from`, `db_does_uri_exist`,
//! `db_get_auth_id` on db_text), `uri_db` (their 1.x names), and the core's
//! `setdebug`/`resetdebug`. Real configurations, real UDP.

use crate::auth_support;
use crate::common;

use std::sync::atomic::{AtomicU32, Ordering};

use auth_support::*;
use common::*;

fn next() -> u32 {
    static N: AtomicU32 = AtomicU32::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A configuration shaped as a 2.x one: only the modules it names, no sipmsgops.
fn config_2x(modules: &str, routes: &str) -> String {
    format!(
        "log_level = 3\nxlog_level = 3\nstderror_enabled = yes\nsyslog_enabled = no\n\
         udp_workers = 1\nsocket = udp:127.0.0.1:{{PORT}}\n\
         loadmodule \"proto_udp.so\"\nloadmodule \"sl.so\"\n{modules}\n{routes}\n"
    )
}

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

/// The textops and uri calls of a 2.x script; what they did is visible in the request
/// forwarded to the peer named by `X-Peer`.
const EDIT_ROUTES: &str = r#"route {
    if (uri_param("transport", "udp")) { append_hf("X-Udp: yes\r\n"); }
    if (uri_param("transport", "tcp")) { append_hf("X-Tcp: yes\r\n"); }
    if (uri_param("nosuch")) { append_hf("X-Nosuch: yes\r\n"); }
    if ($rU == "tel") {
        $ru = "tel:+4930123";
        if (tel2sip()) { append_hf("X-Tel2sip: yes\r\n"); }
    } else {
        del_uri_param("transport");
        add_uri_param("nat=yes");
    }
    if (subst_body("/^o=- ([0-9]+) /o=siplua \1 /")) { append_hf("X-Subst-Body: yes\r\n"); }
    if (!subst_body("/^nosuch=//")) { append_hf("X-No-Match: yes\r\n"); }
    if (replace_body_atonce("c=IN IP4 10\.0\.0\.1", "c=IN IP4 192.0.2.9")) {
        append_hf("X-Atonce: yes\r\n");
    }
    if (search_body("m=audio")) { append_hf("X-Audio: yes\r\n"); }
    $du = "sip:127.0.0.1:" + $hdr(X-Peer);
    forward();
}"#;

/// What a 2.x script loads for these calls: sipmsgops (`append_hf`), textops, uri.
fn modules_2x() -> &'static str {
    "loadmodule \"sipmsgops.so\"\nloadmodule \"textops.so\"\nloadmodule \"uri.so\"\n"
}

/// Sends an INVITE with an SDP body to `ruri`; returns what the peer received.
fn forwarded(server: &Server, ruri: &str) -> String {
    let peer = UdpClient::new();
    let c = UdpClient::new();
    let req = request_with_body(
        "INVITE",
        ruri,
        c.port(),
        next(),
        &format!("X-Peer: {}\r\n", peer.port()),
        SDP,
    )
    .replace("Content-Type: text/plain", "Content-Type: application/sdp");
    c.send(server, req.as_bytes());
    peer.recv()
        .unwrap_or_else(|| panic!("nothing forwarded; log:\n{}", server.log_text()))
}

#[test]
fn textops_and_uri_edit_under_their_2x_names() {
    let s = Server::start(&config_2x(modules_2x(), EDIT_ROUTES));
    let got = forwarded(&s, "sip:bob@example.com;transport=udp;lr");
    assert!(
        got.starts_with("INVITE sip:bob@example.com;lr;nat=yes SIP/2.0\r\n"),
        "del_uri_param then add_uri_param: {got}"
    );
    assert_eq!(header(&got, "X-Udp"), Some("yes"), "{got}");
    assert_eq!(header(&got, "X-Tcp"), None, "{got}");
    assert_eq!(header(&got, "X-Nosuch"), None, "{got}");
    assert_eq!(header(&got, "X-Subst-Body"), Some("yes"), "{got}");
    assert_eq!(header(&got, "X-No-Match"), Some("yes"), "{got}");
    assert_eq!(header(&got, "X-Atonce"), Some("yes"), "{got}");
    assert_eq!(header(&got, "X-Audio"), Some("yes"), "{got}");
    let body = got.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    assert!(body.contains("o=siplua 1 1 IN IP4 10.0.0.1\r\n"), "{body}");
    assert!(body.contains("c=IN IP4 192.0.2.9\r\n"), "{body}");
    assert!(!body.contains("10.0.0.1\r\nt="), "{body}");
    let len: usize = header(&got, "Content-Length").unwrap().parse().unwrap();
    assert_eq!(len, body.len(), "Content-Length follows the body: {got}");

    let got = forwarded(&s, "sip:tel@example.com");
    assert!(
        got.starts_with("INVITE sip:+4930123@example.com;user=phone SIP/2.0\r\n"),
        "tel2sip takes the From host: {got}"
    );
    assert_eq!(header(&got, "X-Tel2sip"), Some("yes"), "{got}");
}

/// Every check, its return code in a reply header.
const CHECK_ROUTES: &str = r#"route {
    if (!www_authorize("example.com", "subscriber")) {
        www_challenge("example.com");
        exit;
    }
    db_check_to(); $var(to) = $rc;
    db_check_from(); $var(from) = $rc;
    db_does_uri_exist(); $var(exists) = $rc;
    # auth_db's 3.x function of the same name, told apart by its arguments.
    if (db_does_uri_exist("sip:bob@example.com", "subscriber")) {
        append_to_reply("X-Bob-3x: yes\r\n");
    }
    $var(alice) = "no";
    if (is_user("alice")) { $var(alice) = "yes"; }
    $var(bob) = "no";
    if (is_user("bob")) { $var(bob) = "yes"; }
    if (db_get_auth_id("sip:$hdr(X-Lookup)@example.com", $avp(auth_user), $avp(auth_realm))) {
        append_to_reply("X-Auth-Id: $avp(auth_user)@$avp(auth_realm)\r\n");
    } else {
        append_to_reply("X-Auth-Id-RC: $rc\r\n");
    }
    append_to_reply("X-To: $var(to)\r\nX-From: $var(from)\r\nX-Exists: $var(exists)\r\n");
    append_to_reply("X-Alice: $var(alice)\r\nX-Bob: $var(bob)\r\n");
    sl_send_reply(200, "Checked");
}"#;

fn check_server(extra: &str) -> Server {
    let dir = scratch("compat2x");
    write_db(&dir.join("db"));
    std::fs::write(
        dir.join("db/uri"),
        "id(int,auto) username(string) domain(string) uri_user(string) last_modified(string)\n\
         1:alice:example.com:bob:x\n",
    )
    .expect("uri table");
    let modules = format!(
        "loadmodule \"db_text.so\"\nloadmodule \"signaling.so\"\nloadmodule \"sipmsgops.so\"\n\
         loadmodule \"auth.so\"\n\
         loadmodule \"auth_db.so\"\nloadmodule \"uri.so\"\n\
         modparam(\"auth_db\", \"db_url\", \"text://{{DIR}}/db\")\n\
         modparam(\"auth_db\", \"calculate_ha1\", 1)\n\
         modparam(\"uri\", \"db_url\", \"text://{{DIR}}/db\")\n{extra}"
    );
    Server::start_in(&dir, &config_2x(&modules, CHECK_ROUTES))
}

/// Sends a REGISTER to `sip:{ruri_user}@example.com` answering the challenge as alice; the
/// To header names `to_user`; `X-Lookup` names the user for `db_get_auth_id`.
fn checked(s: &Server, ruri_user: &str, to_user: &str, lookup: &str) -> String {
    let c = UdpClient::new();
    let ruri = format!("sip:{ruri_user}@example.com");
    let send = |auth: Option<&str>| {
        let extra = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        let req = request_with_body(
            "REGISTER",
            &ruri,
            c.port(),
            next(),
            &format!("{extra}X-Lookup: {lookup}\r\n"),
            "",
        )
        .replace(
            "To: <sip:alice@example.com>",
            &format!("To: <sip:{to_user}@example.com>"),
        );
        c.request(s, &req)
            .unwrap_or_else(|| panic!("no reply; log:\n{}", s.log_text()))
    };
    let r = send(None);
    let ch = challenges(&r, "WWW-Authenticate")
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no challenge: {r}"));
    let answer = Answer {
        username: "alice",
        password: PASSWORD,
        method: "REGISTER",
        uri: &ruri,
        qop: None,
        body: b"",
    };
    let r = send(Some(&credentials(&ch, &answer)));
    assert_eq!(status(&r), 200, "{r}\n{}", s.log_text());
    r
}

#[test]
fn uri_checks_compare_credentials_and_read_the_database() {
    let s = check_server("");
    let r = checked(&s, "alice", "alice", "bob");
    assert_eq!(header(&r, "X-To"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-From"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-Exists"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-Alice"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Bob"), Some("no"), "{r}");
    assert_eq!(header(&r, "X-Auth-Id"), Some("bob@example.com"), "{r}");
    assert_eq!(header(&r, "X-Bob-3x"), Some("yes"), "{r}");

    // Another To user than the digest user: -10 (no match); a Request-URI user with no
    // subscriber row: -5; db_get_auth_id of an unknown user: -4.
    let r = checked(&s, "carol", "bob", "carol");
    assert_eq!(header(&r, "X-To"), Some("-10"), "{r}");
    assert_eq!(header(&r, "X-From"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-Exists"), Some("-5"), "{r}");
    assert_eq!(header(&r, "X-Auth-Id-RC"), Some("-4"), "{r}");
}

#[test]
fn use_uri_table_checks_the_uri_table() {
    let s = check_server(
        "modparam(\"uri\", \"use_uri_table\", 1)\nmodparam(\"uri\", \"db_table\", \"uri\")\n",
    );
    // The uri table lets alice use the user name bob, not alice.
    let r = checked(&s, "bob", "bob", "bob");
    assert_eq!(header(&r, "X-To"), Some("1"), "{r}");
    assert_eq!(header(&r, "X-From"), Some("-9"), "spoofed: {r}");
    assert_eq!(header(&r, "X-Exists"), Some("1"), "uri_user bob: {r}");
    assert_eq!(header(&r, "X-Auth-Id"), Some("alice@example.com"), "{r}");
}

#[test]
fn setdebug_gives_the_worker_its_own_level() {
    let s = Server::start(&config_2x(
        "",
        r#"route {
            xlog("L_DBG", "before-setdebug $rU\n");
            setdebug(4);
            xlog("L_DBG", "after-setdebug $rU\n");
            resetdebug();
            xlog("L_DBG", "after-resetdebug $rU\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let r = c.ask(&s, &request("OPTIONS", "sip:dbg@127.0.0.1", c.port(), ""));
    assert_eq!(status(&r), 200, "{r}");
    assert!(s.wait_log("after-setdebug dbg"), "{}", s.log_text());
    let log = s.log_text();
    assert!(!log.contains("before-setdebug"), "{log}");
    assert!(!log.contains("after-resetdebug"), "{log}");
}

#[test]
fn a_2x_config_loading_textops_and_uri_checks() {
    let db = scratch("compat2x-check").join("db");
    write_db(&db);
    let modules = format!(
        "loadmodule \"textops.so\"\nloadmodule \"uri.so\"\nloadmodule \"uri_db.so\"\n\
         loadmodule \"db_text.so\"\n\
         modparam(\"uri\", \"aaa_url\", \"radius:/etc/radiusclient-ng/radiusclient.conf\")\n\
         modparam(\"uri\", \"service_type\", 11)\n\
         modparam(\"uri_db\", \"db_url\", \"text://{}\")\n",
        db.display()
    );
    let text = config_2x(
        &modules,
        r#"route {
            if (has_totag() && uri_param("lr")) { exit; }
            if (is_user("alice") || check_to() || check_from()) { setdebug(1); }
            if (does_uri_exist()) { resetdebug(); }
            replace_all("a", "b");
            search_append("x", "y");
            subst('/a/b/');
            subst_uri('/a/b/');
            subst_user('/a/b/');
            subst_body('/a/b/');
            replace_body_atonce("a", "b");
            if (is_uri_user_e164("$fu")) { tel2sip(); }
            sl_send_reply(200, "OK");
        }"#,
    )
    .replace("{PORT}", &free_port().to_string());
    let (out, _) = check_config("compat2x.cfg", &text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn module_functions_need_their_module() {
    let port = free_port().to_string();
    let without_uri = config_2x(
        "loadmodule \"textops.so\"\n",
        "route {\n    uri_param(\"lr\");\n}",
    )
    .replace("{PORT}", &port);
    let (out, path) = check_config("compat2x-no-uri.cfg", &without_uri);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display()))
            && err.contains("unknown function 'uri_param'"),
        "{err}"
    );

    let no_db = config_2x(
        "loadmodule \"uri.so\"\n",
        "route {\n    db_does_uri_exist();\n}",
    )
    .replace("{PORT}", &port);
    let (out, _) = check_config("compat2x-no-db.cfg", &no_db);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("db_does_uri_exist needs a database: set modparam(\"uri\", \"db_url\""),
        "{err}"
    );

    let no_textops = config_2x("", "route {\n    subst_body('/a/b/');\n}").replace("{PORT}", &port);
    let (out, _) = check_config("compat2x-no-textops.cfg", &no_textops);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown function 'subst_body'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cfgutils_abort_stops_the_server() {
    let mut s = Server::start(&config_2x(
        "loadmodule \"cfgutils.so\"\n",
        r#"route {
            if ($rU == "abort") { abort(); }
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let r = c.ask(&s, &request("OPTIONS", "sip:alive@127.0.0.1", c.port(), ""));
    assert_eq!(status(&r), 200, "{r}");
    c.send(
        &s,
        request("OPTIONS", "sip:abort@127.0.0.1", c.port(), "").as_bytes(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while s.is_running() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!s.is_running(), "abort() ends the process");
    assert!(
        s.log_text().contains("abort() called from the script"),
        "{}",
        s.log_text()
    );
}
