//! Log output: one line per event to standard error and/or syslog, as `stderror_enabled`,
//! `syslog_enabled` and `syslog_facility` say, filtered by the OpenSIPS `log_level` (which can
//! change at run time), the script's `xlog()` lines by `xlog_level`.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use siplua_core::config::CoreConfig;
use siplua_core::log as slog;
use std::sync::Mutex;
use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

static TO_STDERR: AtomicBool = AtomicBool::new(true);
static SYSLOG: OnceLock<Mutex<syslog::Logger<syslog::LoggerBackend, syslog::Formatter3164>>> =
    OnceLock::new();

/// Installs the subscriber (stderr only until [`configure`] has read the configuration).
pub fn init() {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(Sink)
        .with_max_level(Level::TRACE)
        .with_thread_names(true)
        .with_target(false)
        .with_ansi(false)
        .finish();
    let filtered = tracing_subscriber::layer::SubscriberExt::with(
        subscriber,
        tracing_subscriber::filter::filter_fn(|meta| {
            meta.target() == slog::XLOG_TARGET
                || *meta.level() <= tracing_level(slog::current_level())
        }),
    );
    let _ = tracing::subscriber::set_global_default(filtered);
    slog::set_line_writer(crate::log_line::write);
}

/// Applies the configuration's log settings.
pub fn configure(config: &CoreConfig) {
    slog::set_level(config.log_level);
    slog::set_xlog_level(config.xlog_level);
    TO_STDERR.store(
        config.log_stderror || !config.syslog_enabled,
        Ordering::Relaxed,
    );
    if config.syslog_enabled {
        let formatter = syslog::Formatter3164 {
            facility: facility(&config.syslog_facility),
            hostname: None,
            process: config.syslog_name.clone(),
            pid: std::process::id(),
        };
        match syslog::unix(formatter) {
            Ok(logger) => {
                let _ = SYSLOG.set(Mutex::new(logger));
            }
            Err(e) => eprintln!("siplua: cannot open syslog ({e}); logging to stderr"),
        }
    }
}

/// The `tracing` level that lets through what OpenSIPS level `l` prints.
pub(crate) fn tracing_level(l: i32) -> Level {
    match l {
        i32::MIN..=-1 => Level::ERROR,
        0 | 1 => Level::WARN,
        2 | 3 => Level::INFO,
        _ => Level::DEBUG,
    }
}

fn facility(name: &str) -> syslog::Facility {
    use syslog::Facility::*;
    match name.trim().to_ascii_uppercase().trim_start_matches("LOG_") {
        "LOCAL0" => LOG_LOCAL0,
        "LOCAL1" => LOG_LOCAL1,
        "LOCAL2" => LOG_LOCAL2,
        "LOCAL3" => LOG_LOCAL3,
        "LOCAL4" => LOG_LOCAL4,
        "LOCAL5" => LOG_LOCAL5,
        "LOCAL6" => LOG_LOCAL6,
        "LOCAL7" => LOG_LOCAL7,
        "USER" => LOG_USER,
        _ => LOG_DAEMON,
    }
}

/// Where formatted lines go.
struct Sink;

/// One event's text, written out when complete.
struct Line {
    level: Level,
    buf: Vec<u8>,
}

impl<'a> MakeWriter<'a> for Sink {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            level: Level::INFO,
            buf: Vec::new(),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        Line {
            level: *meta.level(),
            buf: Vec::new(),
        }
    }
}

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            output(self.level, &self.buf);
        }
    }
}

/// Sends one finished line (newline included) to standard error and/or syslog.
pub(crate) fn output(level: Level, line: &[u8]) {
    if TO_STDERR.load(Ordering::Relaxed) {
        let _ = io::stderr().lock().write_all(line);
    }
    if let Some(logger) = SYSLOG.get() {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        if let Ok(mut l) = logger.lock() {
            let _ = match level {
                Level::ERROR => l.err(text),
                Level::WARN => l.warning(text),
                Level::INFO => l.info(text),
                _ => l.debug(text),
            };
        }
    }
}
