//! Office hours and the messenger's "expected reply" line: whether the team is in now (in the
//! workspace's timezone, so daylight-saving changes are honoured) and what to tell a visitor.
//!
//! Hours are stored as JSON `{"mon": [[540, 1020]], …}`: per weekday, intervals of minutes after
//! local midnight, `[start, end)`. An empty object means always open.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

/// Why office hours were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeHoursError {
    #[error("office_hours must be an object keyed by mon, tue, wed, thu, fri, sat, sun")]
    NotAnObject,
    #[error("office_hours has an unknown day {0:?} (use mon, tue, wed, thu, fri, sat, sun)")]
    UnknownDay(String),
    #[error("office_hours.{0} must be a list of [start, end] minute pairs")]
    BadInterval(String),
    #[error("office_hours.{0}: each interval needs 0 <= start < end <= 1440")]
    OutOfRange(String),
    #[error("office_hours.{0}: intervals overlap")]
    Overlap(String),
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Validated office hours: per weekday, sorted non-overlapping `[start, end)` minute intervals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHours {
    days: BTreeMap<u32, Vec<(u32, u32)>>,
    always_open: bool,
}

impl OfficeHours {
    /// Parses and validates the JSON form; `{}` is always open.
    pub fn parse(value: &serde_json::Value) -> Result<Self, OfficeHoursError> {
        let object = value.as_object().ok_or(OfficeHoursError::NotAnObject)?;
        let mut days = BTreeMap::new();
        for (key, intervals) in object {
            let (_, weekday) =
                DAYS.iter().find(|(name, _)| name == key).ok_or_else(|| OfficeHoursError::UnknownDay(key.clone()))?;
            let bad = || OfficeHoursError::BadInterval(key.clone());
            let mut list = Vec::new();
            for pair in intervals.as_array().ok_or_else(bad)? {
                let pair = pair.as_array().filter(|p| p.len() == 2).ok_or_else(bad)?;
                let start = pair[0].as_u64().ok_or_else(bad)?;
                let end = pair[1].as_u64().ok_or_else(bad)?;
                if start >= end || end > 1440 {
                    return Err(OfficeHoursError::OutOfRange(key.clone()));
                }
                list.push((start as u32, end as u32));
            }
            list.sort_unstable();
            if list.windows(2).any(|w| w[1].0 < w[0].1) {
                return Err(OfficeHoursError::Overlap(key.clone()));
            }
            days.insert(weekday.num_days_from_monday(), list);
        }
        Ok(Self { always_open: object.is_empty(), days })
    }

    /// Parses stored text; unreadable text reads as always open (it was validated on write).
    pub fn from_stored(text: &str) -> Self {
        serde_json::from_str(text)
            .ok()
            .and_then(|v| Self::parse(&v).ok())
            .unwrap_or(Self { days: BTreeMap::new(), always_open: true })
    }

    /// The canonical JSON form (days in week order, intervals sorted).
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        for (name, weekday) in DAYS {
            if let Some(list) = self.days.get(&weekday.num_days_from_monday()) {
                object.insert(name.into(), serde_json::json!(list.iter().map(|(s, e)| [*s, *e]).collect::<Vec<_>>()));
            }
        }
        serde_json::Value::Object(object)
    }

    fn intervals(&self, weekday: Weekday) -> &[(u32, u32)] {
        self.days.get(&weekday.num_days_from_monday()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether the team is in at unix time `now`, read on the wall clock of `tz`.
    pub fn is_open(&self, tz: Tz, now: i64) -> bool {
        if self.always_open {
            return true;
        }
        let local = local_time(tz, now);
        let minute = local.hour() * 60 + local.minute();
        self.intervals(local.weekday()).iter().any(|(start, end)| *start <= minute && minute < *end)
    }
}

/// Why a holiday list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolidaysError {
    #[error("holidays must be a list of dates \"YYYY-MM-DD\"")]
    NotAList,
    #[error("holidays: {0:?} is not a date \"YYYY-MM-DD\"")]
    BadDate(String),
    #[error("holidays: at most {MAX_HOLIDAYS} dates")]
    TooMany,
}

/// The most holidays one calendar holds.
pub const MAX_HOLIDAYS: usize = 1000;

/// Parses and validates a holiday list `["2024-12-25", …]` (sorted, duplicates dropped).
pub fn parse_holidays(value: &serde_json::Value) -> Result<Vec<NaiveDate>, HolidaysError> {
    let list = value.as_array().ok_or(HolidaysError::NotAList)?;
    if list.len() > MAX_HOLIDAYS {
        return Err(HolidaysError::TooMany);
    }
    let mut dates = list
        .iter()
        .map(|v| {
            let text = v.as_str().ok_or_else(|| HolidaysError::BadDate(v.to_string()))?;
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| HolidaysError::BadDate(text.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    dates.sort_unstable();
    dates.dedup();
    Ok(dates)
}

/// Stored holiday text read back (validated on write; unreadable text reads as none).
pub fn holidays_from_stored(text: &str) -> Vec<NaiveDate> {
    serde_json::from_str(text).ok().and_then(|v| parse_holidays(&v).ok()).unwrap_or_default()
}

/// The canonical JSON form of a holiday list.
pub fn holidays_json(dates: &[NaiveDate]) -> serde_json::Value {
    serde_json::json!(dates.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect::<Vec<_>>())
}

/// How far ahead [`BusinessClock::deadline`] looks for enough open time before giving up.
const HORIZON_DAYS: i64 = 5 * 366;

/// A business-hours clock: weekly office hours read on the wall clock of a timezone, with whole
/// local days off (holidays). It measures time that counts (`elapsed`) and finds when a budget of
/// counted seconds runs out (`deadline`). Daylight-saving changes are honoured: a local time that
/// does not exist (spring forward) starts at the first minute that does, an ambiguous one (fall
/// back) is read as its earlier instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessClock {
    hours: OfficeHours,
    tz: Tz,
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessClock {
    pub fn new(hours: OfficeHours, tz: Tz, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self { hours, tz, holidays: holidays.into_iter().collect() }
    }

    /// Every second counts (a calendar clock).
    pub fn calendar() -> Self {
        Self::new(OfficeHours::parse(&serde_json::json!({})).expect("empty hours are valid"), chrono_tz::UTC, [])
    }

    fn is_wall_clock(&self) -> bool {
        self.hours.always_open && self.holidays.is_empty()
    }

    /// The unix instant of `minute` after local midnight of `date`.
    fn instant(&self, date: NaiveDate, minute: u32) -> i64 {
        let mut naive = date.and_hms_opt(0, 0, 0).expect("midnight exists") + chrono::Duration::minutes(minute.into());
        // A gap never lasts a day; step forward to the first local minute that exists.
        for _ in 0..1440 {
            if let Some(t) = self.tz.from_local_datetime(&naive).earliest() {
                return t.timestamp();
            }
            naive += chrono::Duration::minutes(1);
        }
        naive.and_utc().timestamp()
    }

    /// The open `[start, end)` unix intervals of one local date.
    fn open_on(&self, date: NaiveDate) -> Vec<(i64, i64)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let whole_day = [(0, 1440)];
        let intervals: &[(u32, u32)] =
            if self.hours.always_open { &whole_day } else { self.hours.intervals(date.weekday()) };
        intervals.iter().map(|(s, e)| (self.instant(date, *s), self.instant(date, *e))).filter(|(s, e)| s < e).collect()
    }

    fn local_date(&self, at: i64) -> NaiveDate {
        local_time(self.tz, at).date_naive()
    }

    /// The hours, timezone and holidays this clock reads.
    pub fn parts(&self) -> (&OfficeHours, Tz, Vec<NaiveDate>) {
        (&self.hours, self.tz, self.holidays.iter().copied().collect())
    }

    /// Whether time counts at `at` (open and not a holiday).
    pub fn is_open(&self, at: i64) -> bool {
        let date = self.local_date(at);
        [date.pred_opt(), Some(date)]
            .into_iter()
            .flatten()
            .any(|d| self.open_on(d).iter().any(|(s, e)| *s <= at && at < *e))
    }

    /// The first instant at or after `at` when the clock is open; `None` when it does not open
    /// within about five years.
    pub fn next_open(&self, at: i64) -> Option<i64> {
        if self.is_open(at) {
            return Some(at);
        }
        // The first counted second after `at` ends one second after the opening.
        self.deadline(at, 1).map(|t| t - 1)
    }

    /// Counted seconds in `[t0, t1)` (0 when `t1 <= t0`).
    pub fn elapsed(&self, t0: i64, t1: i64) -> i64 {
        if t1 <= t0 {
            return 0;
        }
        if self.is_wall_clock() {
            return t1 - t0;
        }
        let (first, last) = (self.local_date(t0), self.local_date(t1));
        let mut total = 0;
        let mut date = first.pred_opt().unwrap_or(first);
        while date <= last {
            for (s, e) in self.open_on(date) {
                total += (e.min(t1) - s.max(t0)).max(0);
            }
            date = date.succ_opt().unwrap_or(date);
            if date == NaiveDate::MAX {
                break;
            }
        }
        total
    }

    /// The earliest instant `t >= t0` with `elapsed(t0, t) == seconds`; `None` when the clock is
    /// not open for that long within about five years.
    pub fn deadline(&self, t0: i64, seconds: i64) -> Option<i64> {
        if seconds <= 0 {
            return Some(t0);
        }
        if self.is_wall_clock() {
            return Some(t0 + seconds);
        }
        let mut left = seconds;
        let mut date = self.local_date(t0).pred_opt()?;
        for _ in 0..HORIZON_DAYS {
            for (s, e) in self.open_on(date) {
                let start = s.max(t0);
                if e <= start {
                    continue;
                }
                if left <= e - start {
                    return Some(start + left);
                }
                left -= e - start;
            }
            date = date.succ_opt()?;
        }
        None
    }
}

fn local_time(tz: Tz, now: i64) -> chrono::DateTime<Tz> {
    tz.timestamp_opt(now, 0).single().unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap())
}

/// What the messenger shows under the team's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedReply {
    pub online: bool,
    pub text: String,
}

fn reply_time_text(minutes: i64) -> String {
    match minutes {
        m if m <= 1 => "Typically replies in under a minute".into(),
        m if m < 60 => format!("Typically replies in under {m} minutes"),
        60 => "Typically replies in under an hour".into(),
        m if m < 24 * 60 => format!("Typically replies in under {} hours", (m + 59) / 60),
        m if m <= 24 * 60 => "Typically replies in a day".into(),
        m => format!("Typically replies in {} days", (m + 24 * 60 - 1) / (24 * 60)),
    }
}

/// The expected reply at unix time `now`: online with the usual reply time while `clock` is open,
/// otherwise when the team is back ("Back Monday at 09:00"; past a week, "Back on 2 January at
/// 09:00"), on the clock's wall clock. Holidays count as closed.
pub fn expected_reply(clock: &BusinessClock, reply_time_minutes: i64, now: i64) -> ExpectedReply {
    if clock.is_open(now) {
        return ExpectedReply { online: true, text: reply_time_text(reply_time_minutes) };
    }
    let text = match clock.next_open(now) {
        None => "We'll reply as soon as we can".to_string(),
        Some(back) => {
            let (today, then) = (local_time(clock.tz, now), local_time(clock.tz, back));
            let time = then.format("%H:%M");
            match (then.date_naive() - today.date_naive()).num_days() {
                0 => format!("Back today at {time}"),
                1 => format!("Back tomorrow at {time}"),
                2..=6 => format!("Back {} at {time}", weekday_name(then.weekday())),
                _ => format!("Back on {} at {time}", then.format("%-d %B")),
            }
        }
    };
    ExpectedReply { online: false, text }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn weekdays_nine_to_five() -> OfficeHours {
        let day = json!([[540, 1020]]);
        OfficeHours::parse(&json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day})).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        chrono::Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp()
    }

    #[test]
    fn empty_hours_are_always_open() {
        let hours = OfficeHours::parse(&json!({})).unwrap();
        let reply = expected_reply(&BusinessClock::new(hours.clone(), chrono_tz::UTC, []), 5, at(2024, 1, 6, 3, 0));
        assert_eq!(reply, ExpectedReply { online: true, text: "Typically replies in under 5 minutes".into() });
        assert!(OfficeHours::from_stored("not json").is_open(chrono_tz::UTC, 0));
    }

    #[test]
    fn inside_hours_is_online_with_the_reply_time() {
        let hours = weekdays_nine_to_five();
        // Wednesday 2024-01-10 10:00 UTC.
        let reply = expected_reply(&BusinessClock::new(hours.clone(), chrono_tz::UTC, []), 120, at(2024, 1, 10, 10, 0));
        assert_eq!(reply, ExpectedReply { online: true, text: "Typically replies in under 2 hours".into() });
    }

    #[test]
    fn friday_evening_is_back_monday() {
        let hours = weekdays_nine_to_five();
        // Friday 2024-01-12 18:00 in Paris (17:00 UTC, winter time).
        let reply =
            expected_reply(&BusinessClock::new(hours.clone(), chrono_tz::Europe::Paris, []), 5, at(2024, 1, 12, 17, 0));
        assert_eq!(reply, ExpectedReply { online: false, text: "Back Monday at 09:00".into() });
        // Early the same morning: later today; late on Monday: tomorrow.
        let early =
            expected_reply(&BusinessClock::new(hours.clone(), chrono_tz::Europe::Paris, []), 5, at(2024, 1, 12, 6, 0));
        assert_eq!(early.text, "Back today at 09:00");
        let late =
            expected_reply(&BusinessClock::new(hours.clone(), chrono_tz::Europe::Paris, []), 5, at(2024, 1, 15, 20, 0));
        assert_eq!(late.text, "Back tomorrow at 09:00");
    }

    #[test]
    fn holidays_are_closed_and_push_the_return_day() {
        let hours = weekdays_nine_to_five();
        let date = |m, d| chrono::NaiveDate::from_ymd_opt(2024, m, d).unwrap();
        // Wednesday 25 December 2024, 10:00 in Paris, with 25 and 26 December off: back Friday.
        let christmas = BusinessClock::new(hours.clone(), chrono_tz::Europe::Paris, [date(12, 25), date(12, 26)]);
        let reply = expected_reply(&christmas, 5, at(2024, 12, 25, 9, 0));
        assert_eq!(reply, ExpectedReply { online: false, text: "Back Friday at 09:00".into() });
        // Closed for two weeks: the date, not a weekday.
        let closed = (16..=31).map(|d| date(12, d));
        let winter = BusinessClock::new(hours, chrono_tz::Europe::Paris, closed);
        assert_eq!(expected_reply(&winter, 5, at(2024, 12, 16, 9, 0)).text, "Back on 1 January at 09:00");
    }

    #[test]
    fn daylight_saving_time_moves_the_utc_window() {
        let hours = weekdays_nine_to_five();
        let ny = chrono_tz::America::New_York;
        // 13:30 UTC is 08:30 EST on Friday 2024-03-08 (closed) and 09:30 EDT on Monday 2024-03-11 (open).
        assert!(!hours.is_open(ny, at(2024, 3, 8, 13, 30)));
        assert!(hours.is_open(ny, at(2024, 3, 11, 13, 30)));
        // 21:30 UTC is 17:30 EDT (closed) in summer but 16:30 EST (open) in winter.
        assert!(!hours.is_open(ny, at(2024, 7, 10, 21, 30)));
        assert!(hours.is_open(ny, at(2024, 1, 10, 21, 30)));
        // A timezone without daylight saving: Tokyo, 09:00 JST = 00:00 UTC all year.
        let tokyo = chrono_tz::Asia::Tokyo;
        assert!(hours.is_open(tokyo, at(2024, 7, 10, 0, 0)));
        assert!(hours.is_open(tokyo, at(2024, 1, 10, 0, 0)));
        assert!(!hours.is_open(tokyo, at(2024, 1, 9, 23, 59)));
    }

    #[test]
    fn hours_without_any_interval_never_open() {
        let hours = OfficeHours::parse(&json!({"mon": []})).unwrap();
        let reply = expected_reply(&BusinessClock::new(hours.clone(), chrono_tz::UTC, []), 5, at(2024, 1, 8, 10, 0));
        assert_eq!(reply, ExpectedReply { online: false, text: "We'll reply as soon as we can".into() });
    }

    #[test]
    fn bad_hours_are_refused() {
        for bad in [
            json!([]),
            json!({"monday": [[0, 60]]}),
            json!({"mon": [[60, 0]]}),
            json!({"mon": [[0, 1441]]}),
            json!({"mon": [[0, 60, 90]]}),
            json!({"mon": [["9", "17"]]}),
            json!({"mon": [[-5, 60]]}),
            json!({"mon": [[0, 120], [60, 180]]}),
            json!({"mon": "9-5"}),
        ] {
            assert!(OfficeHours::parse(&bad).is_err(), "{bad}");
        }
        let ok = OfficeHours::parse(&json!({"tue": [[780, 1020], [540, 720]]})).unwrap();
        assert_eq!(ok.to_json(), json!({"tue": [[540, 720], [780, 1020]]}));
    }

    // ---- properties: the clock routing and the messenger read (`is_open`, `next_open`,
    // `expected_reply`) agrees with the SLA clock (`elapsed`), across daylight-saving changes,
    // holidays and timezones ----

    use proptest::prelude::*;

    fn any_clock() -> impl Strategy<Value = BusinessClock> {
        let zones = [
            chrono_tz::America::New_York,
            chrono_tz::Europe::London,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
        ];
        (
            proptest::collection::vec((0usize..7, 0u32..1440, 1u32..720), 0..6),
            0..zones.len(),
            proptest::collection::vec(0i64..300, 0..4),
        )
            .prop_map(move |(spans, zone, holidays)| {
                let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                let mut map = serde_json::Map::new();
                for (day, start, len) in spans {
                    let list = map.entry(names[day]).or_insert_with(|| json!([])).as_array_mut().unwrap();
                    let end = (start + len).min(1440);
                    let overlaps = list
                        .iter()
                        .any(|p| start < p[1].as_u64().unwrap() as u32 && (p[0].as_u64().unwrap() as u32) < end);
                    if !overlaps {
                        list.push(json!([start, end]));
                    }
                }
                let base = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
                BusinessClock::new(
                    OfficeHours::parse(&serde_json::Value::Object(map)).unwrap(),
                    zones[zone],
                    holidays.into_iter().map(|d| base + chrono::Duration::days(d)),
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Open at `t` exactly when the second starting at `t` counts on the SLA clock.
        #[test]
        fn is_open_agrees_with_elapsed(clock in any_clock(), t in 1_704_067_200i64..1_735_689_600) {
            prop_assert_eq!(clock.is_open(t), clock.elapsed(t, t + 1) == 1);
        }

        /// The next opening is open, nothing counts before it, and the expected reply is online
        /// exactly when the clock is open.
        #[test]
        fn next_open_is_the_first_counted_instant(clock in any_clock(), t in 1_704_067_200i64..1_735_689_600) {
            if let Some(open) = clock.next_open(t) {
                prop_assert!(open >= t);
                prop_assert!(clock.is_open(open));
                prop_assert_eq!(clock.elapsed(t, open), 0);
            }
            prop_assert_eq!(expected_reply(&clock, 5, t).online, clock.is_open(t));
        }
    }
}
