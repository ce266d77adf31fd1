//! The `path` module (RFC 3327) on an edge proxy: `add_path_received()` puts our Path, with
//! where the REGISTER came from, above the Path headers already there on the REGISTER relayed
//! to the registrar; with `use_received` a request routed back through that Path is sent to
//! the `received` address.

use crate::common;

use common::*;

const EDGE: &str = r#"route {
        if (is_method("REGISTER")) {
            if ($rU == "user") {
                add_path("edge", "ob");
            } else {
                add_path_received();
            }
            $du = "sip:127.0.0.1:REGISTRAR";
            t_relay();
            exit;
        }
        if (loose_route()) {
            t_relay();
            exit;
        }
        sl_send_reply(404, "No Route");
    }"#;

fn edge(use_received: i32, registrar: u16) -> Server {
    let globals = format!(
        "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"path.so\"\n\
         modparam(\"path\", \"use_received\", {use_received})"
    );
    Server::start(&cfg(
        &globals,
        &EDGE.replace("REGISTRAR", &registrar.to_string()),
    ))
}

/// The relayed REGISTER carries our Path first (socket address, `;lr`, `received` with the
/// client's address), the one it came with after; `add_path(user, params)` puts the user
/// part and the parameters.
#[test]
fn add_path_puts_our_path_above_the_others() {
    let registrar = NextHop::new();
    let server = edge(0, registrar.port());
    let client = UdpClient::new();
    let port = client.port();
    let reg = request(
        "REGISTER",
        "sip:example.com",
        port,
        "Path: <sip:inner.example.com;lr>\r\nContact: <sip:alice@10.0.0.1:5060>\r\n",
    );
    client.send(&server, reg.as_bytes());
    let (relayed, _) = registrar.recv(&server);
    let paths: Vec<&str> = relayed
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("path:"))
        .collect();
    let sp = server.addr().port();
    assert_eq!(
        paths,
        vec![
            format!("Path: <sip:127.0.0.1:{sp};lr;received=sip:127.0.0.1:{port}>").as_str(),
            "Path: <sip:inner.example.com;lr>",
        ],
        "{relayed}"
    );

    let reg = request(
        "REGISTER",
        "sip:user@example.com",
        port,
        "Contact: <sip:alice@10.0.0.1:5060>\r\n",
    );
    client.send(&server, reg.as_bytes());
    let (relayed, _) = registrar.recv(&server);
    assert_eq!(
        header(&relayed, "Path"),
        Some(format!("<sip:edge@127.0.0.1:{sp};lr;ob>").as_str()),
        "{relayed}"
    );
}

/// With `use_received` = 1, an INVITE whose Route is our Path URI with `received` goes to
/// that address; with 0 it goes to the next Route (here none: the Request-URI's host).
#[test]
fn use_received_routes_to_the_received_address() {
    for use_received in [1, 0] {
        let device = NextHop::new();
        let target = NextHop::new();
        let server = edge(use_received, device.port());
        let client = UdpClient::new();
        let sp = server.addr().port();
        let invite = request(
            "INVITE",
            &format!("sip:alice@127.0.0.1:{}", target.port()),
            client.port(),
            &format!(
                "Route: <sip:127.0.0.1:{sp};lr;received=sip:127.0.0.1:{}>\r\n\
                 Contact: <sip:caller@127.0.0.1:{}>\r\n",
                device.port(),
                client.port()
            ),
        );
        client.send(&server, invite.as_bytes());
        let to = if use_received == 1 { &device } else { &target };
        let (got, _) = to.recv(&server);
        assert!(
            got.starts_with("INVITE "),
            "use_received {use_received}: {got}"
        );
        assert!(!got.contains("Route:"), "our Route is consumed: {got}");
    }
}
