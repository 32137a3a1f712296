//! Business calendars: when a providing department works. A time zone (daylight saving included),
//! working slots per weekday (several, for a lunch break), yearly and one-off holidays, and make-up
//! working days (a weekend day worked, as in China's official holiday schedule).
//!
//! [`Calendar`] is what an administrator edits and a document stores; [`WorkCalendar`] is the
//! checked form the SLA engine counts business time with.

use crate::domain::Timestamp;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// How far ahead a due time is looked for before giving up (a calendar that barely ever works).
const SEARCH_DAYS: i64 = 3 * 366;
const MINUTE_MS: i64 = 60_000;

/// Working time within one day, in minutes from local midnight: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    pub start: u16,
    pub end: u16,
}

impl Slot {
    /// `09:00`–`12:00` style, for tests and forms.
    pub fn hours(start: &str, end: &str) -> Option<Slot> {
        let minutes = |t: &str| {
            let time = NaiveTime::parse_from_str(t, "%H:%M").ok()?;
            u16::try_from(time.hour() * 60 + time.minute()).ok()
        };
        let end = if end == "24:00" { 1440 } else { minutes(end)? };
        Some(Slot {
            start: minutes(start)?,
            end,
        })
    }
}

use chrono::Timelike;

/// A day off: once, or every year on the same date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    #[serde(default)]
    pub yearly: bool,
    #[serde(default)]
    pub name: String,
}

/// A calendar as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub name: String,
    /// An IANA zone name, e.g. `Asia/Shanghai`.
    pub zone: String,
    /// Working slots, Monday first.
    pub week: [Vec<Slot>; 7],
    #[serde(default)]
    pub holidays: Vec<Holiday>,
    /// Weekend days that are worked, with the hours of an ordinary Monday.
    #[serde(default)]
    pub makeup_days: Vec<NaiveDate>,
}

impl Calendar {
    /// Monday to Friday with the same slots, in a zone.
    pub fn weekdays(name: &str, zone: &str, slots: &[Slot]) -> Self {
        let day = slots.to_vec();
        Self {
            name: name.into(),
            zone: zone.into(),
            week: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                Vec::new(),
                Vec::new(),
            ],
            holidays: Vec::new(),
            makeup_days: Vec::new(),
        }
    }

    /// Checks the calendar; every problem at once, so a form can show them together.
    pub fn check(&self) -> Result<WorkCalendar, Vec<CalendarError>> {
        let mut errors = Vec::new();
        let zone = self.zone.parse::<Tz>().ok();
        if zone.is_none() {
            errors.push(CalendarError::UnknownZone(self.zone.clone()));
        }
        for (i, slots) in self.week.iter().enumerate() {
            let day = weekday(i);
            let mut sorted = slots.clone();
            sorted.sort();
            for slot in &sorted {
                if slot.start >= slot.end || slot.end > 1440 {
                    errors.push(CalendarError::EmptySlot(day));
                }
            }
            if sorted.windows(2).any(|w| w[1].start < w[0].end) {
                errors.push(CalendarError::Overlap(day));
            }
        }
        if self.week.iter().all(Vec::is_empty) {
            errors.push(CalendarError::NoWorkingTime);
        }
        match zone {
            Some(zone) if errors.is_empty() => Ok(self.checked(zone)),
            _ => Err(errors),
        }
    }

    fn checked(&self, zone: Tz) -> WorkCalendar {
        let week = self.week.clone().map(|mut slots| {
            slots.sort();
            slots
        });
        let makeup_slots = week
            .iter()
            .find(|s| !s.is_empty())
            .cloned()
            .unwrap_or_default();
        WorkCalendar {
            zone,
            week,
            once: self
                .holidays
                .iter()
                .filter(|h| !h.yearly)
                .map(|h| h.date)
                .collect(),
            yearly: self
                .holidays
                .iter()
                .filter(|h| h.yearly)
                .map(|h| (h.date.month(), h.date.day()))
                .collect(),
            makeup: self.makeup_days.iter().copied().collect(),
            makeup_slots,
            table: OnceLock::new(),
        }
    }
}

fn weekday(index: usize) -> Weekday {
    Weekday::try_from(index as u8).unwrap_or(Weekday::Mon)
}

/// Why a calendar cannot be used; the previous one stays in force.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the calendar has no working time at all")]
    NoWorkingTime,
    #[error("two working slots on {0} overlap")]
    Overlap(Weekday),
    #[error("a working slot on {0} ends before it starts")]
    EmptySlot(Weekday),
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
}

/// A checked calendar that counts business time.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    zone: Tz,
    week: [Vec<Slot>; 7],
    once: BTreeSet<NaiveDate>,
    yearly: BTreeSet<(u32, u32)>,
    makeup: BTreeSet<NaiveDate>,
    /// The hours of a make-up day (those of the first working weekday).
    makeup_slots: Vec<Slot>,
    /// Every working interval of the years most tickets live in, built on first use.
    table: OnceLock<Table>,
}

/// Working intervals over a range of years with the business time before each, so business time
/// between two instants, and the instant a target is reached, are binary searches instead of
/// walks through days and time-zone conversions.
#[derive(Debug, Clone)]
struct Table {
    /// UTC milliseconds, sorted, not overlapping.
    intervals: Vec<(i64, i64)>,
    /// Business time before each interval; one more entry for the total.
    before: Vec<i64>,
}

/// The years the table covers around the first instant asked about (tickets live months, not
/// decades); instants outside fall back to walking day by day.
const TABLE_YEARS_BEFORE: i32 = 2;
const TABLE_YEARS_AFTER: i32 = 3;

impl Table {
    fn covers(&self, at: i64) -> bool {
        self.intervals
            .first()
            .zip(self.intervals.last())
            .is_some_and(|(first, last)| first.0 <= at && at <= last.1)
    }

    /// Business time from the start of the table to `at`.
    fn business_before(&self, at: i64) -> i64 {
        let i = self.intervals.partition_point(|(start, _)| *start <= at);
        if i == 0 {
            return 0;
        }
        let (start, end) = self.intervals[i - 1];
        self.before[i - 1] + (at.min(end) - start)
    }

    /// The instant `ms` of business time after `from` (at or after `from`).
    fn add(&self, from: i64, ms: i64) -> Option<i64> {
        let wanted = self.business_before(from) + ms;
        let mut i = self
            .before
            .partition_point(|before| *before < wanted)
            .saturating_sub(1);
        while let Some(&(start, end)) = self.intervals.get(i) {
            let reached = start + (wanted - self.before[i]);
            if reached <= end && end > from {
                return Some(reached.max(from));
            }
            i += 1;
        }
        None
    }
}

impl WorkCalendar {
    /// A moment as the calendar's people read it: `2026-11-30 17:00` in its zone.
    pub fn local_time(&self, at: crate::domain::Timestamp) -> String {
        use chrono::TimeZone;
        self.zone
            .timestamp_millis_opt(at.0)
            .single()
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    }

    /// The working slots of a local day.
    fn slots_on(&self, day: NaiveDate) -> &[Slot] {
        if self.makeup.contains(&day) {
            return &self.makeup_slots;
        }
        if self.once.contains(&day) || self.yearly.contains(&(day.month(), day.day())) {
            return &[];
        }
        &self.week[day.weekday().num_days_from_monday() as usize]
    }

    /// The working intervals of a local day, as UTC milliseconds.
    fn intervals(&self, day: NaiveDate) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.slots_on(day)
            .iter()
            .map(move |slot| (self.instant(day, slot.start), self.instant(day, slot.end)))
    }

    /// The instant of a local wall-clock time; in a daylight-saving gap, the moment the clocks jump.
    fn instant(&self, day: NaiveDate, minutes: u16) -> i64 {
        let local = day.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(minutes));
        if let Some(t) = self.zone.from_local_datetime(&local).earliest() {
            return t.timestamp_millis();
        }
        let later = local + chrono::Duration::hours(1);
        self.zone
            .from_local_datetime(&later)
            .earliest()
            .map_or_else(|| naive_ms(local), |t| t.timestamp_millis() - 3_600_000)
    }

    fn local_day(&self, at: i64) -> NaiveDate {
        self.zone
            .timestamp_millis_opt(at)
            .single()
            .map_or_else(|| NaiveDate::MIN, |t| t.date_naive())
    }

    fn table(&self, around: i64) -> &Table {
        self.table.get_or_init(|| {
            let year = self.local_day(around).year();
            let (first, last) = (year - TABLE_YEARS_BEFORE, year + TABLE_YEARS_AFTER);
            let mut day = NaiveDate::from_ymd_opt(first, 1, 1).unwrap_or(NaiveDate::MIN);
            let end = NaiveDate::from_ymd_opt(last, 12, 31).unwrap_or(NaiveDate::MIN);
            let mut intervals = Vec::new();
            while day <= end {
                intervals.extend(self.intervals(day).filter(|(s, e)| e > s));
                day = day.succ_opt().unwrap_or(NaiveDate::MAX);
            }
            let mut before = Vec::with_capacity(intervals.len() + 1);
            let mut total = 0;
            for (start, end) in &intervals {
                before.push(total);
                total += end - start;
            }
            before.push(total);
            Table { intervals, before }
        })
    }

    /// Business time between two instants, in milliseconds (0 if `to` is not after `from`).
    pub fn business_ms(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to <= from {
            return 0;
        }
        let table = self.table(from.0);
        if table.covers(from.0) && table.covers(to.0) {
            return table.business_before(to.0) - table.business_before(from.0);
        }
        self.walk_business_ms(from, to)
    }

    fn walk_business_ms(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (mut day, last) = (self.local_day(from.0), self.local_day(to.0));
        let mut total = 0;
        while day <= last {
            for (start, end) in self.intervals(day) {
                total += (end.min(to.0) - start.max(from.0)).max(0);
            }
            day = day.succ_opt().unwrap_or(NaiveDate::MAX);
        }
        total
    }

    /// The instant at which `ms` of business time have passed since `from`; `None` if the calendar
    /// has no such time within three years.
    pub fn add_business(&self, from: Timestamp, ms: i64) -> Option<Timestamp> {
        let table = self.table(from.0);
        if table.covers(from.0) {
            if let Some(at) = table.add(from.0, ms.max(0)) {
                return Some(Timestamp(at));
            }
        }
        self.walk_add_business(from, ms)
    }

    fn walk_add_business(&self, from: Timestamp, ms: i64) -> Option<Timestamp> {
        let mut left = ms.max(0);
        let mut day = self.local_day(from.0);
        for _ in 0..SEARCH_DAYS {
            for (start, end) in self.intervals(day) {
                let start = start.max(from.0);
                if end <= start {
                    continue;
                }
                if left <= end - start {
                    return Some(Timestamp(start + left));
                }
                left -= end - start;
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// The first working instant at or after `from` (a clock started out of hours starts here).
    pub fn next_working(&self, from: Timestamp) -> Option<Timestamp> {
        self.add_business(from, 0)
    }
}

fn naive_ms(local: NaiveDateTime) -> i64 {
    local.and_utc().timestamp_millis()
}

/// Minutes to milliseconds.
pub fn minutes(m: u32) -> i64 {
    i64::from(m) * MINUTE_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn at(zone: &str, text: &str) -> Timestamp {
        let zone: Tz = zone.parse().unwrap();
        let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        Timestamp(zone.from_local_datetime(&local).unwrap().timestamp_millis())
    }

    fn office() -> Calendar {
        Calendar::weekdays(
            "总部",
            "Asia/Shanghai",
            &[Slot::hours("08:00", "18:00").unwrap()],
        )
    }

    fn due(calendar: &Calendar, opened: &str, hours: i64) -> Timestamp {
        let work = calendar.check().unwrap();
        let zone = calendar.zone.as_str();
        work.add_business(at(zone, opened), hours * 3_600_000)
            .unwrap()
    }

    #[test]
    fn due_times_skip_nights_weekends_lunch_and_holidays() {
        let sh = |t| at("Asia/Shanghai", t);
        // 2026-11-26 is a Thursday.
        assert_eq!(
            due(&office(), "2026-11-26 16:00", 4),
            sh("2026-11-27 10:00")
        );
        assert_eq!(
            due(&office(), "2026-11-28 11:00", 4),
            sh("2026-11-30 12:00"),
            "opened on Saturday: the clock starts Monday 08:00"
        );
        assert_eq!(
            office()
                .check()
                .unwrap()
                .next_working(sh("2026-11-28 11:00")),
            Some(sh("2026-11-30 08:00"))
        );
        let mut lunch = office();
        lunch.week[0] = vec![
            Slot::hours("08:00", "12:00").unwrap(),
            Slot::hours("13:00", "18:00").unwrap(),
        ];
        assert_eq!(
            due(&lunch, "2026-11-30 10:00", 4),
            sh("2026-11-30 15:00"),
            "12:00–13:00 lunch is skipped"
        );
        let mut holiday = office();
        holiday.holidays.push(Holiday {
            date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            yearly: false,
            name: "调休".into(),
        });
        assert_eq!(due(&holiday, "2026-11-26 16:00", 4), sh("2026-11-30 10:00"));
        let mut yearly = office();
        yearly.holidays.push(Holiday {
            date: NaiveDate::from_ymd_opt(2020, 11, 27).unwrap(),
            yearly: true,
            name: "司庆".into(),
        });
        assert_eq!(due(&yearly, "2026-11-26 16:00", 4), sh("2026-11-30 10:00"));
        let mut makeup = office();
        makeup
            .makeup_days
            .push(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        assert_eq!(
            due(&makeup, "2026-11-27 16:00", 4),
            sh("2026-11-28 10:00"),
            "a make-up Saturday is worked"
        );
    }

    #[test]
    fn business_time_is_counted_across_daylight_saving() {
        let mut always = Calendar::weekdays(
            "Berlin",
            "Europe/Berlin",
            &[Slot::hours("00:00", "24:00").unwrap()],
        );
        always.week[5] = always.week[0].clone();
        always.week[6] = always.week[0].clone();
        let work = always.check().unwrap();
        let b = |t| at("Europe/Berlin", t);
        // Clocks go forward on Sunday 2026-03-29: that weekend has 47 hours, and back on
        // 2026-10-25: 49 hours.
        assert_eq!(
            work.business_ms(b("2026-03-28 00:00"), b("2026-03-30 00:00")),
            47 * 3_600_000
        );
        assert_eq!(
            work.business_ms(b("2026-10-24 00:00"), b("2026-10-26 00:00")),
            49 * 3_600_000
        );
        // Office hours keep their wall-clock times across the change.
        let nine = Calendar::weekdays(
            "B",
            "Europe/Berlin",
            &[Slot::hours("09:00", "17:00").unwrap()],
        );
        let work = nine.check().unwrap();
        assert_eq!(
            work.add_business(b("2026-03-27 15:00"), 4 * 3_600_000),
            Some(b("2026-03-30 11:00"))
        );
    }

    #[test]
    fn the_table_agrees_with_walking_day_by_day() {
        let mut calendar = office();
        calendar.week[2] = vec![
            Slot::hours("08:00", "12:00").unwrap(),
            Slot::hours("13:30", "17:00").unwrap(),
        ];
        calendar.holidays.push(Holiday {
            date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            yearly: true,
            name: "国庆".into(),
        });
        calendar
            .makeup_days
            .push(NaiveDate::from_ymd_opt(2026, 10, 10).unwrap());
        let work = calendar.check().unwrap();
        let start = at("Asia/Shanghai", "2026-09-20 00:00").0;
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let from = Timestamp(start + (seed % (40 * 24 * 60)) as i64 * MINUTE_MS);
            let length = (seed >> 20) % (30 * 24 * 60);
            let to = Timestamp(from.0 + length as i64 * MINUTE_MS);
            let ms = ((seed >> 40) % (50 * 60)) as i64 * MINUTE_MS;
            assert_eq!(work.business_ms(from, to), work.walk_business_ms(from, to));
            assert_eq!(
                work.add_business(from, ms),
                work.walk_add_business(from, ms),
                "{from:?} + {ms}"
            );
        }
    }

    #[test]
    fn a_calendar_that_cannot_work_is_refused_with_every_reason() {
        let mut bad = office();
        bad.zone = "Mars/Olympus".into();
        bad.week[1] = vec![
            Slot::hours("08:00", "12:00").unwrap(),
            Slot::hours("11:00", "13:00").unwrap(),
        ];
        bad.week[2] = vec![Slot {
            start: 600,
            end: 540,
        }];
        let errors = bad.check().unwrap_err();
        assert!(errors.contains(&CalendarError::UnknownZone("Mars/Olympus".into())));
        assert!(errors.contains(&CalendarError::Overlap(Weekday::Tue)));
        assert!(errors.contains(&CalendarError::EmptySlot(Weekday::Wed)));
        let mut idle = office();
        idle.week = Default::default();
        assert_eq!(
            idle.check().unwrap_err(),
            vec![CalendarError::NoWorkingTime]
        );
    }
}
