//! The FIFO thread: creates the FIFO, reads commands from it, runs them through the MI
//! engine and writes each reply.
//!
//! The thread holds the FIFO open for reading *and* writing, so it never sees end-of-file
//! between clients: a client that opens, writes and closes while the thread is between two
//! opens would otherwise lose its command. Commands are cut from the stream by their JSON
//! syntax; bytes left incomplete for [`IDLE`] are answered as they are (a parse error). The
//! thread polls, so a stop request is seen within [`IDLE`].

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use siplua_core::engine::Core;
use siplua_core::log::{self, level};

use super::frame::{self, Next};
use super::{reply, FifoSettings};

/// How long an incomplete command may wait for its end, and how often the stop flag is
/// checked.
const IDLE: Duration = Duration::from_millis(200);

/// The running reader.
pub struct Running {
    settings: FifoSettings,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops the thread and removes the FIFO.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.settings.fifo_name);
    }
}

/// Creates the FIFO (replacing a stale one), opens it and starts the thread.
pub fn start(settings: FifoSettings, core: Arc<Core>) -> Result<Running, String> {
    create_fifo(&settings.fifo_name, settings.mode)?;
    // Read-write: never blocks, never sees end-of-file (see the module comment).
    let fifo = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&settings.fifo_name)
        .map_err(|e| format!("mi_fifo: {}: {e}", settings.fifo_name.display()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let (s, flag) = (settings.clone(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("mi_fifo".into())
        .spawn(move || run(fifo, &s, &core, &flag))
        .map_err(|e| format!("mi_fifo thread: {e}"))?;
    Ok(Running {
        settings,
        stop,
        thread: Some(thread),
    })
}

fn create_fifo(path: &Path, mode: u32) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("mi_fifo: {}: {e}", path.display());
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_fifo() => std::fs::remove_file(path).map_err(|e| fail(&e))?,
        Ok(_) => return Err(fail(&"exists and is not a FIFO")),
        Err(_) => {}
    }
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|e| fail(&e))?;
    // SAFETY: mkfifo with a NUL-terminated path that outlives the call.
    if unsafe { libc::mkfifo(c.as_ptr(), mode as libc::mode_t) } != 0 {
        let e = std::io::Error::last_os_error();
        // Another instance created it between our removal and mkfifo: a FIFO is a FIFO.
        let is_fifo = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo());
        if e.kind() != std::io::ErrorKind::AlreadyExists || !is_fifo {
            return Err(fail(&e));
        }
    }
    // mkfifo applies the umask; the configured mode is what the operator asked for.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| fail(&e))
}

fn run(mut fifo: File, settings: &FifoSettings, core: &Arc<Core>, stop: &AtomicBool) {
    let mut chunk = vec![0u8; 64 * 1024];
    let mut buf = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        if !readable(&fifo, IDLE) {
            // Quiet for a while: whatever is left will not be completed.
            if !buf.is_empty() {
                drain(settings, core, &mut buf, true);
            }
            continue;
        }
        match fifo.read(&mut chunk) {
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                drain(settings, core, &mut buf, false);
            }
            Err(e) => {
                log::emit(level::ERR, "mi_fifo", &format!("reading the FIFO: {e}"));
                std::thread::sleep(IDLE);
            }
        }
    }
}

/// Waits at most `timeout` for bytes on `file`.
fn readable(file: &File, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd for a descriptor `file` keeps open during the call.
    let n = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
    n > 0 && pfd.revents & libc::POLLIN != 0
}

/// Runs every complete command at the start of `buf` and removes them.
fn drain(settings: &FifoSettings, core: &Arc<Core>, buf: &mut Vec<u8>, eof: bool) {
    loop {
        match frame::next(buf, eof) {
            Next::Command(f, used) => {
                buf.drain(..used);
                let answer = siplua_core::mi::handle(core, &f.body);
                if let (Some(name), Some(text)) = (f.reply_to, answer) {
                    if let Err(e) = reply::send(&settings.reply_dir, &name, &text) {
                        log::emit(level::ERR, "mi_fifo", &e);
                    }
                }
            }
            Next::Garbage => {
                log::emit(
                    level::ERR,
                    "mi_fifo",
                    "dropped FIFO input that is not ':reply_name:{json}'",
                );
                buf.clear();
                return;
            }
            Next::Incomplete => {
                if eof {
                    buf.clear();
                }
                return;
            }
        }
    }
}
