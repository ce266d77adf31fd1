//! load_balancer end to end, on a db_text table of two gateways (capacities 1 and 2 for
//! "pstn"): calls go to the one with the most room, `lb_next()` in the failure route moves a
//! refused call to the other, a full group refuses calls, a hung-up call frees its slot, and
//! MI `lb_list` shows the load and `lb_status` takes a gateway out of use.

use crate::common;
use crate::mi_support;

use std::path::Path;

use common::*;
use mi_support::MiServer;
use serde_json::Value;

fn write_table(dir: &Path, a: u16, b: u16) {
    std::fs::write(
        dir.join("load_balancer"),
        format!(
            "id(int,auto) group_id(int) dst_uri(string) resources(string) probe_mode(int) \
             attrs(string,null) description(string,null)\n\
             1:1:sip\\:127.0.0.1\\:{a}:pstn=1:0:gw=a:\n\
             2:1:sip\\:127.0.0.1\\:{b}:pstn=2:0:gw=b:\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("version"),
        "table_name(string) table_version(int)\nload_balancer:3\n",
    )
    .unwrap();
}

const ROUTES: &str = r#"route {
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
        }
        exit;
    }
    if (is_method("INVITE")) {
        if (!lb_start(1, "pstn")) {
            send_reply(503, "No Destination");
            exit;
        }
        t_on_failure("next");
        record_route();
        t_relay();
    }
}

failure_route[next] {
    if (t_check_status("503")) {
        if (lb_next()) {
            t_on_failure("next");
            t_relay();
            exit;
        }
        t_reply(503, "All Busy");
    }
}"#;

/// The gateway (`a` or `b`) answers the INVITE it receives with `code`; returns the INVITE.
fn gateway_answers(s: &Server, gw: &NextHop, code: u16) -> String {
    let (invite, from) = loop {
        let (m, from) = gw.recv(s);
        if m.starts_with("INVITE ") {
            break (m, from);
        }
    };
    gw.sock
        .send_to(reply_to(&invite, code, "Answer").as_bytes(), from)
        .unwrap();
    invite
}

fn loads(mi: &MiServer) -> Vec<(i64, i64)> {
    let (code, text) = mi.post(r#"{"jsonrpc":"2.0","method":"lb_list","id":1}"#);
    assert_eq!(code, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    v["result"]["Destinations"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|d| {
            (
                d["id"].as_i64().unwrap(),
                d["Resources"][0]["load"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn calls_go_where_there_is_room() {
    let dir = scratch("lb");
    let (a, b) = (NextHop::new(), NextHop::new());
    write_table(&dir, a.port(), b.port());
    let globals = format!(
        "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"dialog.so\"\n\
         loadmodule \"db_text.so\"\nloadmodule \"load_balancer.so\"\n\
         modparam(\"tm\", \"fr_timeout\", 2)\n\
         modparam(\"load_balancer\", \"db_url\", \"text://{}\")\n",
        dir.display()
    );
    let mi = MiServer::start(&globals, ROUTES);
    let s = &mi.server;
    let caller = UdpClient::new();
    let invite = |n: u32| {
        let req = request("INVITE", "sip:5551234@example.com", caller.port(), "")
            .replace("call-", &format!("lbcall{n}-"));
        caller.send(s, req.as_bytes());
        req
    };

    // 1. B has 2 free slots, A 1: B.
    invite(1);
    let call1 = gateway_answers(s, &b, 200);
    assert_eq!(status(&recv_final(&caller).expect("200")), 200);
    assert_eq!(loads(&mi), [(1, 0), (2, 1)]);

    // 2. 1 free slot each: the first (A) — it refuses, lb_next moves the call to B.
    invite(2);
    gateway_answers(s, &a, 503);
    gateway_answers(s, &b, 200);
    assert_eq!(status(&recv_final(&caller).expect("200")), 200);
    assert_eq!(loads(&mi), [(1, 0), (2, 2)]);

    // 3. Only A has room.
    invite(3);
    gateway_answers(s, &a, 200);
    assert_eq!(status(&recv_final(&caller).expect("200")), 200);

    // 4. The group is full.
    invite(4);
    let full = recv_final(&caller).expect("503");
    assert_eq!(
        (status(&full), reason(&full)),
        (503, "No Destination"),
        "{full}"
    );

    // 5. Call 1 hangs up through the Record-Route: B has room again.
    let rr = header(&call1, "Record-Route")
        .expect("record-routed")
        .to_owned();
    let bye = request(
        "BYE",
        &format!("sip:bob@127.0.0.1:{}", b.port()),
        caller.port(),
        &format!("Route: {rr}\r\n"),
    )
    .replace(
        "To: <sip:bob@example.com>",
        "To: <sip:bob@example.com>;tag=t200",
    );
    // The dialog is known by its Call-ID and the caller's From tag.
    let bye = bye
        .replace(
            &format!("Call-ID: {}", header(&bye, "Call-ID").unwrap()),
            &format!("Call-ID: {}", header(&call1, "Call-ID").unwrap()),
        )
        .replace(
            &format!("From: {}", header(&bye, "From").unwrap()),
            &format!("From: {}", header(&call1, "From").unwrap()),
        );
    caller.send(s, bye.as_bytes());
    let (got, from) = b.recv(s);
    assert!(got.starts_with("BYE "), "{got}");
    b.sock
        .send_to(reply_to(&got, 200, "OK").as_bytes(), from)
        .unwrap();
    assert_eq!(status(&recv_final(&caller).expect("BYE answered")), 200);
    assert_eq!(loads(&mi), [(1, 1), (2, 1)]);

    // 6. lb_status takes B out of use: the next call is refused although B has room.
    let (code, text) = mi.post(
        r#"{"jsonrpc":"2.0","method":"lb_status","params":{"destination_id":"2","new_status":"0"},"id":2}"#,
    );
    assert_eq!(code, 200, "{text}");
    invite(5);
    assert_eq!(status(&recv_final(&caller).expect("503")), 503);
}

#[test]
fn the_dialog_module_is_required_and_bad_flags_fail_the_load() {
    let dir = scratch("lb-load");
    write_table(&dir, 5061, 5062);
    let module = format!(
        "loadmodule \"tm.so\"\nloadmodule \"db_text.so\"\nloadmodule \"load_balancer.so\"\n\
         modparam(\"load_balancer\", \"db_url\", \"text://{}\")\n",
        dir.display()
    );
    let (out, _) = check_config(
        "lb_nodialog.cfg",
        &cfg(&module, "route { lb_start(1, \"pstn\"); }").replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("dialog"), "{err}");

    let (out, path) = check_config(
        "lb_flags.cfg",
        &cfg(
            &format!("loadmodule \"dialog.so\"\n{module}"),
            "route { lb_start(1, \"pstn\", \"q\"); }",
        )
        .replace("{PORT}", "5999"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{}:", path.display())) && err.contains("'q'"),
        "{err}"
    );
}
