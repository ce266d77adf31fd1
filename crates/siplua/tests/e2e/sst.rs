//! `sst` (SIP Session Timers, RFC 4028) end to end: `sstCheckMin("1")` answers a too small
//! Session-Expires with 422 and the proxy's Min-SE; a flagged dialog's lifetime follows the
//! interval its 2xx negotiated — it is gone once the interval passes without a refresh, and
//! kept while re-INVITEs refresh it; when the caller supports timers but asked for none, the
//! proxy asks for `sst_interval` and tells the caller in the 2xx; the 422 `create_dialog()`
//! sends stops a later `t_relay()`; bad parameters are load errors.

use crate::common;

use std::time::{Duration, Instant};

use common::*;

fn proxy_cfg(next_hop: u16, params: &str) -> String {
    udp_proxy_cfg(
        1,
        &["sl", "tm", "signaling", "sipmsgops", "dialog", "sst"],
        &format!(
            r#"
modparam("sst", "sst_flag", "SST_FLAG")
{params}

route {{
    if (is_method("OPTIONS")) {{
        append_to_reply("X-Count: $DLG_count\r\n");
        sl_send_reply(200, "Counted");
        exit;
    }}
    if (is_method("INVITE") && !has_totag()) {{
        if (!is_present_hf("X-No-Check") && sstCheckMin("1")) {{
            xlog("L_INFO", "SST too small\n");
            exit;
        }}
        setflag(SST_FLAG);
        create_dialog();
    }}
    t_relay("udp:127.0.0.1:{next_hop}");
}}
"#
        ),
    )
}

/// Active dialogs, read through an OPTIONS answered by the script.
fn count(server: &Server) -> String {
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:q@example.com", c.port(), "");
    let reply = c.request(server, &req).expect("OPTIONS answered");
    header(&reply, "X-Count").unwrap_or("").to_owned()
}

/// A request of the call `invite` started, from the caller: same Call-ID, From and To (with
/// the callee's tag `t200`), a branch of its own and a new CSeq.
fn in_dialog(invite: &str, method: &str, cseq: u32, extra: &str) -> String {
    let mut out = format!("{method} sip:bob@127.0.0.1 SIP/2.0\r\n");
    for line in invite.split("\r\n").skip(1) {
        let name = line.split(':').next().unwrap_or("").trim();
        match name.to_ascii_lowercase().as_str() {
            "via" => out.push_str(&format!(
                "{}\r\n",
                line.replace(
                    "branch=z9hG4bK-",
                    &format!("branch=z9hG4bK-{method}{cseq}-")
                )
            )),
            "from" | "call-id" | "max-forwards" => out.push_str(&format!("{line}\r\n")),
            "to" => out.push_str(&format!("{line};tag=t200\r\n")),
            _ => {}
        }
    }
    out.push_str(&format!(
        "CSeq: {cseq} {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    ));
    out
}

/// `reply_to` with extra header lines before the body.
fn reply_with(req: &str, code: u16, extra: &str) -> String {
    reply_to(req, code, "OK").replace(
        "Content-Length: 0\r\n",
        &format!("{extra}Content-Length: 0\r\n"),
    )
}

/// Sets up a call whose INVITE carries `invite_extra` and whose 200 carries `ok_extra`;
/// returns the caller's INVITE, the INVITE the next hop got and the 200 the caller got.
fn call(
    server: &Server,
    hop: &NextHop,
    c: &UdpClient,
    invite_extra: &str,
    ok_extra: &str,
) -> (String, String, String) {
    let invite = request("INVITE", "sip:bob@example.com", c.port(), invite_extra);
    c.send(server, invite.as_bytes());
    let (got, from) = hop.recv(server);
    hop.sock
        .send_to(reply_with(&got, 200, ok_extra).as_bytes(), from)
        .unwrap();
    let ok = recv_final(c).expect("200 relayed");
    assert_eq!(status(&ok), 200, "{ok}");
    c.send(server, in_dialog(&invite, "ACK", 1, "").as_bytes());
    let (ack, _) = hop.recv(server);
    assert!(ack.starts_with("ACK "), "{ack}");
    (invite, got, ok)
}

/// Waits until the active dialog count is `want` (up to `limit`); true when it got there.
fn wait_count(server: &Server, want: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if count(server) == want {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn a_too_small_session_expires_gets_422_with_min_se() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port(), r#"modparam("sst", "min_se", 300)"#));
    let c = UdpClient::new();
    let small = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        "Session-Expires: 120\r\nSupported: timer\r\n",
    );
    let reply = c.request(&server, &small).expect("answered");
    assert_eq!(status(&reply), 422, "{reply}");
    assert_eq!(reason(&reply), "Session Timer Too Small");
    assert_eq!(header(&reply, "Min-SE"), Some("300"), "{reply}");
    assert!(server.wait_log("SST too small"), "{}", server.log_text());
    // As in OpenSIPS, an INVITE without Min-SE is taken to ask for a floor of 90 s, below
    // 300: rejected too, whatever its Session-Expires.
    let no_floor = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        "Session-Expires: 1800\r\nSupported: timer\r\n",
    );
    let reply = c.request(&server, &no_floor).expect("answered");
    assert_eq!(status(&reply), 422, "{reply}");
    // Retried as RFC 4028 has the caller do after a 422 (Min-SE raised to the 422's):
    // relayed untouched, and a dialog is made for it.
    let fine = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        "Session-Expires: 1800\r\nMin-SE: 300\r\nSupported: timer\r\n",
    );
    c.send(&server, fine.as_bytes());
    let (got, _) = hop.recv(&server);
    assert!(got.starts_with("INVITE "), "{got}");
    assert_eq!(header(&got, "Session-Expires"), Some("1800"), "{got}");
    assert_eq!(header(&got, "Min-SE"), Some("300"), "{got}");
    assert_eq!(count(&server), "1");
}

#[test]
fn a_call_not_refreshed_within_its_interval_is_ended() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port(), r#"modparam("sst", "min_se", 1)"#));
    let c = UdpClient::new();
    let start = Instant::now();
    call(
        &server,
        &hop,
        &c,
        "Session-Expires: 2\r\nSupported: timer\r\n",
        "Session-Expires: 2;refresher=uac\r\nRequire: timer\r\n",
    );
    assert_eq!(count(&server), "1");
    assert!(
        wait_count(&server, "0", Duration::from_secs(4)),
        "the dialog outlived its 2 s session interval; log:\n{}",
        server.log_text()
    );
    assert!(start.elapsed() >= Duration::from_millis(1900));
}

#[test]
fn a_refreshed_call_is_kept() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port(), r#"modparam("sst", "min_se", 1)"#));
    let c = UdpClient::new();
    let (invite, _, _) = call(
        &server,
        &hop,
        &c,
        "Session-Expires: 2\r\nSupported: timer\r\n",
        "Session-Expires: 2;refresher=uac\r\nRequire: timer\r\n",
    );
    let acked = Instant::now();
    // Refresh after 1.2 s: the re-INVITE and its 200 restart the 2 s interval.
    std::thread::sleep(Duration::from_millis(1200));
    let refresh = in_dialog(&invite, "INVITE", 2, "Session-Expires: 2;refresher=uac\r\n");
    c.send(&server, refresh.as_bytes());
    let (got, from) = hop.recv(&server);
    assert!(got.starts_with("INVITE "), "{got}");
    hop.sock
        .send_to(
            reply_with(&got, 200, "Session-Expires: 2;refresher=uac\r\n").as_bytes(),
            from,
        )
        .unwrap();
    assert_eq!(status(&recv_final(&c).expect("200 relayed")), 200);
    c.send(&server, in_dialog(&invite, "ACK", 2, "").as_bytes());
    // Past the first interval (2 s after the ACK): still there.
    std::thread::sleep(Duration::from_millis(2500).saturating_sub(acked.elapsed()));
    assert_eq!(count(&server), "1", "{}", server.log_text());
    // Not refreshed again: it ends once the new interval passes.
    assert!(
        wait_count(&server, "0", Duration::from_secs(3)),
        "{}",
        server.log_text()
    );
}

#[test]
fn the_proxy_asks_for_sst_interval_and_tells_the_caller() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(
        hop.port(),
        "modparam(\"sst\", \"min_se\", 1)\nmodparam(\"sst\", \"sst_interval\", 2)",
    ));
    let c = UdpClient::new();
    // The caller supports timers but asks for no interval; the callee answers without one.
    let (_, got, ok) = call(&server, &hop, &c, "Supported: timer\r\n", "");
    assert_eq!(header(&got, "Session-Expires"), Some("2"), "{got}");
    assert_eq!(
        header(&ok, "Session-Expires"),
        Some("2;refresher=uac"),
        "{ok}"
    );
    assert_eq!(header(&ok, "Require"), Some("timer"), "{ok}");
    assert_eq!(count(&server), "1");
    assert!(
        wait_count(&server, "0", Duration::from_secs(4)),
        "{}",
        server.log_text()
    );
}

#[test]
fn create_dialog_raises_min_se_or_rejects_by_itself() {
    let hop = NextHop::new();
    let server = Server::start(&proxy_cfg(hop.port(), r#"modparam("sst", "min_se", 300)"#));
    let c = UdpClient::new();
    // A caller without timer support cannot take a 422: its Min-SE is raised instead.
    let plain = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        "X-No-Check: 1\r\nSession-Expires: 120\r\nMin-SE: 100\r\n",
    );
    c.send(&server, plain.as_bytes());
    let (got, _) = hop.recv(&server);
    assert_eq!(headers(&got, "Min-SE"), vec!["300"], "{got}");
    assert_eq!(header(&got, "Session-Expires"), Some("120"), "{got}");
    assert_eq!(count(&server), "1");
    // One that supports timers gets the 422 from create_dialog (reject_to_small), with
    // the larger of min_se and its own Min-SE; its dialog ends.
    let timed = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        "X-No-Check: 1\r\nSession-Expires: 120\r\nMin-SE: 400\r\nSupported: timer\r\n",
    );
    c.send(&server, timed.as_bytes());
    let reply = recv_final(&c).expect("answered");
    assert_eq!(status(&reply), 422, "{reply}");
    assert_eq!(header(&reply, "Min-SE"), Some("400"), "{reply}");
    assert_eq!(count(&server), "1");
}

#[test]
fn the_422_of_create_dialog_stops_the_later_t_relay() {
    let hop = NextHop::new();
    hop.sock
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let server = Server::start(&proxy_cfg(hop.port(), r#"modparam("sst", "min_se", 300)"#));
    let c = UdpClient::new();
    // The script has no sstCheckMin: create_dialog() answers 422 and the t_relay() after it
    // finds the request answered, so the callee never sees the INVITE.
    let timed = request(
        "INVITE",
        "sip:bob@example.com",
        c.port(),
        "X-No-Check: 1\r\nSession-Expires: 120\r\nSupported: timer\r\n",
    );
    c.send(&server, timed.as_bytes());
    let reply = recv_final(&c).expect("answered");
    assert_eq!(status(&reply), 422, "{reply}");
    // The caller acknowledges the 422 (hop by hop: the proxy absorbs the ACK).
    let to = header(&reply, "To").expect("To in the 422");
    let ack = timed
        .replacen("INVITE sip:", "ACK sip:", 1)
        .replace("To: <sip:bob@example.com>", &format!("To: {to}"))
        .replace(" INVITE\r\n", " ACK\r\n");
    c.send(&server, ack.as_bytes());
    let leaked = recv_datagram(&hop.sock);
    assert!(
        leaked.is_none(),
        "the callee got {leaked:?}; server log:\n{}",
        server.log_text()
    );
    assert!(
        server.log_text().contains("already answered 422"),
        "{}",
        server.log_text()
    );
    assert_eq!(count(&server), "0");
}

#[test]
fn bad_parameters_are_load_errors() {
    let head = "loadmodule \"proto_udp.so\"\nloadmodule \"sl.so\"\nloadmodule \"tm.so\"\n\
                loadmodule \"signaling.so\"\nloadmodule \"dialog.so\"\nloadmodule \"sst.so\"\n\
                socket = udp:127.0.0.1:5999\n";
    let cases = [
        (
            "sst_min_se",
            "modparam(\"sst\", \"sst_flag\", \"F\")\nmodparam(\"sst\", \"min_se\", -5)\n",
            Some(9),
            "min_se must be 0 or more seconds",
        ),
        (
            "sst_interval",
            "modparam(\"sst\", \"sst_flag\", \"F\")\nmodparam(\"sst\", \"sst_interval\", -1)\n",
            Some(9),
            "sst_interval must be 0 or more seconds",
        ),
        (
            "sst_flag_name",
            "modparam(\"sst\", \"sst_flag\", \"no good\")\n",
            Some(8),
            "sst_flag: invalid flag name",
        ),
        (
            "sst_flag_range",
            "modparam(\"sst\", \"sst_flag\", \"64\")\n",
            Some(8),
            "sst_flag: flag 64 is out of range",
        ),
        ("sst_no_flag", "", None, "the sst_flag parameter is not set"),
    ];
    for (name, body, line, message) in cases {
        let (out, path) = check_config(
            &format!("{name}.cfg"),
            &format!("{head}{body}route {{ exit; }}\n"),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: loaded although broken\n{stderr}"
        );
        let found = stderr.lines().any(|l| {
            l.contains(message)
                && line.is_none_or(|n| l.starts_with(&format!("{}:{n}:", path.display())))
        });
        assert!(
            found,
            "{name}: expected {message:?} (line {line:?}) in\n{stderr}"
        );
    }
    // A good configuration loads.
    let (out, _) = check_config(
        "sst_good.cfg",
        &format!("{head}modparam(\"sst\", \"sst_flag\", \"SST\")\nmodparam(\"sst\", \"timeout_avp\", \"$avp(t)\")\nroute {{ if (sstCheckMin(\"1\")) exit; }}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
