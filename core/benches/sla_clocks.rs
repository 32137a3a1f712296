//! Recomputes every SLA clock of 10,000 open tickets (goal: under 50 ms natively), against a
//! baseline measured in the same run: the same tickets on a calendar that always works (so the
//! ratio is the cost of office hours, lunch breaks and holidays).
//!
//! `cargo bench -p innerdesk-core --bench sla_clocks`

use chrono::NaiveDate;
use innerdesk_core::domain::sla::*;
use innerdesk_core::domain::{Priority, Status, Timestamp};
use std::time::Instant;

const TICKETS: usize = 10_000;
const RUNS: usize = 9;
const HOUR: i64 = 3_600_000;

fn policy() -> Policy {
    let target = |priority, first, resolution| Target {
        priority,
        segment: None,
        first_response: first,
        next_response: Some(first * 2),
        resolution,
    };
    Policy {
        name: "bench".into(),
        calendar: "IT".into(),
        targets: vec![
            target(Priority::Urgent, 15, 240),
            target(Priority::High, 60, 8 * 60),
            target(Priority::Normal, 240, 3 * 8 * 60),
            target(Priority::Low, 480, 5 * 8 * 60),
        ],
        handoff: Some(240),
        warn_percent: vec![50, 75, 90],
        warn_before: Some(60),
        pause_while_waiting: true,
        escalations: vec![Escalation {
            after: 120,
            action: EscalationAction::NotifyLead,
        }],
    }
}

fn office() -> WorkCalendar {
    let mut calendar = Calendar::weekdays(
        "IT",
        "Asia/Shanghai",
        &[
            Slot::hours("08:30", "12:00").unwrap(),
            Slot::hours("13:30", "18:00").unwrap(),
        ],
    );
    for day in [1, 2, 3, 4, 5, 6, 7] {
        calendar.holidays.push(Holiday {
            date: NaiveDate::from_ymd_opt(2026, 10, day).unwrap(),
            yearly: true,
            name: "国庆".into(),
        });
    }
    calendar
        .makeup_days
        .push(NaiveDate::from_ymd_opt(2026, 10, 10).unwrap());
    calendar.check().unwrap()
}

fn always() -> WorkCalendar {
    let mut calendar = Calendar::weekdays("24x7", "UTC", &[Slot::hours("00:00", "24:00").unwrap()]);
    calendar.week[5] = calendar.week[0].clone();
    calendar.week[6] = calendar.week[0].clone();
    calendar.check().unwrap()
}

/// Open tickets filed over the last three weeks, each with a few replies and status changes.
fn tickets(now: i64) -> Vec<Vec<SlaEvent>> {
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut next = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    (0..TICKETS)
        .map(|_| {
            let opened = now - next(21 * 24) as i64 * HOUR;
            let priority = Priority::ALL[next(4) as usize];
            let mut events = vec![SlaEvent {
                at: Timestamp(opened),
                kind: SlaEventKind::Created(priority),
            }];
            let mut t = opened;
            for step in 0..next(6) {
                t += next(20) as i64 * HOUR;
                let kind = match step % 3 {
                    0 => SlaEventKind::Reply {
                        by_requester: false,
                    },
                    1 => SlaEventKind::StatusChanged {
                        from: Status::InProgress,
                        to: Status::WaitingOnRequester,
                    },
                    _ => SlaEventKind::StatusChanged {
                        from: Status::WaitingOnRequester,
                        to: Status::InProgress,
                    },
                };
                events.push(SlaEvent {
                    at: Timestamp(t),
                    kind,
                });
            }
            events
        })
        .collect()
}

fn median_ms(tickets: &[Vec<SlaEvent>], calendar: &WorkCalendar, now: Timestamp) -> (f64, usize) {
    let policy = policy();
    let mut times = Vec::new();
    let mut clocks = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        clocks = tickets
            .iter()
            .map(|events| evaluate(events, &policy, None, calendar, now).len())
            .sum();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[RUNS / 2], clocks)
}

fn main() {
    let now = 1_795_687_200_000; // 2026-11-26 18:00 in Shanghai
    let tickets = tickets(now);
    let now = Timestamp(now);
    let (office_ms, clocks) = median_ms(&tickets, &office(), now);
    let (always_ms, _) = median_ms(&tickets, &always(), now);
    println!("SLA clocks, {TICKETS} open tickets ({clocks} clocks), median of {RUNS} runs");
    println!("  office calendar (lunch, holidays, make-up day, Asia/Shanghai): {office_ms:.1} ms (goal < 50 ms)");
    println!("  baseline, a calendar that always works (UTC):               {always_ms:.1} ms → ratio {:.2}×", office_ms / always_ms);
}
