//! Who may read and write what, proven over the wire: every role against every kind of document,
//! each cell tried for real. Reading is asking the relay for the document; writing is sending it a
//! change (for a document one may not read, a forged copy under the same id). An observer who may
//! read the document then shows which changes the relay took. The expected matrix is written out
//! below as the rule, not derived from the relay's code.

mod common;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use common::{
    add_person, article, document_of_kind, new_ticket, page_dir, response_doc, sign_in, temp_dir,
    Peer, Person, Relay,
};
use innerdesk_core::domain::knowledge::Audience;
use innerdesk_core::domain::{DocumentId, Timestamp, Visibility};
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
/// R reads only, - receives nothing. 王芳 files the ticket for IT and mentions 周杰 in it; Li
/// writes the articles and keeps the staff workbench; 赵敏 opens the suggestion board.
const MATRIX: [(&str, [char; 7]); 11] = [
    //                    wang zhou zhao  li  han  sun root
    ("ticket", ['W', 'W', '-', 'W', 'W', '-', 'W']),
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

async fn fixture() -> Fixture {
    let data = temp_dir("access-matrix");
    let tokens: HashMap<_, _> = PEOPLE
        .iter()
        .map(|(key, name, email, department, role)| {
            (*key, add_person(&data, name, email, department, role))
        })
        .collect();
    let relay = Relay::start(&page_dir(), &data);
    let mut makers: HashMap<&str, Person> = HashMap::new();
    for key in ["wang", "li", "zhao", "root"] {
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
            "王芳",
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
    let relay_made = [queue_index, own_index, everyone_index].map(|id| (id, None));
    let mut docs = vec![ids[0]];
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
