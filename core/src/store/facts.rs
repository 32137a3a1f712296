//! What the relay reads from a document's own content to decide who may see it.
//!
//! Only tickets are classified from content today; organisation and personal documents arrive with
//! the directory. Anything else stays [`DocFacts::Unclassified`], owned by whoever delivered it first.

use super::fields::str_at;
use super::ticket_doc;
use crate::access::{DocFacts, PersonId};
use automerge::{ObjType, ReadDoc, Value, ROOT};

/// The access facts of `doc`, first delivered to the relay by `creator`.
pub fn facts_of(doc: &impl ReadDoc, creator: &PersonId) -> DocFacts {
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
    use crate::access::Role;
    use crate::domain::Account;
    use crate::domain::{DocumentId, Priority, Profile, TicketDraft, Timestamp};
    use crate::store::TicketDoc;
    use automerge::AutoCommit;

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
        };
        let id = DocumentId::from_bytes([1; 16]);
        let ticket = TicketDoc::create(id, &draft, &filer, Timestamp(1)).unwrap();
        let relay = PersonId("relay-first-seen".into());
        assert_eq!(
            facts_of(ticket.automerge(), &relay),
            DocFacts::Ticket {
                creator: relay,
                requester: Some(PersonId("wang".into())),
                queue: "IT".into(),
                watchers: vec![],
            }
        );
    }

    #[test]
    fn anything_else_belongs_to_whoever_delivered_it() {
        let creator = PersonId("li".into());
        let expected = DocFacts::Unclassified {
            creator: creator.clone(),
        };
        assert_eq!(facts_of(&AutoCommit::new(), &creator), expected);
    }
}
