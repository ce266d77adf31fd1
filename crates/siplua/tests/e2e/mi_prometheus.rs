//! `prometheus`: `/metrics` scraped with curl and parsed by Prometheus' own text-format parser
//! (the `prometheus_client` Python package): every statistic is there, with the name
//! OpenSIPS' prometheus module gives it and the value `get_statistics` reports.

use crate::mi_support;

use std::collections::HashMap;
use std::process::Command;

use mi_support::*;

const ROUTES: &str = r#"route {
    if (is_method("OPTIONS")) {
        append_to_reply("X-Script: options\r\n");
        sl_send_reply(200, "OK");
        exit;
    }
    sl_send_reply(404, "Not Here");
}"#;

/// Parses an exposition with `prometheus_client.parser`; returns sample name → (type, value).
fn parse(text: &str) -> HashMap<String, (String, f64)> {
    let script = r#"
import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out[s.name] = [fam.type, s.value]
print(json.dumps(out))
"#;
    let mut child = Command::new(venv().join("bin/python3"))
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "parser: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: HashMap<String, (String, f64)> = serde_json::from_slice(&out.stdout).unwrap();
    v
}

#[test]
fn every_statistic_is_exported_with_opensips_names() {
    let mi = MiServer::start("loadmodule \"tm.so\"\nloadmodule \"usrloc.so\"\n", ROUTES);
    let run = SippRun::start(&mi.server, "options_uac.xml", 50, 500, &[]);
    assert_eq!(run.finish(), (Some(0), 50, 0));

    let (code, text) = mi.get("/metrics");
    assert_eq!(code, 200, "{text}");
    let metrics = parse(&text);
    assert_eq!(metrics["opensips_rcv_requests"].1, 50.0);
    assert_eq!(metrics["opensips_sent_replies"].1, 50.0);
    assert_eq!(metrics["opensips_location_contacts"].0, "gauge");
    assert_eq!(metrics["opensips_inuse_transactions"].0, "gauge");

    // Every statistic get_statistics knows is there with the same value.
    let all = mi.stats(&["all"]);
    for (name, value) in &all {
        let short = name.split_once(':').unwrap().1.replace('-', "_");
        let metric = format!("opensips_{short}");
        let got = metrics
            .get(&metric)
            .unwrap_or_else(|| panic!("{metric} missing"));
        // rcv_requests and the like do not move between the two reads: no traffic now.
        assert_eq!(got.1, value.as_f64().unwrap(), "{metric}");
    }
}

#[test]
fn group_in_the_name_or_as_a_label() {
    let named = MiServer::start("modparam(\"prometheus\", \"group_mode\", 1)", ROUTES);
    let metrics = parse(&named.get("/metrics").1);
    assert!(
        metrics.contains_key("opensips_core_rcv_requests"),
        "{metrics:?}"
    );
    assert!(
        metrics.contains_key("opensips_sl_1xx_replies"),
        "{metrics:?}"
    );

    let labelled = MiServer::start(
        "modparam(\"prometheus\", \"group_mode\", 2)\nmodparam(\"prometheus\", \"statistics\", \"core: sl:sent_replies\")",
        ROUTES,
    );
    let text = labelled.get("/metrics").1;
    assert!(
        text.contains("opensips_rcv_requests{group=\"core\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("opensips_sent_replies{group=\"sl\"} 0"),
        "{text}"
    );
    assert!(
        !text.contains("1xx_replies"),
        "only the chosen statistics: {text}"
    );
}
