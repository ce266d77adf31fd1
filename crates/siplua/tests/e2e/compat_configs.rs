//! The OpenSIPS-style configurations of `tests/configs/` (menuconfig scenarios with their
//! usual options, see docs/compatibility.md): each must load with `siplua -c`. The NAT +
//! dialog residential script also runs: a NATed phone registers and is called through it.

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/configs").join(name)
}

/// `siplua -c -f` on a file: success, and the error lines.
fn check(path: &std::path::Path) -> (bool, Vec<String>) {
    let out = Command::new(bin())
        .args(["-c", "-f"])
        .arg(path)
        .output()
        .expect("run siplua -c");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines = err
        .lines()
        .filter(|l| l.contains(".cfg:"))
        .map(str::to_owned)
        .collect();
    (out.status.success(), lines)
}

#[test]
fn residential_with_nat_and_dialog_loads() {
    let (ok, errors) = check(&fixture("residential_nat_dialog.cfg"));
    assert!(ok, "{errors:?}");
}

#[test]
fn residential_with_homer_capture_loads() {
    let (ok, errors) = check(&fixture("residential_homer.cfg"));
    assert!(ok, "{errors:?}");
}

#[test]
fn residential_with_auth_domains_and_aliases_loads() {
    let (ok, errors) = check(&fixture("residential_auth_domains.cfg"));
    assert!(ok, "{errors:?}");
}

#[test]
fn residential_with_presence_loads() {
    let (ok, errors) = check(&fixture("residential_presence.cfg"));
    assert!(ok, "{errors:?}");
}

#[test]
fn trunking_loads() {
    let (ok, errors) = check(&fixture("trunking.cfg"));
    assert!(ok, "{errors:?}");
}

#[test]
fn load_balancer_loads() {
    let (ok, errors) = check(&fixture("loadbalancer.cfg"));
    assert!(ok, "{errors:?}");
}

/// The NAT + dialog script on a free port: a phone behind NAT (private Contact) registers,
/// a caller reaches it at the address the REGISTER came from, with `;nat=yes` in the
/// Record-Route.
#[test]
fn residential_with_nat_and_dialog_routes_a_call_to_a_nated_phone() {
    let text = std::fs::read_to_string(fixture("residential_nat_dialog.cfg"))
        .unwrap()
        .replace("listen=udp:127.0.0.1:5060", "listen=udp:127.0.0.1:{PORT}")
        .replace("/tmp/siplua_compat_fifo", "{DIR}/fifo")
        .replace("children=4", "children=1");
    let server = Server::start(&text);
    let phone = UdpClient::new();
    let register = request(
        "REGISTER",
        &format!("sip:127.0.0.1:{}", server.port),
        phone.port(),
        "Contact: <sip:bob@192.168.1.20:5060>;expires=300\r\n",
    )
    .replace("sip:alice@example.com", "sip:bob@127.0.0.1")
    .replace("sip:bob@example.com", "sip:bob@127.0.0.1");
    let reply = phone
        .request(&server, &register)
        .expect("REGISTER answered");
    assert_eq!(status(&reply), 200, "{reply}\n{}", server.log_text());

    let caller = UdpClient::new();
    let invite = request(
        "INVITE",
        &format!("sip:bob@127.0.0.1:{}", server.port),
        caller.port(),
        &format!("Contact: <sip:alice@127.0.0.1:{}>\r\n", caller.port()),
    );
    caller.send(&server, invite.as_bytes());
    let got = loop {
        let m = phone
            .recv()
            .unwrap_or_else(|| panic!("INVITE not relayed; log:\n{}", server.log_text()));
        if m.starts_with("INVITE ") {
            break m;
        }
    };
    assert!(
        got.starts_with("INVITE sip:bob@192.168.1.20:5060 SIP/2.0\r\n"),
        "R-URI is the registered Contact: {got}"
    );
    let rr = header(&got, "Record-Route").expect("record-routed");
    assert!(rr.ends_with(";lr;nat=yes>"), "{rr}");
    assert_eq!(header(&got, "P-hint"), None, "a local call: {got}");
    assert!(server.wait_log("new branch at sip:bob@192.168.1.20:5060"));
}
