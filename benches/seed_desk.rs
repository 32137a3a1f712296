//! Prepares a desk of N tickets with the app's own code and writes its IndexedDB contents as JSON, for
//! the browser benchmarks to load: `cargo bench --bench seed_desk -- --tickets 10000 --out desk.json`.
//! `--articles N` adds N knowledge-base articles, variations of the sample knowledge base the
//! assistant is tested on (`core/tests/fixtures/knowledge_base.json`).

use innerdesk::domain::catalog::{Catalog, Text};
use innerdesk::domain::knowledge::ArticleDraft;
use innerdesk::domain::sla::{Calendar, Policy, Slot, Target};
use innerdesk::domain::{
    DocumentId, Priority, Profile, Status, TicketDraft, Timestamp, Visibility,
};
use innerdesk::storage::{ChunkStore, MemoryStore};
use innerdesk::store::desk::open_desk;

const TITLES: [&str; 8] = [
    "VPN 无法连接",
    "报销单审批超时",
    "Printer jammed on floor",
    "新员工需要笔记本电脑",
    "Cannot log in to payroll",
    "会议室投影仪故障",
    "Request access to the sales share",
    "合同模板需要法务审核",
];
const DEPARTMENTS: [&str; 6] = [
    "IT",
    "人力资源部",
    "财务部",
    "Facilities",
    "Legal",
    "行政部",
];
const PEOPLE: [&str; 6] = ["王芳", "李雷", "Ann Lee", "张伟", "Omar Haddad", "刘洋"];

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let tickets: usize = arg("--tickets")
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let out = arg("--out").unwrap_or_else(|| "desk.json".into());
    let articles: usize = arg("--articles").and_then(|n| n.parse().ok()).unwrap_or(0);
    let store = MemoryStore::new();
    let mut counter = 0u128;
    let mut new_id = || {
        counter += 1;
        DocumentId::from_bytes((counter * 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835).to_le_bytes())
    };
    futures::executor::block_on(async {
        let (mut desk, _) = open_desk(&store, &mut new_id).await.unwrap();
        desk.set_profile(Profile::new("王芳", "财务部").unwrap())
            .unwrap();
        // Every ticket is measured by the organisation's default policy, so lists show due times.
        desk.save_catalog(&catalog(), &mut new_id).unwrap();
        let start = 1_767_000_000_000i64;
        for i in 0..tickets {
            let id = new_id();
            let draft = TicketDraft {
                title: format!("{} #{i}", TITLES[i % TITLES.len()]),
                description: "Seeded for the benchmark. 基准测试数据。".into(),
                requester: PEOPLE[i % PEOPLE.len()].into(),
                department: DEPARTMENTS[i % DEPARTMENTS.len()].into(),
                category: "".into(),
                priority: Priority::ALL[i % Priority::ALL.len()],
                ..Default::default()
            };
            let at = Timestamp(start + i as i64 * 60_000);
            desk.create_ticket(id, &draft, at).unwrap();
            if i % 3 == 0 {
                desk.change_status(id, Status::InProgress, at).unwrap();
            }
            if i % 5 == 0 {
                desk.add_comment(id, "已收到，处理中", Visibility::Public, at)
                    .unwrap();
            }
        }
        desk.set_profile(Profile::new("李雷", "IT").unwrap())
            .unwrap();
        let samples = sample_articles();
        for i in 0..articles {
            let draft = variation(&samples[i % samples.len()], i);
            let at = Timestamp(start + i as i64 * 1_000);
            desk.create_article(new_id(), &draft, at).unwrap();
        }
        for plan in desk.pending_writes() {
            store.write(plan.batch.clone()).await.unwrap();
            desk.saved(plan);
        }
    });
    let exported = store.export();
    let (chunks, settings) = (exported.chunks, exported.settings);
    let json = serde_json::json!({
        "chunks": chunks.iter().map(|(k, v)| (k.clone(), hex(v))).collect::<Vec<_>>(),
        "settings": settings,
    });
    std::fs::write(&out, serde_json::to_vec(&json).unwrap()).unwrap();
    eprintln!(
        "wrote {} chunks for {tickets} tickets to {out}",
        chunks.len()
    );
}

/// Office hours with a lunch break in Shanghai, and a policy with targets for every priority.
fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    let hours = [
        Slot::hours("08:30", "12:00").unwrap(),
        Slot::hours("13:30", "18:00").unwrap(),
    ];
    catalog
        .put_calendar(Calendar::weekdays("总部", "Asia/Shanghai", &hours))
        .unwrap();
    let target = |priority, first: u32| Target {
        priority,
        segment: None,
        first_response: first,
        next_response: Some(first * 2),
        resolution: first * 8,
    };
    catalog
        .put_policy(Policy {
            name: "标准".into(),
            calendar: "总部".into(),
            targets: vec![
                target(Priority::Urgent, 30),
                target(Priority::High, 60),
                target(Priority::Normal, 240),
                target(Priority::Low, 480),
            ],
            handoff: Some(240),
            warn_percent: vec![50, 75, 90],
            warn_before: Some(60),
            pause_while_waiting: true,
            escalations: Vec::new(),
        })
        .unwrap();
    catalog
}

/// The sample knowledge base's articles as drafts.
fn sample_articles() -> Vec<ArticleDraft> {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../core/tests/fixtures/knowledge_base.json")).unwrap();
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or_default().to_string();
    let both = |v: &serde_json::Value| Text {
        zh: text(v, "zh"),
        en: text(v, "en"),
    };
    fixture["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| ArticleDraft {
            department: text(a, "department"),
            category: text(a, "category"),
            service: String::new(),
            keywords: text(a, "keywords"),
            title: both(&a["title"]),
            body: both(&a["body"]),
            ..Default::default()
        })
        .collect()
}

/// A sample article made particular: its site, building and a line of its own, as a large
/// organisation's knowledge base has many near-alike articles.
fn variation(sample: &ArticleDraft, i: usize) -> ArticleDraft {
    let site = ["上海", "北京", "深圳", "成都", "Singapore", "Frankfurt"][i % 6];
    let mut draft = sample.clone();
    draft.title.en = format!("{} ({site}, building {})", sample.title.en, i % 40);
    draft.title.zh = format!("{}（{site} {} 号楼）", sample.title.zh, i % 40);
    draft.body.en = format!(
        "{}\n\nApplies to {site}, building {}, floor {}. Reference KB-{i:05}.",
        sample.body.en,
        i % 40,
        i % 17
    );
    draft.body.zh = format!(
        "{}\n\n适用于{site} {} 号楼 {} 层。编号 KB-{i:05}。",
        sample.body.zh,
        i % 40,
        i % 17
    );
    draft
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
