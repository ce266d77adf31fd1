//! Whether a moment falls in a window of a [`TimeRec`].
//!
//! A window opens on an occurrence day at `dtstart`'s time of day and lasts `duration`.
//! Windows may be longer than a day (and overlap), so the days that could hold a window still
//! open at `ts` are tried from `ts`'s own day backwards, as far as the duration reaches.

use jiff::civil::{Date, DateTime};
use jiff::Timestamp;

use super::parse::seconds_between;
use super::{Freq, TimeRec};

/// Occurrence days tried at most (a yearly window without a duration lasts a year).
const MAX_DAYS_BACK: i64 = 366;

pub(super) fn matches(rec: &TimeRec, ts: i64) -> bool {
    let Ok(moment) = Timestamp::from_second(ts) else {
        return false;
    };
    let now = moment.to_zoned(rec.tz.clone()).datetime();
    if now < rec.dtstart {
        return false;
    }
    let Some(freq) = rec.freq else {
        return match rec.duration {
            None => true,
            Some(d) => seconds_between(&rec.tz, rec.dtstart, now) < d,
        };
    };
    if rec.until.is_some_and(|u| now > u) {
        return false;
    }
    let time = rec.dtstart.time();
    let mut day = now.date();
    for _ in 0..=MAX_DAYS_BACK {
        if day < rec.dtstart.date() {
            return false;
        }
        let start = day.to_datetime(time);
        let length = rec
            .duration
            .unwrap_or_else(|| period_seconds(rec, freq, start));
        let since = seconds_between(&rec.tz, start, now);
        if since >= 0 && since < length && is_occurrence(rec, freq, day) {
            return true;
        }
        if rec.duration.is_some() && since >= length {
            // Windows of earlier days are as long and opened earlier: none is still open.
            return false;
        }
        match day.yesterday() {
            Ok(d) => day = d,
            Err(_) => return false,
        }
    }
    false
}

/// The length of one period, the window of a recurrence given no `dtend` and no `duration`.
fn period_seconds(rec: &TimeRec, freq: Freq, start: DateTime) -> i64 {
    let next = match freq {
        Freq::Daily => start.checked_add(jiff::Span::new().days(1)),
        Freq::Weekly => start.checked_add(jiff::Span::new().weeks(1)),
        Freq::Monthly => start.checked_add(jiff::Span::new().months(1)),
        Freq::Yearly => start.checked_add(jiff::Span::new().years(1)),
    };
    next.map_or(86_400, |n| seconds_between(&rec.tz, start, n))
}

/// Whether a window opens on `day`: in step with the interval, and allowed by the `BY*`
/// rules (or, without a day rule, on `dtstart`'s weekday / day of the month / date).
fn is_occurrence(rec: &TimeRec, freq: Freq, day: Date) -> bool {
    let first = rec.dtstart.date();
    let step = match freq {
        Freq::Daily => first
            .until(day)
            .map(|s| i64::from(s.get_days()))
            .unwrap_or(-1),
        Freq::Weekly => {
            let monday = |d: Date| {
                d.checked_sub(
                    jiff::Span::new().days(i64::from(d.weekday().to_monday_zero_offset())),
                )
            };
            match (monday(first), monday(day)) {
                (Ok(a), Ok(b)) => a
                    .until(b)
                    .map(|s| i64::from(s.get_days()) / 7)
                    .unwrap_or(-1),
                _ => -1,
            }
        }
        Freq::Monthly => {
            (i64::from(day.year()) - i64::from(first.year())) * 12 + i64::from(day.month())
                - i64::from(first.month())
        }
        Freq::Yearly => i64::from(day.year()) - i64::from(first.year()),
    };
    if step < 0 || step % rec.interval != 0 {
        return false;
    }
    if !rec.by_month.is_empty() && !rec.by_month.contains(&i32::from(day.month())) {
        return false;
    }
    if !rec.by_weekno.is_empty() && !by_weekno(rec, day) {
        return false;
    }
    if !rec.by_yday.is_empty() {
        let yday = i32::from(day.day_of_year());
        let from_end = yday - i32::from(day.days_in_year()) - 1;
        if !rec.by_yday.iter().any(|&n| n == yday || n == from_end) {
            return false;
        }
    }
    if !rec.by_mday.is_empty() {
        let mday = i32::from(day.day());
        let from_end = mday - i32::from(day.days_in_month()) - 1;
        if !rec.by_mday.iter().any(|&n| n == mday || n == from_end) {
            return false;
        }
    }
    if !rec.by_day.is_empty() && !by_day(rec, freq, day) {
        return false;
    }
    let day_rules = !(rec.by_day.is_empty()
        && rec.by_mday.is_empty()
        && rec.by_yday.is_empty()
        && rec.by_weekno.is_empty());
    if day_rules {
        return true;
    }
    match freq {
        Freq::Daily => true,
        Freq::Weekly => day.weekday() == first.weekday(),
        Freq::Monthly => day.day() == first.day(),
        Freq::Yearly if !rec.by_month.is_empty() => day.day() == first.day(),
        Freq::Yearly => day.day() == first.day() && day.month() == first.month(),
    }
}

/// `BYWEEKNO`: the ISO 8601 week of the year (negative: from the year's last week).
fn by_weekno(rec: &TimeRec, day: Date) -> bool {
    let iso = day.iso_week_date();
    let week = i32::from(iso.week());
    let weeks = i32::from(iso.weeks_in_year());
    rec.by_weekno
        .iter()
        .any(|&n| n == week || n == week - weeks - 1)
}

/// `BYDAY`: the weekday, and with a position the n-th such weekday of the month (monthly
/// rules, and yearly ones with `BYMONTH`) or of the year.
fn by_day(rec: &TimeRec, freq: Freq, day: Date) -> bool {
    let in_month = freq == Freq::Monthly || (freq == Freq::Yearly && !rec.by_month.is_empty());
    rec.by_day.iter().any(|b| {
        if b.weekday != day.weekday() {
            return false;
        }
        let Some(nth) = b.nth else {
            return true;
        };
        if matches!(freq, Freq::Daily | Freq::Weekly) {
            return true;
        }
        let (index, count_after) = if in_month {
            let d = i32::from(day.day());
            (d, i32::from(day.days_in_month()) - d)
        } else {
            let d = i32::from(day.day_of_year());
            (d, i32::from(day.days_in_year()) - d)
        };
        let from_start = (index - 1) / 7 + 1;
        let from_end = -(count_after / 7 + 1);
        nth == from_start || nth == from_end
    })
}

#[cfg(test)]
mod tests {
    use super::super::TimeRec;

    /// 2020-06-05 (a Friday) 11:51:35 UTC.
    const NOW: i64 = 1_591_357_895;
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;

    fn check(rec: &str, ts: i64) -> bool {
        TimeRec::parse(rec)
            .unwrap_or_else(|e| panic!("{rec}: {e}"))
            .matches(ts)
    }

    #[test]
    fn single_windows() {
        assert!(check("UTC|20200605T110000|20200605T120000", NOW));
        assert!(!check("UTC|20200605T120000|20200605T130000", NOW));
        assert!(check("UTC|20200601T000000||P5D", NOW));
        assert!(!check("UTC|20200601T000000||P4D", NOW));
        // No end: from dtstart on, for ever.
        assert!(check("UTC|20200101T000000", NOW));
        assert!(!check("UTC|20210101T000000", NOW));
        // UTC times in another zone: Bucharest is UTC+3 in June.
        assert!(check(
            "Europe/Bucharest|20200605T140000|20200605T150000",
            NOW
        ));
        assert!(check(
            "Europe/Bucharest|20200605T110000Z|20200605T120000Z",
            NOW
        ));
    }

    #[test]
    fn daily_and_overnight() {
        assert!(check("UTC|20200101T090000||PT8H|DAILY", NOW));
        assert!(!check("UTC|20200101T120000||PT8H|DAILY", NOW));
        // 23:00 to 07:00, checked at 02:00: the window opened the day before.
        assert!(check(
            "UTC|20200101T230000|20200102T070000||DAILY",
            NOW - 9 * HOUR - 51 * 60
        ));
        assert!(!check("UTC|20200101T230000|20200102T070000||DAILY", NOW));
        // Every other day from 2020-01-01 (the 5th of June is day 156: even).
        assert!(check("UTC|20200101T000000||P1D|DAILY||2", NOW));
        assert!(!check("UTC|20200101T000000||P1D|DAILY||2", NOW + DAY));
        // Until.
        assert!(!check(
            "UTC|20200101T090000||PT8H|DAILY|20200601T000000",
            NOW
        ));
    }

    #[test]
    fn weekly_business_hours() {
        let office = "UTC|20210104T080000||PT9H|WEEKLY|||MO,TU,WE,TH,FR";
        // Friday 2021-06-04 11:51:35 UTC and the same time on Saturday / at 07:30.
        let friday = NOW + 364 * DAY;
        assert!(check(office, friday));
        assert!(!check(office, friday + DAY));
        assert!(!check(office, friday - 4 * HOUR - 21 * 60));
        // Without BYDAY: dtstart's weekday (a Monday) only.
        assert!(!check("UTC|20210104T080000||PT9H|WEEKLY", friday));
        assert!(check("UTC|20210104T080000||PT9H|WEEKLY", friday - 4 * DAY));
    }

    #[test]
    fn monthly_and_yearly() {
        // The first Friday of the month, all day.
        assert!(check("UTC|20200101T000000||P1D|MONTHLY|||1FR", NOW));
        assert!(!check("UTC|20200101T000000||P1D|MONTHLY|||2FR", NOW));
        assert!(check("UTC|20200101T000000||P1D|MONTHLY|||-4FR", NOW));
        // The 5th of each month; the last day of the month.
        assert!(check("UTC|20200105T000000||P1D|MONTHLY", NOW));
        assert!(check("UTC|20200101T000000||P1D|MONTHLY||||5", NOW));
        assert!(check("UTC|20200101T000000||P1D|MONTHLY||||-26", NOW));
        assert!(!check("UTC|20200101T000000||P1D|MONTHLY||||-1", NOW));
        // In June, on dtstart's day of the month; day 157 of 2020; ISO week 23.
        assert!(check("UTC|20200105T000000||P1D|YEARLY|||||||6", NOW));
        assert!(!check("UTC|20200105T000000||P1D|YEARLY|||||||7", NOW));
        assert!(!check("UTC|20200101T000000||P1D|YEARLY|||||||6", NOW));
        assert!(check("UTC|20200101T000000||P1D|YEARLY|||||157", NOW));
        assert!(!check("UTC|20200101T000000||P1D|YEARLY", NOW));
        assert!(check("UTC|20190605T000000||P1D|YEARLY", NOW));
        assert!(check("UTC|20200101T000000||P1D|YEARLY|||FR|||23", NOW));
        assert!(!check("UTC|20200101T000000||P1D|YEARLY|||FR|||24", NOW));
        // No duration: a window lasts a whole period, here from the 10th of May.
        assert!(check("UTC|20190610T000000|||MONTHLY", NOW));
        assert!(!check("UTC|20190610T000000|||MONTHLY||2", NOW));
        assert!(check("UTC|20190601T000000|||YEARLY", NOW));
    }
}
