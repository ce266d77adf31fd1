//! Pseudo-variables, read and written, end to end: the script copies each into a reply header
//! (`append_to_reply("X-..: $pv\r\n")`) for a request whose every field is known.

use crate::common;

use common::*;

/// A request with every field the variables read set to a known value.
fn full_request(client_port: u16) -> String {
    format!(
        "OPTIONS sip:bob@example.org:5070;transport=udp;foo=bar SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{client_port};branch=z9hG4bK-pv-1;rport\r\n\
         From: Alice <sip:alice@example.com>;tag=ftag1\r\n\
         To: Bob <sip:bob@example.org>\r\n\
         Call-ID: pv-call-1@test\r\n\
         CSeq: 42 OPTIONS\r\n\
         Max-Forwards: 70\r\n\
         User-Agent: pv-tester/1.0\r\n\
         Contact: <sip:alice@127.0.0.1:{client_port}>\r\n\
         X-Multi: one\r\n\
         X-Multi: two\r\n\
         X-Multi: three\r\n\
         Content-Type: text/plain\r\n\
         Content-Length: 5\r\n\r\nhello"
    )
}

/// (header suffix, pseudo-variable) pairs copied into the reply.
const READS: &[(&str, &str)] = &[
    ("ru", "$ru"),
    ("rU", "$rU"),
    ("rd", "$rd"),
    ("rp", "$rp"),
    ("rP", "$rP"),
    ("du", "$du"),
    ("fu", "$fu"),
    ("fU", "$fU"),
    ("fd", "$fd"),
    ("fn", "$fn"),
    ("ft", "$ft"),
    ("tu", "$tu"),
    ("tU", "$tU"),
    ("td", "$td"),
    ("tn", "$tn"),
    ("tt", "$tt"),
    ("ci", "$ci"),
    ("cs", "$cs"),
    ("rm", "$rm"),
    ("rs", "$rs"),
    ("rr", "$rr"),
    ("si", "$si"),
    ("sp", "$sp"),
    ("Ri", "$Ri"),
    ("Rp", "$Rp"),
    ("pr", "$pr"),
    ("proto", "$proto"),
    ("ua", "$ua"),
    ("ct", "$ct"),
    ("cl", "$cl"),
    ("ml", "$ml"),
    ("mblen", "$(mb{s.len})"),
    ("rb", "$rb"),
    ("hdr", "$hdr(X-Multi)"),
    ("hdr1", "$hdr(X-Multi)[1]"),
    ("hdrlast", "$hdr(X-Multi)[-1]"),
    ("hdrall", "$(hdr(X-Multi)[*])"),
    ("hdrcompact", "$hdr(Call-ID)"),
    ("hdrmissing", "$hdr(X-Missing)"),
    ("T", "$T_reply_code"),
    ("br", "$br"),
    ("err", "$err.class"),
];

#[test]
fn message_variables_read_the_request() {
    // Header names are numbered: `$ru` and `$rU` would collide in case-insensitive names.
    let headers: String = READS
        .iter()
        .enumerate()
        .map(|(i, (_, pv))| format!("X-P{i}: {pv}\\r\\n"))
        .collect();

    let server = Server::start(&cfg(
        "",
        &format!("route {{\n append_to_reply(\"{headers}\");\n sl_send_reply(200, \"OK\");\n}}"),
    ));
    let c = UdpClient::new();
    let reply = c.ask(&server, &full_request(c.port()));
    let request_len = full_request(c.port()).len().to_string();
    let cport = c.port().to_string();
    let sport = server.port.to_string();
    let ct_expected = format!("<sip:alice@127.0.0.1:{cport}>");
    let expected: Vec<(&str, &str)> = vec![
        ("ru", "sip:bob@example.org:5070;transport=udp;foo=bar"),
        ("rU", "bob"),
        ("rd", "example.org"),
        ("rp", "5070"),
        ("rP", "udp"),
        ("du", "<null>"),
        ("fu", "sip:alice@example.com"),
        ("fU", "alice"),
        ("fd", "example.com"),
        ("fn", "Alice"),
        ("ft", "ftag1"),
        ("tu", "sip:bob@example.org"),
        ("tU", "bob"),
        ("td", "example.org"),
        ("tn", "Bob"),
        ("tt", "<null>"),
        ("ci", "pv-call-1@test"),
        ("cs", "42"),
        ("rm", "OPTIONS"),
        ("rs", "<null>"),
        ("rr", "<null>"),
        ("si", "127.0.0.1"),
        ("sp", &cport),
        ("Ri", "127.0.0.1"),
        ("Rp", &sport),
        ("pr", "udp"),
        ("proto", "udp"),
        ("ua", "pv-tester/1.0"),
        ("ct", &ct_expected),
        ("cl", "5"),
        ("ml", &request_len),
        ("mblen", &request_len),
        ("rb", "hello"),
        ("hdr", "one"),
        ("hdr1", "two"),
        ("hdrlast", "three"),
        ("hdrall", "one,two,three"),
        ("hdrcompact", "pv-call-1@test"),
        ("hdrmissing", "<null>"),
        ("T", "<null>"),
        ("br", "<null>"),
        ("err", "<null>"),
    ];
    let got = |name: &str| {
        let i = READS.iter().position(|(n, _)| *n == name).expect("listed");
        header(&reply, &format!("X-P{i}"))
    };
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(n, v)| got(n) != Some(*v))
        .map(|(n, v)| format!("${n}: expected {v:?}, got {:?}", got(n)))
        .collect();
    assert!(wrong.is_empty(), "{}\n{reply}", wrong.join("\n"));
}

#[test]
fn proto_and_ports_over_tcp() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            append_to_reply("X-pr: $pr\r\nX-Rp: $Rp\r\nX-Ri: $Ri\r\nX-proto: $proto\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let req = request("OPTIONS", "sip:tcp@127.0.0.1", 1, "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    let reply = tcp_request(&server, req.as_bytes()).expect("TCP reply");
    assert_eq!(header(&reply, "X-pr"), Some("tcp"), "{reply}");
    assert_eq!(header(&reply, "X-proto"), Some("tcp"), "{reply}");
    assert_eq!(
        header(&reply, "X-Rp"),
        Some(server.port.to_string().as_str()),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Ri"), Some("127.0.0.1"), "{reply}");
}

/// `$socket_in(field)` (the current OpenSIPS templates test `$socket_in(proto) == "tcp"`)
/// and `$socket_out` (the forced send socket), over UDP and TCP.
#[test]
fn socket_in_and_socket_out() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            if ($socket_in(proto) == "tcp") {
                force_send_socket("udp:127.0.0.1:{PORT}");
            }
            append_to_reply("X-In: $socket_in\r\nX-Proto: $socket_in(proto)\r\nX-Port: $socket_in(port)\r\nX-Ip: $socket_in(ip)\r\nX-Af: $socket_in(af)\r\nX-Out: $socket_out(proto)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let port = server.port.to_string();
    let c = UdpClient::new();
    let reply = c
        .request(
            &server,
            &request("OPTIONS", "sip:s@127.0.0.1", c.port(), ""),
        )
        .expect("UDP reply");
    assert_eq!(
        header(&reply, "X-In"),
        Some(format!("udp:127.0.0.1:{port}").as_str()),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Proto"), Some("udp"), "{reply}");
    assert_eq!(header(&reply, "X-Port"), Some(port.as_str()), "{reply}");
    assert_eq!(header(&reply, "X-Ip"), Some("127.0.0.1"), "{reply}");
    assert_eq!(header(&reply, "X-Af"), Some("INET"), "{reply}");
    assert_eq!(
        header(&reply, "X-Out"),
        Some("<null>"),
        "nothing forced: {reply}"
    );

    let req = request("OPTIONS", "sip:s@127.0.0.1", 1, "").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    let reply = tcp_request(&server, req.as_bytes()).expect("TCP reply");
    assert_eq!(
        header(&reply, "X-In"),
        Some(format!("tcp:127.0.0.1:{port}").as_str()),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Proto"), Some("tcp"), "{reply}");
    assert_eq!(header(&reply, "X-Out"), Some("udp"), "forced: {reply}");

    let (out, path) = check_config(
        "socket_field.cfg",
        &cfg("", "route { xlog(\"$socket_in(prot)\"); }").replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("'prot'"),
        "{err}"
    );
}

/// `$branch(field)` over appended branches, and `$RANDOM`.
#[test]
fn branch_fields_and_random() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            append_branch("sip:a@example.com");
            append_branch("sip:b@example.org", "0.5");
            $var(r1) = $RANDOM;
            $var(r2) = $RANDOM;
            if ($var(r1) != $var(r2) && $var(r1) >= 0) {
                append_to_reply("X-Random: ok\r\n");
            }
            append_to_reply("X-First: $branch(uri)\r\nX-Second: $(branch(uri)[1])\r\nX-Q: $(branch(q)[1])\r\nX-All: $(branch(uri)[*])\r\nX-None: $(branch(uri)[5])\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:b@127.0.0.1", c.port(), ""),
    );
    assert_eq!(
        header(&reply, "X-First"),
        Some("sip:a@example.com"),
        "{reply}"
    );
    assert_eq!(
        header(&reply, "X-Second"),
        Some("sip:b@example.org"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Q"), Some("0.5"), "{reply}");
    assert_eq!(
        header(&reply, "X-All"),
        Some("sip:a@example.com,sip:b@example.org"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-None"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-Random"), Some("ok"), "{reply}");
}

#[test]
fn script_variables_avps_and_flags_read_and_write() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(v) = "value";
            $avp(a) = "first";
            $avp(a) = "second";
            $avp(a)[1] = "first-changed";
            $avp($var(v)) = "dynamic-name";
            $var(i) = 1;
            setflag(3);
            setbflag(2);
            $var(sf1) = $sf;
            $sf = 1;
            $bf = 5;
            append_branch("sip:branch@example.net");
            append_to_reply("X-Var: $var(v)\r\nX-Avp: $avp(a)\r\nX-Avp0: $avp(a)[0]\r\nX-Avp1: $avp(a)[1]\r\nX-AvpIdx: $avp(a)[$var(i)]\r\nX-AvpAll: $(avp(a)[*])\r\nX-AvpDyn: $avp(value)\r\n");
            append_to_reply("X-Sf1: $var(sf1)\r\nX-Sf: $sf\r\nX-Bf: $bf\r\nX-Br: $br\r\n");
            if (isflagset(0)) $var(f0) = "set"; else $var(f0) = "unset";
            if (isflagset(3)) $var(f3) = "set"; else $var(f3) = "unset";
            if (isbflagset(0) && isbflagset(2)) $var(b) = "0+2"; else $var(b) = "no";
            append_to_reply("X-F0: $var(f0)\r\nX-F3: $var(f3)\r\nX-B: $var(b)\r\n");
            sl_send_reply(200, "OK");
            xlog("L_INFO", "after-reply T_reply_code=[$T_reply_code]\n");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:w@127.0.0.1", c.port(), ""),
    );
    for (n, v) in [
        ("X-Var", "value"),
        ("X-Avp", "second"),
        ("X-Avp0", "second"),
        ("X-Avp1", "first-changed"),
        ("X-AvpIdx", "first-changed"),
        ("X-AvpAll", "second,first-changed"),
        ("X-AvpDyn", "dynamic-name"),
        ("X-Sf1", "8"),
        ("X-Sf", "1"),
        ("X-Bf", "5"),
        ("X-Br", "sip:branch@example.net"),
        ("X-F0", "set"),
        ("X-F3", "unset"),
        ("X-B", "0+2"),
    ] {
        assert_eq!(header(&reply, n), Some(v), "{n}: {reply}");
    }
    assert!(
        server.wait_log("after-reply T_reply_code=[200]"),
        "{}",
        server.log_text()
    );
}

#[test]
fn request_uri_variables_are_writable() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(orig) = $ru;
            $rU = "carol";
            $var(a) = $ru;
            $rd = "example.net";
            $var(b) = $ru;
            $rp = 5099;
            $var(c) = $ru;
            $ru = "sip:dave@10.0.0.1:5062;transport=tcp";
            append_to_reply("X-Orig: $var(orig)\r\nX-A: $var(a)\r\nX-B: $var(b)\r\nX-C: $var(c)\r\nX-D: $ru\r\nX-DU: $rU\r\nX-DD: $rd\r\nX-DP: $rp\r\nX-DT: $rP\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:bob@example.org;lr", c.port(), ""),
    );
    for (n, v) in [
        ("X-Orig", "sip:bob@example.org;lr"),
        ("X-A", "sip:carol@example.org;lr"),
        ("X-B", "sip:carol@example.net;lr"),
        ("X-C", "sip:carol@example.net:5099;lr"),
        ("X-D", "sip:dave@10.0.0.1:5062;transport=tcp"),
        ("X-DU", "dave"),
        ("X-DD", "10.0.0.1"),
        ("X-DP", "5062"),
        ("X-DT", "tcp"),
    ] {
        assert_eq!(header(&reply, n), Some(v), "{n}: {reply}");
    }
}

#[test]
fn retcode_pid_and_time_variables() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            is_method("INVITE");
            $var(rc1) = $retcode;
            is_method("OPTIONS");
            $var(rc2) = $rc;
            append_to_reply("X-Rc1: $var(rc1)\r\nX-Rc2: $var(rc2)\r\nX-Pid: $pid\r\nX-Ts: $Ts\r\nX-TS: $TS\r\nX-Tf: $Tf\r\nX-Year: $time(%Y)\r\nX-Time: $time(%H:%M)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:t@127.0.0.1", c.port(), ""),
    );
    assert_eq!(header(&reply, "X-Rc1"), Some("-1"), "{reply}");
    assert_eq!(header(&reply, "X-Rc2"), Some("1"), "{reply}");
    let pid: i64 = header(&reply, "X-Pid")
        .unwrap()
        .parse()
        .expect("$pid is a number");
    assert!(pid > 0, "{reply}");
    let ts: i64 = header(&reply, "X-Ts")
        .unwrap()
        .parse()
        .expect("$Ts is a number");
    assert!((ts - now).abs() <= 5, "$Ts {ts} is now ({now})");
    let started: i64 = header(&reply, "X-TS")
        .unwrap()
        .parse()
        .expect("$TS is a number");
    assert!(
        started <= ts && ts - started < 60,
        "$TS {started} is the start-up time"
    );
    let tf = header(&reply, "X-Tf").unwrap();
    let year = header(&reply, "X-Year").unwrap();
    assert_eq!(year.len(), 4, "{reply}");
    assert!(year.parse::<i32>().unwrap() >= 2024, "{reply}");
    assert!(
        tf.ends_with(year),
        "$Tf is ctime-like (ends with the year): {tf}"
    );
    let time = header(&reply, "X-Time").unwrap();
    assert!(
        time.len() == 5 && time.as_bytes()[2] == b':',
        "$time(%H:%M): {time}"
    );
}

#[test]
fn error_class_in_error_route() {
    let server = Server::start(&cfg(
        "",
        r#"route { sl_send_reply(200, "OK"); }
        error_route {
            xlog("L_INFO", "error_route: class=[$err.class] rcode=[$err.rcode] rm=[$rm]\n");
            append_to_reply("X-Err-Class: $err.class\r\nX-Err-Rcode: $err.rcode\r\nX-Err-Reason: $err.rreason\r\n");
            sl_reply_error();
        }"#,
    ));
    let c = UdpClient::new();
    // CSeq method differs from the request method (RFC 4475 mismatch01): a parsed request
    // that fails the pre-routing checks.
    let req = request("OPTIONS", "sip:e@127.0.0.1", c.port(), "")
        .replace(" OPTIONS\r\nMax", " INVITE\r\nMax");
    let reply = c.ask(&server, &req);
    assert_eq!(status(&reply), 400, "{reply}");
    assert_eq!(header(&reply, "X-Err-Class"), Some("1"), "{reply}");
    assert_eq!(header(&reply, "X-Err-Rcode"), Some("400"), "{reply}");
    assert_eq!(
        header(&reply, "X-Err-Reason"),
        Some(reason(&reply)),
        "{reply}"
    );
    assert!(
        server.wait_log("error_route: class=[1] rcode=[400] rm=[OPTIONS]"),
        "{}",
        server.log_text()
    );
}

#[test]
fn contact_fields_ip_transformations_and_branch_index() {
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"\n",
        r#"route {
            if ($rU == "fork") {
                append_branch("sip:second@127.0.0.1:9");
                t_on_branch("br");
                t_relay("udp:127.0.0.1:9");
                exit;
            }
            append_to_reply("X-Ct-Uri: $ct.fields(uri)\r\nX-Ct-Name: $ct.fields(name)\r\nX-Ct-Q: $ct.fields(q)\r\nX-Ct-2-Exp: $(ct.fields(expires)[1])\r\nX-Ct-Last-Uri: $(ct.fields(uri)[-1])\r\nX-Ct-None: $(ct.fields(uri)[3])\r\n");
            append_to_reply("X-Si-Private: $(si{ip.isprivate})\r\nX-Si-Family: $(si{ip.family})\r\nX-Hdr-Ip6: $(hdr(X-Ip){ip.isip6})\r\nX-Hdr-Private: $(hdr(X-Ip){ip.isprivate})\r\nX-Ruri-IsIp: $(rd{ip.isip})\r\nX-Idx: $T_branch_idx\r\n");
            sl_send_reply(200, "OK");
        }
        branch_route[br] {
            xlog("L_INFO", "branch idx=$T_branch_idx ru=$ru\n");
        }"#,
    ));
    let c = UdpClient::new();
    let req = request(
        "OPTIONS",
        "sip:bob@example.org",
        c.port(),
        "Contact: \"Al\" <sip:alice@192.168.0.9:5062>;q=0.5, <sip:alice@10.0.0.9>;expires=60\r\n\
         Contact: <sip:last@h>\r\nX-Ip: [fd00::1]\r\n",
    );
    let r = c.ask(&server, &req);
    assert_eq!(status(&r), 200, "{r}");
    let expected = [
        ("X-Ct-Uri", "sip:alice@192.168.0.9:5062"),
        ("X-Ct-Name", "Al"),
        ("X-Ct-Q", "0.5"),
        ("X-Ct-2-Exp", "60"),
        ("X-Ct-Last-Uri", "sip:last@h"),
        ("X-Ct-None", "<null>"),
        ("X-Si-Private", "0"),
        ("X-Si-Family", "INET"),
        ("X-Hdr-Ip6", "1"),
        ("X-Hdr-Private", "0"),
        ("X-Ruri-IsIp", "0"),
        ("X-Idx", "0"),
    ];
    for (name, value) in expected {
        assert_eq!(header(&r, name), Some(value), "{name}: {r}");
    }
    c.send(
        &server,
        request("INVITE", "sip:fork@127.0.0.1:9", c.port(), "").as_bytes(),
    );
    assert!(
        server.wait_log("branch idx=0 ru=sip:fork@127.0.0.1:9"),
        "{}",
        server.log_text()
    );
    assert!(
        server.wait_log("branch idx=1 ru=sip:second@127.0.0.1:9"),
        "{}",
        server.log_text()
    );
}

#[test]
fn identity_headers_address_family_pid_and_colours() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    append_to_reply("X-Ai: $ai\r\nX-Re: $re\r\nX-Di: $di\r\nX-Dir: $dir\r\nX-Dip: $dip\r\nX-Rt: $rt\r\nX-Af: $af\r\nX-Pp: $pp\r\nX-C: $(C(Rx){s.len})\r\n");
    sl_send_reply(200, "OK");
}"#,
    ));
    let c = UdpClient::new();
    let extra = "P-Asserted-Identity: \"Alice, A.\" <sip:alice@example.com>, <tel:+15551234>\r\n\
                 Remote-Party-ID: <sip:rpid@example.com>;party=calling\r\n\
                 Diversion: <sip:fwd@example.com>;reason=user-busy;privacy=full\r\n\
                 Refer-To: <sip:carol@example.com>\r\n";
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:bob@127.0.0.1", c.port(), extra),
    );
    let pid = server.pid().unwrap().to_string();
    for (name, want) in [
        ("X-Ai", "sip:alice@example.com"),
        ("X-Re", "sip:rpid@example.com"),
        ("X-Di", "sip:fwd@example.com"),
        ("X-Dir", "user-busy"),
        ("X-Dip", "full"),
        ("X-Rt", "sip:carol@example.com"),
        ("X-Af", "INET"),
        ("X-Pp", pid.as_str()),
        // ESC [ 1 ; 3 1 ; 4 9 m
        ("X-C", "10"),
    ] {
        assert_eq!(header(&reply, name), Some(want), "{name}: {reply}");
    }
    let (out, _) = check_config(
        "bad_colour.cfg",
        &cfg("", "route { xlog(\"$C(zz)x\"); }").replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("two colour letters"),
        "{err}"
    );
}

/// `$log_level`: reads the level in force; assigning gives the worker its own level until
/// NULL gives it back the global one. (`xdbg` lines follow `$xlog_level`, as in OpenSIPS:
/// raising `$log_level` alone does not show them.)
#[test]
fn log_level_is_read_and_set_per_worker() {
    let server = Server::start(&cfg(
        "",
        r#"route {
    xlog("L_INFO", "level before: $log_level\n");
    $log_level = 4;
    xdbg("debug while raised\n");
    $xlog_level = 4;
    xdbg("debug with xlog_level raised\n");
    $xlog_level = NULL;
    xlog("L_INFO", "level raised: $log_level\n");
    $log_level = NULL;
    xdbg("debug after reset\n");
    xlog("L_INFO", "level after: $log_level\n");
    sl_send_reply(200, "OK");
}"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request("OPTIONS", "sip:bob@127.0.0.1", c.port(), ""),
    );
    assert_eq!(status(&reply), 200, "{reply}");
    for line in [
        "level before: 3",
        "debug with xlog_level raised",
        "level raised: 4",
        "level after: 3",
    ] {
        assert!(server.wait_log(line), "{line}: {}", server.log_text());
    }
    for hidden in ["debug while raised", "debug after reset"] {
        assert!(
            !server.log_text().contains(hidden),
            "{hidden}: {}",
            server.log_text()
        );
    }
}
