//! Builds a desk with two years of realistic ticket history through the app's own code (filing,
//! replies, hand-offs, waiting, resolution, reopening, ratings) and writes its IndexedDB contents
//! as JSON, with the figures the native measures compute for it, so the browser's dashboard can be
//! checked against them and benchmarked:
//!
//! `cargo run -p innerdesk-core --example measure_desk -- --tickets 600 --out desk.json --expected figures.json`
//! (`--rows-only` leaves the ticket documents and the index's history out, for benchmarks of the
//! dashboard).
//!
//! Everything is derived from a fixed seed and `--now` (default 2026-11-20 10:00 in Shanghai), so
//! the same arguments always give the same desk.

use chrono::{Datelike, NaiveDate, TimeZone};
use chrono_tz::Asia::Shanghai;
use innerdesk_core::access::Role;
use innerdesk_core::domain::catalog::{Catalog, Service, Text};
use innerdesk_core::domain::directory::{DepartmentId, Directory, Member};
use innerdesk_core::domain::measure::facts::{facts_of, Measuring};
use innerdesk_core::domain::measure::forecast::forecast;
use innerdesk_core::domain::measure::kpi::{Dimension, Kpi};
use innerdesk_core::domain::measure::measure_all;
use innerdesk_core::domain::sla::{Calendar, Policy, Slot, Target};
use innerdesk_core::domain::time::Period;
use innerdesk_core::domain::{
    DocumentId, Priority, Profile, Reclassification, Status, TicketDraft, Timestamp, Visibility,
};
use innerdesk_core::storage::{ChunkKey, ChunkKind};
use innerdesk_core::storage::{ChunkStore, MemoryStore};
use innerdesk_core::store::desk::{open_desk, Desk};
use innerdesk_core::store::ticket_index::{put_row, TicketIndex};
use std::collections::{BTreeMap, HashSet};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// Weeks of history.
const WEEKS: i64 = 104;
/// Shanghai is UTC+8 all year.
const OFFSET_MINUTES: i32 = 480;
/// Weeks ahead the forecast looks, and tickets an agent handles a week (the page's defaults).
const HORIZON: usize = 13;
const CAPACITY: f64 = 30.0;

struct Team {
    queue: &'static str,
    agents: &'static [&'static str],
}

/// Each service: its id, name, provider, queue, and how often it is asked for.
const SERVICES: [(&str, &str, &str, &str, &str, u32); 5] = [
    (
        "svc-account",
        "账号开通",
        "Account access",
        "信息技术部",
        "服务台",
        30,
    ),
    (
        "svc-network",
        "网络故障",
        "Network fault",
        "信息技术部",
        "网络组",
        20,
    ),
    (
        "svc-expense",
        "费用报销",
        "Expense claim",
        "财务部",
        "财务部",
        25,
    ),
    (
        "svc-onboarding",
        "入职手续",
        "Onboarding",
        "人力资源部",
        "人力资源部",
        10,
    ),
    (
        "svc-room",
        "会议室预订",
        "Meeting rooms",
        "行政部",
        "行政部",
        15,
    ),
];

const TEAMS: [Team; 5] = [
    Team {
        queue: "服务台",
        agents: &["李雷", "韩梅梅"],
    },
    Team {
        queue: "网络组",
        agents: &["赵强"],
    },
    Team {
        queue: "财务部",
        agents: &["孙丽", "钱进"],
    },
    Team {
        queue: "人力资源部",
        agents: &["陈静"],
    },
    Team {
        queue: "行政部",
        agents: &["周杰"],
    },
];

/// Requesters, their departments and emails (picked from the directory, as the form does).
const REQUESTERS: [(&str, &str, &str); 8] = [
    ("王芳", "销售部", "wangfang@example.cn"),
    ("Omar Haddad", "销售部", "omar@example.cn"),
    ("刘洋", "市场部", "liuyang@example.cn"),
    ("张伟", "研发部", "zhangwei@example.cn"),
    ("Ann Lee", "研发部", "ann@example.cn"),
    ("吴敏", "财务部", "wumin@example.cn"),
    ("郑浩", "人力资源部", "zhenghao@example.cn"),
    ("黄蕾", "行政部", "huanglei@example.cn"),
];

/// A small deterministic random source.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Roughly exponential, with the given mean.
    fn wait(&mut self, mean: i64) -> i64 {
        let u = (self.below(1_000_000) as f64 + 1.0) / 1_000_001.0;
        (-u.ln() * mean as f64) as i64
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let tickets: usize = arg("--tickets").and_then(|n| n.parse().ok()).unwrap_or(600);
    let now = Timestamp(
        arg("--now")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| local(2026, 11, 20, 10, 0).0),
    );
    let out = arg("--out").unwrap_or_else(|| "desk.json".into());
    // The dashboard reads only the list rows (a ticket's own document opens when the ticket does),
    // so a benchmark desk can leave the ticket documents out and load in seconds.
    let rows_only = std::env::args().any(|a| a == "--rows-only");
    let mut ticket_ids = HashSet::new();
    let store = MemoryStore::new();
    let mut counter = 0u128;
    let mut new_id = || {
        counter += 1;
        DocumentId::from_bytes(
            counter
                .wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
                .to_le_bytes(),
        )
    };
    let started = std::time::Instant::now();
    let desk = futures::executor::block_on(async {
        let (mut desk, _) = open_desk(&store, &mut new_id).await.unwrap();
        desk.set_profile(Profile::new("李雷", "服务台").unwrap())
            .unwrap();
        desk.save_directory(&directory(), &mut new_id).unwrap();
        desk.save_catalog(&catalog(), &mut new_id).unwrap();
        let mut random = Random(0x1dea_5eed);
        let mut actor = String::new();
        for (i, filed) in filing_times(tickets, now, &mut random)
            .into_iter()
            .enumerate()
        {
            let mut act = |desk: &mut Desk, who: (&str, &str)| {
                if actor != who.0 {
                    desk.set_profile(Profile::new(who.0, who.1).unwrap())
                        .unwrap();
                    actor = who.0.to_string();
                }
            };
            let id = new_id();
            ticket_ids.insert(id.to_string());
            history(&mut desk, i, filed, now, id, &mut random, &mut act);
            if i % 500 == 0 {
                for plan in desk.pending_writes() {
                    store.write(plan.batch.clone()).await.unwrap();
                    desk.saved(plan);
                }
            }
        }
        desk.set_profile(Profile::new("李雷", "服务台").unwrap())
            .unwrap();
        for plan in desk.pending_writes() {
            store.write(plan.batch.clone()).await.unwrap();
            desk.saved(plan);
        }
        desk
    });
    let mut chunks = store.export().chunks;
    if rows_only {
        leave_rows_only(&desk, &mut chunks, &ticket_ids);
    }
    let json = serde_json::json!({
        "chunks": chunks.iter().map(|(k, v)| (k.clone(), hex(v))).collect::<Vec<_>>(),
        "settings": store.export().settings,
    });
    std::fs::write(&out, serde_json::to_vec(&json).unwrap()).unwrap();
    eprintln!(
        "wrote {tickets} tickets to {out} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = arg("--expected") {
        std::fs::write(&path, expected(&desk, now).to_string()).unwrap();
    }
}

/// Leaves out the ticket documents and rewrites the list index with each row once: a desk to open
/// quickly for benchmarks of the dashboard, which reads only the rows. (Every edit of a row stays
/// in the index's history, and with 50,000 tickets that history alone takes minutes to open.)
fn leave_rows_only(desk: &Desk, chunks: &mut BTreeMap<String, Vec<u8>>, tickets: &HashSet<String>) {
    let index = desk.index_id().to_string();
    chunks.retain(|key, _| {
        let doc = key.split('/').next().unwrap_or_default();
        doc != index && !tickets.contains(doc)
    });
    let mut compact = TicketIndex::create().unwrap();
    for (row, _) in desk.rows() {
        put_row(compact.automerge_mut(), row).unwrap();
    }
    let snapshot = ChunkKey {
        doc: desk.index_id(),
        kind: ChunkKind::Snapshot,
        name: "rows".into(),
    };
    chunks.insert(snapshot.to_string(), compact.automerge_mut().save());
}

/// 09:00–18:00 in Shanghai on a given day.
fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    let at = Shanghai.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
    Timestamp(at.timestamp_millis())
}

/// When each ticket is filed: a weekly volume with a yearly wave (busy before the year's end,
/// quiet around Spring Festival) and slow growth, spread over working hours on weekdays.
fn filing_times(tickets: usize, now: Timestamp, random: &mut Random) -> Vec<Timestamp> {
    let weight = |week: i64| {
        let phase = week as f64 / 52.0 * std::f64::consts::TAU;
        let festival = if week % 52 == 11 || week % 52 == 12 {
            0.4
        } else {
            1.0
        };
        (1.0 + 0.35 * phase.sin() + 0.004 * week as f64) * festival
    };
    let total: f64 = (0..WEEKS).map(weight).sum();
    let first_week = now.0 - WEEKS * WEEK;
    let mut times = Vec::with_capacity(tickets);
    let mut carried = 0.0;
    for week in 0..WEEKS {
        // Demand is never exactly the pattern: each week varies by up to a fifth either way.
        let noise = 0.8 + 0.4 * random.below(1_000) as f64 / 1_000.0;
        carried += weight(week) * noise / total * tickets as f64;
        while carried >= 1.0 && times.len() < tickets {
            carried -= 1.0;
            let day = random.below(5) as i64;
            let minute = random.below(9 * 60) as i64;
            let start = week_monday(Timestamp(first_week + week * WEEK));
            let at = Timestamp(start.0 + day * DAY + 9 * HOUR + minute * MINUTE);
            if at < now {
                times.push(at);
            }
        }
    }
    times.sort();
    times
}

fn week_monday(at: Timestamp) -> Timestamp {
    let local = Shanghai.timestamp_millis_opt(at.0).unwrap().date_naive();
    let monday = local - chrono::Days::new(local.weekday().num_days_from_monday() as u64);
    local_day(monday)
}

fn local_day(day: NaiveDate) -> Timestamp {
    local(day.year(), day.month(), day.day(), 0, 0)
}

/// One ticket's life, as far as it got by `now`.
fn history(
    desk: &mut Desk,
    i: usize,
    filed: Timestamp,
    now: Timestamp,
    id: DocumentId,
    random: &mut Random,
    act: &mut dyn FnMut(&mut Desk, (&str, &str)),
) {
    let service = pick_service(random);
    let (service_id, zh, _, _, queue, _) = service;
    let (requester, customer, email) = REQUESTERS[random.below(REQUESTERS.len() as u64) as usize];
    let team = TEAMS.iter().find(|t| t.queue == queue).unwrap();
    let agent = team.agents[random.below(team.agents.len() as u64) as usize];
    let priority = match random.below(20) {
        0 => Priority::Urgent,
        1..=3 => Priority::High,
        4..=16 => Priority::Normal,
        _ => Priority::Low,
    };
    act(desk, (requester, customer));
    let draft = TicketDraft {
        title: format!("{zh} #{i}"),
        description: "请协助处理。".into(),
        requester: requester.into(),
        requester_email: email.into(),
        customer_department: customer.into(),
        department: queue.into(),
        service: service_id.into(),
        priority,
        ..Default::default()
    };
    desk.create_ticket(id, &draft, filed).unwrap();
    // The teams answer slower in the busy season and 财务部 slowest of all.
    let slow = if queue == "财务部" { 2 } else { 1 };
    let mut at = Timestamp(filed.0 + random.wait(90 * MINUTE * slow) + 5 * MINUTE);
    let mut handler = (agent, queue);
    macro_rules! step {
        ($at:expr) => {{
            at = $at;
            if at >= now {
                return;
            }
        }};
    }
    step!(at);
    act(desk, handler);
    desk.add_comment(id, "已收到，正在处理。", Visibility::Public, at)
        .unwrap();
    desk.change_status(id, Status::InProgress, at).unwrap();
    if random.chance(3) {
        return; // stuck: part of the backlog however old
    }
    if queue == "服务台" && random.chance(30) {
        // The service desk hands network trouble to the network team.
        step!(Timestamp(at.0 + random.wait(2 * HOUR)));
        let change = Reclassification {
            priority,
            department: "网络组".into(),
            category: String::new(),
        };
        desk.reclassify(id, &change, at).unwrap();
        step!(Timestamp(at.0 + random.wait(4 * HOUR) + 10 * MINUTE));
        handler = ("赵强", "网络组");
        act(desk, handler);
        desk.add_comment(id, "网络组已接手。", Visibility::Internal, at)
            .unwrap();
    }
    if random.chance(20) {
        step!(Timestamp(at.0 + random.wait(3 * HOUR)));
        desk.change_status(id, Status::WaitingOnRequester, at)
            .unwrap();
        step!(Timestamp(at.0 + random.wait(DAY)));
        act(desk, (requester, customer));
        desk.add_comment(id, "补充信息如下。", Visibility::Public, at)
            .unwrap();
        act(desk, handler);
        desk.change_status(id, Status::InProgress, at).unwrap();
    }
    step!(Timestamp(
        at.0 + random.wait(10 * HOUR * slow) + 20 * MINUTE
    ));
    desk.change_status(id, Status::Resolved, at).unwrap();
    if random.chance(7) {
        step!(Timestamp(at.0 + DAY + random.wait(DAY)));
        act(desk, (requester, customer));
        desk.add_comment(id, "问题又出现了。", Visibility::Public, at)
            .unwrap();
        act(desk, handler);
        desk.change_status(id, Status::InProgress, at).unwrap();
        step!(Timestamp(at.0 + random.wait(4 * HOUR) + 10 * MINUTE));
        desk.change_status(id, Status::Resolved, at).unwrap();
    }
    if random.chance(40) {
        step!(Timestamp(at.0 + random.wait(6 * HOUR) + MINUTE));
        act(desk, (requester, customer));
        let score = match (queue, random.below(10)) {
            ("财务部", n) => [2, 3, 3, 4, 4, 4, 5, 3, 2, 4][n as usize],
            (_, n) => [5, 5, 4, 4, 5, 3, 5, 4, 5, 2][n as usize],
        };
        desk.rate(id, score, "", at, |_, _| None).unwrap();
    }
}

fn pick_service(
    random: &mut Random,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
) {
    let total: u32 = SERVICES.iter().map(|s| s.5).sum();
    let mut n = random.below(u64::from(total)) as u32;
    for service in SERVICES {
        if n < service.5 {
            return service;
        }
        n -= service.5;
    }
    SERVICES[0]
}

/// 公司 above its departments; IT's two teams under 信息技术部.
fn directory() -> Directory {
    let mut directory = Directory::default();
    let company = directory.add_department("公司", None).unwrap();
    for d in [
        "信息技术部",
        "财务部",
        "人力资源部",
        "行政部",
        "销售部",
        "市场部",
        "研发部",
    ] {
        directory.add_department(d, Some(&company)).unwrap();
    }
    let it = DepartmentId("信息技术部".into());
    directory.add_department("服务台", Some(&it)).unwrap();
    directory.add_department("网络组", Some(&it)).unwrap();
    for (name, department, email) in REQUESTERS {
        directory.people.insert(
            email.into(),
            Member {
                email: email.into(),
                name: name.into(),
                department: DepartmentId(department.into()),
                manager: None,
                role: Role::Requester,
                deactivated: false,
            },
        );
    }
    directory
}

/// Office hours with a lunch break in Shanghai; one policy for everything; the five services.
fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    let hours = [
        Slot::hours("09:00", "12:00").unwrap(),
        Slot::hours("13:30", "18:00").unwrap(),
    ];
    catalog
        .put_calendar(Calendar::weekdays("总部", "Asia/Shanghai", &hours))
        .unwrap();
    let target = |priority, first: u32, resolution: u32| Target {
        priority,
        segment: None,
        first_response: first,
        next_response: Some(first * 2),
        resolution,
    };
    catalog
        .put_policy(Policy {
            name: "标准".into(),
            calendar: "总部".into(),
            targets: vec![
                target(Priority::Urgent, 30, 240),
                target(Priority::High, 60, 480),
                target(Priority::Normal, 120, 960),
                target(Priority::Low, 240, 1920),
            ],
            handoff: Some(120),
            warn_percent: vec![50, 75, 90],
            warn_before: Some(30),
            pause_while_waiting: true,
            escalations: Vec::new(),
        })
        .unwrap();
    catalog.default_policy = "标准".into();
    for (id, zh, en, provider, queue, _) in SERVICES {
        catalog
            .put_service(Service {
                id: id.into(),
                provider: DepartmentId(provider.into()),
                name: Text {
                    zh: zh.into(),
                    en: en.into(),
                },
                description: Text::default(),
                fields: Vec::new(),
                priority: Priority::Normal,
                queue: DepartmentId(queue.into()),
                policy: String::new(),
                needs_approval: false,
                approval_chain: String::new(),
            })
            .unwrap();
    }
    catalog
}

/// The figures the dashboard must show for this desk at `now` for the current quarter (its
/// default), computed by the native measures.
fn expected(desk: &Desk, now: Timestamp) -> serde_json::Value {
    let (catalog, _) = desk.catalog();
    let (directory, _) = desk.directory();
    let calendars = catalog.work_calendars();
    let rows = desk.rows().iter().map(|(s, _)| s);
    let facts = facts_of(
        rows,
        &Measuring {
            catalog: &catalog,
            calendars: &calendars,
            directory: &directory,
            segment_of: &|_| None,
            now,
        },
    );
    let period = quarter_of(now);
    let all = measure_all(&facts, period, now, &BTreeMap::new());
    let values = |f: &innerdesk_core::domain::measure::kpi::Figures| {
        Kpi::ALL
            .iter()
            .map(|k| (k.id().to_string(), serde_json::json!(f.value(*k))))
            .collect::<serde_json::Map<_, _>>()
    };
    let times: Vec<Timestamp> = facts.iter().map(|t| t.created_at).collect();
    let plan = forecast(&times, OFFSET_MINUTES, now, HORIZON, CAPACITY).unwrap();
    serde_json::json!({
        "now": now.0,
        "period": [period.start.0, period.end.0],
        "total": values(&all.total),
        "providers": all.lines(Dimension::Provider).iter().map(|l| serde_json::json!({
            "key": l.key, "values": values(&l.figures),
        })).collect::<Vec<_>>(),
        "map": all.map.cells.iter().map(|((c, p), f)| serde_json::json!({
            "customer": c, "provider": p, "volume": f.volume,
        })).collect::<Vec<_>>(),
        "status_time": all.status_time.iter().map(|s| s.team.clone()).collect::<Vec<_>>(),
        "handoffs": all.handoffs.iter().map(|h| serde_json::json!({
            "from": h.from, "to": h.to, "count": h.waited.count + h.waiting,
        })).collect::<Vec<_>>(),
        "forecast": {
            "means": plan.weeks.iter().map(|w| w.demand.mean).collect::<Vec<_>>(),
            "mae": plan.backtest.map(|b| b.mae),
            "naive_mae": plan.backtest.map(|b| b.naive_mae),
        },
    })
}

/// The calendar quarter holding `at`, in Shanghai.
fn quarter_of(at: Timestamp) -> Period {
    let day = Shanghai.timestamp_millis_opt(at.0).unwrap().date_naive();
    let first = NaiveDate::from_ymd_opt(day.year(), (day.month() - 1) / 3 * 3 + 1, 1).unwrap();
    let next = first + chrono::Months::new(3);
    Period {
        start: local_day(first),
        end: local_day(next),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
