//! `lua_auto_reload`: a changed file is picked up by every worker before its next
//! `lua_exec`; a broken version keeps the old code running and is reported once; the new
//! code runs in a fresh state. Checked under SIPp traffic with no failed call.

use crate::common;
use crate::lua_support;

use std::path::Path;
use std::time::Duration;

use common::*;
use lua_support::*;

const ROUTE: &str = r#"
route {
    if (lua_exec("handle")) {
        sl_send_reply(200, "OK");
    } else {
        sl_send_reply(500, "Lua failed");
    }
}
"#;

fn version(v: &str, extra: &str) -> String {
    format!(
        r#"
VERSION = "{v}"
{extra}
function handle(msg)
  add_lump_rpl(msg, "X-Script: options\r\n")
  add_lump_rpl(msg, "X-Version: " .. VERSION .. "\r\n")
  add_lump_rpl(msg, "X-Leak: " .. tostring(only_in_v1) .. "\r\n")
  return 1
end
"#
    )
}

/// (successful, failed) calls from the last line of a SIPp `-trace_stat` file.
fn sipp_totals(stat: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(stat).expect("sipp statistics");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().expect("header").split(';').collect();
    let last: Vec<&str> = lines.next_back().expect("a line").split(';').collect();
    let column = |name: &str| {
        let i = header.iter().position(|h| *h == name).expect("column");
        last[i].trim().parse::<u64>().expect("number")
    };
    (column("SuccessfulCall(C)"), column("FailedCall(C)"))
}

/// Replaces the file in one step, so that a worker never reads half a file.
fn replace(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn good_broken_good_under_traffic() {
    let dir = scratch("reload");
    let script = dir.join("test.lua");
    std::fs::write(&script, version("1", "only_in_v1 = true")).unwrap();
    let t = LuaTest::start_in(&dir, "modparam(\"lua\", \"lua_auto_reload\", 1)", ROUTE);
    let r = t.send_raw(&raw_request(
        "OPTIONS",
        t.client.port(),
        "<sip:x@y>",
        "-",
        "",
    ));
    assert_eq!(hv(&r, "X-Version"), "1");
    assert_eq!(hv(&r, "X-Leak"), "true");

    let target = format!("127.0.0.1:{}", t.server.port);
    let stat = dir.join("stat.csv");
    let stat_arg = stat.display().to_string();
    let sipp = std::thread::spawn(move || {
        sipp(&[
            &target,
            "-sf",
            &scenario("options_uac.xml"),
            "-t",
            "u1",
            "-i",
            "127.0.0.1",
            "-p",
            &free_port().to_string(),
            "-m",
            "1500",
            "-r",
            "300",
            "-timeout",
            "40s",
            "-timeout_error",
            "-nostdin",
            "-trace_stat",
            "-stf",
            &stat_arg,
            "-fd",
            "1",
        ])
    });

    std::thread::sleep(Duration::from_millis(1200));
    let broken = format!("{}\nthis line is not Lua\n", version("1b", ""));
    let broken_line = broken.lines().count();
    replace(&script, &broken);
    std::thread::sleep(Duration::from_millis(1200));
    replace(&script, &version("2", ""));

    let out = sipp.join().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "sipp failed:\n{stdout}\n{stderr}\n{}",
        t.log()
    );
    assert_eq!(sipp_totals(&stat), (1500, 0), "(successful, failed)");

    let r = t.send_raw(&raw_request(
        "OPTIONS",
        t.client.port(),
        "<sip:x@y>",
        "-",
        "",
    ));
    assert_eq!(status(&r), 200);
    assert_eq!(hv(&r, "X-Version"), "2");
    // A fresh state: what only the first version defined is gone.
    assert_eq!(hv(&r, "X-Leak"), "nil");

    let log = t.log();
    let needle = format!("{}:{broken_line}:", script.display());
    let errors = log.matches(&needle).count();
    // Once per worker that saw the broken version, not once per call.
    assert!((1..=2).contains(&errors), "{errors} errors:\n{log}");
    assert!(log.contains("keeping the previously loaded code"), "{log}");
    assert!(log.contains("successfully reloaded"), "{log}");
}

#[test]
fn without_auto_reload_the_file_is_read_once() {
    let dir = scratch("noreload");
    let script = dir.join("test.lua");
    std::fs::write(&script, version("1", "")).unwrap();
    let t = LuaTest::start_in(&dir, "", ROUTE);
    replace(&script, &version("2", ""));
    std::thread::sleep(Duration::from_millis(50));
    for _ in 0..4 {
        let r = t.send_raw(&raw_request(
            "OPTIONS",
            t.client.port(),
            "<sip:x@y>",
            "-",
            "",
        ));
        assert_eq!(hv(&r, "X-Version"), "1");
    }
}
