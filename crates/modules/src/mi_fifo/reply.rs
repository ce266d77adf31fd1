//! Writing a reply to the client's reply FIFO. The client opens it for reading only after it
//! wrote its command, so the open is retried for a while; only a FIFO directly in
//! `reply_dir` is ever written (never a regular file or a path elsewhere).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a client may take to open its reply FIFO.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

/// Writes `text` and a newline to `reply_dir/name`.
pub fn send(reply_dir: &Path, name: &str, text: &str) -> Result<(), String> {
    if name.contains('/') || name == "." || name == ".." {
        return Err(format!("reply FIFO name '{name}' is not a plain file name"));
    }
    let path = reply_dir.join(name);
    let meta = std::fs::symlink_metadata(&path)
        .map_err(|e| format!("reply FIFO {}: {e}", path.display()))?;
    if !meta.file_type().is_fifo() {
        return Err(format!("{} is not a FIFO", path.display()));
    }
    let deadline = Instant::now() + OPEN_TIMEOUT;
    let mut file = loop {
        // Non-blocking: fails with ENXIO until the client has opened its end.
        match OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
        {
            Ok(f) => break f,
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("reply FIFO {}: {e}", path.display())),
        }
    };
    set_blocking(&file);
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| format!("reply FIFO {}: {e}", path.display()))
}

/// Clears `O_NONBLOCK`, so that a long reply is written whole even when the pipe fills.
fn set_blocking(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function's caller owns, with flags read from it.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
}
