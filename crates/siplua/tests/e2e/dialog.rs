//! dialog end to end: SIPp calls through a real siplua that creates dialogs, follows their
//! states (`$DLG_status` 3 → 4 on the ACK, 5 on the BYE, `$DLG_dir`), keeps values and
//! profiles (`get_profile_size` in both forms, `$DLG_count`) and flags (`set_dlg_flag`...),
//! and ends dialogs whose INVITE
//! failed or was answered without a transaction.

use crate::common;

use common::*;

fn proxy_cfg(uas: u16) -> String {
    udp_proxy_cfg(
        1,
        &["sl", "tm", "rr", "signaling", "sipmsgops", "dialog"],
        &format!(
            r#"
modparam("dialog", "default_timeout", 60)
modparam("dialog", "profiles_with_value", "caller ; trunk/s")
modparam("dialog", "profiles_no_value", "calls")

route {{
    if (is_method("OPTIONS")) {{
        get_profile_size("caller", "$fU", $var(by_user));
        get_profile_size("calls", $var(all));
        append_to_reply("X-Count: $DLG_count\r\nX-Calls: $var(all)\r\nX-By-User: $var(by_user)\r\n");
        sl_send_reply(200, "Counted");
        exit;
    }}
    if (has_totag()) {{
        loose_route();
        if ($DLG_status != NULL && validate_dialog()) {{
            xlog("L_INFO", "DLG $rm status=$DLG_status dir=$DLG_dir who=$dlg_val(who) in_calls=$var(x)\n");
            fetch_dlg_value("who", $var(who));
            if (is_dlg_flag_set(3) && is_dlg_flag_set(5) && !is_dlg_flag_set(4)) {{
                xlog("L_INFO", "DLG $rm flags 3 and 5 set\n");
            }}
            if (is_method("BYE")) {{
                reset_dlg_flag(3);
                if (!is_dlg_flag_set(3)) xlog("L_INFO", "DLG BYE flag 3 reset\n");
            }}
            if (is_in_profile("calls")) {{
                xlog("L_INFO", "DLG $rm in profile, fetched $var(who)\n");
            }}
        }}
        t_relay();
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) t_relay();
        exit;
    }}
    if (is_method("INVITE")) {{
        if (!create_dialog("B")) {{
            send_reply(500, "No Dialog");
            exit;
        }}
        set_dlg_profile("caller", "$fU");
        set_dlg_profile("calls");
        $dlg_val(who) = "caller-" + $fU;
        set_dlg_flag(3);
        test_and_set_dlg_flag(5, 0);
        $var(first) = $rc;
        test_and_set_dlg_flag(5, 0);
        xlog("L_INFO", "DLG flag5 first=$var(first) again=$rc\n");
        xlog("L_INFO", "DLG created status=$DLG_status did=$DLG_did\n");
        if ($rU == "stateless") {{
            sl_send_reply(486, "Busy Stateless");
            exit;
        }}
    }}
    record_route();
    if (!t_relay("udp:127.0.0.1:{uas}")) {{ sl_reply_error(); }}
}}
"#
        ),
    )
}

fn run_uac(scenario_name: &str, proxy: &Server, service: &str, calls: usize) {
    SippCalls {
        scenario: scenario_name,
        service,
        calls,
        timeout: 20,
        ..SippCalls::default()
    }
    .assert_ok(proxy);
}

/// The counters an OPTIONS reports: `$DLG_count`, profile `calls`, profile `caller`/`caller`.
fn counts(server: &Server) -> (String, String, String) {
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:x@example.com", c.port(), "")
        .replace("<sip:alice@example.com>", "<sip:caller@example.com>");
    let reply = c.request(server, &req).expect("OPTIONS answered");
    let h = |n| header(&reply, n).unwrap_or("").to_owned();
    (h("X-Count"), h("X-Calls"), h("X-By-User"))
}

#[test]
fn a_call_goes_through_the_dialog_states() {
    let uas = free_port();
    let server = Server::start(&proxy_cfg(uas));
    let _callee = SippCallee::start("call_uas.xml", uas, "u1", 1);
    run_uac("call_uac.xml", &server, "service", 1);
    assert!(
        server.wait_log("DLG created status=1 did="),
        "{}",
        server.log_text()
    );
    assert!(
        server.wait_log("DLG ACK status=4 dir=DOWNSTREAM who=caller-caller"),
        "{}",
        server.log_text()
    );
    assert!(
        server.wait_log("DLG BYE status=5 dir=DOWNSTREAM"),
        "{}",
        server.log_text()
    );
    assert!(server.wait_log("DLG ACK in profile, fetched caller-caller"));
    let log = server.log_text();
    assert!(log.contains("DLG flag5 first=1 again=-1"), "{log}");
    assert!(log.contains("DLG ACK flags 3 and 5 set"), "{log}");
    assert!(
        server.wait_log("DLG BYE flag 3 reset"),
        "{}",
        server.log_text()
    );
    // The BYE ended it: nothing active, no profile member left.
    assert_eq!(counts(&server), ("0".into(), "0".into(), "0".into()));
}

#[test]
fn failed_and_stateless_answers_end_the_dialog() {
    let uas = free_port();
    let server = Server::start(&proxy_cfg(uas));
    {
        let _callee = SippCallee::start("busy_uas.xml", uas, "u1", 2);
        run_uac("busy_uac.xml", &server, "service", 2);
    }
    assert_eq!(counts(&server), ("0".into(), "0".into(), "0".into()));
    // Answered by the script without a transaction: the dialog does not linger either.
    let c = UdpClient::new();
    let invite = request("INVITE", "sip:stateless@example.com", c.port(), "");
    let reply = c.request(&server, &invite).expect("reply");
    assert_eq!(status(&reply), 486);
    assert_eq!(counts(&server), ("0".into(), "0".into(), "0".into()));
}

#[test]
fn ringing_calls_count_in_profiles() {
    let uas = free_port();
    let server = Server::start(&proxy_cfg(uas));
    let _callee = SippCallee::start("ring_uas.xml", uas, "u1", 2);
    // Two INVITEs from "caller" that ring and are never answered: two early dialogs.
    let port = free_port();
    let mut uac = std::process::Command::new("sipp")
        .args([
            "-sf",
            &scenario("ring_cancel_uac.xml"),
            &format!("127.0.0.1:{}", server.port),
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-s",
            "service",
            "-m",
            "2",
            "-d",
            "3000",
            "-timeout",
            "20",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sipp");
    // Both ring for 3 s (`-d 3000`): wait until both are counted rather than a fixed time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(2500);
    while counts(&server) != ("2".into(), "2".into(), "2".into())
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(counts(&server), ("2".into(), "2".into(), "2".into()));
    let _ = uac.wait();
    // Cancelled (487): both ended.
    assert_eq!(counts(&server), ("0".into(), "0".into(), "0".into()));
}
