//! The Date header (RFC 3261 §20.17): an RFC 1123 date, always in GMT.

use crate::error::SyntaxError;

/// `Sat, 13 Nov 2010 23:29:00 GMT`, split into fields (no calendar checks
/// beyond ranges: the header is informational for a proxy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipDate {
    /// Day of the week, 0 = Monday.
    pub weekday: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
    /// Month, 1..=12.
    pub month: u8,
    /// Year (four digits).
    pub year: u16,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=60 (leap second).
    pub second: u8,
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn num(s: &str, digits: usize, max: u16, at: usize) -> Result<u16, SyntaxError> {
    if s.len() != digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SyntaxError::new(at, "expected digits"));
    }
    s.parse::<u16>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or(SyntaxError::new(at, "number out of range"))
}

fn pos_of(list: &[&str], s: &str) -> Option<u8> {
    list.iter()
        .position(|d| *d == s)
        .and_then(|i| u8::try_from(i).ok())
}

impl SipDate {
    /// Parses `wkday "," SP 2DIGIT SP month SP 4DIGIT SP time SP "GMT"`;
    /// another time zone is an error (RFC 4475 baddate).
    pub fn parse(s: &str) -> Result<SipDate, SyntaxError> {
        let s = crate::chars::trim_lws(s);
        let mut parts = s.split(' ');
        let mut next = |what| parts.next().ok_or(SyntaxError::new(s.len(), what));
        let wk = next("expected weekday")?;
        let weekday = wk
            .strip_suffix(',')
            .and_then(|w| pos_of(&DAYS, w))
            .ok_or(SyntaxError::new(0, "bad weekday"))?;
        let day = num(next("expected day")?, 2, 31, 5)?;
        let month =
            pos_of(&MONTHS, next("expected month")?).ok_or(SyntaxError::new(8, "bad month"))? + 1;
        let year = num(next("expected year")?, 4, 9999, 12)?;
        let time = next("expected time")?;
        let mut t = time.split(':');
        let mut field = |max| num(t.next().unwrap_or(""), 2, max, 17);
        let (hour, minute, second) = (field(23)?, field(59)?, field(60)?);
        if next("expected GMT")? != "GMT" {
            return Err(SyntaxError::new(26, "time zone must be GMT"));
        }
        if parts.next().is_some() || day == 0 {
            return Err(SyntaxError::new(0, "malformed date"));
        }
        let b = |n: u16| u8::try_from(n).unwrap_or(0);
        Ok(SipDate {
            weekday,
            day: b(day),
            month,
            year,
            hour: b(hour),
            minute: b(minute),
            second: b(second),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let d = SipDate::parse("Sat, 15 Oct 2005 04:44:56 GMT").unwrap();
        assert_eq!(
            d,
            SipDate {
                weekday: 5,
                day: 15,
                month: 10,
                year: 2005,
                hour: 4,
                minute: 44,
                second: 56
            }
        );
        for bad in [
            "Fri, 01 Jan 2010 16:00:00 EST",
            "Fri 01 Jan 2010 16:00:00 GMT",
            "Fri, 1 Jan 2010 16:00:00 GMT",
            "Fri, 01 Foo 2010 16:00:00 GMT",
            "Fri, 01 Jan 2010 24:00:00 GMT",
            "Fri, 01 Jan 2010 16:00 GMT",
            "Fri, 00 Jan 2010 16:00:00 GMT",
            "Fri, 01 Jan 2010 16:00:00 GMT x",
            "",
        ] {
            assert!(SipDate::parse(bad).is_err(), "{bad}");
        }
    }
}
