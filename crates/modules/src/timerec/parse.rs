//! The text of a time recurrence into a [`TimeRec`].

use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;

use super::{ByDay, Freq, TimeRec};

/// `[timezone|]dtstart|dtend|duration|freq|until|interval|byday|bymday|byyday|byweekno|bymonth`;
/// trailing empty fields may be left out. The time zone is told from a date by its first
/// character (a date starts with a digit); without one the system's is used.
pub(super) fn parse(text: &str) -> Result<TimeRec, String> {
    let mut fields: Vec<&str> = text.split('|').map(str::trim).collect();
    let tz = match fields.first() {
        Some(f) if !f.is_empty() && !f.starts_with(|c: char| c.is_ascii_digit()) => {
            let name = fields.remove(0);
            TimeZone::get(name).map_err(|e| format!("unknown time zone '{name}': {e}"))?
        }
        _ => TimeZone::system(),
    };
    if fields.len() > 11 {
        return Err(format!(
            "{} fields, at most 11 after the time zone",
            fields.len()
        ));
    }
    fields.resize(11, "");
    let field = |i: usize| fields[i];
    let dtstart = match field(0) {
        "" => DateTime::constant(1970, 1, 1, 0, 0, 0, 0),
        s => date_time(s, &tz).map_err(|e| format!("dtstart: {e}"))?,
    };
    let freq = match field(3).to_ascii_uppercase().as_str() {
        "" => None,
        "DAILY" => Some(Freq::Daily),
        "WEEKLY" => Some(Freq::Weekly),
        "MONTHLY" => Some(Freq::Monthly),
        "YEARLY" => Some(Freq::Yearly),
        other => {
            return Err(format!(
                "freq: '{other}' is not DAILY, WEEKLY, MONTHLY or YEARLY"
            ))
        }
    };
    let duration = match (field(1), field(2)) {
        ("", "") => None,
        (end, "") => {
            let end = date_time(end, &tz).map_err(|e| format!("dtend: {e}"))?;
            let secs = seconds_between(&tz, dtstart, end);
            if secs <= 0 {
                return Err("dtend is not after dtstart".into());
            }
            Some(secs)
        }
        (_, d) => Some(duration(d).map_err(|e| format!("duration: {e}"))?),
    };
    let until = match field(4) {
        "" => None,
        s => Some(date_time(s, &tz).map_err(|e| format!("until: {e}"))?),
    };
    let interval = match field(5) {
        "" => 1,
        s => match s.parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(format!("interval: '{s}' is not a positive number")),
        },
    };
    Ok(TimeRec {
        tz,
        dtstart,
        duration,
        freq,
        until,
        interval,
        by_day: list(field(6), by_day).map_err(|e| format!("byday: {e}"))?,
        by_mday: list(field(7), |s| number(s, 31)).map_err(|e| format!("bymday: {e}"))?,
        by_yday: list(field(8), |s| number(s, 366)).map_err(|e| format!("byyday: {e}"))?,
        by_weekno: list(field(9), |s| number(s, 53)).map_err(|e| format!("byweekno: {e}"))?,
        by_month: list(field(10), |s| number(s, 12)).map_err(|e| format!("bymonth: {e}"))?,
    })
}

/// `YYYYMMDDTHHMMSS`, local to `tz`, or with a final `Z` in UTC (converted to `tz`).
fn date_time(s: &str, tz: &TimeZone) -> Result<DateTime, String> {
    let (body, utc) = match s.strip_suffix(['Z', 'z']) {
        Some(b) => (b, true),
        None => (s, false),
    };
    let bad = || format!("'{s}' is not YYYYMMDDTHHMMSS");
    if body.len() != 15 || !body.is_char_boundary(8) || !body[8..9].eq_ignore_ascii_case("t") {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| body[r].parse::<i16>().map_err(|_| bad());
    let dt = DateTime::new(
        n(0..4)?,
        n(4..6)? as i8,
        n(6..8)? as i8,
        n(9..11)? as i8,
        n(11..13)? as i8,
        n(13..15)? as i8,
        0,
    )
    .map_err(|e| format!("'{s}': {e}"))?;
    if utc {
        let ts = dt.to_zoned(TimeZone::UTC).map_err(|e| e.to_string())?;
        Ok(ts.timestamp().to_zoned(tz.clone()).datetime())
    } else {
        Ok(dt)
    }
}

/// Seconds from `a` to `b`, both civil times in `tz`.
pub(super) fn seconds_between(tz: &TimeZone, a: DateTime, b: DateTime) -> i64 {
    let at = |d: DateTime| d.to_zoned(tz.clone()).map(|z| z.timestamp().as_second());
    match (at(a), at(b)) {
        (Ok(x), Ok(y)) => y - x,
        _ => 0,
    }
}

/// An RFC 2445 duration, `P1W`, `P2DT8H`, `PT30M`; the `P` and `T` may be left out and
/// case does not matter (`p30d`, `8H`), as OpenSIPS accepts.
fn duration(s: &str) -> Result<i64, String> {
    let body = s.trim_start_matches(['P', 'p']);
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut any = false;
    for c in body.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => digits.push(c),
            'T' if digits.is_empty() => {}
            unit @ ('W' | 'D' | 'H' | 'M' | 'S') => {
                let n: i64 = digits
                    .parse()
                    .map_err(|_| format!("'{s}': no number before {unit}"))?;
                let scale = match unit {
                    'W' => 7 * 86_400,
                    'D' => 86_400,
                    'H' => 3_600,
                    'M' => 60,
                    _ => 1,
                };
                total = total.saturating_add(n.saturating_mul(scale));
                digits.clear();
                any = true;
            }
            _ => return Err(format!("'{s}' is not a duration such as P1DT8H")),
        }
    }
    if !any || !digits.is_empty() {
        return Err(format!("'{s}' is not a duration such as P1DT8H"));
    }
    Ok(total)
}

/// A comma-separated list, empty for an empty field.
fn list<T>(s: &str, item: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(|p| item(p.trim())).collect()
}

/// A non-zero number within ±`max`.
fn number(s: &str, max: i32) -> Result<i32, String> {
    match s.trim_start_matches('+').parse::<i32>() {
        Ok(n) if n != 0 && n.abs() <= max => Ok(n),
        _ => Err(format!("'{s}' is not a number in 1..{max} or -{max}..-1")),
    }
}

/// `MO`, `+2TU`, `-1SU`.
fn by_day(s: &str) -> Result<ByDay, String> {
    if s.len() < 2 || !s.is_char_boundary(s.len() - 2) {
        return Err(format!("'{s}' is not a weekday such as MO or -1FR"));
    }
    let (nth, day) = s.split_at(s.len() - 2);
    let weekday = match day.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return Err(format!("'{s}' is not a weekday such as MO or -1FR")),
    };
    let nth = match nth {
        "" => None,
        n => Some(number(n, 53)?),
    };
    Ok(ByDay { nth, weekday })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("P1W"), Ok(604_800));
        assert_eq!(duration("p30d"), Ok(30 * 86_400));
        assert_eq!(duration("PT8H30M"), Ok(8 * 3600 + 1800));
        assert_eq!(duration("8H"), Ok(8 * 3600));
        assert_eq!(duration("P1DT1S"), Ok(86_401));
        assert!(duration("P").is_err());
        assert!(duration("P5").is_err());
        assert!(duration("P1Y").is_err());
    }

    #[test]
    fn fields_and_errors() {
        let r =
            parse("UTC|20200101T090000||PT8H|weekly|20301231T000000|2|MO,-1FR||||1,12").unwrap();
        assert_eq!(r.freq, Some(Freq::Weekly));
        assert_eq!(r.duration, Some(8 * 3600));
        assert_eq!(r.interval, 2);
        assert_eq!(r.by_day.len(), 2);
        assert_eq!(r.by_day[1].nth, Some(-1));
        assert_eq!(r.by_month, vec![1, 12]);
        assert!(r.until.is_some());
        assert!(parse("Nowhere/Atlantis|20200101T000000").is_err());
        assert!(parse("2020010T000000").is_err());
        assert!(parse("20200101T000000|20190101T000000").is_err());
        assert!(parse("20200101T000000|||HOURLY").is_err());
        assert!(parse("20200101T000000||||||XX").is_err());
        assert!(parse("20200101T000000|||daily||0").is_err());
        assert!(parse("20200101T000000|||monthly||||32").is_err());
    }
}
