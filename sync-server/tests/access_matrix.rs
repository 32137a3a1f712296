//! Who may read and write what, proven over the wire: every role against every kind of document,
//! each cell tried for real. Reading is asking the relay for the document; writing is sending it a
//! change (for a document one may not read, a forged copy under the same id). An observer who may
//! read the document then shows which changes the relay took. The expected matrix is written out
//! below as the rule, not derived from the relay's code.

mod common;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use common::{
    add_person, article, change_ticket, document_of_kind, fetch_all, follow_parts, listed_in,
    new_ticket, page_dir, response_doc, sign_in, temp_dir, Peer, Person, Relay,
};
use innerdesk_core::domain::knowledge::Audience;
use innerdesk_core::domain::{DocumentId, Timestamp, Visibility};
use innerdesk_core::store::ticket_doc::Side;
use innerdesk_core::store::ticket_parts::{part_id, Part};
use innerdesk_core::store::TicketDoc;
use std::collections::HashMap;

/// (key, name, email, department, role)
const PEOPLE: [(&str, &str, &str, &str, &str); 7] = [
    ("wang", "王芳", "wang@example.cn", "财务部", "requester"),
    ("zhou", "周杰", "zhou@example.cn", "财务部", "requester"),
    ("zhao", "赵敏", "zhao@example.cn", "HR", "requester"),
    ("li", "Li Lei", "li@example.cn", "IT", "agent"),
    ("han", "Han Mei", "han@example.cn", "IT", "lead"),
    ("sun", "孙丽", "sun@example.cn", "HR", "agent"),
    ("root", "Root", "root@example.cn", "IT", "admin"),
];

/// The rule, one row per kind of document, columns in the order of `PEOPLE`: W reads and writes,
/// R reads only, - receives nothing. 王芳 files the ticket for IT and mentions 周杰, of her own
/// department, in it; 周杰 replies in his own part of it; Li writes the articles and keeps the
/// staff workbench; 赵敏 opens the suggestion board.
const MATRIX: [(&str, [char; 7]); 14] = [
    //                    wang zhou zhao  li  han  sun root
    ("ticket's request", ['W', 'R', '-', 'R', 'R', '-', 'W']),
    ("ticket's team part", ['R', 'R', '-', 'W', 'W', '-', 'W']),
    (
        "ticket's internal notes",
        ['-', '-', '-', 'W', 'W', '-', 'W'],
    ),
    (
        "周杰's part of the ticket",
        ['R', 'W', '-', 'R', 'R', '-', 'R'],
    ),
    ("IT queue index", ['-', '-', '-', 'R', 'R', '-', 'R']),
    ("王芳's index", ['R', '-', '-', '-', '-', '-', 'R']),
    ("everyone's index", ['R', 'R', 'R', 'R', 'R', 'R', 'R']),
    ("directory", ['R', 'R', 'R', 'R', 'R', 'R', 'W']),
    ("personal", ['W', '-', '-', '-', '-', '-', '-']),
    ("staff workbench", ['-', '-', '-', 'W', 'W', 'W', 'W']),
    ("public article", ['R', 'R', 'R', 'W', 'W', 'R', 'W']),
    ("internal article", ['-', '-', '-', 'W', 'W', '-', 'W']),
    ("suggestion board", ['W', 'W', 'W', 'W', 'W', 'W', 'W']),
    ("survey answer", ['W', '-', '-', '-', '-', '-', '-']),
];

/// Each viewer's mark, written into every document they try to change.
fn mark(viewer: &str) -> String {
    format!("written-by-{viewer}")
}

fn has_mark(doc: &AutoCommit, viewer: &str) -> bool {
    doc.get(ROOT, mark(viewer).as_str())
        .ok()
        .flatten()
        .is_some()
}

struct Fixture {
    relay: Relay,
    tokens: HashMap<&'static str, String>,
    /// Every document of the matrix, by row, and who made it (`None`: the relay's own).
    docs: Vec<(DocumentId, Option<&'static str>)>,
}

/// Everyone of `PEOPLE` added to a fresh data folder: their sign-in tokens, by key.
fn everyone(data: &std::path::Path) -> HashMap<&'static str, String> {
    PEOPLE
        .iter()
        .map(|(key, name, email, department, role)| {
            (*key, add_person(data, name, email, department, role))
        })
        .collect()
}

async fn fixture() -> Fixture {
    let data = temp_dir("access-matrix");
    let tokens = everyone(&data);
    let relay = Relay::start(&page_dir(), &data);
    let mut makers: HashMap<&str, Person> = HashMap::new();
    for key in ["wang", "zhou", "li", "zhao", "root"] {
        makers.insert(key, sign_in(&relay, &tokens[key], "maker").await);
    }
    let wang = &makers["wang"];
    let (ticket, doc) = new_ticket(wang, "王芳", "VPN 连不上", "IT", 1);
    let mut ticket_doc = TicketDoc::from_automerge(doc).unwrap();
    ticket_doc
        .add_comment(
            "@周杰 你也遇到了吗",
            Visibility::Public,
            &["zhou@example.cn".into()],
            ("王芳", &Side::Requester),
            Timestamp(2_000),
        )
        .unwrap();
    let own_index = wang.indexes[0];
    let everyone_index = wang.indexes[1];
    let queue_index = makers["li"].indexes[2];
    let made: [(&'static str, AutoCommit); 8] = [
        ("wang", ticket_doc.automerge().clone()),
        ("root", document_of_kind("directory", "org")),
        ("wang", document_of_kind("personal", "mine")),
        (
            "li",
            document_of_kind(innerdesk_core::store::voice_doc::WORKBENCH, "staff"),
        ),
        ("li", article("IT", Audience::Everyone)),
        ("li", article("IT", Audience::Internal)),
        (
            "zhao",
            document_of_kind(innerdesk_core::store::voice_doc::BOARD, "ideas"),
        ),
        ("wang", response_doc(5, 3_000)),
    ];
    let mut ids = Vec::new();
    for (n, (maker, doc)) in made.into_iter().enumerate() {
        let id = if n == 0 {
            ticket
        } else {
            DocumentId::from_bytes([100 + n as u8; 16])
        };
        let peer = &mut makers.get_mut(maker).unwrap().peer;
        peer.replica.docs.insert(id, doc);
        peer.track(id).await;
        ids.push((id, Some(maker)));
    }
    for person in makers.values_mut() {
        assert!(person.peer.up_to_date(20).await);
    }
    // 周杰, let in by the mention, replies in his own part of the ticket.
    let zhou = makers.get_mut("zhou").unwrap();
    assert!(
        fetch_all(&mut zhou.peer, &[ticket]).await,
        "周杰 reads the ticket"
    );
    follow_parts(&mut zhou.peer, ticket, false).await;
    let by_zhou = Side::Follower("zhou@example.cn".into());
    let touched = change_ticket(&mut zhou.peer, ticket, |t| {
        t.add_comment(
            "我也是",
            Visibility::Public,
            &[],
            ("周杰", &by_zhou),
            Timestamp(3_000),
        )
        .unwrap()
    })
    .await;
    let zhous_part = part_id(ticket, &Part::Person("zhou@example.cn".into()));
    assert_eq!(touched, [zhous_part]);
    let relay_made = [queue_index, own_index, everyone_index].map(|id| (id, None));
    let mut docs = vec![
        ids[0],
        (part_id(ticket, &Part::Team), None),
        (part_id(ticket, &Part::Staff), None),
        (zhous_part, Some("zhou")),
    ];
    docs.extend(relay_made);
    docs.extend(&ids[1..]);
    Fixture {
        relay,
        tokens,
        docs,
    }
}

#[tokio::test]
async fn every_role_reads_and_writes_exactly_what_the_rules_allow_over_the_wire() {
    let fixture = fixture().await;
    let ids: Vec<DocumentId> = fixture.docs.iter().map(|(id, _)| *id).collect();

    // Everyone asks for every document on a fresh device.
    let mut viewers = Vec::new();
    for (key, ..) in PEOPLE {
        let mut person = sign_in(&fixture.relay, &fixture.tokens[key], "viewer").await;
        for id in &ids {
            person.peer.track(*id).await;
        }
        viewers.push(person);
    }
    for (column, viewer) in viewers.iter_mut().enumerate() {
        let readable: Vec<DocumentId> = MATRIX
            .iter()
            .zip(&ids)
            .filter(|((_, row), _)| row[column] != '-')
            .map(|(_, id)| *id)
            .collect();
        let arrived = viewer
            .peer
            .until(
                |p| readable.iter().all(|id| p.replica.docs.contains_key(id)),
                20,
            )
            .await;
        assert!(arrived, "{} receives what they may read", PEOPLE[column].0);
    }
    for viewer in viewers.iter_mut() {
        viewer.peer.idle(500).await;
    }
    for ((kind, row), id) in MATRIX.iter().zip(&ids) {
        for (column, viewer) in viewers.iter().enumerate() {
            let held = viewer.peer.replica.docs.contains_key(id);
            let crossed = viewer.peer.seen_on_wire.contains(id);
            let who = PEOPLE[column].0;
            match row[column] {
                '-' => assert!(!held && !crossed, "{who} must not read the {kind}"),
                _ => assert!(held, "{who} reads the {kind}"),
            }
        }
    }

    // Everyone writes their mark into every document: their copy, or a forged one.
    for (column, viewer) in viewers.iter_mut().enumerate() {
        for id in &ids {
            let doc = viewer
                .peer
                .replica
                .docs
                .entry(*id)
                .or_insert_with(AutoCommit::new);
            doc.put(ROOT, mark(PEOPLE[column].0).as_str(), true)
                .unwrap();
            doc.commit();
            viewer.peer.changed(*id).await;
        }
    }
    for viewer in viewers.iter_mut() {
        viewer.peer.idle(300).await;
    }

    // An observer who may read each document sees exactly the allowed marks arrive.
    let mut observers: HashMap<&str, Peer> = HashMap::new();
    for key in ["root", "wang"] {
        let person = sign_in(&fixture.relay, &fixture.tokens[key], "observer").await;
        observers.insert(key, person.peer);
    }
    for ((kind, row), id) in MATRIX.iter().zip(&ids) {
        // Admins read everything but what is one person's own.
        let by = if row[6] == '-' { "wang" } else { "root" };
        let observer = observers.get_mut(by).unwrap();
        observer.track(*id).await;
        let writers: Vec<&str> = PEOPLE
            .iter()
            .zip(row)
            .filter(|(_, cell)| **cell == 'W')
            .map(|(p, _)| p.0)
            .collect();
        let all_in = observer
            .until(
                |p| {
                    p.replica
                        .docs
                        .get(id)
                        .is_some_and(|d| writers.iter().all(|w| has_mark(d, w)))
                },
                20,
            )
            .await;
        assert!(all_in, "every change allowed on the {kind} is taken");
        observer.idle(300).await;
        let doc = &observer.replica.docs[id];
        for (column, (who, ..)) in PEOPLE.iter().enumerate() {
            if row[column] != 'W' {
                assert!(!has_mark(doc, who), "{who} must not write the {kind}");
            }
            if row[column] == 'R' {
                assert!(
                    viewers[column].peer.read_only.contains(id),
                    "{who} is told the {kind} is read-only"
                );
            }
        }
    }
}

/// A raw edit of one document, as a plain automerge-repo client could make it.
fn edit(doc: &mut AutoCommit, change: impl FnOnce(&mut AutoCommit)) {
    change(doc);
    doc.commit();
}

/// Puts `email` among the followers a ticket document names.
fn add_follower(doc: &mut AutoCommit, email: &str) {
    let followers = match doc.get(ROOT, "followers").unwrap() {
        Some((_, id)) => id,
        None => doc
            .put_object(ROOT, "followers", automerge::ObjType::Map)
            .unwrap(),
    };
    doc.put(&followers, email, true).unwrap();
}

/// Whether `person` (a fresh device) receives the document within a few seconds.
async fn receives(relay: &Relay, token: &str, doc: DocumentId) -> bool {
    let mut probe = sign_in(relay, token, "probe").await;
    probe.peer.track(doc).await;
    let arrived = probe
        .peer
        .until(|p| p.replica.docs.contains_key(&doc), 3)
        .await;
    if !arrived {
        probe.peer.idle(300).await;
        assert!(
            !probe.peer.seen_on_wire.contains(&doc),
            "nothing about it crossed the wire"
        );
    }
    arrived
}

/// The facts that decide who reads a ticket and what counts on it, each set by a raw edit of a
/// document of the ticket, by someone entitled to or not. The expected effects are written out
/// below as the rule: only the serving team moves a ticket or adds anyone as a reader, the
/// requester adds people of her own department only, nobody changes a ticket's kind or
/// requester, only the named approver approves, and only the team writes or reads internal notes.
#[tokio::test]
async fn every_fact_of_a_ticket_is_set_only_by_whom_it_belongs_to_over_the_wire() {
    use innerdesk_core::domain::automation::{Approval, Decision, PlannedStep};
    let data = temp_dir("access-facts");
    let tokens = everyone(&data);
    let relay = Relay::start(&page_dir(), &data);
    let mut people: HashMap<&str, Person> = HashMap::new();
    for (key, ..) in PEOPLE {
        people.insert(key, sign_in(&relay, &tokens[key], "actor").await);
    }
    let zhao_id = people["zhao"].id.clone();

    // (who, what they do to a ticket of their own, who then reads it, whether they do)
    type Act = fn(&mut AutoCommit, &str);
    let request_edits: [(&str, Act, &str, bool); 5] = [
        (
            "set the kind of her request to directory",
            |d, _| d.put(ROOT, "kind", "directory").unwrap(),
            "zhao",
            false,
        ),
        (
            "move her request to HR's queue",
            |d, _| d.put(ROOT, "department", "HR").unwrap(),
            "sun",
            false,
        ),
        (
            "name 赵敏 its requester",
            |d, zhao| {
                d.put(ROOT, "requester_id", zhao).unwrap();
                d.put(ROOT, "requester_email", "zhao@example.cn").unwrap();
            },
            "zhao",
            false,
        ),
        (
            "add 赵敏 of HR as a follower",
            |d, _| add_follower(d, "zhao@example.cn"),
            "zhao",
            false,
        ),
        (
            "add 周杰 of her own department as a follower",
            |d, _| add_follower(d, "zhou@example.cn"),
            "zhou",
            true,
        ),
    ];
    let mut checks = Vec::new();
    for (n, (what, act, reader, expected)) in request_edits.into_iter().enumerate() {
        let wang = people.get_mut("wang").unwrap();
        let (ticket, mut doc) = new_ticket(wang, "王芳", what, "IT", 200 + n as u8);
        wang.peer.replica.docs.insert(ticket, doc.clone());
        wang.peer.track(ticket).await;
        assert!(wang.peer.up_to_date(10).await);
        // Once filed (what the request says before the relay first sees it is simply what was
        // filed), the edit comes.
        let li = people.get_mut("li").unwrap();
        let queue = li.indexes.clone();
        assert!(
            li.peer
                .until(|p| listed_in(p, &queue).contains(&ticket), 10)
                .await
        );
        let wang = people.get_mut("wang").unwrap();
        edit(&mut doc, |d| act(d, &zhao_id));
        let held = wang.peer.replica.docs.get_mut(&ticket).unwrap();
        held.merge(&mut doc).unwrap();
        assert!(
            wang.peer.deliver(ticket).await,
            "her request is hers to write"
        );
        checks.push((format!("王芳: {what}"), ticket, reader, expected));
    }

    // The team's part: Li moves a ticket and lets someone in; 王芳 tries the same on hers.
    type TeamAct = fn(&mut AutoCommit);
    let team_edits: [(&str, &str, TeamAct, &str, bool); 3] = [
        (
            "li",
            "move it to HR's queue",
            |d| d.put(ROOT, "department", "HR").unwrap(),
            "sun",
            true,
        ),
        (
            "li",
            "add 赵敏 of HR as a follower",
            |d| add_follower(d, "zhao@example.cn"),
            "zhao",
            true,
        ),
        (
            "wang",
            "add 赵敏 as a follower in the team's part",
            |d| add_follower(d, "zhao@example.cn"),
            "zhao",
            false,
        ),
    ];
    for (n, (actor, what, act, reader, expected)) in team_edits.into_iter().enumerate() {
        let wang = people.get_mut("wang").unwrap();
        let (ticket, doc) = new_ticket(wang, "王芳", what, "IT", 210 + n as u8);
        wang.peer.replica.docs.insert(ticket, doc);
        wang.peer.track(ticket).await;
        assert!(wang.peer.up_to_date(10).await);
        let person = people.get_mut(actor).unwrap();
        assert!(fetch_all(&mut person.peer, &[ticket]).await);
        follow_parts(&mut person.peer, ticket, false).await;
        let team = part_id(ticket, &Part::Team);
        edit(person.peer.replica.docs.get_mut(&team).unwrap(), act);
        person.peer.changed(team).await;
        person.peer.idle(500).await;
        if expected {
            assert!(
                person.peer.deliver(team).await,
                "the team's part is the team's to write"
            );
        } else {
            assert!(
                person.peer.read_only.contains(&team),
                "{actor} is told it is read-only"
            );
        }
        checks.push((format!("{actor}: {what}"), ticket, reader, expected));
    }
    for (what, ticket, reader, expected) in checks {
        assert_eq!(
            receives(&relay, &tokens[reader], ticket).await,
            expected,
            "{what}: {reader} reads the ticket"
        );
    }
    // A kind set later changes nothing: the request is still in IT's queue for Li.
    assert!(receives(&relay, &tokens["li"], DocumentId::from_bytes([200; 16])).await);

    // Approval: Li asks 周杰 to approve. 王芳 delivers 周杰's part first, with her own "approval"
    // in it; the relay starts that part afresh. Then 周杰 approves in it.
    let wang = people.get_mut("wang").unwrap();
    let (ticket, doc) = new_ticket(wang, "王芳", "报销审批", "IT", 220);
    wang.peer.replica.docs.insert(ticket, doc);
    wang.peer.track(ticket).await;
    // (Her device still holds the change to a team's part the relay refused: not up to date.)
    assert!(wang.peer.until(|p| p.client.is_settled(ticket), 10).await);
    let li = people.get_mut("li").unwrap();
    assert!(fetch_all(&mut li.peer, &[ticket]).await);
    follow_parts(&mut li.peer, ticket, true).await;
    change_ticket(&mut li.peer, ticket, |t| {
        t.request_approval(&Approval {
            chain: "manager".into(),
            steps: vec![PlannedStep {
                email: "zhou@example.cn".into(),
                ..Default::default()
            }],
            pause_sla: false,
            requested_at: Timestamp(2_000),
            decisions: Default::default(),
        })
        .unwrap()
    })
    .await;
    let decision = |by: &str| Decision {
        approve: true,
        by: by.into(),
        at: Timestamp(3_000),
        comment: String::new(),
        automatic: false,
    };
    let zhous_part = part_id(ticket, &Part::Person("zhou@example.cn".into()));
    let wang = people.get_mut("wang").unwrap();
    let mut forged = TicketDoc::from_automerge(wang.peer.replica.docs[&ticket].clone()).unwrap();
    forged
        .decide(0, &decision("王芳"), Some("zhou@example.cn"))
        .unwrap();
    let forged_part = forged.doc_mut(zhous_part).unwrap().clone();
    wang.peer.replica.docs.insert(zhous_part, forged_part);
    wang.peer.track(zhous_part).await;
    wang.peer.idle(1_000).await;
    let mut root = sign_in(&relay, &tokens["root"], "observer").await;
    assert!(fetch_all(&mut root.peer, &[ticket]).await);
    follow_parts(&mut root.peer, ticket, true).await;
    assert!(
        root.peer
            .until(|p| p.replica.docs.contains_key(&zhous_part), 10)
            .await
    );
    root.peer.idle(500).await;
    let decided = |p: &Peer| {
        common::ticket_in(p, ticket)
            .and_then(|t| t.approval)
            .and_then(|a| a.decisions.get(&0).map(|d| d.by.clone()))
    };
    assert_eq!(
        decided(&root.peer),
        None,
        "王芳's decision in 周杰's part counts for nothing"
    );
    let zhou = people.get_mut("zhou").unwrap();
    assert!(fetch_all(&mut zhou.peer, &[ticket]).await);
    follow_parts(&mut zhou.peer, ticket, false).await;
    change_ticket(&mut zhou.peer, ticket, |t| {
        t.decide(0, &decision("周杰"), Some("zhou@example.cn"))
            .unwrap()
    })
    .await;
    assert!(
        root.peer
            .until(|p| decided(p).as_deref() == Some("周杰"), 10)
            .await,
        "the approver's own decision counts"
    );

    // Internal notes: 王芳 forges the staff part and never reads it; Li writes one.
    let staff = part_id(ticket, &Part::Staff);
    let wang = people.get_mut("wang").unwrap();
    let mut note = TicketDoc::from_automerge(wang.peer.replica.docs[&ticket].clone()).unwrap();
    note.add_comment(
        "伪造的内部备注",
        Visibility::Internal,
        &[],
        ("王芳", &Side::Team),
        Timestamp(4_000),
    )
    .unwrap();
    wang.peer
        .replica
        .docs
        .insert(staff, note.doc_mut(staff).unwrap().clone());
    wang.peer.track(staff).await;
    let li = people.get_mut("li").unwrap();
    change_ticket(&mut li.peer, ticket, |t| {
        t.add_comment(
            "查一下日志",
            Visibility::Internal,
            &[],
            ("Li Lei", &Side::Team),
            Timestamp(5_000),
        )
        .unwrap()
    })
    .await;
    let notes = |p: &Peer| -> Vec<String> {
        common::ticket_in(p, ticket)
            .map(|t| {
                t.comments
                    .into_iter()
                    .filter(|c| c.visibility == Visibility::Internal)
                    .map(|c| c.body)
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        root.peer.until(|p| notes(p) == ["查一下日志"], 10).await,
        "the team's note arrives, the forged one never: {:?}",
        notes(&root.peer)
    );
    for (reader, expected) in [("wang", false), ("zhou", false), ("han", true)] {
        assert_eq!(
            receives(&relay, &tokens[reader], staff).await,
            expected,
            "{reader} reads the internal notes"
        );
    }
}
