//! Helpers for the management-interface end-to-end tests (`mi_*.rs`): a siplua with
//! `mi_fifo`, `httpd`, `mi_http` and `prometheus` loaded, the real `opensips-cli` (PyPI
//! package `opensipscli`, installed once into a virtualenv under `target/`), plain `curl`,
//! and SIPp runs whose totals are read back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::*;

/// The PyPI packages the tests run: the real MI client and Prometheus' own text parser.
const PIP_PACKAGES: &[&str] = &["opensipscli==0.4.1", "prometheus-client"];

/// The virtualenv with `opensips-cli`, created on first use and kept in `target/`.
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let dir = root().join("target/mi-venv");
        let ready = dir.join(".siplua-ready");
        if !ready.exists() {
            let _ = std::fs::remove_dir_all(&dir);
            run_ok(Command::new("python3").args(["-m", "venv"]).arg(&dir));
            run_ok(
                Command::new(dir.join("bin/pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check"])
                    .args(PIP_PACKAGES),
            );
            std::fs::write(&ready, PIP_PACKAGES.join("\n")).expect("mark venv");
        }
        dir
    })
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("run setup command");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running siplua with every management module, its FIFO in the test's directory and its
/// HTTP server on a free port.
pub struct MiServer {
    pub server: Server,
    pub fifo: PathBuf,
    pub http_port: u16,
}

/// The modules and parameters that give a server its management interface (`{DIR}` and
/// `{HTTP}` are filled by [`MiServer::start`]).
pub const MI_MODULES: &str = r#"
loadmodule "mi_fifo.so"
modparam("mi_fifo", "fifo_name", "{DIR}/siplua_fifo")
modparam("mi_fifo", "fifo_mode", 0600)
modparam("mi_fifo", "reply_dir", "{DIR}")
loadmodule "httpd.so"
modparam("httpd", "ip", "127.0.0.1")
modparam("httpd", "port", {HTTP})
loadmodule "mi_http.so"
loadmodule "prometheus.so"
"#;

impl MiServer {
    /// Starts `cfg(globals + MI_MODULES, routes)`.
    pub fn start(globals: &str, routes: &str) -> MiServer {
        let dir = scratch("mi");
        let http_port = free_port();
        let text = cfg(&format!("{globals}\n{MI_MODULES}"), routes)
            .replace("{HTTP}", &http_port.to_string());
        let server = Server::start_in(&dir, &text);
        MiServer {
            fifo: dir.join("siplua_fifo"),
            server,
            http_port,
        }
    }

    /// Runs `opensips-cli -x mi ARGS...` over the FIFO.
    pub fn cli(&self, args: &[&str]) -> CliRun {
        self.cli_with("fifo", args)
    }

    /// Runs `opensips-cli -x mi ARGS...` over `fifo` or `http`.
    pub fn cli_with(&self, transport: &str, args: &[&str]) -> CliRun {
        let conf = self.server.dir.join(format!("cli-{transport}.cfg"));
        let text = format!(
            "[default]\ncommunication_type: {transport}\nfifo_file: {}\nfifo_reply_dir: {}\n\
             url: http://127.0.0.1:{}/mi\noutput_type: pretty-print\nlog_level: WARNING\n",
            self.fifo.display(),
            self.server.dir.display(),
            self.http_port
        );
        std::fs::write(&conf, text).expect("write cli config");
        let out = Command::new(venv().join("bin/opensips-cli"))
            .arg("-f")
            .arg(&conf)
            .arg("-x")
            .arg("mi")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run opensips-cli");
        CliRun::from(out, args)
    }

    /// POSTs `body` to `/mi` with curl; returns the HTTP status and the body.
    pub fn post(&self, body: &str) -> (u16, String) {
        curl(&[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
            &format!("http://127.0.0.1:{}/mi", self.http_port),
        ])
    }

    /// GETs `path` from the HTTP server with curl.
    pub fn get(&self, path: &str) -> (u16, String) {
        curl(&[&format!("http://127.0.0.1:{}{path}", self.http_port)])
    }

    /// `get_statistics` of `selectors` through opensips-cli, as a JSON object.
    pub fn stats(&self, selectors: &[&str]) -> serde_json::Map<String, Value> {
        let mut args = vec!["get_statistics"];
        args.extend_from_slice(selectors);
        match self.cli(&args).json() {
            Value::Object(m) => m,
            other => panic!("get_statistics returned {other}"),
        }
    }

    /// One statistic's value.
    pub fn stat(&self, name: &str) -> i64 {
        self.stats(&[name])[name].as_i64().expect("a number")
    }
}

/// Runs curl; returns the status code and the body.
pub fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl is installed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// The outcome of one `opensips-cli` run.
pub struct CliRun {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
    args: String,
}

impl CliRun {
    fn from(out: Output, args: &[&str]) -> CliRun {
        CliRun {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.join(" "),
        }
    }

    /// The printed result as JSON; panics (with both outputs) when the command failed.
    pub fn json(&self) -> Value {
        assert!(self.ok && self.stderr.is_empty(), "{}", self.describe());
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.describe()))
    }

    /// The error opensips-cli printed (it exits 0 but reports on stderr); panics when the
    /// command succeeded.
    pub fn error(&self) -> String {
        assert!(
            !self.stderr.is_empty(),
            "expected an error: {}",
            self.describe()
        );
        self.stderr.clone()
    }

    fn describe(&self) -> String {
        format!(
            "opensips-cli -x mi {}\nstdout:\n{}\nstderr:\n{}",
            self.args, self.stdout, self.stderr
        )
    }
}

/// SIPp totals from a `-trace_stat` file: (successful calls, failed calls).
pub fn sipp_totals(stat_file: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(stat_file).expect("sipp stat file");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().expect("header").split(';').collect();
    let last: Vec<&str> = lines.next_back().expect("line").split(';').collect();
    let col = |name: &str| -> u64 {
        let i = header.iter().position(|h| *h == name).expect("column");
        last[i].trim().parse().expect("number")
    };
    (col("SuccessfulCall(C)"), col("FailedCall(C)"))
}

/// A SIPp client run in the background: `scenario` against the server, `calls` calls at
/// `rate` per second; [`SippRun::finish`] waits for it and returns its totals.
pub struct SippRun {
    child: std::process::Child,
    stat: PathBuf,
}

impl SippRun {
    /// Starts SIPp (UDP) with optional extra arguments (`-inf users.csv`).
    pub fn start(
        server: &Server,
        scenario_name: &str,
        calls: u32,
        rate: u32,
        extra: &[&str],
    ) -> SippRun {
        let dir = scratch("sipp");
        let stat = dir.join("stat.csv");
        let child = Command::new("sipp")
            .arg(format!("127.0.0.1:{}", server.port))
            .arg("-sf")
            .arg(scenario(scenario_name))
            .args([
                "-t",
                "u1",
                "-i",
                "127.0.0.1",
                "-p",
                &free_port().to_string(),
            ])
            .args(["-m", &calls.to_string(), "-r", &rate.to_string()])
            .args([
                "-timeout",
                "60s",
                "-timeout_error",
                "-nostdin",
                "-trace_stat",
                "-fd",
                "1",
            ])
            .arg("-stf")
            .arg(&stat)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sipp is installed (Debian sip-tester)");
        SippRun { child, stat }
    }

    /// Waits for SIPp; returns (exit code, successful, failed).
    pub fn finish(mut self) -> (Option<i32>, u64, u64) {
        let status = self.child.wait().expect("wait for sipp");
        let (ok, failed) = sipp_totals(&self.stat);
        (status.code(), ok, failed)
    }
}
