//! What the relay reads from a document's own content to decide who may see it.
//!
//! The `kind` at a document's root decides: tickets name their requester, queue and watchers;
//! organisation-wide kinds (directory, catalog, policies…) count as such only when an admin
//! delivered them, the staff workbench only when staff did; a suggestion board is everyone's;
//! `personal` documents and survey responses belong to whoever delivered them. Anything else
//! stays [`DocFacts::Unclassified`], owned by its first deliverer.

use super::fields::str_at;
use super::{ticket_doc, voice_doc};
use crate::access::{DocFacts, PersonId, Role};
use automerge::{ObjType, ReadDoc, Value, ROOT};

/// Document kinds that hold organisation-wide configuration: everyone reads them, admins write.
pub const ORGANISATION_KINDS: [&str; 6] = [
    "directory",
    "catalog",
    "policies",
    "calendars",
    "automation",
    voice_doc::VOICE,
];

/// The kind of a document that belongs to one person alone.
pub const PERSONAL_KIND: &str = "personal";

/// The access facts of `doc`, first delivered to the relay by `creator` (of `role`, if known).
pub fn facts_of(doc: &impl ReadDoc, creator: &PersonId, role: Option<Role>) -> DocFacts {
    let creator_is_admin = role == Some(Role::Admin);
    let unclassified = || DocFacts::Unclassified {
        creator: creator.clone(),
    };
    match str_at(doc, &ROOT, "kind").as_deref() {
        Ok(ticket_doc::KIND) => match str_at(doc, &ROOT, "department") {
            Ok(queue) => DocFacts::Ticket {
                creator: creator.clone(),
                requester: str_at(doc, &ROOT, "requester_id").ok().map(PersonId),
                queue,
                watchers: people_at(doc, "watchers"),
            },
            Err(_) => unclassified(),
        },
        Ok(kind) if creator_is_admin && ORGANISATION_KINDS.contains(&kind) => {
            DocFacts::Organisation
        }
        Ok(voice_doc::WORKBENCH) if role.is_some_and(|r| r == Role::Admin || r.works_queues()) => {
            DocFacts::Staff
        }
        Ok(voice_doc::BOARD) => DocFacts::Board,
        Ok(voice_doc::RESPONSE) => match str_at(doc, &ROOT, "survey") {
            Ok(survey) => DocFacts::Response {
                owner: creator.clone(),
                survey,
            },
            Err(_) => unclassified(),
        },
        Ok(PERSONAL_KIND) => DocFacts::Personal {
            owner: creator.clone(),
        },
        _ => unclassified(),
    }
}

/// The person ids in a list field; anything that is not a string is passed over.
fn people_at(doc: &impl ReadDoc, key: &'static str) -> Vec<PersonId> {
    let Ok(Some((Value::Object(ObjType::List), list))) = doc.get(&ROOT, key) else {
        return Vec::new();
    };
    (0..doc.length(&list))
        .filter_map(|i| match doc.get(&list, i).ok().flatten() {
            Some((Value::Scalar(s), _)) => s.as_str().map(|t| PersonId(t.to_string())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Account;
    use crate::domain::{DocumentId, Priority, Profile, TicketDraft, Timestamp};
    use crate::store::TicketDoc;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    #[test]
    fn a_ticket_names_its_requester_and_queue() {
        let mut filer = Profile::new("王芳", "财务部").unwrap();
        filer.account = Some(Account {
            person: PersonId("wang".into()),
            role: Role::Requester,
            email: "wang@example.cn".into(),
        });
        let draft = TicketDraft {
            title: "VPN".into(),
            description: String::new(),
            requester: "王芳".into(),
            department: "IT".into(),
            category: String::new(),
            priority: Priority::Normal,
            ..Default::default()
        };
        let id = DocumentId::from_bytes([1; 16]);
        let ticket = TicketDoc::create(id, &draft, &filer, Timestamp(1)).unwrap();
        let relay = PersonId("relay-first-seen".into());
        assert_eq!(
            facts_of(ticket.automerge(), &relay, None),
            DocFacts::Ticket {
                creator: relay,
                requester: Some(PersonId("wang".into())),
                queue: "IT".into(),
                watchers: vec![],
            }
        );
    }

    fn of_kind(kind: &str) -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "kind", kind).unwrap();
        doc
    }

    #[test]
    fn organisation_documents_count_only_from_an_admin() {
        let root = PersonId("root".into());
        let directory = of_kind("directory");
        assert_eq!(
            facts_of(&directory, &root, Some(Role::Admin)),
            DocFacts::Organisation
        );
        let forged = facts_of(&directory, &PersonId("li".into()), Some(Role::Lead));
        assert_eq!(
            forged,
            DocFacts::Unclassified {
                creator: PersonId("li".into())
            }
        );
    }

    #[test]
    fn personal_documents_belong_to_their_deliverer_and_anything_else_too() {
        let li = PersonId("li".into());
        assert_eq!(
            facts_of(&of_kind("personal"), &li, None),
            DocFacts::Personal { owner: li.clone() }
        );
        let expected = DocFacts::Unclassified {
            creator: li.clone(),
        };
        assert_eq!(facts_of(&AutoCommit::new(), &li, None), expected);
    }

    #[test]
    fn the_workbench_is_staff_only_the_board_everyones_and_responses_their_authors() {
        let li = PersonId("li".into());
        assert_eq!(
            facts_of(&of_kind("workbench"), &li, Some(Role::Agent)),
            DocFacts::Staff
        );
        assert!(matches!(
            facts_of(&of_kind("workbench"), &li, Some(Role::Requester)),
            DocFacts::Unclassified { .. }
        ));
        assert_eq!(facts_of(&of_kind("board"), &li, None), DocFacts::Board);
        let mut response = of_kind("survey-response");
        response.put(ROOT, "survey", "s1").unwrap();
        assert_eq!(
            facts_of(&response, &li, Some(Role::Requester)),
            DocFacts::Response {
                owner: li.clone(),
                survey: "s1".into()
            }
        );
    }
}
