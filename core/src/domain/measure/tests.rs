//! A fixed week of tickets with every KPI worked out by hand, and forecasts on synthetic demand.
//!
//! The office works Monday to Friday, 09:00–17:00 UTC. The policy promises a first response in
//! 1 business hour and a resolution in 8 (one working day), and pauses while waiting on the
//! requester. The period is the week of Monday 2026-11-02; "now" is Friday 2026-11-06 17:00.

use super::bottlenecks::{slow_handoffs, slowest_services, time_in_status};
use super::facts::{facts_of, Measuring, TicketFacts};
use super::forecast::{self, backtest, fit, week_start, weekly_counts, Method, SEASON, WEEK_MS};
use super::kpi::{behind, figures, kpis, to_csv, Dimension, Kpi};
use super::map::{scale, who_serves_whom};
use super::measure_all;
use crate::domain::catalog::Catalog;
use crate::domain::directory::{DepartmentId, Directory, OrgChange};
use crate::domain::sla::{Calendar, Policy, SlaEvent, SlaEventKind, Slot, Target};
use crate::domain::time::Period;
use crate::domain::voice::rating::{Feedback, Rating};
use crate::domain::{DocumentId, Priority, Status, TicketSummary, Timestamp};
use chrono::{NaiveDateTime, TimeZone, Utc};
use std::collections::BTreeMap;

const MINUTE: i64 = 60_000;

fn at(text: &str) -> Timestamp {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    Timestamp(Utc.from_utc_datetime(&local).timestamp_millis())
}

fn week() -> Period {
    Period {
        start: at("2026-11-02 00:00"),
        end: at("2026-11-09 00:00"),
    }
}

fn now() -> Timestamp {
    at("2026-11-06 17:00")
}

fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    catalog
        .put_calendar(Calendar::weekdays(
            "office",
            "UTC",
            &[Slot::hours("09:00", "17:00").unwrap()],
        ))
        .unwrap();
    catalog
        .put_policy(Policy {
            name: "standard".into(),
            calendar: "office".into(),
            targets: vec![Target {
                priority: Priority::Normal,
                segment: None,
                first_response: 60,
                next_response: None,
                resolution: 480,
            }],
            handoff: Some(240),
            warn_percent: Vec::new(),
            warn_before: None,
            pause_while_waiting: true,
            escalations: Vec::new(),
        })
        .unwrap();
    catalog.default_policy = "standard".into();
    catalog
}

/// 公司 above IT (with its network team IT-网络), 财务部 and 人力资源部.
fn directory() -> Directory {
    let mut directory = Directory::default();
    let company = directory.add_department("公司", None).unwrap();
    let it = directory.add_department("IT", Some(&company)).unwrap();
    directory.add_department("IT-网络", Some(&it)).unwrap();
    directory.add_department("财务部", Some(&company)).unwrap();
    directory
        .add_department("人力资源部", Some(&company))
        .unwrap();
    directory
}

struct Row(TicketSummary);

impl Row {
    fn new(n: u8, filed: &str, customer: &str, queue: &str) -> Self {
        Row(TicketSummary {
            self_help: Default::default(),
            involvement: Default::default(),
            id: DocumentId::from_bytes([n; 16]),
            title: format!("ticket {n}"),
            status: Status::New,
            priority: Priority::Normal,
            department: queue.into(),
            requester: "requester".into(),
            requester_email: String::new(),
            customer_department: customer.into(),
            category: String::new(),
            service: "vpn".into(),
            sla: vec![SlaEvent {
                at: at(filed),
                kind: SlaEventKind::Created(Priority::Normal),
            }],
            created_at: at(filed),
            updated_at: at(filed),
            comment_count: 0,
            resolved_by: String::new(),
            feedback: Feedback::default(),
        })
    }

    fn event(mut self, when: &str, kind: SlaEventKind) -> Self {
        self.0.sla.push(SlaEvent { at: at(when), kind });
        self
    }

    fn status(mut self, when: &str, to: Status) -> Self {
        let from = self.0.status;
        self.0.status = to;
        self.event(when, SlaEventKind::StatusChanged { from, to })
    }

    fn reply(self, when: &str) -> Self {
        self.event(
            when,
            SlaEventKind::Reply {
                by_requester: false,
            },
        )
    }

    fn resolved_by(mut self, agent: &str) -> Self {
        self.0.resolved_by = agent.into();
        self
    }

    fn rated(mut self, score: u8) -> Self {
        self.0.feedback.rating = Some(Rating {
            score,
            comment: String::new(),
            by: "requester".into(),
            at: now(),
        });
        self
    }
}

fn rows() -> Vec<TicketSummary> {
    use Status::*;
    vec![
        // First response 30 min, resolved in 4 h: both met. Rated 5.
        Row::new(1, "2026-11-02 09:00", "财务部", "IT")
            .reply("2026-11-02 09:30")
            .status("2026-11-02 13:00", Resolved)
            .resolved_by("李雷")
            .rated(5),
        // Filed an hour before closing: the first response the next morning took 60 + 90 min
        // (missed); resolved in 60 + 180 = 240 min. Rated 2.
        Row::new(2, "2026-11-02 16:00", "财务部", "IT")
            .reply("2026-11-03 10:30")
            .status("2026-11-03 12:00", Resolved)
            .resolved_by("李雷")
            .rated(2),
        // The network team asks the requester (first response 60 min, exactly on target), waits
        // overnight (paused), works 3 h, resolves; reopened the next morning and resolved an hour
        // later: resolution 60 + 180 + 60 = 300 min, all met.
        Row::new(3, "2026-11-03 09:00", "人力资源部", "IT-网络")
            .status("2026-11-03 10:00", WaitingOnRequester)
            .status("2026-11-04 09:00", InProgress)
            .status("2026-11-04 12:00", Resolved)
            .status("2026-11-05 09:00", InProgress)
            .status("2026-11-05 10:00", Resolved)
            .resolved_by("王芳"),
        // Filed with 财务部, handed to IT an hour later; IT's first note comes 5 business hours
        // after that. Never answered nor resolved: both clocks breached by Friday.
        Row::new(4, "2026-11-04 09:00", "人力资源部", "财务部")
            .status("2026-11-04 10:00", InProgress)
            .event(
                "2026-11-04 10:00",
                SlaEventKind::HandedOff {
                    from: "财务部".into(),
                    to: "IT".into(),
                },
            )
            .event("2026-11-04 15:00", SlaEventKind::Note),
        // Filed the week before and still open: only in the backlog.
        Row::new(5, "2026-10-30 09:00", "财务部", "IT"),
    ]
    .into_iter()
    .map(|r| {
        let mut row = r.0;
        if row.id == DocumentId::from_bytes([4; 16]) {
            row.department = "IT".into(); // handed off
        }
        row
    })
    .collect()
}

fn facts_with(rows: &[TicketSummary], directory: &Directory) -> Vec<TicketFacts> {
    let catalog = catalog();
    let calendars = catalog.work_calendars();
    facts_of(
        rows,
        &Measuring {
            catalog: &catalog,
            calendars: &calendars,
            directory,
            segment_of: &|_| None,
            now: now(),
        },
    )
}

fn facts() -> Vec<TicketFacts> {
    facts_with(&rows(), &directory())
}

fn minutes(ms: Option<i64>) -> Option<i64> {
    ms.map(|ms| ms / MINUTE)
}

#[test]
fn each_ticket_is_timed_in_business_minutes_by_its_clocks() {
    let f = facts();
    let by_ticket: Vec<_> = f
        .iter()
        .map(|t| {
            (
                minutes(t.first_response_ms),
                minutes(t.resolution_ms),
                t.on_time,
                t.reopened,
            )
        })
        .collect();
    assert_eq!(
        by_ticket,
        [
            (Some(30), Some(240), Some(true), false),
            (Some(150), Some(240), Some(false), false),
            (Some(60), Some(300), Some(true), true),
            (None, None, Some(false), false),
            (None, None, Some(false), false),
        ]
    );
    // The network team belongs to IT; the organisation itself is no provider.
    assert_eq!(
        (f[2].team.as_str(), f[2].provider.as_str()),
        ("IT-网络", "IT")
    );
    // Ticket 3: 60 min new, 420 waiting (10:00–17:00), 3 + 1 h in progress, 5 h resolved overnight.
    assert_eq!(f[2].status_ms.map(|ms| ms / MINUTE), [60, 240, 420, 300, 0]);
    let wait = &f[3].handoffs[0];
    assert_eq!(
        (
            wait.from.as_str(),
            wait.to.as_str(),
            wait.waited_ms / MINUTE,
            wait.acted
        ),
        ("财务部", "IT", 300, true)
    );
}

#[test]
fn kpis_of_the_week_match_the_hand_computed_figures() {
    let f = facts();
    let it = figures(f.iter().filter(|t| t.provider == "IT"), week(), now());
    assert_eq!(it.volume, 4);
    // First responses 30, 60, 150 min: median 60, 90th percentile by nearest rank ⌈2.7⌉ = 3rd.
    assert_eq!(minutes(it.first_response.median_ms), Some(60));
    assert_eq!(minutes(it.first_response.p90_ms), Some(150));
    assert_eq!(it.first_response.count, 3);
    // Resolutions 240, 240, 300 min.
    assert_eq!(minutes(it.resolution.median_ms), Some(240));
    assert_eq!(minutes(it.resolution.p90_ms), Some(300));
    assert_eq!((it.on_time.hits, it.on_time.of), (2, 4));
    assert_eq!((it.resolved.hits, it.resolved.of), (3, 4));
    assert_eq!((it.reopened.hits, it.reopened.of), (1, 3));
    // Open on Friday 17:00: ticket 4 (2 d 8 h old) and ticket 5 (7 d 8 h): median 4 d 20 h.
    assert_eq!(it.backlog, 2);
    assert!((it.backlog_age_days.unwrap() - (4.0 + 20.0 / 24.0)).abs() < 1e-9);
    assert_eq!((it.satisfaction, it.ratings), (Some(3.5), 2));
    assert_eq!((it.csat.hits, it.csat.of), (1, 2));
}

#[test]
fn figures_group_by_team_agent_and_customer_and_carry_survey_nps() {
    let f = facts();
    let nps = BTreeMap::from([("IT".to_string(), 40)]);
    let keys = |by| {
        kpis(&f, by, week(), now(), &nps)
            .into_iter()
            .map(|l| (l.key, l.figures.volume, l.figures.backlog, l.figures.nps))
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(Dimension::Provider), [("IT".into(), 4, 2, Some(40))]);
    assert_eq!(
        keys(Dimension::Team),
        [("IT".into(), 3, 2, None), ("IT-网络".into(), 1, 0, None)]
    );
    assert_eq!(
        keys(Dimension::Agent),
        [
            ("李雷".into(), 2, 0, None),
            ("".into(), 1, 2, None),
            ("王芳".into(), 1, 0, None)
        ]
    );
    assert_eq!(
        keys(Dimension::Customer),
        [
            ("人力资源部".into(), 2, 1, None),
            ("财务部".into(), 2, 1, None)
        ]
    );
}

#[test]
fn every_figure_opens_the_tickets_it_was_computed_from() {
    let f = facts();
    let ids = |kpi| {
        behind(kpi, &f, week(), now())
            .into_iter()
            .map(|(t, v)| (t.id.as_bytes()[0], v))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(Kpi::FirstResponseMedian),
        [
            (1, Some(30.0 * 60_000.0)),
            (2, Some(150.0 * 60_000.0)),
            (3, Some(60.0 * 60_000.0))
        ]
    );
    assert_eq!(
        ids(Kpi::OnTime),
        [
            (1, Some(1.0)),
            (2, Some(0.0)),
            (3, Some(1.0)),
            (4, Some(0.0))
        ]
    );
    assert_eq!(ids(Kpi::Backlog), [(5, None), (4, None)]);
    assert_eq!(
        ids(Kpi::Reopened),
        [(1, Some(0.0)), (2, Some(0.0)), (3, Some(1.0))]
    );
}

#[test]
fn who_serves_whom_and_the_bottlenecks() {
    let f = facts();
    let map = who_serves_whom(&f, week(), now());
    assert_eq!(map.providers, ["IT"]);
    assert_eq!(map.customers, ["人力资源部", "财务部"]);
    let finance = map.cell("财务部", "IT").unwrap();
    assert_eq!(
        (finance.volume, finance.on_time.hits, finance.on_time.of),
        (2, 1, 2)
    );
    assert_eq!(map.range(Kpi::Satisfaction), Some((3.5, 3.5)));
    assert_eq!(scale(75.0, (50.0, 100.0)), 0.5);
    assert_eq!(scale(3.0, (3.0, 3.0)), 0.5);

    let teams = time_in_status(&f, week());
    // IT's three tickets of the week spent 60 + 1,140 + ... minutes open; the network team's one
    // spent 720, which is more per ticket.
    assert_eq!(teams[0].team, "IT-网络");
    assert_eq!(teams[0].slowest(), Status::WaitingOnRequester);
    let handoffs = slow_handoffs(&f, week());
    assert_eq!(handoffs.len(), 1);
    assert_eq!(minutes(handoffs[0].waited.median_ms), Some(300));

    let services = slowest_services(
        kpis(&f, Dimension::Service, week(), now(), &BTreeMap::new()),
        5,
    );
    assert_eq!(services[0].key, "vpn");
}

#[test]
fn a_merged_department_reports_under_the_one_it_merged_into() {
    let mut directory = directory();
    directory.history.push(OrgChange::Merged {
        from: DepartmentId("人力资源部".into()),
        into: DepartmentId("财务部".into()),
        effective: at("2026-11-05 00:00"),
    });
    let f = facts_with(&rows(), &directory);
    let lines = kpis(&f, Dimension::Customer, week(), now(), &BTreeMap::new());
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].key.as_str(), lines[0].figures.volume),
        ("财务部", 4)
    );
}

#[test]
fn without_a_policy_times_are_calendar_hours_and_nothing_is_judged_on_time() {
    let mut row = Row::new(9, "2026-11-02 16:00", "财务部", "IT")
        .reply("2026-11-03 10:30")
        .status("2026-11-03 12:00", Status::Resolved)
        .0;
    row.service = "vpn".into();
    let directory = directory();
    let catalog = Catalog::default();
    let calendars = catalog.work_calendars();
    let f = facts_of(
        [&row],
        &Measuring {
            catalog: &catalog,
            calendars: &calendars,
            directory: &directory,
            segment_of: &|_| None,
            now: now(),
        },
    );
    assert_eq!(minutes(f[0].first_response_ms), Some(18 * 60 + 30));
    assert_eq!(minutes(f[0].resolution_ms), Some(20 * 60));
    assert_eq!(f[0].on_time, None);
    assert!(!f[0].business_time);
}

#[test]
fn the_csv_has_a_line_per_group_and_times_in_hours() {
    let f = facts();
    let lines = kpis(&f, Dimension::Provider, week(), now(), &BTreeMap::new());
    let csv = to_csv(&lines, |k| format!("{k} dept"));
    let mut rows = csv.lines();
    assert!(rows
        .next()
        .unwrap()
        .starts_with("group,volume,first_response_median,first_response_p90"));
    assert!(rows
        .next()
        .unwrap()
        .starts_with("IT dept,4,1.00,2.50,4.00,5.00,50.0,75.0,33.3,2,4.8,3.5,50.0,"));
    let all = measure_all(&f, week(), now(), &BTreeMap::new());
    assert_eq!(all.lines(Dimension::Provider), lines.as_slice());
    assert_eq!(all.total.volume, 4);
}

#[test]
fn every_kpi_is_defined_in_both_languages() {
    for kpi in Kpi::ALL {
        let [en, zh] = kpi.definition();
        assert!(en.len() > 20 && zh.chars().count() > 8, "{}", kpi.id());
    }
}

// ---- forecasting ----

/// A deterministic pseudo-random stream for synthetic demand.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    }
}

/// Three years of weekly demand: a level of 100, a slow rise, a yearly wave (busy at year end,
/// quiet in the summer and at Spring Festival) and noise.
fn seasonal_demand(weeks: usize, noise: f64) -> Vec<f64> {
    let mut random = Noise(42);
    (0..weeks)
        .map(|w| {
            let phase = (w % SEASON) as f64 / SEASON as f64 * std::f64::consts::TAU;
            let festival = if w % SEASON == 5 || w % SEASON == 6 {
                -40.0
            } else {
                0.0
            };
            (100.0 + 0.2 * w as f64 + 30.0 * phase.sin() + festival + noise * random.next())
                .max(0.0)
        })
        .collect()
}

#[test]
fn weeks_start_on_monday_in_the_local_time_zone() {
    let shanghai = 8 * 60;
    // Monday 2026-11-02 07:00 in Shanghai is Sunday 23:00 UTC.
    assert_eq!(
        week_start(at("2026-11-01 23:00"), shanghai),
        at("2026-11-01 16:00")
    );
    assert_eq!(
        week_start(at("2026-11-01 23:00"), 0),
        at("2026-10-26 00:00")
    );
    let times = [
        at("2026-10-26 09:00"),
        at("2026-10-28 09:00"),
        at("2026-11-03 09:00"),
        at("2026-11-11 09:00"),
    ];
    let weekly = weekly_counts(times, 0, at("2026-11-12 00:00")).unwrap();
    // The week of the 9th is not over, so it is not history yet.
    assert_eq!(weekly.counts, [2.0, 1.0]);
    assert_eq!(weekly.week(1), at("2026-11-02 00:00"));
    let shares = forecast::weekday_shares(times, 0);
    assert_eq!(shares[0], 0.25); // Monday
    assert_eq!(shares[1], 0.25);
    assert_eq!(shares[2], 0.5);
}

#[test]
fn a_clean_seasonal_series_is_forecast_almost_exactly() {
    let series = seasonal_demand(3 * SEASON, 0.0);
    let model = fit(&series).unwrap();
    assert!(matches!(model.method, Method::HoltWinters { .. }));
    let truth = seasonal_demand(3 * SEASON + 13, 0.0);
    for (h, point) in model.forecast(13).iter().enumerate() {
        let expected = truth[3 * SEASON + h];
        assert!(
            (point.mean - expected).abs() < 0.05 * expected,
            "week {h}: {} vs {expected}",
            point.mean
        );
    }
}

#[test]
fn the_back_test_beats_the_seasonal_naive_forecast() {
    let series = seasonal_demand(3 * SEASON, 20.0);
    let test = backtest(&series).unwrap();
    assert!(test.mae < test.naive_mae, "{test:?}");
    assert!(test.skill().unwrap() > 0.2, "{test:?}");
    assert!(test.covered >= 0.75, "{test:?}");
}

#[test]
fn intervals_widen_with_the_horizon_and_staffing_follows_capacity() {
    let series = seasonal_demand(2 * SEASON + 10, 20.0);
    let points = fit(&series).unwrap().forecast(8);
    for pair in points.windows(2) {
        assert!(pair[1].high - pair[1].low >= pair[0].high - pair[0].low - 1e-9);
    }
    let start = at("2024-01-01 09:00").0;
    let times: Vec<Timestamp> = series
        .iter()
        .enumerate()
        .flat_map(|(w, &n)| {
            (0..n.round() as i64).map(move |i| Timestamp(start + w as i64 * WEEK_MS + i * 60_000))
        })
        .collect();
    let now = Timestamp(start + series.len() as i64 * WEEK_MS);
    let plan = forecast::forecast(&times, 0, now, 4, 25.0).unwrap();
    assert_eq!(plan.history.counts.len(), series.len());
    for week in &plan.weeks {
        assert_eq!(week.staff, (week.demand.mean / 25.0).ceil() as u32);
        assert!(week.staff_high >= week.staff);
    }
    assert_eq!(plan.weeks[0].start, week_start(now, 0));
}

#[test]
fn short_histories_fall_back_to_a_trend_or_the_mean() {
    let rising: Vec<f64> = (0..20).map(|w| 10.0 + w as f64).collect();
    let model = fit(&rising).unwrap();
    assert!(matches!(model.method, Method::Holt { .. }));
    assert!((model.forecast(1)[0].mean - 30.0).abs() < 1.0);
    assert!(matches!(fit(&[3.0, 5.0]).unwrap().method, Method::Mean));
    assert_eq!(fit(&[]), None);
    assert_eq!(backtest(&[1.0; 10]), None);
}

#[test]
fn deflection_counts_requests_shown_articles_and_self_service_counts_nowhere_else() {
    use super::{kpi, map};
    use crate::domain::knowledge::SelfHelp;
    let article = DocumentId::from_bytes([99; 16]);
    let mut rows = rows();
    // Ticket 1 was filed after two suggestions; two more requests were solved by an article.
    rows[0].self_help.suggested = 2;
    let without = facts_with(&rows, &directory());
    for n in [20, 21] {
        let mut solved = Row::new(n, "2026-11-05 09:00", "财务部", "IT")
            .status("2026-11-05 09:00", Status::Resolved)
            .0;
        solved.self_help = SelfHelp {
            solved_by: Some(article),
            suggested: 1,
        };
        rows.push(solved);
    }
    let with = facts_with(&rows, &directory());
    let period = week();
    let f = kpi::figures(&with, period, now());
    assert_eq!(
        (f.deflection.hits, f.deflection.of),
        (2, 3),
        "2 of 3 requests shown articles"
    );
    assert_eq!(f.value(Kpi::Deflection), Some(200.0 / 3.0));
    let before = kpi::figures(&without, period, now());
    assert_eq!(
        f.volume, before.volume,
        "self-service records are no tickets"
    );
    assert_eq!(f.resolved, before.resolved);
    assert_eq!(f.resolution, before.resolution);
    let behind: Vec<_> = with
        .iter()
        .filter_map(|t| kpi::contribution(Kpi::Deflection, t, period, now()).map(|v| (t.id, v)))
        .collect();
    assert_eq!(behind.len(), 3);
    assert!(kpi::contribution(Kpi::Volume, &with[5], period, now()).is_none());
    assert_eq!(
        map::who_serves_whom(&with, period, now()),
        map::who_serves_whom(&without, period, now())
    );
}
