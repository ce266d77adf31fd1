//! Socket specs for `socket=`, `listen=` and `alias=`:
//! `[proto:]host[:port] [as host[:port]] [option [value]]...`.
//!
//! Read in raw-character mode because hosts (`127.0.0.1`, `[::1]`, `*`,
//! `eth0`) are not tokens of the script language. `a:b` is `proto:host`
//! unless `b` is all digits (then `host:port`), so no protocol list is
//! needed here; the engine checks protocol names.

use super::toplevel::is_bare_value_byte;
use super::{PResult, Parser};
use crate::ast::SocketSpec;
use crate::error::Diagnostic;
use crate::span::Span;

/// Socket options that take a value (`use_workers 4`, `tag pub`).
const OPTIONS_WITH_VALUE: &[&str] = &[
    "use_workers",
    "use_children",
    "use_auto_scaling_profile",
    "tag",
];

/// Socket options that stand alone.
const FLAG_OPTIONS: &[&str] = &["anycast", "frag", "reuse_port"];

fn is_host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'*')
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Parser {
    /// Parses a socket spec at the cursor.
    pub(super) fn socket_spec(&mut self) -> PResult<SocketSpec> {
        let (first, first_span) = self.host_part()?;
        let mut proto = None;
        let host;
        let mut port = None;
        if self.raw_eat(b':') {
            let (second, second_span) = self.host_part()?;
            if !second.is_empty() && second.bytes().all(|c| c.is_ascii_digit()) {
                host = first;
                port = Some(parse_port(&second, second_span)?);
            } else {
                proto = Some(first);
                host = second;
                if self.raw_eat(b':') {
                    port = Some(self.port()?);
                }
            }
        } else {
            host = first;
        }
        if host.is_empty() {
            return Err(Diagnostic::new(
                first_span,
                "expected a socket address like `udp:127.0.0.1:5060`",
            ));
        }
        let mut spec = SocketSpec {
            proto,
            host,
            port,
            advertised: None,
            options: Vec::new(),
            span: first_span.to(self.prev_end),
        };
        self.socket_options(&mut spec)?;
        spec.span = first_span.to(self.prev_end);
        Ok(spec)
    }

    /// `as host[:port]` and the other options, as long as they follow.
    fn socket_options(&mut self, spec: &mut SocketSpec) -> PResult<()> {
        loop {
            let Some(lx) = self.src.raw() else {
                return Ok(());
            };
            let save = lx.raw_pos();
            if lx.skip_trivia().is_some() {
                lx.rewind(save);
                return Ok(());
            }
            let (word, _) = lx.raw_eat_while(is_word_byte);
            let next_is_blank = !matches!(lx.raw_peek(), Some(c) if !c.is_ascii_whitespace());
            if word == "as" && next_is_blank {
                // An unterminated comment here leaves the host empty and
                // is reported as a missing address.
                let _ = lx.skip_trivia();
                let (host, host_span) = self.host_part()?;
                if host.is_empty() {
                    return Err(Diagnostic::new(host_span, "expected an address after `as`"));
                }
                let port = if self.raw_eat(b':') {
                    Some(self.port()?)
                } else {
                    None
                };
                spec.advertised = Some((host, port));
            } else if OPTIONS_WITH_VALUE.contains(&word.as_str()) && next_is_blank {
                self.raw_mark();
                let (value, vspan) = self.raw_word(is_bare_value_byte)?;
                if value.is_empty() {
                    return Err(Diagnostic::new(
                        vspan,
                        format!("expected a value after `{word}`"),
                    ));
                }
                spec.options.push((word, Some(value)));
            } else if FLAG_OPTIONS.contains(&word.as_str()) && !followed_by_assign(self) {
                self.raw_mark();
                spec.options.push((word, None));
            } else {
                if let Some(lx) = self.src.raw() {
                    lx.rewind(save);
                }
                return Ok(());
            }
        }
    }

    /// A host: `[v6 address]` (returned without brackets) or host bytes.
    fn host_part(&mut self) -> PResult<(String, Span)> {
        let fallback = self.prev_end;
        let Some(lx) = self.src.raw() else {
            return Err(Diagnostic::new(fallback, "unexpected end of input"));
        };
        let start = lx.raw_pos();
        let (text, span) = if lx.raw_eat(b'[') {
            let (inner, _) = lx.raw_eat_while(|c| c != b']' && !c.is_ascii_whitespace());
            if !lx.raw_eat(b']') {
                let at = Span::new(lx.file(), start, start + 1);
                return Err(Diagnostic::new(at, "unclosed `[` in IPv6 address"));
            }
            (inner, Span::new(lx.file(), start, lx.raw_pos()))
        } else {
            lx.raw_eat_while(is_host_byte)
        };
        self.raw_mark();
        Ok((text, span))
    }

    fn port(&mut self) -> PResult<u16> {
        let Some(lx) = self.src.raw() else {
            return Err(Diagnostic::new(self.prev_end, "expected a port number"));
        };
        let (digits, span) = lx.raw_eat_while(|c| c.is_ascii_digit());
        self.raw_mark();
        parse_port(&digits, span)
    }

    fn raw_eat(&mut self, c: u8) -> bool {
        let eaten = self.src.raw().is_some_and(|lx| lx.raw_eat(c));
        self.raw_mark();
        eaten
    }

    /// Moves the "end of previous token" mark to the raw cursor.
    fn raw_mark(&mut self) {
        if let Some(lx) = self.src.raw() {
            let pos = lx.raw_pos();
            self.prev_end = Span::new(lx.file(), pos, pos);
        }
    }
}

/// Whether the word just read is followed by `=` (then it was really the
/// next global parameter's name, not a socket option).
fn followed_by_assign(p: &mut Parser) -> bool {
    let Some(lx) = p.src.raw() else {
        return false;
    };
    let save = lx.raw_pos();
    let followed_by_assign = lx.skip_trivia().is_none() && lx.raw_peek() == Some(b'=');
    lx.rewind(save);
    followed_by_assign
}

fn parse_port(digits: &str, span: Span) -> PResult<u16> {
    match digits.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(Diagnostic::new(span, format!("invalid port `{digits}`"))),
    }
}
