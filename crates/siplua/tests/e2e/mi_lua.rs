//! The lua module's MI commands through the real opensips-cli: `lua_reload` with a good and a
//! broken file while SIPp sends traffic (0 failed, the broken file's error returned, the old
//! code keeps running), `watch` add/list/delete seen by Lua's `watch_getFlag`, and the `lua:`
//! statistics.

use crate::common;
use crate::mi_support;

use std::time::Duration;

use common::*;
use mi_support::*;

const ROUTES: &str = r#"route {
    if (is_method("OPTIONS")) {
        lua_exec("answer");
        append_to_reply("X-Script: options\r\n");
        sl_send_reply(200, "OK");
        exit;
    }
    sl_send_reply(404, "Not Here");
}"#;

fn lua(version: &str) -> String {
    format!(
        r#"function answer(msg)
  add_lump_rpl(msg, "X-Version: {version}\r\n")
  if watch_getFlag(msg) then add_lump_rpl(msg, "X-Watched: yes\r\n") end
end
"#
    )
}

/// `X-Version` and `X-Watched` of the reply to one OPTIONS from `user`.
fn ask(mi: &MiServer, user: &str) -> (Option<String>, bool) {
    let c = UdpClient::new();
    let req = request("OPTIONS", "sip:ping@127.0.0.1", c.port(), "").replace(
        "<sip:alice@example.com>",
        &format!("<sip:{user}@example.com>"),
    );
    let reply = c.ask(&mi.server, &req);
    (
        header(&reply, "X-Version").map(str::to_owned),
        header(&reply, "X-Watched").is_some(),
    )
}

fn start() -> (MiServer, std::path::PathBuf) {
    let dir = scratch("lua-mi-src");
    let file = dir.join("script.lua");
    std::fs::write(&file, lua("1")).unwrap();
    let globals = format!(
        "loadmodule \"lua.so\"\nmodparam(\"lua\", \"luafilename\", \"{}\")\n",
        file.display()
    );
    (MiServer::start(&globals, ROUTES), file)
}

#[test]
fn lua_reload_good_and_broken_under_traffic() {
    let (mi, file) = start();
    assert_eq!(ask(&mi, "alice").0.as_deref(), Some("1"));
    let run = SippRun::start(&mi.server, "options_uac.xml", 2000, 500, &[]);
    std::thread::sleep(Duration::from_millis(500));

    std::fs::write(&file, lua("2")).unwrap();
    assert_eq!(mi.cli(&["lua_reload"]).json(), "OK");
    assert_eq!(ask(&mi, "alice").0.as_deref(), Some("2"));

    std::fs::write(&file, "function answer(msg\n  broken(\n").unwrap();
    let e = mi.cli(&["lua_reload"]).error();
    assert!(
        e.contains("500") && e.contains("script.lua"),
        "the error names the file: {e}"
    );
    assert_eq!(
        ask(&mi, "alice").0.as_deref(),
        Some("2"),
        "the old code keeps running"
    );

    std::fs::write(&file, lua("3")).unwrap();
    assert_eq!(mi.cli(&["lua_reload"]).json(), "OK");
    assert_eq!(ask(&mi, "alice").0.as_deref(), Some("3"));

    let (code, ok, failed) = run.finish();
    assert_eq!(
        (code, ok, failed),
        (Some(0), 2000, 0),
        "log:\n{}",
        mi.server.log_text()
    );
    assert_eq!(mi.stat("lua:reloads"), 2);
    assert!(mi.stat("lua:exec_calls") >= 2004);
    assert_eq!(mi.stat("lua:exec_errors"), 0);
    assert!(mi.stat("lua:memory") > 0);
}

#[test]
fn watch_add_list_delete() {
    let (mi, _) = start();
    assert_eq!(mi.cli(&["watch"]).json(), serde_json::json!([]));
    assert_eq!(mi.cli(&["watch", "add", "alice"]).json(), "OK");
    assert_eq!(mi.cli(&["watch", "add", "carol"]).json(), "OK");
    assert_eq!(
        mi.cli(&["watch"]).json(),
        serde_json::json!(["alice", "carol"])
    );
    assert!(ask(&mi, "alice").1, "Lua sees the watched From user");
    assert!(!ask(&mi, "bob").1);
    assert_eq!(mi.cli(&["watch", "delete", "alice"]).json(), "OK");
    assert_eq!(mi.cli(&["watch"]).json(), serde_json::json!(["carol"]));
    assert!(!ask(&mi, "alice").1);
    let e = mi.cli(&["watch", "drop", "x"]).error();
    assert!(e.contains("400") && e.contains("Bad action"), "{e}");
}
