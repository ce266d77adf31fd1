//! SIPp (Debian `sip-tester`) drives `tests/scenarios/`: OPTIONS and REGISTER answered by the
//! script over UDP and TCP, and 10,000 OPTIONS at a bounded rate with no failed call.
//!
//! Every run has `-m` (call count) and `-timeout` so SIPp cannot hang, targets only 127.0.0.1,
//! and is judged twice: SIPp's exit code (0 when every call succeeded) and its final
//! statistics (`-trace_stat`: successful and failed call counters).

use crate::common;

use std::path::Path;

use common::*;

/// The script the scenarios expect: OPTIONS and REGISTER answered with 200 and a marker
/// header (the scenarios check it), the REGISTER's Contact echoed with its expiry.
fn sipp_cfg() -> String {
    cfg(
        "",
        r#"route {
            if (!mf_process_maxfwd_header(10)) {
                sl_send_reply(483, "Too Many Hops");
                exit;
            }
            if (is_method("OPTIONS")) {
                append_to_reply("X-Script: options\r\n");
                sl_send_reply(200, "OK");
                exit;
            }
            if (is_method("REGISTER")) {
                append_to_reply("X-Script: register\r\nContact: $ct;expires=3600\r\n");
                sl_send_reply(200, "OK");
                exit;
            }
            sl_send_reply(501, "Not Implemented");
        }"#,
    )
}

/// Final counters of a SIPp run, from its `-trace_stat` file.
#[derive(Debug)]
struct Totals {
    successful: u64,
    failed: u64,
}

/// Reads the cumulative counters from the last line of a SIPp statistics file.
fn totals(stat_file: &Path) -> Totals {
    let text = std::fs::read_to_string(stat_file)
        .unwrap_or_else(|e| panic!("{}: {e}", stat_file.display()));
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().expect("stat header").split(';').collect();
    let last: Vec<&str> = lines.next_back().expect("stat line").split(';').collect();
    let column = |name: &str| -> u64 {
        let i = header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no {name} in {header:?}"));
        last[i]
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} = {:?}", last[i]))
    };
    Totals {
        successful: column("SuccessfulCall(C)"),
        failed: column("FailedCall(C)"),
    }
}

/// Runs `scenario` against `server` over `transport` (`u1` or `t1`): `calls` calls at `rate`
/// per second. Asserts SIPp's exit code and that every call succeeded.
fn run(server: &Server, scenario_name: &str, transport: &str, calls: u32, rate: u32) {
    let dir = scratch("sipp");
    let stat = dir.join("stat.csv");
    let local_port = free_port().to_string();
    let target = format!("127.0.0.1:{}", server.port);
    let scenario_path = scenario(scenario_name);
    let (calls_s, rate_s) = (calls.to_string(), rate.to_string());
    let out = sipp(&[
        &target,
        "-sf",
        &scenario_path,
        "-t",
        transport,
        "-i",
        "127.0.0.1",
        "-p",
        &local_port,
        "-m",
        &calls_s,
        "-r",
        &rate_s,
        "-timeout",
        "60s",
        "-timeout_error",
        "-nostdin",
        "-trace_stat",
        "-stf",
        stat.to_str().unwrap(),
        "-fd",
        "1",
        "-trace_err",
        "-error_file",
        dir.join("errors.log").to_str().unwrap(),
    ]);
    let report = || {
        format!(
            "sipp {scenario_name} -t {transport}: {:?}\nstdout tail:\n{}\nstderr:\n{}\nerrors:\n{}\nserver log tail:\n{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stdout), 40),
            String::from_utf8_lossy(&out.stderr),
            tail(&std::fs::read_to_string(dir.join("errors.log")).unwrap_or_default(), 20),
            tail(&server.log_text(), 20),
        )
    };
    assert_eq!(out.status.code(), Some(0), "{}", report());
    let t = totals(&stat);
    assert_eq!(
        (t.successful, t.failed),
        (calls as u64, 0),
        "{t:?}\n{}",
        report()
    );
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[test]
fn options_over_udp_and_tcp() {
    let server = Server::start(&sipp_cfg());
    run(&server, "options_uac.xml", "u1", 200, 1000);
    run(&server, "options_uac.xml", "t1", 200, 1000);
}

#[test]
fn register_over_udp_and_tcp() {
    let server = Server::start(&sipp_cfg());
    run(&server, "register_uac.xml", "u1", 200, 1000);
    run(&server, "register_uac.xml", "t1", 200, 1000);
}

#[test]
fn ten_thousand_options_at_a_bounded_rate_without_failure() {
    let server = Server::start(&sipp_cfg().replace("udp_workers = 1", "udp_workers = 2"));
    run(&server, "options_uac.xml", "u1", 10_000, 2_000);
    let mut server = server;
    assert!(server.is_running());
    assert!(server.stop().success(), "clean shutdown after the load run");
}
