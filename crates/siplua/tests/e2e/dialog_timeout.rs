//! `dlg_on_timeout` end to end: a call that rings past its lifetime runs the timeout route
//! in its dialog's context (on the timer thread), which may give it more time with
//! `$DLG_timeout`; once the route lets it go, the dialog ends. An established dialog refuses
//! a timeout route.

use crate::common;

use std::time::{Duration, Instant};

use common::*;

fn proxy_cfg(next_hop: u16) -> String {
    udp_proxy_cfg(
        1,
        &["sl", "tm", "rr", "signaling", "sipmsgops", "dialog"],
        &format!(
            r#"
modparam("dialog", "default_timeout", 1)

route {{
    if (is_method("OPTIONS")) {{
        append_to_reply("X-Count: $DLG_count\r\n");
        sl_send_reply(200, "Counted");
        exit;
    }}
    if (is_method("INVITE") && !has_totag()) {{
        create_dialog();
        $dlg_val(callee) = $rU;
        $dlg_val(rounds) = "0";
        dlg_on_timeout("expired");
        xlog("L_INFO", "TIMEOUT armed rc=$rc\n");
        t_relay("udp:127.0.0.1:{next_hop}");
        exit;
    }}
    if (has_totag()) {{
        if (is_method("ACK") && $DLG_status != NULL) {{
            dlg_on_timeout("expired");
            xlog("L_INFO", "TIMEOUT after answer rc=$rc\n");
        }}
        t_relay();
    }}
}}

route[expired] {{
    $var(r) = $dlg_val(rounds);
    xlog("L_INFO", "TIMEOUT route callee=$dlg_val(callee) round=$var(r) status=$DLG_status\n");
    if ($var(r) == "0") {{
        $dlg_val(rounds) = "1";
        $DLG_timeout = 1;
    }}
}}
"#
        ),
    )
}

fn count(server: &Server) -> String {
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:q@example.com", c.port(), "");
    let reply = c.request(server, &req).expect("OPTIONS answered");
    header(&reply, "X-Count").unwrap_or("").to_owned()
}

#[test]
fn the_timeout_route_runs_may_extend_the_dialog_and_then_it_ends() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port()));
    let c = UdpClient::new();
    let invite = request("INVITE", "sip:bob@example.com", c.port(), "");
    let start = Instant::now();
    c.send(&server, invite.as_bytes());
    let (got, from) = hop.recv(&server);
    hop.sock
        .send_to(reply_to(&got, 180, "Ringing").as_bytes(), from)
        .unwrap();
    assert!(
        server.wait_log("TIMEOUT armed rc=1"),
        "{}",
        server.log_text()
    );
    assert_eq!(count(&server), "1");
    // After 1 s the route runs (round 0) and gives the call 1 s more.
    assert!(
        server.wait_log("TIMEOUT route callee=bob round=0 status=2"),
        "{}",
        server.log_text()
    );
    assert!(start.elapsed() >= Duration::from_millis(900));
    assert_eq!(count(&server), "1", "extended: still there");
    // Then it runs again (round 1), does not extend, and the dialog ends.
    assert!(
        server.wait_log("TIMEOUT route callee=bob round=1 status=2"),
        "{}",
        server.log_text()
    );
    assert!(start.elapsed() >= Duration::from_millis(1800));
    let deadline = Instant::now() + Duration::from_secs(2);
    while count(&server) != "0" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count(&server), "0");
    let log = server.log_text();
    assert_eq!(log.matches("TIMEOUT route").count(), 2, "{log}");
}

#[test]
fn an_established_dialog_refuses_a_timeout_route() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port()));
    let c = UdpClient::new();
    let invite = request("INVITE", "sip:bob@example.com", c.port(), "");
    c.send(&server, invite.as_bytes());
    let (got, from) = hop.recv(&server);
    let ok = reply_to(&got, 200, "OK");
    hop.sock.send_to(ok.as_bytes(), from).unwrap();
    let answer = recv_final(&c).expect("200 relayed");
    assert_eq!(status(&answer), 200);
    let to = header(&answer, "To").unwrap().to_owned();
    let ack = request("ACK", "sip:bob@127.0.0.1", c.port(), "")
        .replace("To: <sip:bob@example.com>", &format!("To: {to}"));
    let call_id = header(&invite, "Call-ID").unwrap();
    let from_hdr = header(&invite, "From").unwrap();
    let ack = ack
        .lines()
        .map(|l| {
            if l.starts_with("Call-ID:") {
                format!("Call-ID: {call_id}")
            } else if l.starts_with("From:") {
                format!("From: {from_hdr}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    c.send(&server, ack.as_bytes());
    assert!(
        server.wait_log("TIMEOUT after answer rc=-1"),
        "{}",
        server.log_text()
    );
}

#[test]
fn a_timeout_route_that_does_not_exist_is_a_load_error() {
    let (out, path) = check_config(
        "dlg_on_timeout_missing.cfg",
        "loadmodule \"proto_udp.so\"\nloadmodule \"tm.so\"\nloadmodule \"dialog.so\"\n\
         socket = udp:127.0.0.1:5999\nroute {\n    dlg_on_timeout(\"nosuch\");\n}\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let at = format!("{}:6:", path.display());
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&at) && l.contains("no route[nosuch] is defined")),
        "{stderr}"
    );
}
