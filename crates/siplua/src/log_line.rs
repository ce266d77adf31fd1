//! The fast path of script and module log lines ([`siplua_core::log::set_line_writer`]).
//!
//! It prints the line `tracing`'s formatter prints — `2026-11-27T20:13:09.658372Z  INFO
//! udp-worker-0 INFO:script: text` — but builds it in a buffer kept per thread, with the
//! date part formatted once a second, and escapes the text's terminal control characters as
//! `tracing` does (ESC, BEL, BS, FF, DEL as `\x1b`..., C1 controls as `\u{9b}`...), scanning
//! it once instead of writing it one character at a time. One difference: thread names are
//! not padded to the longest name seen so far.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::Level;

/// One thread's line buffer and what it caches.
struct LineBuf {
    buf: Vec<u8>,
    /// The Unix second `date` is for.
    second: u64,
    /// `YYYY-MM-DDTHH:MM:SS` of `second`; empty until first written.
    date: String,
    /// The thread's name followed by a space (its id when it has no name), as `tracing` writes it.
    thread: String,
}

thread_local! {
    static LINE: RefCell<Option<LineBuf>> = const { RefCell::new(None) };
}

/// Writes one line (installed as the core's [`siplua_core::log::LineWriter`]).
pub fn write(l: i32, name: &str, origin: &str, text: &str) {
    let level = crate::logging::tracing_level(l);
    LINE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            let line = slot.get_or_insert_with(LineBuf::new);
            line.build(level, name, origin, text);
            crate::logging::output(level, &line.buf);
        }
        // Only if writing a line logged another one: build it apart.
        Err(_) => {
            let mut line = LineBuf::new();
            line.build(level, name, origin, text);
            crate::logging::output(level, &line.buf);
        }
    });
}

impl LineBuf {
    fn new() -> LineBuf {
        let current = std::thread::current();
        let thread = match current.name() {
            Some(name) => format!("{name} "),
            None => format!("{:?} ", current.id()),
        };
        LineBuf {
            buf: Vec::with_capacity(256),
            second: 0,
            date: String::new(),
            thread,
        }
    }

    fn build(&mut self, level: Level, name: &str, origin: &str, text: &str) {
        self.buf.clear();
        self.timestamp();
        self.buf.extend_from_slice(match level {
            Level::ERROR => b" ERROR ",
            Level::WARN => b"  WARN ",
            Level::INFO => b"  INFO ",
            Level::DEBUG => b" DEBUG ",
            _ => b" TRACE ",
        });
        self.buf.extend_from_slice(self.thread.as_bytes());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(b':');
        self.buf.extend_from_slice(origin.as_bytes());
        self.buf.extend_from_slice(b": ");
        escape_into(&mut self.buf, text);
        self.buf.push(b'\n');
    }

    /// `2026-11-27T20:13:09.658372Z`: UTC, microseconds, as `tracing`'s default timer.
    fn timestamp(&mut self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let second = now.as_secs();
        if second != self.second || self.date.is_empty() {
            self.second = second;
            self.date = i64::try_from(second)
                .ok()
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
                .map(|t| t.to_string().trim_end_matches('Z').to_owned())
                .unwrap_or_default();
        }
        self.buf.extend_from_slice(self.date.as_bytes());
        self.buf.push(b'.');
        let micros = now.subsec_micros();
        for div in [100_000, 10_000, 1_000, 100, 10, 1] {
            self.buf.push(b'0' + (micros / div % 10) as u8);
        }
        self.buf.push(b'Z');
    }
}

/// Appends `text`, its terminal control characters escaped.
fn escape_into(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // Every character escaped has a byte among these: the usual line has none, and is
    // copied whole.
    let suspect = |b: u8| matches!(b, 0x07 | 0x08 | 0x0c | 0x1b | 0x7f | 0xc2);
    if !bytes.iter().any(|&b| suspect(b)) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut utf8 = [0u8; 4];
    for ch in text.chars() {
        match ch {
            '\x07' | '\x08' | '\x0c' | '\x1b' | '\x7f' => {
                out.extend_from_slice(format!("\\x{:02x}", ch as u32).as_bytes());
            }
            '\u{80}'..='\u{9f}' => {
                out.extend_from_slice(format!("\\u{{{:x}}}", ch as u32).as_bytes());
            }
            _ => out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(level: Level, text: &str) -> String {
        let mut l = LineBuf::new();
        l.thread = "udp-worker-0 ".into();
        l.build(level, "INFO", "script", text);
        String::from_utf8(l.buf).unwrap()
    }

    #[test]
    fn the_line_has_tracings_shape() {
        let s = line(Level::INFO, "new branch at sip:bob@h");
        let (stamp, rest) = s.split_at(27);
        assert_eq!(
            rest,
            "  INFO udp-worker-0 INFO:script: new branch at sip:bob@h\n"
        );
        assert_eq!(stamp.len(), 27, "{stamp}");
        // A timestamp RFC 3339 readers take, with its six decimals.
        assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{stamp}");
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "{stamp}"
        );
        assert_eq!(stamp.as_bytes()[19], b'.', "{stamp}");
        assert!(line(Level::ERROR, "x").contains("Z ERROR udp-worker-0 "));
        assert!(line(Level::WARN, "x").contains("Z  WARN udp-worker-0 "));
    }

    #[test]
    fn control_characters_are_escaped_as_tracing_escapes_them() {
        let s = line(Level::INFO, "ua=\x1b[31mred\x07 \u{9b}1m é\tok");
        assert!(
            s.ends_with("INFO:script: ua=\\x1b[31mred\\x07 \\u{9b}1m é\tok\n"),
            "{s}"
        );
    }

    #[test]
    fn the_date_follows_the_clock() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let expected = jiff::Timestamp::from_second(now as i64)
            .unwrap()
            .to_string();
        let s = line(Level::INFO, "x");
        // The second may have turned between the two clock reads.
        let next = jiff::Timestamp::from_second(now as i64 + 1)
            .unwrap()
            .to_string();
        assert!(
            s.starts_with(&expected[..19]) || s.starts_with(&next[..19]),
            "{s} vs {expected}"
        );
    }
}
