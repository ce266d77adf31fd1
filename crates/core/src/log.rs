//! OpenSIPS log levels on top of `tracing`.
//!
//! Scripts speak OpenSIPS levels (`L_ALERT` -3 ... `L_DBG` 4) and `log_level` filters by them,
//! including the NOTICE/INFO distinction that `tracing` does not have. So siplua decides here
//! whether a line is wanted, against a global level that `log_level`, `-L` and the management
//! interface change at run time, and then hands it to `tracing` at the nearest level.

use std::cell::Cell;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;
use std::thread::LocalKey;

/// A log threshold: a global level (OpenSIPS numbering) that the configuration and the
/// management interface set, and a level of the thread's own that a script may give it.
struct Threshold {
    global: AtomicI32,
    thread: &'static LocalKey<Cell<Option<i32>>>,
}

impl Threshold {
    fn set(&self, l: i32) {
        self.global.store(clamp(l), Ordering::Relaxed);
    }

    fn current(&self) -> i32 {
        self.thread
            .with(Cell::get)
            .unwrap_or_else(|| self.global.load(Ordering::Relaxed))
    }

    fn set_thread(&self, l: Option<i32>) {
        self.thread.with(|t| t.set(l.map(clamp)));
    }
}

fn clamp(l: i32) -> i32 {
    l.clamp(level::ALERT, level::DBG)
}

thread_local! {
    /// A level that a script gave this worker with `$log_level = n` (OpenSIPS: the process's
    /// own level), until it assigns NULL.
    static THREAD_LEVEL: Cell<Option<i32>> = const { Cell::new(None) };
    /// The same for `xlog()`'s threshold: `$xlog_level = n`, until NULL.
    static THREAD_XLOG_LEVEL: Cell<Option<i32>> = const { Cell::new(None) };
}

/// `log_level`: the threshold of the server's and the modules' lines.
static LOG_LEVEL: Threshold = Threshold {
    global: AtomicI32::new(level::NOTICE),
    thread: &THREAD_LEVEL,
};

/// `xlog_level`: the threshold of the script's `xlog()` / `xdbg()` lines, which OpenSIPS keeps
/// apart from `log_level` (default L_NOTICE, as OpenSIPS).
static XLOG_LEVEL: Threshold = Threshold {
    global: AtomicI32::new(level::NOTICE),
    thread: &THREAD_XLOG_LEVEL,
};

/// OpenSIPS' level numbers.
pub mod level {
    /// `L_ALERT`.
    pub const ALERT: i32 = -3;
    /// `L_CRIT`.
    pub const CRIT: i32 = -2;
    /// `L_ERR`.
    pub const ERR: i32 = -1;
    /// `L_WARN`.
    pub const WARN: i32 = 1;
    /// `L_NOTICE`.
    pub const NOTICE: i32 = 2;
    /// `L_INFO`.
    pub const INFO: i32 = 3;
    /// `L_DBG`.
    pub const DBG: i32 = 4;
}

/// Sets the global level (clamped to the valid range).
pub fn set_level(l: i32) {
    LOG_LEVEL.set(l);
}

/// The level in force on this thread: its own (`$log_level`), else the global one.
pub fn current_level() -> i32 {
    LOG_LEVEL.current()
}

/// Gives this thread its own level (`$log_level = n`), or back the global one (`None`).
pub fn set_thread_level(l: Option<i32>) {
    LOG_LEVEL.set_thread(l);
}

/// True when a line at `l` would be printed.
pub fn enabled(l: i32) -> bool {
    l <= current_level()
}

/// Sets the global threshold of `xlog()` lines (clamped to the valid range).
pub fn set_xlog_level(l: i32) {
    XLOG_LEVEL.set(l);
}

/// The `xlog()` threshold in force on this thread: its own (`$xlog_level`), else the global.
pub fn current_xlog_level() -> i32 {
    XLOG_LEVEL.current()
}

/// Gives this thread its own `xlog()` threshold (`$xlog_level = n`), or back the global one.
pub fn set_thread_xlog_level(l: Option<i32>) {
    XLOG_LEVEL.set_thread(l);
}

/// True when a script line (`xlog`, `xdbg`) at `l` passes the `xlog_level` threshold;
/// `log_level` does not filter these lines, as in OpenSIPS.
pub fn xlog_enabled(l: i32) -> bool {
    l <= current_xlog_level()
}

/// Emits one script line that passed [`xlog_enabled`] (checked first, so that the text is
/// only expanded for a line that is printed).
pub fn emit_xlog(l: i32, text: &str) {
    write(l, "script", text, true);
}

/// Parses a level name as scripts write it: `L_ERR`, `ERR`, `err`, or a number.
pub fn parse_level(s: &str) -> Option<i32> {
    let t = s.trim();
    if let Some(n) = crate::value::parse_int(t) {
        return Some(n.clamp(level::ALERT as i64, level::DBG as i64) as i32);
    }
    let up = t.to_ascii_uppercase();
    let name = up.strip_prefix("L_").unwrap_or(&up);
    Some(match name {
        "ALERT" => level::ALERT,
        "CRIT" => level::CRIT,
        "ERR" | "ERROR" => level::ERR,
        "WARN" | "WARNING" => level::WARN,
        "NOTICE" => level::NOTICE,
        "INFO" => level::INFO,
        "DBG" | "DEBUG" => level::DBG,
        _ => return None,
    })
}

/// The name OpenSIPS prints for a level.
pub fn level_name(l: i32) -> &'static str {
    match l {
        i32::MIN..=-3 => "ALERT",
        -2 => "CRIT",
        -1 => "ERROR",
        0 | 1 => "WARNING",
        2 => "NOTICE",
        3 => "INFO",
        _ => "DBG",
    }
}

/// Writes one line that [`emit`] decided to print: its OpenSIPS level, the level's name, the
/// origin (`script`, a module) and the text without its trailing newline.
pub type LineWriter = fn(level: i32, name: &str, origin: &str, text: &str);

/// The writer the binary installed, if any.
static LINE_WRITER: OnceLock<LineWriter> = OnceLock::new();

/// Lets the binary write [`emit`]'s lines itself. Script and module lines (`xlog` on every
/// call of a real configuration) then skip `tracing`'s formatting, which escapes the text
/// one character at a time and cost ~10 000 instructions a line. Set once; later calls are
/// ignored.
pub fn set_line_writer(writer: LineWriter) {
    let _ = LINE_WRITER.set(writer);
}

/// Emits one line at an OpenSIPS level, if the level is enabled. A trailing newline (scripts
/// usually end `xlog` text with one) is dropped: each event is one line.
pub fn emit(l: i32, origin: &str, text: &str) {
    if enabled(l) {
        write(l, origin, text, false);
    }
}

/// The `tracing` target of the script's `xlog()` lines: the subscriber lets them through
/// whatever `log_level` says, since `xlog_level` already decided.
pub const XLOG_TARGET: &str = "siplua::xlog";

/// Hands one line, whatever the levels, to the binary's line writer ([`set_line_writer`]) or
/// else to `tracing` (target [`XLOG_TARGET`] for a script line).
fn write(l: i32, origin: &str, text: &str, script: bool) {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    let name = level_name(l);
    if let Some(write) = LINE_WRITER.get() {
        write(l, name, origin, text);
        return;
    }
    macro_rules! to {
        ($target:expr) => {
            match l {
                i32::MIN..=-1 => tracing::error!(target: $target, "{name}:{origin}: {text}"),
                0 | 1 => tracing::warn!(target: $target, "{name}:{origin}: {text}"),
                2 | 3 => tracing::info!(target: $target, "{name}:{origin}: {text}"),
                _ => tracing::debug!(target: $target, "{name}:{origin}: {text}"),
            }
        };
    }
    if script {
        to!(XLOG_TARGET)
    } else {
        to!("siplua")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names() {
        assert_eq!(parse_level("L_INFO"), Some(3));
        assert_eq!(parse_level("err"), Some(-1));
        assert_eq!(parse_level("L_DBG"), Some(4));
        assert_eq!(parse_level("-2"), Some(-2));
        assert_eq!(parse_level("L_BOGUS"), None);
        assert_eq!(level_name(1), "WARNING");
    }
}
