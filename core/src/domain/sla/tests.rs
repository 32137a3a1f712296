//! Hand-computed cases for the SLA engine, and a property: the arrival order of events never
//! changes any clock.

use super::*;
use crate::domain::{Priority, Status, Timestamp};
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

const HOUR: i64 = 3_600_000;

fn at(text: &str) -> Timestamp {
    let zone: Tz = "Asia/Shanghai".parse().unwrap();
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    Timestamp(zone.from_local_datetime(&local).unwrap().timestamp_millis())
}

fn office() -> Calendar {
    Calendar::weekdays(
        "IT",
        "Asia/Shanghai",
        &[Slot::hours("08:00", "18:00").unwrap()],
    )
}

/// 4 h to resolve and 1 h to respond at normal priority; warnings at 50 / 75 / 90 %.
fn policy() -> Policy {
    Policy {
        name: "IT".into(),
        calendar: "IT".into(),
        targets: vec![
            Target {
                priority: Priority::Normal,
                segment: None,
                first_response: 60,
                next_response: Some(120),
                resolution: 240,
            },
            Target {
                priority: Priority::Urgent,
                segment: None,
                first_response: 15,
                next_response: Some(30),
                resolution: 60,
            },
        ],
        handoff: Some(120),
        warn_percent: vec![50, 75, 90],
        warn_before: Some(30),
        pause_while_waiting: true,
        escalations: vec![Escalation {
            after: 60,
            action: EscalationAction::NotifyLead,
        }],
    }
}

fn created(when: &str) -> SlaEvent {
    SlaEvent {
        at: at(when),
        kind: SlaEventKind::Created(Priority::Normal),
    }
}

fn status(when: &str, from: Status, to: Status) -> SlaEvent {
    SlaEvent {
        at: at(when),
        kind: SlaEventKind::StatusChanged { from, to },
    }
}

fn reply(when: &str, by_requester: bool) -> SlaEvent {
    SlaEvent {
        at: at(when),
        kind: SlaEventKind::Reply { by_requester },
    }
}

fn clocks(calendar: &Calendar, events: &[SlaEvent], now: &str) -> Vec<ClockReport> {
    evaluate(events, &policy(), None, &calendar.check().unwrap(), at(now))
}

fn clock(reports: &[ClockReport], kind: ClockKind) -> ClockReport {
    reports
        .iter()
        .find(|r| r.kind == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind:?} clock"))
}

fn resolution(calendar: &Calendar, events: &[SlaEvent], now: &str) -> ClockReport {
    clock(&clocks(calendar, events, now), ClockKind::Resolution)
}

#[test]
fn resolution_due_times_follow_the_calendar() {
    let mut lunch = office();
    for day in 0..5 {
        lunch.week[day] = vec![
            Slot::hours("08:00", "12:00").unwrap(),
            Slot::hours("13:00", "18:00").unwrap(),
        ];
    }
    let mut holiday = office();
    holiday.holidays.push(Holiday {
        date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        yearly: false,
        name: "调休".into(),
    });
    let mut makeup = office();
    makeup
        .makeup_days
        .push(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
    // (calendar, opened, due): 2026-11-26 is a Thursday.
    let cases = [
        (office(), "2026-11-26 16:00", "2026-11-27 10:00"),
        (office(), "2026-11-28 11:00", "2026-11-30 12:00"), // Saturday: from Monday 08:00
        (lunch, "2026-11-30 10:00", "2026-11-30 15:00"),    // 12:00–13:00 skipped
        (holiday, "2026-11-26 16:00", "2026-11-30 10:00"),  // Friday off
        (makeup, "2026-11-27 16:00", "2026-11-28 10:00"),   // Saturday worked
    ];
    for (calendar, opened, due) in cases {
        let report = resolution(&calendar, &[created(opened)], opened);
        assert_eq!(report.due, Some(at(due)), "opened {opened}");
        assert_eq!(report.state, ClockState::Running);
    }
}

#[test]
fn waiting_on_the_requester_pushes_the_due_time_by_the_time_waited() {
    let events = [
        created("2026-11-30 09:00"),
        status("2026-11-30 10:00", Status::New, Status::WaitingOnRequester),
        status(
            "2026-11-30 13:00",
            Status::WaitingOnRequester,
            Status::InProgress,
        ),
    ];
    let waiting = resolution(&office(), &events[..2], "2026-11-30 12:00");
    assert_eq!(waiting.state, ClockState::Paused);
    assert_eq!((waiting.elapsed_ms, waiting.due), (HOUR, None));
    let report = resolution(&office(), &events, "2026-11-30 13:00");
    assert_eq!(
        report.due,
        Some(at("2026-11-30 16:00")),
        "13:00 due + 3 h waited"
    );
    assert!(report
        .steps
        .iter()
        .any(|s| s.what == StepKind::Paused(Status::WaitingOnRequester)));
}

#[test]
fn a_reopened_ticket_continues_its_resolution_clock() {
    let events = [
        created("2026-11-30 09:00"),
        status("2026-11-30 11:00", Status::New, Status::Resolved),
        status("2026-12-01 09:00", Status::Resolved, Status::InProgress),
    ];
    let resolved = resolution(&office(), &events[..2], "2026-11-30 17:00");
    assert_eq!(resolved.state, ClockState::Met);
    assert_eq!(resolved.elapsed_ms, 2 * HOUR);
    let reopened = resolution(&office(), &events, "2026-12-01 10:00");
    assert_eq!(reopened.state, ClockState::Running);
    assert_eq!(reopened.elapsed_ms, 3 * HOUR);
    assert_eq!(reopened.due, Some(at("2026-12-01 11:00")));
    assert!(reopened
        .steps
        .iter()
        .any(|s| s.what == StepKind::Resumed { reopened: true }));
}

#[test]
fn warnings_breach_and_escalation_are_placed_in_business_time() {
    let report = resolution(
        &office(),
        &[created("2026-11-26 16:00")],
        "2026-11-27 12:00",
    );
    // 4 h target from Thu 16:00: 50 % as Thursday ends at 18:00, 75 % Fri 09:00, 90 % Fri 09:36,
    // 30 min before due Fri 09:30, breach Fri 10:00, lead told an hour later.
    let when = |what: StepKind| {
        report
            .steps
            .iter()
            .find(|s| s.what == what)
            .map(|s| s.at)
            .unwrap_or_else(|| panic!("no {what:?}"))
    };
    assert_eq!(when(StepKind::Warned(50)), at("2026-11-26 18:00"));
    assert_eq!(when(StepKind::Warned(75)), at("2026-11-27 09:00"));
    assert_eq!(when(StepKind::Warned(90)), at("2026-11-27 09:36"));
    assert_eq!(when(StepKind::DueSoon(30)), at("2026-11-27 09:30"));
    assert_eq!(when(StepKind::Breached), at("2026-11-27 10:00"));
    assert_eq!(
        when(StepKind::Escalated(EscalationAction::NotifyLead)),
        at("2026-11-27 11:00")
    );
    assert_eq!(report.state, ClockState::Breached);
    assert_eq!(report.due, Some(at("2026-11-27 10:00")));
    assert_eq!(report.remaining_ms(), -2 * HOUR);
}

#[test]
fn responses_hand_offs_and_priority_set_their_own_clocks() {
    let events = [
        created("2026-11-30 09:00"),
        reply("2026-11-30 09:40", false),
        reply("2026-11-30 10:00", true),
        SlaEvent {
            at: at("2026-11-30 10:30"),
            kind: SlaEventKind::HandedOff {
                from: "服务台".into(),
                to: "网络组".into(),
            },
        },
        SlaEvent {
            at: at("2026-11-30 13:00"),
            kind: SlaEventKind::Note,
        },
        reply("2026-11-30 14:00", false),
    ];
    let all = clocks(&office(), &events, "2026-11-30 15:00");
    let first = clock(&all, ClockKind::FirstResponse);
    assert_eq!(
        (first.state, first.elapsed_ms),
        (ClockState::Met, 40 * 60_000)
    );
    let next = clock(&all, ClockKind::NextResponse(1));
    assert_eq!(
        (next.state, next.elapsed_ms),
        (ClockState::Missed, 4 * HOUR)
    );
    let handoff = clock(&all, ClockKind::Handoff("网络组".into()));
    assert_eq!(handoff.state, ClockState::Missed, "2.5 h against 2 h");

    let mut urgent = events[..1].to_vec();
    urgent.push(SlaEvent {
        at: at("2026-11-30 09:05"),
        kind: SlaEventKind::PriorityChanged(Priority::Urgent),
    });
    let report = resolution(&office(), &urgent, "2026-11-30 09:30");
    assert_eq!(report.due, Some(at("2026-11-30 10:00")), "urgent: 1 h");
}

#[test]
fn a_changed_policy_replays_over_past_tickets() {
    let events = [
        created("2026-11-30 09:00"),
        status("2026-11-30 14:00", Status::New, Status::Resolved),
    ];
    let work = office().check().unwrap();
    let now = at("2026-12-01 09:00");
    let before = evaluate(&events, &policy(), None, &work, now);
    let mut generous = policy();
    generous.targets[0].resolution = 8 * 60;
    let after = evaluate(&events, &generous, None, &work, now);
    assert_eq!(
        clock(&before, ClockKind::Resolution).state,
        ClockState::Missed
    );
    assert_eq!(clock(&after, ClockKind::Resolution).state, ClockState::Met);
}

#[test]
fn a_policy_that_cannot_be_met_is_refused() {
    let mut bad = policy();
    bad.targets[1].resolution = 0;
    bad.warn_percent.push(120);
    bad.handoff = Some(0);
    bad.targets.push(bad.targets[0].clone());
    let errors = bad.check().unwrap_err();
    assert!(errors.contains(&PolicyError::ZeroTarget(Priority::Urgent)));
    assert!(errors.contains(&PolicyError::BadPercent(120)));
    assert!(errors.contains(&PolicyError::ZeroHandoff));
    assert!(errors.contains(&PolicyError::Duplicate(Priority::Normal)));
    let empty = Policy {
        targets: Vec::new(),
        ..policy()
    };
    assert_eq!(empty.check(), Err(vec![PolicyError::NoTargets]));
    assert_eq!(policy().check(), Ok(()));
}

/// A small deterministic generator, so the property runs the same cases everywhere.
struct Random(u64);

impl Random {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn random_events(random: &mut Random) -> Vec<SlaEvent> {
    let start = at("2026-11-23 07:00").0;
    let mut events = vec![SlaEvent {
        at: Timestamp(start),
        kind: SlaEventKind::Created(Priority::Normal),
    }];
    let statuses = Status::ALL;
    for _ in 0..random.next(12) {
        let when = Timestamp(start + random.next(5 * 24) as i64 * HOUR / 2);
        let kind = match random.next(6) {
            0 => SlaEventKind::StatusChanged {
                from: statuses[random.next(5) as usize],
                to: statuses[random.next(5) as usize],
            },
            1 => SlaEventKind::PriorityChanged(Priority::ALL[random.next(4) as usize]),
            2 => SlaEventKind::Reply { by_requester: true },
            3 => SlaEventKind::Reply {
                by_requester: false,
            },
            4 => SlaEventKind::Note,
            _ => SlaEventKind::HandedOff {
                from: "服务台".into(),
                to: ["网络组", "桌面组"][random.next(2) as usize].into(),
            },
        };
        events.push(SlaEvent { at: when, kind });
    }
    events
}

#[test]
fn the_order_in_which_events_arrive_never_changes_a_clock() {
    let work = office().check().unwrap();
    let now = at("2026-11-27 20:00");
    let mut random = Random(0x5eed_1234_abcd_ef01);
    for _ in 0..1_000 {
        let events = random_events(&mut random);
        let expected = evaluate(&events, &policy(), None, &work, now);
        let mut shuffled = events.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, random.next(i as u64 + 1) as usize);
        }
        assert_eq!(
            evaluate(&shuffled, &policy(), None, &work, now),
            expected,
            "{events:?}"
        );
    }
}

#[test]
fn figures_without_steps_agree_with_the_full_explanation() {
    let work = office().check().unwrap();
    let now = at("2026-11-27 20:00");
    let mut random = Random(0xf16_0e55);
    for _ in 0..1_000 {
        let events = random_events(&mut random);
        let full = evaluate(&events, &policy(), None, &work, now);
        let brief = measure(&events, &policy(), None, &work, now);
        let figures = |c: &ClockReport| (c.kind.clone(), c.target_ms, c.elapsed_ms, c.state);
        assert_eq!(
            brief.iter().map(figures).collect::<Vec<_>>(),
            full.iter().map(figures).collect::<Vec<_>>(),
            "{events:?}"
        );
    }
}
