//! The event interface end to end: requests over UDP make the script `raise_event`, and the
//! `event_route` module runs the matching `event_route[E_NAME]` with the event's parameters
//! as `$param(name)` (or by position); an event nobody handles is dropped, `raise_event`
//! still returning 1.

use crate::common;

use common::*;

const ROUTES: &str = r#"
route {
    $avp(attrs) := NULL;
    $avp(vals) := NULL;
    if ($hdr(X-Op) == "named") {
        $avp(attrs) = "user";
        $avp(vals) = $fU;
        $avp(attrs) = "method";
        $avp(vals) = $rm;
        raise_event("E_SCRIPT_NAMED", $avp(attrs), $avp(vals));
    } else if ($hdr(X-Op) == "values") {
        $avp(vals) = "first";
        $avp(vals) = "second";
        raise_event("E_SCRIPT_VALUES", $avp(vals));
    } else if ($hdr(X-Op) == "bare") {
        raise_event("E_SCRIPT_BARE");
    } else if ($hdr(X-Op) == "nobody") {
        raise_event("E_NOT_HANDLED");
    } else if ($hdr(X-Op) == "unpaired") {
        $avp(attrs) = "a";
        $avp(vals) = "1";
        $avp(vals) = "2";
        raise_event("E_SCRIPT_NAMED", $avp(attrs), $avp(vals));
    }
    append_to_reply("X-Rc: $rc\r\n");
    sl_send_reply(200, "Raised");
}

route[show] {
    xlog("L_INFO", "EVENT sub-route param=$param(1)\n");
}

event_route[E_SCRIPT_NAMED] {
    xlog("L_INFO", "EVENT named user=$param(user) method=$param(method)\n");
    route(show, "from-event");
}

event_route[E_SCRIPT_VALUES] {
    xlog("L_INFO", "EVENT values $param(1) $param(2)\n");
}

event_route[E_SCRIPT_BARE] {
    if ($param(user) == NULL) xlog("L_INFO", "EVENT bare without parameters\n");
}
"#;

fn raise(server: &Server, op: &str) -> String {
    let c = UdpClient::new();
    let req = request(
        "MESSAGE",
        "sip:q@example.com",
        c.port(),
        &format!("X-Op: {op}\r\n"),
    );
    let reply = c.request(server, &req).expect("answered");
    assert_eq!(status(&reply), 200, "{reply}");
    header(&reply, "X-Rc").unwrap_or("").to_owned()
}

#[test]
fn raised_events_run_their_event_route_with_the_parameters() {
    let server = Server::start(&cfg("loadmodule \"event_route.so\"", ROUTES));
    assert_eq!(raise(&server, "named"), "1");
    assert!(
        server.wait_log("EVENT named user=alice method=MESSAGE"),
        "{}",
        server.log_text()
    );
    assert!(server.wait_log("EVENT sub-route param=from-event"));
    assert_eq!(raise(&server, "values"), "1");
    // Unnamed parameters by position, the newest value first (as the AVP lists them).
    assert!(
        server.wait_log("EVENT values second first"),
        "{}",
        server.log_text()
    );
    assert_eq!(raise(&server, "bare"), "1");
    assert!(server.wait_log("EVENT bare without parameters"));
}

#[test]
fn an_event_without_a_route_is_dropped_and_unpaired_values_fail() {
    let server = Server::start(&cfg("loadmodule \"event_route.so\"", ROUTES));
    assert_eq!(raise(&server, "nobody"), "1");
    // More values than names: an error, nothing raised.
    assert_eq!(raise(&server, "unpaired"), "-1");
    assert_eq!(raise(&server, "bare"), "1");
    assert!(server.wait_log("EVENT bare without parameters"));
    let log = server.log_text();
    assert!(!log.contains("EVENT named"), "{log}");
    assert!(log.contains("2 values but 1 attribute names"), "{log}");
}

#[test]
fn without_the_event_route_module_events_have_no_subscriber() {
    let server = Server::start(&cfg("", ROUTES));
    assert_eq!(raise(&server, "named"), "1");
    assert_eq!(raise(&server, "bare"), "1");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log = server.log_text();
    assert!(!log.contains("EVENT "), "{log}");
}

#[test]
fn raise_event_takes_avps_only() {
    let (out, path) = check_config(
        "raise_event_var.cfg",
        "loadmodule \"proto_udp.so\"\nsocket = udp:127.0.0.1:5999\nroute {\n    raise_event(\"E_X\", $var(names), $avp(v));\n}\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let at = format!("{}:4:", path.display());
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&at) && l.contains("$var(names) must be an AVP")),
        "{stderr}"
    );
}
