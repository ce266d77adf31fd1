//! dialog functions that reach other dialogs, end to end over UDP: two calls are set up
//! through a real siplua (their INVITEs relayed to a next hop played by the test, which
//! lets them ring), then OPTIONS requests query them from outside their dialogs with
//! `get_dialog_info`, `get_dialog_vals` and `load_dialog_ctx` / `unload_dialog_ctx`, and
//! report what they found in reply headers.

use crate::common;

use common::*;

fn proxy_cfg(next_hop: u16) -> String {
    udp_proxy_cfg(
        1,
        &["sl", "tm", "rr", "signaling", "sipmsgops", "dialog"],
        &format!(
            r#"

route {{
    if (is_method("OPTIONS")) {{
        $var(n) = 0;
        $avp(callees) := NULL;
        $avp(names) := NULL;
        $avp(vals) := NULL;
        if ($hdr(X-Op) == "info") {{
            get_dialog_info("callee", $avp(callees), "caller", "$hdr(X-Caller)", $var(n));
            append_to_reply("X-Rc: $rc\r\nX-N: $var(n)\r\nX-Callees: $(avp(callees)[*])\r\n");
        }} else if ($hdr(X-Op) == "vals") {{
            get_dialog_vals($avp(names), $avp(vals), "$hdr(X-Callid)");
            append_to_reply("X-Rc: $rc\r\nX-Names: $(avp(names)[*])\r\nX-Vals: $(avp(vals)[*])\r\n");
        }} else if ($hdr(X-Op) == "load") {{
            if ($DLG_status == NULL) append_to_reply("X-Before: none\r\n");
            if (load_dialog_ctx("$hdr(X-Callid)")) {{
                $var(did) = $DLG_did;
                append_to_reply("X-Loaded: $DLG_status $dlg_val(callee)\r\n");
                if (!load_dialog_ctx("$hdr(X-Callid)")) append_to_reply("X-Nested: refused\r\n");
                unload_dialog_ctx();
                if ($DLG_status == NULL) append_to_reply("X-After: none\r\n");
                if (!unload_dialog_ctx()) append_to_reply("X-Unload-Again: refused\r\n");
                if (load_dialog_ctx("$var(did)", "did")) {{
                    append_to_reply("X-By-Did: $dlg_val(callee)\r\n");
                    unload_dialog_ctx();
                }}
            }} else {{
                append_to_reply("X-Loaded: no\r\n");
            }}
        }}
        sl_send_reply(200, "Queried");
        exit;
    }}
    if (is_method("INVITE") && !has_totag()) {{
        create_dialog();
        $dlg_val(caller) = $fU;
        $dlg_val(callee) = $rU;
        t_relay("udp:127.0.0.1:{next_hop}");
        exit;
    }}
    if (has_totag()) {{
        t_relay();
    }}
}}
"#
        ),
    )
}

/// Sends an OPTIONS with `extra` headers and returns the reply.
fn query(server: &Server, extra: &str) -> String {
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:q@example.com", c.port(), extra);
    let reply = c.request(server, &req).expect("OPTIONS answered");
    assert_eq!(status(&reply), 200, "{reply}");
    reply
}

fn h(reply: &str, name: &str) -> String {
    header(reply, name).unwrap_or("").to_owned()
}

/// An INVITE from `from_user` to `to_user` relayed to the next hop, which answers 180.
/// Returns the caller, the INVITE as the next hop got it and its Call-ID.
fn ringing_call(
    server: &Server,
    hop: &NextHop,
    from_user: &str,
    to_user: &str,
) -> (UdpClient, String, String) {
    let c = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:{to_user}@example.com"),
        c.port(),
        "",
    )
    .replace(
        "<sip:alice@example.com>",
        &format!("<sip:{from_user}@example.com>"),
    );
    let call_id = header(&invite, "Call-ID").unwrap().to_owned();
    c.send(server, invite.as_bytes());
    let (got, from) = hop.recv(server);
    assert!(got.starts_with("INVITE "), "{got}");
    hop.sock
        .send_to(reply_to(&got, 180, "Ringing").as_bytes(), from)
        .unwrap();
    (c, got, call_id)
}

#[test]
fn get_dialog_info_finds_every_dialog_with_the_key_value() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port()));
    let (_a, _, _) = ringing_call(&server, &hop, "alice", "bob");
    let (_b, _, _) = ringing_call(&server, &hop, "alice", "carol");
    let (_c, _, _) = ringing_call(&server, &hop, "dave", "erin");

    let r = query(&server, "X-Op: info\r\nX-Caller: alice\r\n");
    assert_eq!(h(&r, "X-Rc"), "2", "{r}");
    assert_eq!(h(&r, "X-N"), "2", "{r}");
    let mut callees: Vec<String> = h(&r, "X-Callees").split(',').map(str::to_owned).collect();
    callees.sort();
    assert_eq!(callees, ["bob", "carol"], "{r}");

    let r = query(&server, "X-Op: info\r\nX-Caller: dave\r\n");
    assert_eq!(
        (h(&r, "X-Rc"), h(&r, "X-Callees")),
        ("1".into(), "erin".into())
    );

    let r = query(&server, "X-Op: info\r\nX-Caller: nobody\r\n");
    assert_eq!(h(&r, "X-Rc"), "-1", "{r}");
    assert_eq!(h(&r, "X-N"), "0", "{r}");
}

#[test]
fn a_failed_call_is_no_longer_found() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port()));
    let (_a, _, _) = ringing_call(&server, &hop, "alice", "bob");
    let (b, invite, call_id) = ringing_call(&server, &hop, "alice", "carol");
    // The second callee declines: that dialog ends.
    hop.sock
        .send_to(
            reply_to(&invite, 486, "Busy Here").as_bytes(),
            server.addr(),
        )
        .unwrap();
    assert_eq!(status(&recv_final(&b).expect("486 relayed")), 486);
    let r = query(&server, "X-Op: info\r\nX-Caller: alice\r\n");
    assert_eq!(
        (h(&r, "X-Rc"), h(&r, "X-Callees")),
        ("1".into(), "bob".into()),
        "{r}"
    );
    // get_dialog_vals only sees dialogs that have not ended.
    let r = query(&server, &format!("X-Op: vals\r\nX-Callid: {call_id}\r\n"));
    assert_eq!(h(&r, "X-Rc"), "-1", "{r}");
}

#[test]
fn get_dialog_vals_returns_names_and_values_side_by_side() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port()));
    let (_a, _, call_id) = ringing_call(&server, &hop, "alice", "bob");
    let r = query(&server, &format!("X-Op: vals\r\nX-Callid: {call_id}\r\n"));
    assert_eq!(h(&r, "X-Rc"), "1", "{r}");
    assert_eq!(h(&r, "X-Names"), "callee,caller", "{r}");
    assert_eq!(h(&r, "X-Vals"), "bob,alice", "{r}");
    let r = query(&server, "X-Op: vals\r\nX-Callid: no-such-call\r\n");
    assert_eq!(h(&r, "X-Rc"), "-1", "{r}");
}

#[test]
fn load_dialog_ctx_makes_another_dialog_current_until_unloaded() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port()));
    let (_a, _, call_id) = ringing_call(&server, &hop, "alice", "bob");
    let r = query(&server, &format!("X-Op: load\r\nX-Callid: {call_id}\r\n"));
    assert_eq!(h(&r, "X-Before"), "none", "{r}");
    // Early: the 180 carried a To tag.
    assert_eq!(h(&r, "X-Loaded"), "2 bob", "{r}");
    assert_eq!(h(&r, "X-Nested"), "refused", "{r}");
    assert_eq!(h(&r, "X-After"), "none", "{r}");
    assert_eq!(h(&r, "X-Unload-Again"), "refused", "{r}");
    assert_eq!(h(&r, "X-By-Did"), "bob", "{r}");
    let r = query(&server, "X-Op: load\r\nX-Callid: unknown\r\n");
    assert_eq!(h(&r, "X-Loaded"), "no", "{r}");
}

#[test]
fn bad_constant_arguments_are_load_errors() {
    let head = "loadmodule \"proto_udp.so\"\nloadmodule \"tm.so\"\nloadmodule \"dialog.so\"\n\
                socket = udp:127.0.0.1:5999\n";
    for (name, call, message) in [
        (
            "dlg_id_type",
            "load_dialog_ctx(\"x\", \"tag\");",
            "unsupported dialog identifier type",
        ),
        (
            "dlg_info_var",
            "get_dialog_info(\"a\", $var(x), \"k\", \"v\");",
            "must be an AVP",
        ),
        (
            "dlg_vals_var",
            "get_dialog_vals($avp(n), $var(v), \"c\");",
            "must be an AVP",
        ),
    ] {
        let (out, path) = check_config(
            &format!("{name}.cfg"),
            &format!("{head}route {{\n    {call}\n}}\n"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} loaded:\n{stderr}");
        let at = format!("{}:6:", path.display());
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&at) && l.contains(message)),
            "{name}: expected {at} ... {message}\n{stderr}"
        );
    }
}
