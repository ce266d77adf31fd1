//! Running one command through `/bin/sh -c` as OpenSIPS' exec() does: input written to its
//! standard input, standard output and error read until they close (not until the process
//! ends), each kept up to OpenSIPS' 32 KiB buffer. The process is then reaped in the
//! background, and sent SIGTERM after `time_to_kill` seconds if it is still running.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// OpenSIPS keeps at most this much of each stream (its `MAX_BUF_SIZE` less one read).
pub const MAX_OUTPUT: usize = 32 * 1024 - 1024;

/// What to run.
pub struct Job<'a> {
    /// The shell command line.
    pub command: &'a str,
    /// Written to the standard input (nothing when empty).
    pub input: &'a str,
    /// Capture the standard output.
    pub stdout: bool,
    /// Capture the standard error.
    pub stderr: bool,
    /// Extra environment variables (`OSIPS_EXEC_0`...).
    pub env: Vec<(String, String)>,
    /// Seconds after which a still-running process gets SIGTERM (0: never).
    pub time_to_kill: u64,
}

/// The captured streams.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The standard output, if captured.
    pub stdout: Vec<u8>,
    /// The standard error, if captured.
    pub stderr: Vec<u8>,
}

/// Starts the job and reads what it was asked to; `Err` when the shell cannot be started.
pub fn run(job: &Job) -> Result<Output, String> {
    let piped = |on: bool| if on { Stdio::piped() } else { Stdio::inherit() };
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(job.command)
        .envs(job.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(if job.input.is_empty() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(piped(job.stdout))
        .stderr(piped(job.stderr))
        .spawn()
        .map_err(|e| format!("cannot run /bin/sh: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let input = job.input.to_owned();
        // A writer thread, so that a command that does not read its input cannot block us.
        thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
    }
    let err_reader = child
        .stderr
        .take()
        .map(|e| thread::spawn(move || read_capped(e)));
    let stdout = child.stdout.take().map(read_capped).unwrap_or_default();
    let stderr = err_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    reap(child, job.time_to_kill);
    Ok(Output { stdout, stderr })
}

/// Reads a stream to its end, keeping the first [`MAX_OUTPUT`] bytes.
fn read_capped<R: Read>(mut r: R) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    kept
}

/// Waits for the process in the background; SIGTERM once `time_to_kill` seconds passed.
fn reap(mut child: Child, time_to_kill: u64) {
    thread::spawn(move || {
        if time_to_kill > 0 {
            let deadline = Instant::now() + Duration::from_secs(time_to_kill);
            while Instant::now() < deadline {
                if !matches!(child.try_wait(), Ok(None)) {
                    return;
                }
                thread::sleep(Duration::from_millis(50));
            }
            if let Ok(None) = child.try_wait() {
                // The child is not reaped yet, so its pid cannot have been reused.
                let pid = child.id() as libc::pid_t;
                // SAFETY: kill(2) with a pid we own and a valid signal number.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
        let _ = child.wait();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(command: &str) -> Job<'_> {
        Job {
            command,
            input: "",
            stdout: true,
            stderr: true,
            env: Vec::new(),
            time_to_kill: 0,
        }
    }

    #[test]
    fn captures_both_streams_and_input() {
        let mut j = job("cat; echo oops >&2");
        j.input = "hello\n";
        let out = run(&j).unwrap();
        assert_eq!(out.stdout, b"hello\n");
        assert_eq!(out.stderr, b"oops\n");
    }

    #[test]
    fn passes_environment() {
        let mut j = job("echo \"$OSIPS_EXEC_0-$OSIPS_EXEC_1\"");
        j.env = vec![
            ("OSIPS_EXEC_0".into(), "a".into()),
            ("OSIPS_EXEC_1".into(), "b".into()),
        ];
        assert_eq!(run(&j).unwrap().stdout, b"a-b\n");
    }

    #[test]
    fn output_is_capped() {
        let out = run(&job("head -c 100000 /dev/zero")).unwrap();
        assert_eq!(out.stdout.len(), MAX_OUTPUT);
    }

    #[test]
    fn returns_at_end_of_output_not_end_of_process() {
        let started = Instant::now();
        let out = run(&job("echo early; exec >&- 2>&-; sleep 3")).unwrap();
        assert_eq!(out.stdout, b"early\n");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
