//! topology_hiding end to end: a caller and a callee played by the test over real UDP, a
//! real siplua in between running `create_dialog(); topology_hiding(); t_relay();` and
//! `topology_hiding_match()`. Each side must see only the proxy: one Via (ours, or its own
//! restored on replies), no Record-Route, our Contact, and with flag `C` another Call-ID —
//! while ACK and BYE still reach the other side's real Contact through its route set.

use crate::common;

use std::net::SocketAddr;

use common::*;

fn th_cfg(callee: u16, globals: &str) -> String {
    udp_proxy_cfg(
        1,
        &[
            "sl",
            "tm",
            "rr",
            "signaling",
            "sipmsgops",
            "dialog",
            "topology_hiding",
        ],
        &format!(
            r#"
{globals}

route {{
    if (has_totag()) {{
        if (topology_hiding_match()) {{
            xlog("L_INFO", "TH matched $rm caller=$TH_caller_callid callee=$TH_callee_callid\n");
            t_relay();
            exit;
        }}
        if (is_method("ACK")) exit;
        sl_send_reply(404, "Not Here");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) t_relay();
        exit;
    }}
    if (is_method("INVITE")) {{
        if ($rU != "nodialog") create_dialog();
        if ($rU == "hidecallid") {{
            $var(ok) = topology_hiding("C");
        }} else if ($rU == "keepuser") {{
            $var(ok) = topology_hiding("U");
        }} else {{
            $var(ok) = topology_hiding();
        }}
        if ($var(ok) != 1) {{
            send_reply(500, "Not Hidden");
            exit;
        }}
    }}
    if (!t_relay("udp:127.0.0.1:{callee}")) sl_reply_error();
}}
"#
        ),
    )
}

/// The URI inside the first `<...>` of a header value.
fn uri_of(value: &str) -> &str {
    let start = value.find('<').map_or(0, |i| i + 1);
    let end = value[start..].find('>').map_or(value.len(), |i| start + i);
    &value[start..end]
}

/// The Request-URI of a request.
fn ruri(req: &str) -> &str {
    req.lines()
        .next()
        .unwrap_or("")
        .split(' ')
        .nth(1)
        .unwrap_or("")
}

/// A reply to `req` with its Vias, From, Call-ID and CSeq, `to_tag` on the To, and `extra`.
fn answer(req: &str, code: u16, reason: &str, to_tag: &str, extra: &str) -> String {
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    for line in req
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .split("\r\n")
        .skip(1)
    {
        let name = line.split(':').next().unwrap_or("").trim();
        match name.to_ascii_lowercase().as_str() {
            "via" | "from" | "call-id" | "cseq" => out.push_str(&format!("{line}\r\n")),
            "to" if line.contains(";tag=") => out.push_str(&format!("{line}\r\n")),
            "to" => out.push_str(&format!("{line};tag={to_tag}\r\n")),
            _ => {}
        }
    }
    out.push_str(extra);
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

/// The next request with this method on `sock` (retransmissions and others skipped).
fn recv_method(hop: &NextHop, server: &Server, method: &str) -> (String, SocketAddr) {
    loop {
        let (m, from) = hop.recv(server);
        if m.starts_with(&format!("{method} ")) {
            return (m, from);
        }
    }
}

/// The next reply with this status at the test endpoint.
fn recv_status(hop: &NextHop, server: &Server, code: u16) -> String {
    loop {
        let (m, _) = hop.recv(server);
        if m.starts_with("SIP/2.0 ") && status(&m) == code {
            return m;
        }
    }
}

/// One established call: both endpoints and what each saw.
struct Call {
    caller: NextHop,
    callee: NextHop,
    /// The INVITE as the callee got it.
    invite: String,
    /// The 200 OK as the caller got it.
    ok: String,
    call_id: String,
}

const CALLER_TAG: &str = "callertag77";
const CALLEE_TAG: &str = "calleetag88";

/// INVITE from the caller (behind a fake upstream proxy Via 10.1.1.1 and a Record-Route that
/// points back at the caller), 180 and 200 from the callee (with its own Record-Route), ACK.
fn establish(server: &Server, callee: NextHop, ruser: &str, call_id: &str) -> Call {
    let caller = NextHop::new();
    let (pc, pb) = (caller.port(), callee.port());
    let invite = format!(
        "INVITE sip:{ruser}@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{pc};branch=z9hG4bKcaller1;rport\r\n\
         Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKupstream1\r\n\
         Record-Route: <sip:127.0.0.1:{pc};lr;upstream=yes>\r\n\
         From: <sip:alice@example.com>;tag={CALLER_TAG}\r\n\
         To: <sip:{ruser}@example.com>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@127.0.0.1:{pc};ob>\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    caller
        .sock
        .send_to(invite.as_bytes(), server.addr())
        .unwrap();
    let (got, from) = recv_method(&callee, server, "INVITE");
    let contact = format!("Contact: <sip:bob@127.0.0.1:{pb}>\r\n");
    let rr = format!("Record-Route: <sip:127.0.0.1:{pb};lr;downstream=yes>\r\n");
    let ringing = answer(&got, 180, "Ringing", CALLEE_TAG, &format!("{rr}{contact}"));
    callee.sock.send_to(ringing.as_bytes(), from).unwrap();
    let r180 = recv_status(&caller, server, 180);
    assert!(
        !r180.contains(&pb.to_string()),
        "180 leaks the callee:\n{r180}"
    );
    let ok = answer(&got, 200, "OK", CALLEE_TAG, &format!("{rr}{contact}"));
    callee.sock.send_to(ok.as_bytes(), from).unwrap();
    let ok = recv_status(&caller, server, 200);
    // A retransmission of the INVITE crossing the 200 gets the 200 again and must not make
    // the proxy forget the callee.
    caller
        .sock
        .send_to(invite.as_bytes(), server.addr())
        .unwrap();
    let again = recv_status(&caller, server, 200);
    assert_eq!(header(&again, "Contact"), header(&ok, "Contact"), "{again}");
    Call {
        caller,
        callee,
        invite: got,
        ok,
        call_id: call_id.to_owned(),
    }
}

/// An in-dialog request from the caller to the Contact of the 200 OK.
fn caller_request(call: &Call, server: &Server, method: &str, cseq: &str) {
    let pc = call.caller.port();
    let target = uri_of(header(&call.ok, "Contact").expect("200 has a Contact"));
    let req = format!(
        "{method} {target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{pc};branch=z9hG4bKcaller{method};rport\r\n\
         From: <sip:alice@example.com>;tag={CALLER_TAG}\r\n\
         To: <sip:bob@example.com>;tag={CALLEE_TAG}\r\n\
         Call-ID: {}\r\n\
         CSeq: {cseq}\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n",
        call.call_id
    );
    call.caller
        .sock
        .send_to(req.as_bytes(), server.addr())
        .unwrap();
}

/// A BYE from the callee to the Contact of the INVITE it got, with the Call-ID it saw.
fn callee_bye(call: &Call, server: &Server) {
    let pb = call.callee.port();
    let target = uri_of(header(&call.invite, "Contact").expect("INVITE has a Contact"));
    let call_id = header(&call.invite, "Call-ID").unwrap();
    let bye = format!(
        "BYE {target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{pb};branch=z9hG4bKcalleebye;rport\r\n\
         From: <sip:bob@example.com>;tag={CALLEE_TAG}\r\n\
         To: <sip:alice@example.com>;tag={CALLER_TAG}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 5 BYE\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    call.callee
        .sock
        .send_to(bye.as_bytes(), server.addr())
        .unwrap();
}

#[test]
fn each_side_sees_only_the_proxy_and_in_dialog_requests_reach_the_real_contacts() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(callee.port(), ""));
    let proxy = format!("127.0.0.1:{}", server.addr().port());
    let call = establish(&server, callee, "bob", "plain-call-1@example.org");
    let (pc, pb) = (
        call.caller.port().to_string(),
        call.callee.port().to_string(),
    );

    // The callee's INVITE: our Via only, our Contact, no Record-Route, nothing of the caller.
    let inv = &call.invite;
    let vias = headers(inv, "Via");
    assert_eq!(vias.len(), 1, "{inv}");
    assert!(vias[0].contains(&proxy), "{inv}");
    assert!(headers(inv, "Record-Route").is_empty(), "{inv}");
    assert!(headers(inv, "Route").is_empty(), "{inv}");
    let contact = header(inv, "Contact").unwrap();
    assert!(contact.starts_with(&format!("<sip:{proxy};did=")), "{inv}");
    assert!(!inv.contains(&pc), "the caller's port leaks:\n{inv}");
    assert!(!inv.contains("10.1.1.1"), "the upstream Via leaks:\n{inv}");
    assert!(!inv.contains("alice@127.0.0.1"), "{inv}");
    assert_eq!(header(inv, "Call-ID"), Some("plain-call-1@example.org"));

    // The caller's 200 OK: its own two Vias back, our Contact, no Record-Route, no callee.
    let ok = &call.ok;
    let vias = headers(ok, "Via");
    assert_eq!(vias.len(), 2, "{ok}");
    assert!(vias[0].contains(&format!("127.0.0.1:{pc}")), "{ok}");
    assert!(vias[1].contains("10.1.1.1:5060"), "{ok}");
    assert!(headers(ok, "Record-Route").is_empty(), "{ok}");
    assert!(
        header(ok, "Contact")
            .unwrap()
            .starts_with(&format!("<sip:{proxy};did=")),
        "{ok}"
    );
    assert!(!ok.contains(&pb), "the callee's port leaks:\n{ok}");

    // ACK and BYE from the caller reach the callee's Contact through its route set.
    caller_request(&call, &server, "ACK", "1 ACK");
    let (ack, _) = recv_method(&call.callee, &server, "ACK");
    assert_eq!(ruri(&ack), format!("sip:bob@127.0.0.1:{pb}"), "{ack}");
    assert_eq!(
        headers(&ack, "Route"),
        vec![format!("<sip:127.0.0.1:{pb};lr;downstream=yes>")],
        "{ack}"
    );
    assert_eq!(headers(&ack, "Via").len(), 1, "{ack}");
    assert!(!ack.contains(&pc), "{ack}");
    assert!(server.wait_log("TH matched ACK"), "{}", server.log_text());

    caller_request(&call, &server, "BYE", "2 BYE");
    let (bye, from) = recv_method(&call.callee, &server, "BYE");
    assert_eq!(ruri(&bye), format!("sip:bob@127.0.0.1:{pb}"), "{bye}");
    assert_eq!(headers(&bye, "Via").len(), 1, "{bye}");
    assert!(!bye.contains(&pc), "{bye}");
    assert!(header(&bye, "Contact").is_none());
    let done = answer(&bye, 200, "OK", CALLEE_TAG, "");
    call.callee.sock.send_to(done.as_bytes(), from).unwrap();
    let done = recv_status(&call.caller, &server, 200);
    assert!(done.contains("2 BYE"), "{done}");
    assert_eq!(headers(&done, "Via").len(), 1, "{done}");
    assert!(
        headers(&done, "Via")[0].contains("z9hG4bKcallerBYE"),
        "{done}"
    );
}

#[test]
fn a_bye_from_the_callee_reaches_the_caller_through_its_route_set() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(callee.port(), ""));
    let proxy = format!("127.0.0.1:{}", server.addr().port());
    let call = establish(&server, callee, "keepuser", "keep-user-2@example.org");
    let (pc, pb) = (
        call.caller.port().to_string(),
        call.callee.port().to_string(),
    );
    // Flag U: both Contacts keep their user part, and only that.
    assert!(
        header(&call.invite, "Contact")
            .unwrap()
            .starts_with(&format!("<sip:alice@{proxy};did=")),
        "{}",
        call.invite
    );
    assert!(
        header(&call.ok, "Contact")
            .unwrap()
            .starts_with(&format!("<sip:bob@{proxy};did=")),
        "{}",
        call.ok
    );
    caller_request(&call, &server, "ACK", "1 ACK");
    recv_method(&call.callee, &server, "ACK");

    callee_bye(&call, &server);
    let (bye, from) = recv_method(&call.caller, &server, "BYE");
    assert_eq!(ruri(&bye), format!("sip:alice@127.0.0.1:{pc};ob"), "{bye}");
    assert_eq!(
        headers(&bye, "Route"),
        vec![format!("<sip:127.0.0.1:{pc};lr;upstream=yes>")],
        "{bye}"
    );
    let vias = headers(&bye, "Via");
    assert_eq!(vias.len(), 1, "{bye}");
    assert!(vias[0].contains(&proxy), "{bye}");
    assert!(!bye.contains(&pb), "the callee leaks to the caller:\n{bye}");
    assert_eq!(header(&bye, "Call-ID"), Some("keep-user-2@example.org"));
    assert!(server.wait_log("TH matched BYE"), "{}", server.log_text());

    // The caller's 200 goes back to the callee with the callee's own Via.
    let done = answer(&bye, 200, "OK", "", "");
    call.caller.sock.send_to(done.as_bytes(), from).unwrap();
    let done = recv_status(&call.callee, &server, 200);
    let vias = headers(&done, "Via");
    assert_eq!(vias.len(), 1, "{done}");
    assert!(vias[0].contains(&format!("127.0.0.1:{pb}")), "{done}");
    assert!(done.contains("5 BYE"), "{done}");
}

#[test]
fn flag_c_hides_the_call_id_and_each_side_keeps_its_own() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(
        callee.port(),
        r#"modparam("topology_hiding", "th_callid_prefix", "HIDDEN_")"#,
    ));
    let original = "secret-1234@10.1.1.1";
    let call = establish(&server, callee, "hidecallid", original);
    let hidden = header(&call.invite, "Call-ID").unwrap().to_owned();
    assert!(hidden.starts_with("HIDDEN_"), "{}", call.invite);
    assert!(!call.invite.contains("10.1.1.1"), "{}", call.invite);
    assert!(!call.invite.contains("secret-1234"), "{}", call.invite);
    assert_eq!(header(&call.ok, "Call-ID"), Some(original), "{}", call.ok);

    caller_request(&call, &server, "ACK", "1 ACK");
    let (ack, _) = recv_method(&call.callee, &server, "ACK");
    assert_eq!(header(&ack, "Call-ID"), Some(hidden.as_str()), "{ack}");

    callee_bye(&call, &server);
    let (bye, from) = recv_method(&call.caller, &server, "BYE");
    assert_eq!(header(&bye, "Call-ID"), Some(original), "{bye}");
    assert!(
        server.wait_log(&format!("TH matched BYE caller={original} callee={hidden}")),
        "{}",
        server.log_text()
    );
    let done = answer(&bye, 200, "OK", "", "");
    call.caller.sock.send_to(done.as_bytes(), from).unwrap();
    let done = recv_status(&call.callee, &server, 200);
    assert_eq!(header(&done, "Call-ID"), Some(hidden.as_str()), "{done}");
}

#[test]
fn requests_of_no_hidden_dialog_do_not_match_and_no_dialog_is_an_error() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(callee.port(), ""));
    let c = UdpClient::new();
    let stray = request(
        "BYE",
        &format!("sip:127.0.0.1:{};did=0000", server.addr().port()),
        c.port(),
        "",
    )
    .replace(
        "To: <sip:bob@example.com>",
        "To: <sip:bob@example.com>;tag=x",
    );
    let reply = c.ask(&server, &stray);
    assert_eq!(status(&reply), 404, "{reply}");

    // Without a dialog siplua cannot hide: topology_hiding() fails and says why.
    let inv = request(
        "INVITE",
        "sip:nodialog@example.com",
        c.port(),
        "Contact: <sip:a@127.0.0.1>\r\n",
    );
    let reply = recv_final_at(&c, &server, &inv);
    assert_eq!(status(&reply), 500, "{reply}");
    assert!(
        server.wait_log("no dialog for this request"),
        "{}",
        server.log_text()
    );
}

fn recv_final_at(c: &UdpClient, server: &Server, req: &str) -> String {
    c.send(server, req.as_bytes());
    recv_final(c).unwrap_or_else(|| panic!("no final reply; log:\n{}", server.log_text()))
}

#[test]
fn every_opensips_parameter_loads_and_unknown_ones_are_refused() {
    let good = th_cfg(
        5099,
        r#"modparam("topology_hiding", "force_dialog", 1)
modparam("topology_hiding", "th_passed_contact_uri_params", "ob;gr")
modparam("topology_hiding", "th_passed_contact_params", "+sip.instance;reg-id")
modparam("topology_hiding", "th_callid_passwd", "secret")
modparam("topology_hiding", "th_callid_prefix", "MYPREFIX_")
modparam("topology_hiding", "th_contact_encode_passwd", "other")
modparam("topology_hiding", "th_contact_encode_param", "thinfo")"#,
    )
    .replace("{PORT}", "5098");
    let (out, _) = check_config("th_good.cfg", &good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad = th_cfg(
        5099,
        r#"modparam("topology_hiding", "th_no_such_param", 1)"#,
    )
    .replace("{PORT}", "5098");
    let (out, _) = check_config("th_bad.cfg", &bad);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("th_no_such_param"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad_flag = th_cfg(5099, "").replace("topology_hiding(\"U\")", "topology_hiding(\"X\")");
    let (out, _) = check_config("th_bad_flag.cfg", &bad_flag.replace("{PORT}", "5098"));
    assert!(!out.status.success());
}

#[test]
fn a_cancelled_call_hides_the_cancel_and_restores_the_487() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(callee.port(), ""));
    let caller = NextHop::new();
    let (pc, pb) = (caller.port(), callee.port());
    let head = format!(
        "Via: SIP/2.0/UDP 127.0.0.1:{pc};branch=z9hG4bKcancelled1;rport\r\n\
         Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bKupstream2\r\n\
         From: <sip:alice@example.com>;tag={CALLER_TAG}\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: cancelled-3@example.org\r\n"
    );
    let invite = format!(
        "INVITE sip:bob@example.com SIP/2.0\r\n{head}CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@127.0.0.1:{pc}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    caller
        .sock
        .send_to(invite.as_bytes(), server.addr())
        .unwrap();
    let (got, from) = recv_method(&callee, &server, "INVITE");
    let ringing = answer(&got, 180, "Ringing", CALLEE_TAG, "");
    callee.sock.send_to(ringing.as_bytes(), from).unwrap();
    recv_status(&caller, &server, 180);

    let cancel = format!(
        "CANCEL sip:bob@example.com SIP/2.0\r\n{head}CSeq: 1 CANCEL\r\n\
         Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    caller
        .sock
        .send_to(cancel.as_bytes(), server.addr())
        .unwrap();
    let (c, from) = recv_method(&callee, &server, "CANCEL");
    assert_eq!(headers(&c, "Via").len(), 1, "{c}");
    assert!(!c.contains(&pc.to_string()), "{c}");
    assert!(!c.contains("10.1.1.1"), "{c}");
    let ok = answer(&c, 200, "OK", CALLEE_TAG, "");
    callee.sock.send_to(ok.as_bytes(), from).unwrap();
    let terminated = answer(&got, 487, "Request Terminated", CALLEE_TAG, "");
    callee.sock.send_to(terminated.as_bytes(), from).unwrap();

    let r487 = recv_status(&caller, &server, 487);
    let vias = headers(&r487, "Via");
    assert_eq!(vias.len(), 2, "{r487}");
    assert!(vias[0].contains("z9hG4bKcancelled1"), "{r487}");
    assert!(!r487.contains(&pb.to_string()), "{r487}");
}

#[test]
fn force_dialog_hides_without_create_dialog() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(
        callee.port(),
        r#"modparam("topology_hiding", "force_dialog", 1)"#,
    ));
    let call = establish(&server, callee, "nodialog", "forced-4@example.org");
    assert_eq!(headers(&call.invite, "Via").len(), 1, "{}", call.invite);
    assert!(header(&call.invite, "Contact").unwrap().contains(";did="));
    caller_request(&call, &server, "BYE", "2 BYE");
    let (bye, _) = recv_method(&call.callee, &server, "BYE");
    assert_eq!(
        ruri(&bye),
        format!("sip:bob@127.0.0.1:{}", call.callee.port()),
        "{bye}"
    );
}

#[test]
fn a_re_invite_from_the_callee_refreshes_both_targets_behind_our_contacts() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(callee.port(), ""));
    let proxy = format!("127.0.0.1:{}", server.addr().port());
    let call = establish(&server, callee, "bob", "reinvite-5@example.org");
    let (pc, pb) = (call.caller.port(), call.callee.port());
    caller_request(&call, &server, "ACK", "1 ACK");
    recv_method(&call.callee, &server, "ACK");

    // The callee re-INVITEs with a new Contact.
    let target = uri_of(header(&call.invite, "Contact").unwrap()).to_owned();
    let dialog = format!(
        "From: <sip:bob@example.com>;tag={CALLEE_TAG}\r\n\
         To: <sip:alice@example.com>;tag={CALLER_TAG}\r\n\
         Call-ID: reinvite-5@example.org\r\n"
    );
    let reinvite = format!(
        "INVITE {target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{pb};branch=z9hG4bKreinvite;rport\r\n{dialog}\
         CSeq: 7 INVITE\r\nContact: <sip:bob@127.0.0.1:{pb};moved=1>\r\n\
         Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    call.callee
        .sock
        .send_to(reinvite.as_bytes(), server.addr())
        .unwrap();
    let (got, from) = recv_method(&call.caller, &server, "INVITE");
    assert_eq!(ruri(&got), format!("sip:alice@127.0.0.1:{pc};ob"), "{got}");
    assert_eq!(headers(&got, "Via").len(), 1, "{got}");
    assert!(
        header(&got, "Contact")
            .unwrap()
            .starts_with(&format!("<sip:{proxy};did=")),
        "{got}"
    );
    assert!(!got.contains(&pb.to_string()), "{got}");

    // The caller answers with a new Contact too.
    let contact = format!("Contact: <sip:alice@127.0.0.1:{pc};refreshed=1>\r\n");
    let ok = answer(&got, 200, "OK", "", &contact);
    call.caller.sock.send_to(ok.as_bytes(), from).unwrap();
    let ok = recv_status(&call.callee, &server, 200);
    assert!(ok.contains("7 INVITE"), "{ok}");
    let vias = headers(&ok, "Via");
    assert_eq!(vias.len(), 1, "{ok}");
    assert!(vias[0].contains("z9hG4bKreinvite"), "{ok}");
    assert!(
        header(&ok, "Contact")
            .unwrap()
            .starts_with(&format!("<sip:{proxy};did=")),
        "{ok}"
    );
    assert!(!ok.contains(&pc.to_string()), "{ok}");

    // Its ACK reaches the caller's new Contact; the caller's BYE the callee's new one.
    let ack = format!(
        "ACK {target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{pb};branch=z9hG4bKreack;rport\r\n{dialog}\
         CSeq: 7 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    call.callee
        .sock
        .send_to(ack.as_bytes(), server.addr())
        .unwrap();
    let (got, _) = recv_method(&call.caller, &server, "ACK");
    assert_eq!(
        ruri(&got),
        format!("sip:alice@127.0.0.1:{pc};refreshed=1"),
        "{got}"
    );
    caller_request(&call, &server, "BYE", "2 BYE");
    let (bye, _) = recv_method(&call.callee, &server, "BYE");
    assert_eq!(
        ruri(&bye),
        format!("sip:bob@127.0.0.1:{pb};moved=1"),
        "{bye}"
    );
}

#[test]
fn a_negative_reply_reaches_the_caller_without_the_callee() {
    let callee = NextHop::new();
    let server = Server::start(&th_cfg(callee.port(), ""));
    let caller = NextHop::new();
    let (pc, pb) = (caller.port(), callee.port());
    let invite = format!(
        "INVITE sip:bob@example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{pc};branch=z9hG4bKbusy1;rport\r\n\
         From: <sip:alice@example.com>;tag={CALLER_TAG}\r\n\
         To: <sip:bob@example.com>\r\n\
         Call-ID: busy-4@example.org\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:alice@127.0.0.1:{pc}>\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n"
    );
    caller
        .sock
        .send_to(invite.as_bytes(), server.addr())
        .unwrap();
    let (got, from) = recv_method(&callee, &server, "INVITE");
    let extra =
        format!("Record-Route: <sip:127.0.0.1:{pb};lr>\r\nContact: <sip:bob@127.0.0.1:{pb}>\r\n");
    let busy = answer(&got, 486, "Busy Here", CALLEE_TAG, &extra);
    callee.sock.send_to(busy.as_bytes(), from).unwrap();
    let r486 = recv_status(&caller, &server, 486);
    assert!(
        !r486.contains(&format!(":{pb}")),
        "486 leaks the callee:\n{r486}"
    );
    assert!(header(&r486, "Record-Route").is_none(), "{r486}");
}
