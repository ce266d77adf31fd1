//! What a SIP message says about session timers (RFC 4028): its `Session-Expires` interval,
//! its `Min-SE` and whether it lists `timer` in `Supported`.

use siplua_sip::{HeaderKind, Message};

/// The session-timer headers of one message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerHeaders {
    /// `Supported: timer` is present.
    pub supported: bool,
    /// The `Session-Expires` delta-seconds, when the header is there.
    pub session_expires: Option<u64>,
    /// The `Min-SE` delta-seconds, when the header is there.
    pub min_se: Option<u64>,
}

/// The delta-seconds in front of a header value's parameters (`1800;refresher=uac`).
fn delta_seconds(value: &str, name: &str) -> Result<u64, String> {
    let secs = value.split(';').next().unwrap_or("").trim();
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad {name} header '{value}'"));
    }
    secs.parse()
        .map_err(|_| format!("{name} value '{secs}' is too large"))
}

/// Reads the session-timer headers of `msg`; a `Session-Expires` or `Min-SE` that is not a
/// number of seconds is an error.
pub fn read(msg: &Message) -> Result<TimerHeaders, String> {
    let session_expires = msg
        .get(HeaderKind::SessionExpires)
        .map(|v| delta_seconds(v, "Session-Expires"))
        .transpose()?;
    let min_se = msg
        .get(HeaderKind::MinSe)
        .map(|v| delta_seconds(v, "Min-SE"))
        .transpose()?;
    let supported = msg
        .values(HeaderKind::Supported)
        .any(|v| v.text.trim().eq_ignore_ascii_case("timer"));
    Ok(TimerHeaders {
        supported,
        session_expires,
        min_se,
    })
}

/// Whether some `Require` header of `msg` already lists `timer`.
pub fn requires_timer(msg: &Message) -> bool {
    msg.values(HeaderKind::Require)
        .any(|v| v.text.trim().eq_ignore_ascii_case("timer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(extra: &str) -> Message {
        let text = format!(
            "INVITE sip:b@y SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
             From: <sip:a@x>;tag=f\r\nTo: <sip:b@y>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
             {extra}Content-Length: 0\r\n\r\n"
        );
        Message::parse_slice(text.as_bytes()).unwrap()
    }

    #[test]
    fn reads_intervals_and_the_timer_option() {
        let h = read(&msg(
            "Session-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\nSupported: 100rel, timer\r\n",
        ))
        .unwrap();
        assert_eq!(
            h,
            TimerHeaders {
                supported: true,
                session_expires: Some(1800),
                min_se: Some(90)
            }
        );
        // The compact form of Session-Expires is `x`.
        let h = read(&msg("x: 120\r\n")).unwrap();
        assert_eq!(
            (h.session_expires, h.min_se, h.supported),
            (Some(120), None, false)
        );
        assert_eq!(read(&msg("")).unwrap(), TimerHeaders::default());
        assert!(requires_timer(&msg("Require: timer\r\n")));
        assert!(!requires_timer(&msg("Require: 100rel\r\n")));
    }

    #[test]
    fn a_value_that_is_not_seconds_is_an_error() {
        assert!(read(&msg("Session-Expires: soon\r\n")).is_err());
        assert!(read(&msg("Min-SE: -5\r\n")).is_err());
        assert!(read(&msg("Session-Expires: 99999999999999999999999\r\n")).is_err());
    }
}
