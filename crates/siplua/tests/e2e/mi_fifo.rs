//! The management interface over `mi_fifo`, driven by the real `opensips-cli` exactly as an
//! OpenSIPS operator runs it (`opensips-cli -x mi uptime`): core commands, statistics that
//! match what SIPp sent, and usrloc's commands after SIPp registered users.

use crate::mi_support;

use mi_support::*;
use serde_json::Value;

const ROUTES: &str = r#"route {
    if (is_method("OPTIONS")) {
        append_to_reply("X-Script: options\r\n");
        sl_send_reply(200, "OK");
        exit;
    }
    if (is_method("REGISTER")) {
        save("location");
        exit;
    }
    sl_send_reply(404, "Not Here");
}"#;

const GLOBALS: &str =
    "loadmodule \"tm.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n";

#[test]
fn core_commands_answer_as_opensips() {
    let mi = MiServer::start(GLOBALS, ROUTES);
    let up = mi.cli(&["uptime"]).json();
    assert!(up["Up time"].as_str().unwrap().ends_with(" [sec]"), "{up}");
    assert!(up["Now"].is_string() && up["Up since"].is_string(), "{up}");
    let v = mi.cli(&["version"]).json();
    assert!(v["Server"].as_str().unwrap().starts_with("siplua "), "{v}");

    let which = mi.cli(&["which"]).json();
    let names: Vec<&str> = which
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for cmd in [
        "uptime",
        "version",
        "which",
        "help",
        "ps",
        "log_level",
        "get_statistics",
        "list_statistics",
        "reset_statistics",
        "reload_routes",
        "ul_dump",
        "ul_show_contact",
        "ul_rm",
        "ul_rm_contact",
        "ul_flush",
    ] {
        assert!(names.contains(&cmd), "{cmd} missing from {names:?}");
    }
    let recipes = mi.cli(&["which", "command=log_level"]).json();
    assert_eq!(
        recipes,
        serde_json::json!([[], ["level"], ["level", "pid"]])
    );
    let help = mi.cli(&["help", "ul_dump"]).json();
    assert_eq!(help["Exported by"], "usrloc");

    let ps = mi.cli(&["ps"]).json();
    let types: Vec<&str> = ps["Processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"MI FIFO") && types.contains(&"attendant"),
        "{types:?}"
    );

    // log_level: list, set globally, set for our own PID, refuse another PID.
    let levels = mi.cli(&["log_level"]).json();
    assert_eq!(levels["Processes"][0]["Log level"], 3);
    assert_eq!(
        mi.cli(&["log_level", "1"]).json()["New global log level"],
        1
    );
    assert_eq!(
        mi.cli(&["log_level"]).json()["Processes"][0]["Log level"],
        1
    );
    let pid = levels["Processes"][0]["PID"].to_string();
    assert_eq!(mi.cli(&["log_level", "4", &pid]).json()["Log level"], 4);
    assert!(mi.cli(&["log_level", "2", "1"]).error().contains("-32602"));

    // Errors with OpenSIPS' codes.
    // opensips-cli checks names against `which` itself; the JSON-RPC code is checked in
    // mi_http.rs.
    let unknown = mi.cli(&["no_such_command"]).error();
    assert!(
        unknown.contains("no command 'no_such_command'"),
        "{unknown}"
    );
    let bad = mi.cli(&["ul_rm", "location"]).error();
    assert!(bad.contains("-32602: Invalid params"), "{bad}");
    assert!(mi.cli(&["help", "nope"]).error().contains("404"));
    assert!(mi.cli(&["ul_flush"]).json() == "OK");
}

#[test]
fn statistics_match_what_sipp_sent() {
    let mi = MiServer::start(GLOBALS, ROUTES);
    let run = SippRun::start(&mi.server, "options_uac.xml", 300, 1000, &[]);
    let (code, ok, failed) = run.finish();
    assert_eq!((code, ok, failed), (Some(0), 300, 0));
    let s = mi.stats(&["core:", "sl:"]);
    assert_eq!(s["core:rcv_requests"], 300, "{s:?}");
    assert_eq!(s["sl:sent_replies"], 300, "{s:?}");
    assert_eq!(s["sl:2xx_replies"], 300, "{s:?}");
    assert_eq!(s["core:err_requests"], 0, "{s:?}");

    let kinds = mi.cli(&["list_statistics"]).json();
    assert_eq!(kinds["core:rcv_requests"], "incremental");
    assert_eq!(kinds["usrloc:location-contacts"], "non-incremental");
    assert_eq!(kinds["tm:inuse_transactions"], "non-incremental");

    assert_eq!(
        mi.cli(&["reset_statistics", "core:rcv_requests", "sl:"])
            .json(),
        "OK"
    );
    let s = mi.stats(&["core:rcv_requests", "sl:sent_replies"]);
    assert_eq!(
        (
            s["core:rcv_requests"].as_i64(),
            s["sl:sent_replies"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert!(mi
        .cli(&["get_statistics", "nothing:here"])
        .error()
        .contains("404"));
}

#[test]
fn user_location_commands_after_sipp_registers() {
    let mi = MiServer::start(GLOBALS, ROUTES);
    let users = mi.server.dir.join("users.csv");
    std::fs::write(&users, "SEQUENTIAL\nalice\nbob\ncarol\ndave\n").unwrap();
    let run = SippRun::start(
        &mi.server,
        "register_users.xml",
        4,
        100,
        &["-inf", users.to_str().unwrap()],
    );
    assert_eq!(run.finish(), (Some(0), 4, 0));
    assert_eq!(mi.stat("usrloc:registered_users"), 4);
    assert_eq!(mi.stat("usrloc:location-contacts"), 4);

    let dump = mi.cli(&["ul_dump"]).json();
    let table = &dump["Domains"][0];
    assert_eq!(table["name"], "location");
    let aors: Vec<&str> = table["AORs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AOR"].as_str().unwrap())
        .collect();
    // usrloc's default use_domain = 0: the AOR is the user part (OpenSIPS' default), and the
    // commands below still take `user@domain`, dropping the domain as OpenSIPS does.
    assert_eq!(aors, ["alice", "bob", "carol", "dave"]);
    let contact = &table["AORs"][0]["Contacts"][0];
    assert!(
        contact["Contact"]
            .as_str()
            .unwrap()
            .starts_with("sip:alice@127.0.0.1:"),
        "{contact}"
    );
    assert!(contact["Expires"].as_i64().unwrap() > 3500, "{contact}");
    assert_eq!(contact["User-agent"], "sipp-siplua-registrar");
    assert!(
        contact["Socket"]
            .as_str()
            .unwrap()
            .starts_with("udp:127.0.0.1:"),
        "{contact}"
    );

    let shown = mi
        .cli(&["ul_show_contact", "location", "bob@example.com"])
        .json();
    let bob_contact = shown["Contacts"][0]["Contact"].as_str().unwrap().to_owned();
    assert!(bob_contact.starts_with("sip:bob@"), "{shown}");

    assert_eq!(
        mi.cli(&["ul_rm", "location", "alice@example.com"]).json(),
        "OK"
    );
    assert!(mi
        .cli(&["ul_rm", "location", "alice@example.com"])
        .error()
        .contains("404: AOR not found"));
    assert_eq!(
        mi.cli(&["ul_rm_contact", "location", "bob@example.com", &bob_contact])
            .json(),
        "OK"
    );
    let e = mi
        .cli(&[
            "ul_rm_contact",
            "location",
            "carol@example.com",
            "sip:nobody@1.2.3.4",
        ])
        .error();
    assert!(e.contains("404: Contact not found"), "{e}");
    assert!(mi
        .cli(&["ul_show_contact", "nosuch", "x@y"])
        .error()
        .contains("404"));
    assert_eq!(mi.stat("usrloc:registered_users"), 2);
    let dump = mi.cli(&["ul_dump", "brief=1"]).json();
    assert_eq!(dump["Domains"][0]["AORs"].as_array().map(Vec::len), Some(2));
    assert!(matches!(
        dump["Domains"][0]["AORs"][0]["Contacts"][0]["Callid"],
        Value::Null
    ));
}
