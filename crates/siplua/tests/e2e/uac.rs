//! The `uac` and `uac_auth` modules end to end: a UDP socket of the test is the upstream
//! (a trunk). `uac_replace_from`/`uac_replace_to` rewrite what the trunk receives while the
//! client's replies carry its own From/To; `uac_auth()` in a failure route answers the
//! trunk's 401/407 challenge (the test recomputes the digest) and the trunk's 200 reaches
//! the client with the client's CSeq.

use crate::auth_support;
use crate::common;

use std::net::SocketAddr;

use auth_support::{expected_response, param};
use common::*;
use siplua_modules::auth::digest::Algorithm;

/// The trunk: receives what siplua sends and answers.
struct Trunk(NextHop);

impl std::ops::Deref for Trunk {
    type Target = NextHop;
    fn deref(&self) -> &NextHop {
        &self.0
    }
}

impl Trunk {
    fn new() -> Trunk {
        Trunk(NextHop::new())
    }

    /// The next request other than an ACK (the ACKs of our negative replies are skipped).
    fn recv(&self, server: &Server) -> (String, SocketAddr) {
        loop {
            let (text, from) = self.0.recv(server);
            if !text.starts_with("ACK ") {
                return (text, from);
            }
        }
    }

    /// Answers `req` with `code` and extra header lines, echoing Via/From/To/Call-ID/CSeq.
    fn answer(&self, req: &str, to: SocketAddr, code: u16, reason: &str, extra: &str) {
        let mut out = format!("SIP/2.0 {code} {reason}\r\n");
        for line in req.split("\r\n\r\n").next().unwrap().lines().skip(1) {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if ["via", "from", "call-id", "cseq"].contains(&name.as_str()) {
                out.push_str(line);
                out.push_str("\r\n");
            } else if name == "to" {
                out.push_str(line);
                out.push_str(";tag=trunk\r\n");
            }
        }
        out.push_str(extra);
        out.push_str("Content-Length: 0\r\n\r\n");
        self.sock.send_to(out.as_bytes(), to).unwrap();
    }
}

fn uac_cfg(trunk: u16, uac_auth_params: &str) -> String {
    cfg(
        &format!(
            "loadmodule \"tm.so\"\nloadmodule \"uac_auth.so\"\nloadmodule \"uac.so\"\n\
             modparam(\"uac\", \"restore_mode\", \"none\")\n{uac_auth_params}"
        ),
        &r#"route {
            if ($rU == "anon") {
                uac_replace_from("Trunk User", "sip:+15551234@trunk.example");
                uac_replace_to("sip:+15559876@trunk.example");
            }
            t_on_failure("auth");
            t_relay("udp:127.0.0.1:TRUNK");
        }
        failure_route[auth] {
            if (t_check_status("401|407")) {
                if (uac_auth()) {
                    xlog("L_INFO", "uac_auth done\n");
                    t_relay("udp:127.0.0.1:TRUNK");
                } else {
                    xlog("L_INFO", "uac_auth failed\n");
                }
            }
        }"#
        .replace("TRUNK", &trunk.to_string()),
    )
}

/// The final reply the client gets (provisional ones skipped).
fn final_reply(client: &UdpClient, server: &Server) -> String {
    loop {
        let r = client
            .recv()
            .unwrap_or_else(|| panic!("no final reply; log:\n{}", server.log_text()));
        if status(&r) >= 200 {
            return r;
        }
    }
}

#[test]
fn replace_from_and_to_reach_the_trunk_and_the_reply_is_restored() {
    let trunk = Trunk::new();
    let server = Server::start(&uac_cfg(trunk.port(), ""));
    let client = UdpClient::new();
    let req = request("MESSAGE", "sip:anon@example.com", client.port(), "");
    client.send(&server, req.as_bytes());
    let (fwd, from) = trunk.recv(&server);
    let tag = header(&req, "From").unwrap().split(";tag=").nth(1).unwrap();
    assert_eq!(
        header(&fwd, "From").unwrap(),
        format!("\"Trunk User\" <sip:+15551234@trunk.example>;tag={tag}"),
        "{fwd}"
    );
    assert_eq!(header(&fwd, "To").unwrap(), "<sip:+15559876@trunk.example>");
    trunk.answer(&fwd, from, 200, "OK", "");
    let reply = final_reply(&client, &server);
    assert_eq!(status(&reply), 200);
    assert_eq!(header(&reply, "From"), header(&req, "From"), "{reply}");
    assert_eq!(
        header(&reply, "To").unwrap(),
        "<sip:bob@example.com>;tag=trunk",
        "{reply}"
    );
    server.stop();
}

#[test]
fn uac_auth_answers_a_407_with_md5_and_the_200_reaches_the_client() {
    let trunk = Trunk::new();
    let server = Server::start(&uac_cfg(
        trunk.port(),
        "modparam(\"uac_auth\", \"credential\", \"other:elsewhere:nope\")\n\
         modparam(\"uac_auth\", \"credential\", \"trunkuser:trunk.example:s3cret\")\n",
    ));
    let client = UdpClient::new();
    let req = request("MESSAGE", "sip:bob@example.com", client.port(), "");
    client.send(&server, req.as_bytes());
    let (first, from) = trunk.recv(&server);
    assert!(header(&first, "Proxy-Authorization").is_none());
    trunk.answer(
        &first,
        from,
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"trunk.example\", nonce=\"abc123\", qop=\"auth\", opaque=\"op9\"\r\n",
    );
    let (second, from) = trunk.recv(&server);
    let auth = header(&second, "Proxy-Authorization")
        .unwrap_or_else(|| panic!("no credentials: {second}\n{}", server.log_text()));
    assert_eq!(param(auth, "username"), "trunkuser");
    assert_eq!(param(auth, "uri"), "sip:bob@example.com");
    assert_eq!(param(auth, "opaque"), "op9");
    assert_eq!(
        param(auth, "response"),
        expected_response(Algorithm::Md5, "MESSAGE", auth, "s3cret")
    );
    let n: u32 = header(&req, "CSeq")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        header(&second, "CSeq").unwrap(),
        format!("{} MESSAGE", n + 1)
    );
    assert_ne!(
        header(&first, "Via"),
        header(&second, "Via"),
        "a new branch"
    );
    trunk.answer(&second, from, 200, "OK", "");
    let reply = final_reply(&client, &server);
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(header(&reply, "CSeq").unwrap(), format!("{n} MESSAGE"));
    assert!(server.log_text().contains("uac_auth done"));
    server.stop();
}

#[test]
fn uac_auth_answers_a_401_sha256_challenge_to_an_invite() {
    let trunk = Trunk::new();
    let server = Server::start(&uac_cfg(
        trunk.port(),
        "modparam(\"uac_auth\", \"auth_realm_avp\", \"$avp(arealm)\")\n\
         modparam(\"uac_auth\", \"auth_username_avp\", \"$avp(auser)\")\n\
         modparam(\"uac_auth\", \"auth_password_avp\", \"$avp(apass)\")\n",
    )
    .replace(
        "t_on_failure(\"auth\");",
        "$avp(arealm) = \"sha.example\"; $avp(auser) = \"avpuser\"; $avp(apass) = \"avppass\";\n\
         t_on_failure(\"auth\");",
    ));
    let client = UdpClient::new();
    let req = request("INVITE", "sip:bob@example.com", client.port(), "");
    client.send(&server, req.as_bytes());
    let (first, from) = trunk.recv(&server);
    trunk.answer(
        &first,
        from,
        401,
        "Unauthorized",
        "WWW-Authenticate: Digest realm=\"sha.example\", nonce=\"n256\", qop=\"auth-int,auth\", algorithm=SHA-256\r\n",
    );
    let (second, from) = trunk.recv(&server);
    let auth = header(&second, "Authorization")
        .unwrap_or_else(|| panic!("no credentials: {second}\n{}", server.log_text()));
    assert_eq!(param(auth, "username"), "avpuser");
    assert_eq!(param(auth, "algorithm"), "SHA-256");
    assert_eq!(param(auth, "qop"), "auth");
    assert_eq!(
        param(auth, "response"),
        expected_response(Algorithm::Sha256, "INVITE", auth, "avppass")
    );
    trunk.answer(&second, from, 200, "OK", "");
    let reply = final_reply(&client, &server);
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(header(&reply, "CSeq"), header(&req, "CSeq"));
    server.stop();
}

#[test]
fn without_credentials_for_the_realm_the_challenge_goes_to_the_client() {
    let trunk = Trunk::new();
    let server = Server::start(&uac_cfg(
        trunk.port(),
        "modparam(\"uac_auth\", \"credential\", \"u:another.realm:p\")\n",
    ));
    let client = UdpClient::new();
    let req = request("MESSAGE", "sip:bob@example.com", client.port(), "");
    client.send(&server, req.as_bytes());
    let (first, from) = trunk.recv(&server);
    trunk.answer(
        &first,
        from,
        407,
        "Proxy Authentication Required",
        "Proxy-Authenticate: Digest realm=\"trunk.example\", nonce=\"x\"\r\n",
    );
    let reply = final_reply(&client, &server);
    assert_eq!(status(&reply), 407, "{reply}");
    assert!(server.log_text().contains("uac_auth failed"));
    server.stop();
}

#[test]
fn every_opensips_parameter_loads_and_bad_values_are_refused() {
    let good = "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"uac_auth.so\"\nloadmodule \"uac.so\"\n\
        modparam(\"uac\", \"restore_mode\", \"auto\")\nmodparam(\"uac\", \"restore_passwd\", \"x\")\n\
        modparam(\"uac\", \"rr_from_store_param\", \"vsf\")\nmodparam(\"uac\", \"rr_to_store_param\", \"vst\")\n\
        modparam(\"uac\", \"force_dialog\", yes)\n\
        modparam(\"uac_auth\", \"credential\", \"u:r:0xc17ba8157756f263d07e158504204629\")\n";
    let routes = "route { uac_replace_from(\"sip:a@b\"); uac_restore_from(); t_relay(); }\n\
        failure_route[f] { uac_auth(\"MD5,SHA-256\"); }";
    let text = |g: &str, r: &str| cfg(g, r).replace("{PORT}", &free_port().to_string());
    let (out, _) = check_config("uac_ok.cfg", &text(good, routes));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad_mode = good.replace("\"auto\"", "\"sometimes\"");
    let (out, _) = check_config("uac_bad_mode.cfg", &text(&bad_mode, routes));
    assert!(!out.status.success());
    let bad_alg = routes.replace("MD5,SHA-256", "SHA-1");
    let (out, _) = check_config("uac_bad_alg.cfg", &text(good, &bad_alg));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SHA-1"));
}

#[test]
fn replace_in_branch_and_failure_routes() {
    let trunk = Trunk::new();
    let routes = r#"route {
            t_on_branch("per_branch");
            t_on_failure("retry");
            t_relay("udp:127.0.0.1:TRUNK");
        }
        branch_route[per_branch] {
            uac_replace_from("sip:branch@trunk.example");
        }
        failure_route[retry] {
            uac_replace_to("Retry", "");
            t_relay("udp:127.0.0.1:TRUNK");
        }"#
    .replace("TRUNK", &trunk.port().to_string());
    let server = Server::start(&cfg(
        "loadmodule \"tm.so\"\nloadmodule \"uac.so\"\n",
        &routes,
    ));
    let client = UdpClient::new();
    let req = request("MESSAGE", "sip:bob@example.com", client.port(), "");
    client.send(&server, req.as_bytes());
    let (first, from) = trunk.recv(&server);
    assert!(
        header(&first, "From")
            .unwrap()
            .starts_with("<sip:branch@trunk.example>;tag="),
        "{first}"
    );
    assert_eq!(header(&first, "To").unwrap(), "<sip:bob@example.com>");
    trunk.answer(&first, from, 503, "Unavailable", "");
    let (second, from) = trunk.recv(&server);
    assert_eq!(
        header(&second, "To").unwrap(),
        "Retry <sip:bob@example.com>",
        "{second}"
    );
    trunk.answer(&second, from, 200, "OK", "");
    let reply = final_reply(&client, &server);
    assert_eq!(status(&reply), 200);
    assert_eq!(
        header(&reply, "To").unwrap(),
        "<sip:bob@example.com>;tag=trunk"
    );
    server.stop();
}

/// `restore_mode` auto (OpenSIPS' default): the replaced From travels in our Record-Route,
/// and the in-dialog BYE gets it again downstream and the original back upstream.
#[test]
fn auto_mode_restores_sequential_requests_in_both_directions() {
    let trunk = Trunk::new();
    let (server, client, invite, rr) = replaced_from_call(
        &trunk,
        r#"if (loose_route()) { t_relay(); exit; }
                sl_send_reply(404, "Not here");
                exit;"#,
        "modparam(\"uac\", \"restore_passwd\", \"s3cret\")\n",
    );
    assert!(rr.contains(";vsf="), "{rr}");
    assert!(!rr.contains("alice"), "scrambled with restore_passwd: {rr}");

    // Caller -> trunk: the BYE leaves with the replaced From.
    let caller_from = header(&invite, "From").unwrap();
    let tag = caller_from.split(";tag=").nth(1).unwrap();
    let bye = bye_to_trunk("bob", "bye1", &trunk, &client, &invite, &rr);
    client.send(&server, bye.as_bytes());
    let (fwd_bye, from) = trunk.recv(&server);
    assert_eq!(
        header(&fwd_bye, "From").unwrap(),
        format!("<sip:+15551234@trunk.example>;tag={tag}"),
        "{fwd_bye}"
    );
    trunk.answer(&fwd_bye, from, 200, "OK", "");
    let reply = final_reply(&client, &server);
    assert_eq!(header(&reply, "From"), Some(caller_from), "{reply}");

    // Trunk -> caller: the trunk's To (the replaced URI) becomes the caller's own again.
    let up = format!(
        "BYE sip:alice@127.0.0.1:{cp} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{tp};branch=z9hG4bK-bye2\r\n\
         Route: {rr}\r\nFrom: <sip:bob@example.com>;tag=trunk\r\n\
         To: <sip:+15551234@trunk.example>;tag={tag}\r\n\
         Call-ID: {cid}\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        tp = trunk.port(),
        cp = client.port(),
        cid = header(&invite, "Call-ID").unwrap(),
    );
    trunk.sock.send_to(up.as_bytes(), server.addr()).unwrap();
    let got = client
        .recv()
        .unwrap_or_else(|| panic!("no BYE upstream; log:\n{}", server.log_text()));
    assert!(got.starts_with("BYE "), "{got}");
    assert_eq!(
        header(&got, "To").unwrap(),
        format!("<sip:alice@example.com>;tag={tag}"),
        "{got}"
    );
    server.stop();
}

/// `restore_mode` manual: nothing happens until the script calls `uac_restore_from()`.
#[test]
fn manual_mode_restores_only_when_asked() {
    let trunk = Trunk::new();
    let (server, client, invite, rr) = replaced_from_call(
        &trunk,
        r#"loose_route();
                if ($rU == "restore") { uac_restore_from(); }
                t_relay();
                exit;"#,
        "modparam(\"uac\", \"restore_mode\", \"manual\")\n",
    );
    for (user, expected) in [
        ("keep", "<sip:alice@example.com>"),
        ("restore", "<sip:+15551234@trunk.example>"),
    ] {
        let bye = bye_to_trunk(user, user, &trunk, &client, &invite, &rr);
        client.send(&server, bye.as_bytes());
        let (fwd_bye, from) = trunk.recv(&server);
        assert!(
            header(&fwd_bye, "From").unwrap().starts_with(expected),
            "{user}: {fwd_bye}"
        );
        trunk.answer(&fwd_bye, from, 200, "OK", "");
        assert_eq!(status(&final_reply(&client, &server)), 200);
    }
    server.stop();
}

/// A call whose INVITE the server record-routes and relays to the trunk with the From
/// replaced (`in_dialog` is the script for requests with a to-tag, `modparams` the uac
/// parameters); the trunk answers 200 and the client gets it. Returns the server, the
/// client, the INVITE sent and the Record-Route the trunk saw.
fn replaced_from_call(
    trunk: &Trunk,
    in_dialog: &str,
    modparams: &str,
) -> (Server, UdpClient, String, String) {
    let routes = format!(
        r#"route {{
            if (has_totag()) {{
                {in_dialog}
            }}
            record_route();
            uac_replace_from("sip:+15551234@trunk.example");
            t_relay("udp:127.0.0.1:{trunk}");
        }}"#,
        trunk = trunk.port()
    );
    let server = Server::start(&cfg(
        &format!("loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"uac.so\"\n{modparams}"),
        &routes,
    ));
    let client = UdpClient::new();
    let invite = request("INVITE", "sip:bob@example.com", client.port(), "");
    client.send(&server, invite.as_bytes());
    let (fwd, from) = trunk.recv(&server);
    let rr = header(&fwd, "Record-Route")
        .expect("record-routed")
        .to_owned();
    trunk.answer(&fwd, from, 200, "OK", "");
    assert_eq!(status(&final_reply(&client, &server)), 200);
    (server, client, invite, rr)
}

/// The caller's in-dialog BYE of `invite`'s call, routed by `rr` towards the trunk.
fn bye_to_trunk(
    user: &str,
    branch: &str,
    trunk: &Trunk,
    client: &UdpClient,
    invite: &str,
    rr: &str,
) -> String {
    format!(
        "BYE sip:{user}@127.0.0.1:{tp} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{cp};branch=z9hG4bK-{branch};rport\r\n\
         Route: {rr}\r\nFrom: {from}\r\nTo: <sip:bob@example.com>;tag=trunk\r\n\
         Call-ID: {cid}\r\nCSeq: 900 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
        tp = trunk.port(),
        cp = client.port(),
        from = header(invite, "From").unwrap(),
        cid = header(invite, "Call-ID").unwrap(),
    )
}
