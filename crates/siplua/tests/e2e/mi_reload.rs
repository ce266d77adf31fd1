//! `reload_routes` under SIPp traffic: a good file is swapped in atomically (the next
//! requests see the new routes), a broken one is refused with its errors while the old
//! routes keep running, and no request fails meanwhile.

use crate::common;
use crate::mi_support;

use std::time::Duration;

use common::*;
use mi_support::*;

const ROUTES: &str = r#"route {
    if (is_method("OPTIONS")) {
        append_to_reply("X-Script: options\r\n");
        sl_send_reply(200, "OK");
        exit;
    }
    sl_send_reply(404, "Not Here");
}"#;

const V1: &str = r#"append_to_reply("X-Script: options\r\n");"#;
const V2: &str = r#"append_to_reply("X-Script: options\r\nX-Version: 2\r\n");"#;

/// The `X-Version` of the reply to one OPTIONS.
fn version(mi: &MiServer) -> Option<String> {
    let c = UdpClient::new();
    let reply = c.ask(
        &mi.server,
        &request("OPTIONS", "sip:ping@127.0.0.1", c.port(), ""),
    );
    header(&reply, "X-Version").map(str::to_owned)
}

#[test]
fn reload_routes_good_and_broken_under_traffic() {
    let mi = MiServer::start("", ROUTES);
    let path = mi.server.dir.join("test.cfg");
    let original = std::fs::read_to_string(&path).unwrap();
    assert_eq!(version(&mi), None);

    let run = SippRun::start(&mi.server, "options_uac.xml", 2000, 500, &[]);
    std::thread::sleep(Duration::from_millis(500));

    // A good file: swapped in.
    std::fs::write(&path, original.replace(V1, V2)).unwrap();
    assert_eq!(mi.cli(&["reload_routes"]).json(), "OK");
    assert_eq!(version(&mi).as_deref(), Some("2"));

    // A broken file: refused with the error, the running routes stay.
    let broken = original.replace("sl_send_reply(404, \"Not Here\");", "no_such_function();");
    std::fs::write(&path, broken).unwrap();
    let e = mi.cli(&["reload_routes"]).error();
    assert!(
        e.contains("500: Failed to reload") && e.contains("no_such_function"),
        "{e}"
    );
    assert!(e.contains("test.cfg:"), "the error names the position: {e}");
    assert_eq!(version(&mi).as_deref(), Some("2"));

    // Routes that would move under running transactions: refused.
    let moved = original.replace("route {", "route[early] {\n    exit;\n}\nroute {");
    std::fs::write(&path, moved).unwrap();
    let e = mi.cli(&["reload_routes"]).error();
    assert!(e.contains("moved"), "{e}");

    // A route added after the existing ones is fine.
    std::fs::write(
        &path,
        format!("{}\nroute[late] {{\n    exit;\n}}\n", original),
    )
    .unwrap();
    assert_eq!(mi.cli(&["reload_routes"]).json(), "OK");
    assert_eq!(version(&mi), None);

    let (code, ok, failed) = run.finish();
    assert_eq!(
        (code, ok, failed),
        (Some(0), 2000, 0),
        "log:\n{}",
        mi.server.log_text()
    );
    assert!(mi.server.log_text().contains("routes reloaded from"));
}
