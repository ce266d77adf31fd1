//! Time recurrences, OpenSIPS style: `[timezone|]dtstart|dtend|duration|freq|until|interval|
//! byday|bymday|byyday|byweekno|bymonth`, each field as in RFC 2445 (iCalendar). Used by
//! cfgutils' `check_time_rec()`; one parse, then [`TimeRec::matches`] per timestamp.

mod matcher;
mod parse;

use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;

/// How often the window repeats (`FREQ`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// One `BYDAY` entry: a weekday, and for monthly and yearly rules an optional position
/// (`+1MO` the first Monday, `-1FR` the last Friday).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByDay {
    pub nth: Option<i32>,
    pub weekday: Weekday,
}

/// A parsed time recurrence: a window of `duration` seconds starting at `dtstart`, repeated
/// by `freq` every `interval` periods on the days the `BY*` rules allow, until `until`.
#[derive(Clone, Debug)]
pub struct TimeRec {
    tz: TimeZone,
    dtstart: DateTime,
    /// Seconds; `None` is "for ever" (no `dtend`, no `duration`, no `freq`).
    duration: Option<i64>,
    freq: Option<Freq>,
    until: Option<DateTime>,
    interval: i64,
    by_day: Vec<ByDay>,
    by_mday: Vec<i32>,
    by_yday: Vec<i32>,
    by_weekno: Vec<i32>,
    by_month: Vec<i32>,
}

impl TimeRec {
    /// Parses a recurrence string; the error says which field is wrong.
    pub fn parse(text: &str) -> Result<TimeRec, String> {
        parse::parse(text)
    }

    /// Whether the Unix time `ts` (seconds) falls in one of the recurrence's windows.
    pub fn matches(&self, ts: i64) -> bool {
        matcher::matches(self, ts)
    }
}
