//! Things public OpenSIPS 3.x configurations do that siplua once refused: modules loaded
//! before the modules they depend on (OpenSIPS sorts module initialisation by dependency),
//! `$socket_out` assigned to pick the outgoing socket, `$Tsm` and `$rv`.

use crate::common;

use common::*;

/// `registrar`, `auth` and `topology_hiding` loaded before the modules they need or use
/// (`usrloc`, `signaling`, `dialog`): the script loads and a REGISTER is saved and found again.
#[test]
fn modules_may_be_loaded_before_their_dependencies() {
    let globals = "loadmodule \"tm.so\"\n\
                   loadmodule \"registrar.so\"\n\
                   loadmodule \"auth.so\"\n\
                   loadmodule \"topology_hiding.so\"\n\
                   loadmodule \"dialog.so\"\n\
                   loadmodule \"usrloc.so\"\n\
                   modparam(\"usrloc\", \"working_mode_preset\", \"single-instance-no-db\")";
    let routes = r#"route {
        if (is_method("REGISTER")) {
            save("location");
            exit;
        }
        if (lookup("location")) {
            append_to_reply("X-Found: $ru\r\n");
            sl_send_reply(200, "Found");
        } else {
            sl_send_reply(404, "Not Found");
        }
    }"#;
    let server = Server::start(&cfg(globals, routes));
    let client = UdpClient::new();
    let port = client.port();
    let reg = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-order-1;rport\r\n\
         From: <sip:carol@example.com>;tag=o1\r\n\
         To: <sip:carol@example.com>\r\n\
         Call-ID: order-1@test\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sip:carol@127.0.0.1:{port}>\r\n\
         Expires: 60\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let r = client.ask(&server, &reg);
    assert_eq!(status(&r), 200, "{r}");
    let r = client.ask(
        &server,
        &request("OPTIONS", "sip:carol@example.com", port, ""),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(
        header(&r, "X-Found"),
        Some(format!("sip:carol@127.0.0.1:{port}").as_str())
    );
    let r = client.ask(
        &server,
        &request("OPTIONS", "sip:nobody@example.com", port, ""),
    );
    assert_eq!(status(&r), 404, "{r}");
}

/// `$socket_out = "udp:..."` forces the socket forwarded requests leave from, as
/// `force_send_socket` does; NULL clears it; a socket that is not ours is an error that
/// leaves the socket as it was; `$socket_out` reads back what was forced.
#[test]
fn assigning_socket_out_picks_the_outgoing_socket() {
    let hop = NextHop::new();
    let second = free_port();
    let routes = r#"route {
            if ($rU == "second") {
                $socket_out = "udp:127.0.0.1:SECOND";
            } else if ($rU == "cleared") {
                $socket_out = "udp:127.0.0.1:SECOND";
                $socket_out = NULL;
            } else if ($rU == "unknown") {
                $socket_out = "udp:127.0.0.1:SECOND";
                $socket_out = "udp:192.0.2.1:5060";
            }
            append_hf("X-Out: $socket_out $socket_out(port)\r\n");
            forward("udp:127.0.0.1:HOP");
        }"#
    .replace("SECOND", &second.to_string())
    .replace("HOP", &hop.port().to_string());
    let globals = format!("socket = udp:127.0.0.1:{second}\n");
    let server = Server::start(&cfg(&globals, &routes));
    let client = UdpClient::new();
    let forced = format!("udp:127.0.0.1:{second} {second}");
    for (user, port, out) in [
        ("plain", server.port, "<null> <null>"),
        ("second", second, forced.as_str()),
        ("cleared", server.port, "<null> <null>"),
        ("unknown", second, forced.as_str()),
    ] {
        let ruri = format!("sip:{user}@example.com");
        client.send(
            &server,
            request("OPTIONS", &ruri, client.port(), "").as_bytes(),
        );
        let (fwd, from) = hop.recv(&server);
        assert_eq!(from.port(), port, "{user}: {fwd}");
        assert_eq!(header(&fwd, "X-Out"), Some(out), "{user}: {fwd}");
    }
    assert!(server.wait_log("udp:192.0.2.1:5060 is not a socket siplua listens on"));
}

/// `$socket_out(field)` stays read-only: assigning it is a load error with file:line.
#[test]
fn a_socket_out_field_cannot_be_assigned() {
    let text = cfg("", "route {\n    $socket_out(ip) = \"127.0.0.1\";\n}")
        .replace("{PORT}", &free_port().to_string());
    let (out, path) = check_config("socket_out_field.cfg", &text);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:", path.display()))
            && err.contains("$socket_out(ip) is read-only"),
        "{err}"
    );
}

/// `$Tsm` is the microseconds of the current second; `$rv` the request's SIP version.
#[test]
fn tsm_and_rv_are_known() {
    let routes = r#"route {
        append_to_reply("X-Tsm: $Tsm\r\nX-Rv: $rv\r\n");
        if ($Tsm >= 0 && $Tsm <= 999999) {
            sl_send_reply(200, "In Range");
        } else {
            sl_send_reply(500, "Out Of Range");
        }
    }"#;
    let server = Server::start(&cfg("", routes));
    let client = UdpClient::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..3 {
        let r = client.ask(
            &server,
            &request("OPTIONS", "sip:t@example.com", client.port(), ""),
        );
        assert_eq!(status(&r), 200, "{r}");
        assert_eq!(header(&r, "X-Rv"), Some("SIP/2.0"));
        let tsm: u32 = header(&r, "X-Tsm").unwrap().parse().expect("a number");
        assert!(tsm <= 999_999);
        seen.insert(tsm);
    }
    assert!(seen.len() > 1, "$Tsm does not change: {seen:?}");
}

/// Memory-debugging and xlog buffer globals of public configs (`memlog`, `xlog_buf_size`)
/// are accepted like the other tuning parameters siplua has no use for.
#[test]
fn memory_and_xlog_buffer_globals_load() {
    let text = cfg(
        "memlog = 5\nmem_log = 5\nmemdump = 1\nmem_dump = 1\nxlog_buf_size = 8192",
        "route { exit; }",
    )
    .replace("{PORT}", &free_port().to_string());
    let (out, _) = check_config("tuning_globals.cfg", &text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// OpenSIPS 3.x auto-scaling profiles (a public trunking proxy defines three and attaches
/// them to its worker pools) load; the pools keep the size written, and the server answers.
#[test]
fn auto_scaling_profiles_load_and_the_server_answers() {
    let globals = "auto_scaling_cycle = 3\n\
                   auto_scaling_profile = PROFILE_TIMER\n\
                   \x20    scale up to 6 on 70% for 4 cycles within 5\n\
                   \x20    scale down to 2 on 18% for 10 cycles\n\
                   timer_workers = 2 use_auto_scaling_profile PROFILE_TIMER\n\
                   udp_workers = 1 use_auto_scaling_profile PROFILE_TIMER";
    let routes = r#"route { sl_send_reply(200, "Scaled"); }"#;
    let server = Server::start(&cfg(globals, routes));
    let client = UdpClient::new();
    let r = client.ask(
        &server,
        &request("OPTIONS", "sip:s@example.com", client.port(), ""),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert_eq!(reason(&r), "Scaled");
}

/// `socket=udp:lo:PORT` (an interface name, as public configurations write `eth0`): siplua
/// listens on the interface's addresses and answers on 127.0.0.1.
#[test]
fn an_interface_name_in_a_socket_listens_on_its_addresses() {
    let text = cfg("", "route { sl_send_reply(200, \"Via lo\"); }").replace(
        "socket = udp:127.0.0.1:{PORT}\nsocket = tcp:127.0.0.1:{PORT}",
        "socket = udp:lo:{PORT}",
    );
    assert!(text.contains("udp:lo:"), "{text}");
    let server = Server::start(&text);
    let client = UdpClient::new();
    let r = client.ask(
        &server,
        &request("OPTIONS", "sip:x@127.0.0.1", client.port(), ""),
    );
    assert_eq!(status(&r), 200, "{r}");
    assert!(r.starts_with("SIP/2.0 200 Via lo"), "{r}");
}

/// `udp_workers=0` (TLS- or TCP-only configurations): no UDP worker, the TCP socket answers;
/// with a UDP socket declared it is a load error naming the socket's line.
#[test]
fn udp_workers_zero_means_no_udp() {
    let text = cfg(
        "udp_workers = 0",
        "route { sl_send_reply(200, \"TCP only\"); }",
    )
    .replace("socket = udp:127.0.0.1:{PORT}\n", "");
    let server = Server::start(&text);
    let client = UdpClient::new();
    let r = tcp_request(
        &server,
        request("OPTIONS", "sip:x@127.0.0.1", client.port(), "").as_bytes(),
    )
    .expect("a reply over TCP");
    assert!(r.starts_with("SIP/2.0 200 TCP only"), "{r}");

    let (out, path) = check_config(
        "udp0.cfg",
        &cfg("udp_workers = 0", "route { exit; }").replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "{}:7:1: socket udp:127.0.0.1:5999 has no worker",
            path.display()
        )),
        "{err}"
    );
}

/// usrloc `desc_time_order` (set by OpenSIPS' SBC and softswitch configurations): with 1,
/// `lookup()` gives the newest contact first even when an older one has a higher q; with 0
/// the higher q wins.
#[test]
fn desc_time_order_puts_the_newest_contact_first() {
    for (order, want) in [(1, "newer"), (0, "older")] {
        let globals = format!(
            "loadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n\
             modparam(\"usrloc\", \"desc_time_order\", {order})"
        );
        let routes = r#"route {
            if (is_method("REGISTER")) { save("location"); exit; }
            if (lookup("location")) {
                append_to_reply("X-First: $ru\r\n");
                sl_send_reply(200, "Found");
            } else {
                sl_send_reply(404, "Not Found");
            }
        }"#;
        let server = Server::start(&cfg(&globals, routes));
        let client = UdpClient::new();
        let port = client.port();
        for (user, q) in [("older", "1.0"), ("newer", "0.5")] {
            let reg = format!(
                "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
                 Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-dto-{order}-{user};rport\r\n\
                 From: <sip:dave@example.com>;tag=d{user}\r\n\
                 To: <sip:dave@example.com>\r\n\
                 Call-ID: dto-{order}-{user}@test\r\n\
                 CSeq: 1 REGISTER\r\n\
                 Contact: <sip:{user}@127.0.0.1:{port}>;q={q}\r\n\
                 Expires: 60\r\n\
                 Max-Forwards: 70\r\n\
                 Content-Length: 0\r\n\r\n"
            );
            assert_eq!(status(&client.ask(&server, &reg)), 200);
        }
        let r = client.ask(
            &server,
            &request("OPTIONS", "sip:dave@example.com", port, ""),
        );
        assert_eq!(
            header(&r, "X-First"),
            Some(format!("sip:{want}@127.0.0.1:{port}").as_str()),
            "desc_time_order {order}: {r}"
        );
    }
}
