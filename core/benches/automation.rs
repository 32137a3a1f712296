//! Evaluates an organisation's rules on 10,000 tickets (what the minute tick does on a busy
//! device), and checks a set of 200 rules for loops (what saving a rule does), each against a
//! baseline measured in the same run: one rule on the same tickets, and 20 rules.
//!
//! `cargo bench -p innerdesk-core --bench automation`

use innerdesk_core::domain::automation::*;
use innerdesk_core::domain::{
    DocumentId, EventKind, Priority, Status, Ticket, TicketEvent, Timestamp,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

const TICKETS: usize = 10_000;
const RUNS: usize = 9;

fn ticket(n: usize) -> Ticket {
    let at = |m: i64| Timestamp(1_000_000 + (n as i64) * 60_000 + m * 60_000);
    let mut events = vec![TicketEvent {
        at: at(0),
        by: "王芳".into(),
        kind: EventKind::Created,
    }];
    for step in 1..10 {
        events.push(TicketEvent {
            at: at(step),
            by: if step % 2 == 0 {
                "Li Lei".into()
            } else {
                "王芳".into()
            },
            kind: if step % 3 == 0 {
                EventKind::Commented {
                    visibility: innerdesk_core::domain::Visibility::Public,
                }
            } else {
                EventKind::PriorityChanged {
                    from: Priority::Normal,
                    to: Priority::High,
                }
            },
        });
    }
    Ticket {
        id: DocumentId::from_bytes([(n % 251) as u8; 16]),
        title: format!("报销 {n}"),
        description: String::new(),
        requester: "王芳".into(),
        requester_email: "wang@x.cn".into(),
        filed_by: String::new(),
        customer_department: ["市场部", "销售部", "研发部"][n % 3].into(),
        department: ["财务部", "IT", "HR"][n % 3].into(),
        service: ["reimbursement", "laptop", "leave"][n % 3].into(),
        answers: BTreeMap::from([("amount".to_string(), format!("{}", (n * 37) % 5_000))]),
        category: String::new(),
        priority: Priority::Normal,
        status: if n.is_multiple_of(4) {
            Status::Resolved
        } else {
            Status::InProgress
        },
        created_at: at(0),
        created_by: "王芳".into(),
        comments: vec![],
        events,
        feedback: Default::default(),
        follow_up_of: None,
        self_help: Default::default(),
        articles: vec![],
        assignee: String::new(),
        watchers: vec![],
        approval: None,
        seen: Default::default(),
        fired: Default::default(),
    }
}

fn rules(count: usize) -> Vec<Rule> {
    (0..count)
        .map(|i| Rule {
            id: format!("r{i}"),
            name: format!("rule {i}"),
            enabled: true,
            trigger: match i % 3 {
                0 => Trigger::Created,
                1 => Trigger::Updated,
                _ => Trigger::After {
                    moment: Moment::Resolved,
                    minutes: 60,
                },
            },
            conditions: vec![
                Condition::Service {
                    id: ["reimbursement", "laptop", "leave"][i % 3].into(),
                },
                Condition::Field {
                    key: "amount".into(),
                    test: Test::AtLeast((i * 100) as f64),
                },
            ],
            actions: vec![
                Action::SetPriority(Priority::High),
                Action::Notify("a@x.cn".into()),
            ],
            since: Timestamp(0),
        })
        .collect()
}

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn evaluate(rules: &[Rule], tickets: &[Ticket]) -> (f64, usize) {
    let rules: Vec<&Rule> = rules.iter().collect();
    let fired = BTreeSet::new();
    let mut due = 0;
    let times = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            due = 0;
            for t in tickets {
                let context = Context {
                    segment: None,
                    warnings: &[],
                    fired: &fired,
                    staff: true,
                    now: Timestamp(i64::MAX / 2),
                };
                due += due_firings(&rules, t, &context).len();
            }
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    (median(times), due)
}

fn check(rules: &[Rule]) -> f64 {
    let refs: Vec<&Rule> = rules.iter().collect();
    let known = Known {
        services: ["reimbursement", "laptop", "leave"]
            .map(String::from)
            .into(),
        people: ["a@x.cn".to_string()].into(),
        ..Known::default()
    };
    let automation = Automation::default();
    median(
        (0..RUNS)
            .map(|_| {
                let started = Instant::now();
                let _ = check_rules(&refs, &known, &automation);
                started.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    )
}

fn main() {
    let tickets: Vec<Ticket> = (0..TICKETS).map(ticket).collect();
    let (one, due_one) = evaluate(&rules(1), &tickets);
    let (fifty, due_fifty) = evaluate(&rules(50), &tickets);
    println!(
        "50 rules over {TICKETS} tickets: median {fifty:.1} ms ({:.1} µs a ticket, {due_fifty} firings due); \
         baseline 1 rule {one:.1} ms ({due_one} due) → {:.1}×",
        fifty * 1000.0 / TICKETS as f64,
        fifty / one
    );
    let small = check(&rules(20));
    let large = check(&rules(200));
    println!(
        "loop check of 200 rules: median {large:.2} ms; baseline 20 rules {small:.3} ms → {:.1}×",
        large / small
    );
}
