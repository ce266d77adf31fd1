//! A real dnsmasq for the end-to-end tests that resolve names (`dns.rs`, `{ip.resolve}` in
//! `script_vars.rs`): records from the test's command line, on a free loopback port.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// dnsmasq in the foreground on a free loopback port, answering only from `records`
/// (`--srv-host=...`, `--host-record=...`, `--naptr-record=...`); killed when dropped.
pub struct Dnsmasq {
    child: Child,
    /// The UDP port it answers on (127.0.0.1).
    pub port: u16,
    log: PathBuf,
}

impl Dnsmasq {
    pub fn start(records: &[String]) -> Dnsmasq {
        let port = free_port();
        let log = scratch("dnsmasq").join("dnsmasq.log");
        let child = Command::new(dnsmasq())
            .args([
                "-k",
                &format!("--port={port}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--no-resolv",
                "--no-hosts",
                "--conf-file=/dev/null",
                "--pid-file=",
                "--local=/test/",
                "--local-ttl=300",
                "--log-queries",
                "--log-facility=-",
            ])
            .args(records)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("dnsmasq is installed (Debian dnsmasq-base, scripts/deps)");
        let d = Dnsmasq { child, port, log };
        for _ in 0..100 {
            if d.log_text().contains("cleared cache") {
                return d;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("dnsmasq did not start:\n{}", d.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The queries it answered, as `TYPE name` (`SRV _sip._udp.example.test`).
    pub fn queries(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter_map(|l| {
                let q = l.split_once("query[")?.1;
                let (t, rest) = q.split_once("] ")?;
                Some(format!("{t} {}", rest.split(' ').next()?))
            })
            .collect()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        self.kill();
    }
}

fn dnsmasq() -> &'static str {
    if std::path::Path::new("/usr/sbin/dnsmasq").exists() {
        "/usr/sbin/dnsmasq"
    } else {
        "dnsmasq"
    }
}
