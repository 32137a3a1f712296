//! Holidays from an iCalendar (ICS) file, as published for official holiday schedules: each all-day
//! event is a day off, one recurring yearly is a yearly holiday, and an event named as a make-up
//! working day (补班, 调休上班, "make-up", "working day") is a weekend day worked.

use super::calendar::Holiday;
use chrono::NaiveDate;

/// What an ICS file adds to a calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IcsDays {
    pub holidays: Vec<Holiday>,
    pub makeup_days: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("this is not an iCalendar file (no BEGIN:VCALENDAR)")]
    NotCalendar,
    #[error("line {0}: the date {1:?} cannot be read")]
    BadDate(usize, String),
    #[error("line {0}: an event has no start date")]
    NoStart(usize),
    #[error("the file has no events")]
    NoEvents,
}

/// Longest event taken as a run of days off (a longer one is almost surely not a holiday).
const MAX_DAYS: i64 = 31;
const MAKEUP_WORDS: [&str; 5] = ["补班", "调休上班", "上班", "make-up", "working day"];

#[derive(Default)]
struct Event {
    line: usize,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    summary: String,
    yearly: bool,
}

/// Reads every all-day event of an ICS file.
pub fn parse_ics(text: &str) -> Result<IcsDays, IcsError> {
    let lines = unfold(text);
    if !lines
        .iter()
        .any(|(_, l)| l.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(IcsError::NotCalendar);
    }
    let mut days = IcsDays::default();
    let mut event: Option<Event> = None;
    let mut seen = 0;
    for (number, line) in lines {
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n.to_ascii_uppercase(), v.trim()),
            None => continue,
        };
        let property = name.split(';').next().unwrap_or_default();
        match (property, event.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event {
                    line: number,
                    ..Event::default()
                })
            }
            ("DTSTART", Some(e)) => e.start = Some(date(number, value)?),
            ("DTEND", Some(e)) => e.end = Some(date(number, value)?),
            ("SUMMARY", Some(e)) => e.summary = value.replace("\\,", ",").replace("\\n", " "),
            ("RRULE", Some(e)) => e.yearly = value.to_ascii_uppercase().contains("FREQ=YEARLY"),
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                seen += 1;
                add(&mut days, event.take().unwrap_or_default())?;
            }
            _ => {}
        }
    }
    if seen == 0 {
        return Err(IcsError::NoEvents);
    }
    Ok(days)
}

fn add(days: &mut IcsDays, event: Event) -> Result<(), IcsError> {
    let start = event.start.ok_or(IcsError::NoStart(event.line))?;
    // DTEND of an all-day event is exclusive; without it the event is one day.
    let end = event
        .end
        .filter(|e| *e > start)
        .unwrap_or(start + chrono::Duration::days(1));
    let count = (end - start).num_days().clamp(1, MAX_DAYS);
    let lower = event.summary.to_lowercase();
    let makeup = MAKEUP_WORDS.iter().any(|w| lower.contains(w));
    for offset in 0..count {
        let day = start + chrono::Duration::days(offset);
        if makeup {
            days.makeup_days.push(day);
        } else {
            days.holidays.push(Holiday {
                date: day,
                yearly: event.yearly,
                name: event.summary.clone(),
            });
        }
    }
    Ok(())
}

/// `20261001` or `20261001T000000Z`: the date part.
fn date(line: usize, value: &str) -> Result<NaiveDate, IcsError> {
    let digits: String = value.chars().take(8).collect();
    NaiveDate::parse_from_str(&digits, "%Y%m%d").map_err(|_| IcsError::BadDate(line, value.into()))
}

/// Joins folded lines (a continuation starts with a space or tab), keeping each line's number.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        match (raw.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => out.push((i + 1, raw.trim().to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NATIONAL_DAY: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261001\r\nDTEND;VALUE=DATE:20261008\r\nSUMMARY:国庆节\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261010\r\nSUMMARY:国庆节补班\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:New\r\n  Year\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn holidays_runs_yearly_days_and_makeup_days_are_read() {
        let days = parse_ics(NATIONAL_DAY).unwrap();
        assert_eq!(
            days.holidays.len(),
            8,
            "seven days of National Day and New Year"
        );
        assert!(days.holidays[..7]
            .iter()
            .all(|h| h.name == "国庆节" && !h.yearly));
        assert_eq!(days.holidays[7].name, "New Year");
        assert!(days.holidays[7].yearly);
        assert_eq!(
            days.makeup_days,
            [NaiveDate::from_ymd_opt(2026, 10, 10).unwrap()]
        );
    }

    #[test]
    fn a_file_that_does_not_parse_says_why() {
        assert_eq!(parse_ics("hello"), Err(IcsError::NotCalendar));
        assert_eq!(
            parse_ics("BEGIN:VCALENDAR\nEND:VCALENDAR\n"),
            Err(IcsError::NoEvents)
        );
        assert_eq!(
            parse_ics(
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-13-01\nEND:VEVENT\nEND:VCALENDAR"
            ),
            Err(IcsError::BadDate(3, "2026-13-01".into()))
        );
        assert_eq!(
            parse_ics("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR"),
            Err(IcsError::NoStart(2))
        );
    }
}
